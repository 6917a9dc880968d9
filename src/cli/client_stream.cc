// The attach and exec streams: the daemon's output to ours (raw or stdcopy frames), our stdin to
// the container, the local terminal in raw mode and its size, and docker's sig-proxy.
#include "cli/client_internal.h"

#include <pthread.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <thread>

namespace berth::cli {

// Copies a hijacked stream to stdout/stderr: raw when the container has a TTY, else docker's
// stdcopy frames. Returns when the daemon closes the stream.
void pump_output(Hijacked& h, bool raw) {
  std::fflush(stdout);
  StdDemux demux([](int stream, std::string_view d) {
    write_all(stream == 2 || stream == 3 ? STDERR_FILENO : STDOUT_FILENO, d);
    return true;
  });
  auto take = [&](const char* d, size_t n) {
    if (raw) return write_all(STDOUT_FILENO, std::string_view(d, n));
    return demux.feed(d, n);
  };
  if (!h.pending.empty() && !take(h.pending.data(), h.pending.size())) return;
  char buf[32 * 1024];
  for (;;) {
    ssize_t n = ::read(h.fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    if (!take(buf, static_cast<size_t>(n))) return;
  }
}

// Our stdin into the hijacked connection, then a half-close (the container's stdin ends).
void pump_input(int sock) {
  std::thread([sock] {
    char buf[32 * 1024];
    for (;;) {
      ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      if (!write_all(sock, std::string_view(buf, static_cast<size_t>(n)))) return;
    }
    ::shutdown(sock, SHUT_WR);
  }).detach();
}

RawTerminal::RawTerminal() {
  if (::tcgetattr(STDIN_FILENO, &saved_) != 0) return;
  struct termios raw = saved_;
  ::cfmakeraw(&raw);
  active_ = ::tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
}

RawTerminal::~RawTerminal() {
  if (active_) ::tcsetattr(STDIN_FILENO, TCSANOW, &saved_);
}

// Sends the terminal's size to `path` (/containers/{id}/resize or /exec/{id}/resize).
Json console_size() {
  struct winsize ws {};
  if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) != 0 || ws.ws_row == 0 || ws.ws_col == 0) return Json();
  return Json::array({ws.ws_row, ws.ws_col});
}

void resize(const Client& c, const std::string& path) {
  struct winsize ws {};
  if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) != 0 || ws.ws_row == 0) return;
  (void)c.request("POST", path, {{"h", std::to_string(ws.ws_row)}, {"w", std::to_string(ws.ws_col)}});
}

// docker's sig-proxy: signals that reach us are sent to the container; SIGWINCH resizes its
// terminal. Call before starting any other thread (the signals are blocked in all of them).
void proxy_signals(const Client& c, const std::string& id, bool tty) {
  sigset_t set;
  sigemptyset(&set);
  for (int s : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH}) sigaddset(&set, s);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::thread([&c, id, tty, set] {
    for (;;) {
      int sig = 0;
      if (sigwait(&set, &sig) != 0) continue;
      if (sig == SIGWINCH) {
        if (tty) resize(c, cpath(id, "/resize"));
        continue;
      }
      if (tty) continue;  // a TTY session gets ^C as a byte; docker proxies none there
      (void)c.request("POST", cpath(id, "/kill"), {{"signal", std::to_string(sig)}});
    }
  }).detach();
}

}  // namespace berth::cli
