#include "engine/dns.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>

#include "common/strings.h"

namespace berth::engine {
namespace {

constexpr int64_t kForwardTimeoutMs = 5000;

uint16_t get16(std::string_view p, size_t at) {
  return static_cast<uint16_t>((static_cast<uint8_t>(p[at]) << 8) | static_cast<uint8_t>(p[at + 1]));
}

void put16(std::string& out, uint16_t v) {
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v & 0xff));
}

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

std::optional<DnsQuestion> parse_dns_query(std::string_view p) {
  if (p.size() < 12) return std::nullopt;
  uint16_t flags = get16(p, 2);
  // A query (QR 0) with opcode QUERY and one question.
  if ((flags & 0x8000) != 0 || ((flags >> 11) & 0xf) != 0 || get16(p, 4) != 1) return std::nullopt;
  DnsQuestion q;
  q.id = get16(p, 0);
  size_t at = 12;
  for (;;) {
    if (at >= p.size()) return std::nullopt;
    auto len = static_cast<uint8_t>(p[at++]);
    if (len == 0) break;
    if (len > 63 || at + len > p.size()) return std::nullopt;  // no compression in questions
    if (!q.name.empty()) q.name.push_back('.');
    q.name += str::to_lower(std::string(p.substr(at, len)));
    at += len;
  }
  if (at + 4 > p.size()) return std::nullopt;
  q.type = get16(p, at);
  q.qclass = get16(p, at + 2);
  q.end = at + 4;
  return q;
}

std::string dns_answer(std::string_view packet, const DnsQuestion& q,
                       const std::vector<std::string>& ipv4, bool known) {
  std::string out;
  put16(out, q.id);
  uint16_t rd = get16(packet, 2) & 0x0100;
  // QR, AA, RD as asked, RA; RCODE 3 (NXDOMAIN) for a name we do not know.
  put16(out, static_cast<uint16_t>(0x8000 | 0x0400 | rd | 0x0080 | (known ? 0 : 3)));
  put16(out, 1);
  std::vector<in_addr> addrs;
  for (auto& ip : ipv4) {
    in_addr a{};
    if (::inet_pton(AF_INET, ip.c_str(), &a) == 1) addrs.push_back(a);
  }
  put16(out, static_cast<uint16_t>(addrs.size()));
  put16(out, 0);
  put16(out, 0);
  out.append(packet.substr(12, q.end - 12));
  for (auto& a : addrs) {
    put16(out, 0xc00c);  // the question's name
    put16(out, 1);       // A
    put16(out, 1);       // IN
    put16(out, 0);
    put16(out, 600);  // TTL
    put16(out, 4);
    out.append(reinterpret_cast<const char*>(&a.s_addr), 4);
  }
  return out;
}

std::vector<std::string> resolv_nameservers(const std::string& text) {
  std::vector<std::string> out;
  for (auto& line : str::split(text, '\n')) {
    std::string_view l = str::trim(line);
    if (!l.starts_with("nameserver")) continue;
    std::string addr(str::trim(l.substr(10)));
    addr = addr.substr(0, addr.find_first_of(" \t#"));
    in_addr a{};
    if (::inet_pton(AF_INET, addr.c_str(), &a) == 1) out.push_back(addr);
  }
  return out;
}

DnsServer::DnsServer(Lookup lookup)
    : lookup_(std::move(lookup)),
      epoll_(::epoll_create1(EPOLL_CLOEXEC)),
      wake_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = wake_.get();
  ::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, wake_.get(), &ev);
  thread_ = std::thread([this] { run(); });
}

DnsServer::~DnsServer() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stopping_ = true;
  }
  uint64_t one = 1;
  (void)!::write(wake_.get(), &one, sizeof one);
  if (thread_.joinable()) thread_.join();
  for (auto& [fd, f] : forwards_) ::close(fd);
}

Result<void> DnsServer::serve(const std::string& id, const std::string& netns,
                              std::vector<std::string> upstream) {
  {
    std::lock_guard<std::mutex> l(mu_);
    for (auto& [fd, c] : clients_) {
      if (c.id == id) return {};
    }
  }
  UniqueFd ns(::open(netns.c_str(), O_RDONLY | O_CLOEXEC));
  if (!ns) return sys_error(errno, "open network namespace `" + netns + "`");
  Result<UniqueFd> sock = make_error(Errc::kInternal, "no socket");
  // setns moves only the calling thread: do it on a thread of its own. The socket keeps the
  // namespace it was made in.
  std::thread([&] {
    if (::setns(ns.get(), CLONE_NEWNET) < 0) {
      sock = sys_error(errno, "enter network namespace `" + netns + "`");
      return;
    }
    UniqueFd s(::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(53);
    a.sin_addr.s_addr = htonl(0x7f00000b);  // 127.0.0.11
    if (!s || ::bind(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) < 0) {
      sock = sys_error(errno, "bind the DNS server to 127.0.0.11:53");
      return;
    }
    sock = std::move(s);
  }).join();
  if (!sock) return tl::unexpected(sock.error());
  std::lock_guard<std::mutex> l(mu_);
  int fd = sock->get();
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = fd;
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) < 0) return sys_error(errno, "epoll_ctl");
  clients_[fd] = Client{id, std::move(*sock), std::move(upstream)};
  return {};
}

void DnsServer::stop(const std::string& id) {
  std::lock_guard<std::mutex> l(mu_);
  for (auto it = clients_.begin(); it != clients_.end();) {
    if (it->second.id == id) {
      ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, it->first, nullptr);
      it = clients_.erase(it);
    } else {
      ++it;
    }
  }
}

void DnsServer::run() {
  epoll_event events[16];
  for (;;) {
    int n = ::epoll_wait(epoll_.get(), events, 16, 1000);
    std::vector<int> queries, replies;
    {
      std::lock_guard<std::mutex> l(mu_);
      if (stopping_) return;
      for (int i = 0; i < n; ++i) {
        int fd = events[i].data.fd;
        if (clients_.count(fd)) queries.push_back(fd);
        else if (forwards_.count(fd)) replies.push_back(fd);
      }
      // Upstream servers that never answered: the asker retries on its own.
      int64_t now = now_ms();
      std::erase_if(forwards_, [&](auto& kv) {
        if (kv.second.deadline_ms > now) return false;
        ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, kv.first, nullptr);
        ::close(kv.first);
        return true;
      });
    }
    for (int fd : queries) on_query(fd);
    for (int fd : replies) on_reply(fd);
  }
}

void DnsServer::on_query(int fd) {
  char buf[4096];
  sockaddr_in peer{};
  socklen_t plen = sizeof peer;
  ssize_t n = ::recvfrom(fd, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&peer), &plen);
  if (n <= 0) return;
  std::string_view packet(buf, static_cast<size_t>(n));
  auto q = parse_dns_query(packet);
  if (!q) return;
  std::string id;
  std::vector<std::string> upstream;
  {
    std::lock_guard<std::mutex> l(mu_);
    auto it = clients_.find(fd);
    if (it == clients_.end()) return;
    id = it->second.id;
    upstream = it->second.upstream;
  }
  // Names of ours are answered here (lookup takes the engine's lock: not under ours).
  if (q->qclass == 1 && (q->type == 1 || q->type == 28 || q->type == 255)) {
    std::optional<std::vector<std::string>> ips;
    try {
      ips = lookup_(id, q->name);
    } catch (const std::exception&) {
      // A record in an unexpected shape must not end the daemon: the name is not ours then.
    }
    if (ips) {
      std::string reply = dns_answer(packet, *q, q->type == 28 ? std::vector<std::string>{} : *ips, true);
      (void)::sendto(fd, reply.data(), reply.size(), 0, reinterpret_cast<sockaddr*>(&peer), plen);
      return;
    }
  }
  if (upstream.empty()) {
    std::string reply = dns_answer(packet, *q, {}, false);
    (void)::sendto(fd, reply.data(), reply.size(), 0, reinterpret_cast<sockaddr*>(&peer), plen);
    return;
  }
  // Forwarded from the host's namespace (this thread's), as docker's resolver does.
  int up = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (up < 0) return;
  sockaddr_in server{};
  server.sin_family = AF_INET;
  server.sin_port = htons(53);
  ::inet_pton(AF_INET, upstream[0].c_str(), &server.sin_addr);
  if (::connect(up, reinterpret_cast<sockaddr*>(&server), sizeof server) < 0 ||
      ::send(up, buf, static_cast<size_t>(n), 0) < 0) {
    ::close(up);
    return;
  }
  std::lock_guard<std::mutex> l(mu_);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = up;
  ::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, up, &ev);
  forwards_[up] = Forward{fd, id, std::string(reinterpret_cast<char*>(&peer), plen),
                          now_ms() + kForwardTimeoutMs};
}

void DnsServer::on_reply(int fd) {
  char buf[4096];
  ssize_t n = ::recv(fd, buf, sizeof buf, 0);
  std::lock_guard<std::mutex> l(mu_);
  auto it = forwards_.find(fd);
  if (it == forwards_.end()) return;
  Forward f = it->second;
  forwards_.erase(it);
  ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
  ::close(fd);
  // The asker's socket may be gone (container stopped) or reused: only a live one answers.
  if (auto c = clients_.find(f.client_fd); n > 0 && c != clients_.end() && c->second.id == f.client_id) {
    (void)::sendto(f.client_fd, buf, static_cast<size_t>(n), 0,
                   reinterpret_cast<const sockaddr*>(f.peer.data()),
                   static_cast<socklen_t>(f.peer.size()));
  }
}

}  // namespace berth::engine
