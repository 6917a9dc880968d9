#include "runtime/console/console.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace berth::runtime::console {

Result<Pty> open_pty(unsigned rows, unsigned cols) {
  Pty p;
  p.master.reset(::open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!p.master) {
    return sys_error(errno, "open /dev/ptmx");
  }
  if (::unlockpt(p.master.get()) < 0) {
    return sys_error(errno, "unlockpt");
  }
  char name[64];
  if (::ptsname_r(p.master.get(), name, sizeof name) != 0) {
    return sys_error(errno, "ptsname");
  }
  p.slave_path = name;
  p.slave.reset(::open(name, O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!p.slave) {
    return sys_error(errno, std::string("open pty slave `") + name + "`");
  }
  if (rows > 0 && cols > 0) {
    winsize ws{};
    ws.ws_row = static_cast<unsigned short>(rows);
    ws.ws_col = static_cast<unsigned short>(cols);
    ::ioctl(p.master.get(), TIOCSWINSZ, &ws);
  }
  return p;
}

Result<void> make_controlling(int slave) {
  if (::setsid() < 0 && errno != EPERM) {
    return sys_error(errno, "setsid");
  }
  if (::ioctl(slave, TIOCSCTTY, 0) < 0) {
    return sys_error(errno, "set controlling terminal");
  }
  for (int fd = 0; fd < 3; ++fd) {
    if (::dup2(slave, fd) < 0) {
      return sys_error(errno, "dup terminal to stdio");
    }
  }
  return {};
}

Result<UniqueFd> connect_socket(const std::string& path) {
  UniqueFd s(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!s) {
    return sys_error(errno, "socket");
  }
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) {
    return make_error(Errc::kInvalidArgument, "console socket path too long: " + path);
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  if (::connect(s.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0) {
    return sys_error(errno, "connect to console socket `" + path + "`");
  }
  return s;
}

Result<void> send_fd(int sock, int fd, std::string_view name) {
  char body[256];
  size_t n = std::min(name.size(), sizeof body);
  std::memcpy(body, name.data(), n);
  iovec iov{body, n == 0 ? 1 : n};
  alignas(cmsghdr) char ctrl[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = ctrl;
  msg.msg_controllen = sizeof ctrl;
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(c), &fd, sizeof(int));
  if (::sendmsg(sock, &msg, MSG_NOSIGNAL) < 0) {
    return sys_error(errno, "send terminal fd");
  }
  return {};
}

Result<UniqueFd> recv_fd(int sock) {
  char body[256];
  iovec iov{body, sizeof body};
  alignas(cmsghdr) char ctrl[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = ctrl;
  msg.msg_controllen = sizeof ctrl;
  if (::recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) < 0) {
    return sys_error(errno, "receive terminal fd");
  }
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  if (c == nullptr || c->cmsg_type != SCM_RIGHTS) {
    return make_error(Errc::kDataLoss, "receive terminal fd: no fd in message");
  }
  int fd;
  std::memcpy(&fd, CMSG_DATA(c), sizeof(int));
  return UniqueFd(fd);
}

namespace {
volatile sig_atomic_t g_winch = 0;
void on_winch(int) { g_winch = 1; }

void copy_window_size(int master) {
  winsize ws{};
  if (::ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0) {
    ::ioctl(master, TIOCSWINSZ, &ws);
  }
}
}  // namespace

void proxy_terminal(int master) {
  // Our terminal's size follows us: SIGWINCH resizes the container's pty.
  struct sigaction sa {};
  sa.sa_handler = on_winch;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGWINCH, &sa, nullptr);  // no SA_RESTART: poll() returns EINTR
  termios saved{};
  bool raw = ::isatty(STDIN_FILENO) && ::tcgetattr(STDIN_FILENO, &saved) == 0;
  if (raw) {
    termios t = saved;
    ::cfmakeraw(&t);
    ::tcsetattr(STDIN_FILENO, TCSANOW, &t);
    copy_window_size(master);
  }
  pollfd fds[2] = {{master, POLLIN, 0}, {STDIN_FILENO, POLLIN, 0}};
  char buf[16384];
  bool stdin_open = true;
  for (;;) {
    int n = ::poll(fds, stdin_open ? 2 : 1, -1);
    if (g_winch) {
      g_winch = 0;
      copy_window_size(master);
    }
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      break;
    }
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t r = ::read(master, buf, sizeof buf);
      if (r <= 0) {
        break;  // EIO once every slave fd is closed
      }
      for (ssize_t off = 0; off < r;) {
        ssize_t w = ::write(STDOUT_FILENO, buf + off, static_cast<size_t>(r - off));
        if (w <= 0) {
          break;
        }
        off += w;
      }
    }
    if (stdin_open && (fds[1].revents & (POLLIN | POLLHUP | POLLERR))) {
      ssize_t r = ::read(STDIN_FILENO, buf, sizeof buf);
      if (r <= 0) {
        stdin_open = false;
        char eot = 4;  // ^D: end of input for the program on the other side
        (void)!::write(master, &eot, 1);
      } else {
        (void)!::write(master, buf, static_cast<size_t>(r));
      }
    }
  }
  if (raw) {
    ::tcsetattr(STDIN_FILENO, TCSANOW, &saved);
  }
}

}  // namespace berth::runtime::console
