#include "runtime/process/sync.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <cstring>

namespace berth::runtime::process {
namespace {
struct Header {
  uint32_t type;
  int32_t err;
  int32_t pid;
  uint32_t len;
};
constexpr size_t kMax = 1 << 20;
}  // namespace

Result<SyncPair> make_sync_pair() {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
    return sys_error(errno, "socketpair");
  }
  return SyncPair{UniqueFd(sv[0]), UniqueFd(sv[1])};
}

Result<void> sync_send(int fd, SyncType type, std::string_view text, int32_t err, int32_t pid) {
  std::string buf(sizeof(Header) + text.size(), '\0');
  Header h{static_cast<uint32_t>(type), err, pid, static_cast<uint32_t>(text.size())};
  std::memcpy(buf.data(), &h, sizeof h);
  std::memcpy(buf.data() + sizeof h, text.data(), text.size());
  ssize_t n;
  do {
    n = ::send(fd, buf.data(), buf.size(), MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    return sys_error(errno, "sync send");
  }
  return {};
}

Result<SyncMessage> sync_recv(int fd) {
  // Peek at the size first: most messages are a bare header, so no big buffer is touched.
  ssize_t size;
  do {
    size = ::recv(fd, nullptr, 0, MSG_PEEK | MSG_TRUNC);
  } while (size < 0 && errno == EINTR);
  if (size < 0) {
    return sys_error(errno, "sync receive");
  }
  std::string buf(static_cast<size_t>(std::min<ssize_t>(std::max<ssize_t>(size, 1), kMax)), '\0');
  ssize_t n;
  do {
    n = ::recv(fd, buf.data(), buf.size(), 0);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    return sys_error(errno, "sync receive");
  }
  if (n == 0) {
    return make_error(Errc::kUnavailable, "container init exited before it was ready");
  }
  if (static_cast<size_t>(n) < sizeof(Header)) {
    return make_error(Errc::kDataLoss, "sync receive: short message");
  }
  Header h;
  std::memcpy(&h, buf.data(), sizeof h);
  SyncMessage m;
  m.type = static_cast<SyncType>(h.type);
  m.err = h.err;
  m.pid = h.pid;
  m.text.assign(buf.data() + sizeof h, std::min<size_t>(h.len, static_cast<size_t>(n) - sizeof h));
  return m;
}

void child_fail(int fd, const Error& e) {
  (void)sync_send(fd, SyncType::kError, e.message, e.sys_errno);
  ::_exit(1);
}

}  // namespace berth::runtime::process
