#include "shim/shim.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "common/fs.h"
#include "common/json.h"
#include "common/time.h"
#include "common/unique_fd.h"
#include "runtime/console/console.h"
#include "runtime/container.h"

namespace berth::shim {
namespace {

void report(int fd, const std::string& line) {
  if (fd < 0) return;
  std::string l = line + "\n";
  (void)!::write(fd, l.data(), l.size());
  ::close(fd);
}

// The json-file log: one JSON object per line of output, as docker's json-file driver.
class JsonLog {
 public:
  JsonLog(std::string path, int64_t max_bytes, int max_files)
      : path_(std::move(path)), max_bytes_(max_bytes), max_files_(max_files) {
    open();
  }

  // Appends output of `stream`; lines are split at '\n', a partial line waits for more.
  void add(const std::string& stream, const char* data, size_t len) {
    std::string& pending = pending_[stream == "stderr"];
    pending.append(data, len);
    size_t start = 0;
    for (;;) {
      size_t nl = pending.find('\n', start);
      if (nl == std::string::npos) break;
      line(stream, pending.substr(start, nl + 1 - start));
      start = nl + 1;
    }
    pending.erase(0, start);
    if (pending.size() >= 16 * 1024) {  // docker's json-file splits long lines too
      line(stream, pending);
      pending.clear();
    }
  }
  void flush() {
    if (!pending_[0].empty()) line("stdout", pending_[0]);
    if (!pending_[1].empty()) line("stderr", pending_[1]);
    pending_[0].clear();
    pending_[1].clear();
  }

 private:
  void open() {
    fd_.reset(::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640));
    struct stat st {};
    size_ = fd_ && ::fstat(fd_.get(), &st) == 0 ? st.st_size : 0;
  }
  void rotate() {
    for (int i = max_files_ - 1; i >= 1; --i) {
      std::string from = i == 1 ? path_ : path_ + "." + std::to_string(i - 1);
      ::rename(from.c_str(), (path_ + "." + std::to_string(i)).c_str());
    }
    if (max_files_ <= 1) ::truncate(path_.c_str(), 0);
    open();
  }
  void line(const std::string& stream, const std::string& text) {
    std::string rec =
        dump_json(Json{{"log", text}, {"stream", stream}, {"time", rfc3339_now()}}) + "\n";
    if (max_bytes_ > 0 && size_ + static_cast<int64_t>(rec.size()) > max_bytes_ && size_ > 0) {
      rotate();
    }
    if (fd_) {
      (void)!::write(fd_.get(), rec.data(), rec.size());
      size_ += static_cast<int64_t>(rec.size());
    }
  }

  std::string path_;
  int64_t max_bytes_;
  int max_files_;
  UniqueFd fd_;
  int64_t size_ = 0;
  std::string pending_[2];
};

// Whether the memory cgroup of the container recorded an OOM kill (v1 memory.oom_control's
// oom_kill counter, v2 memory.events' oom_kill).
bool oom_killed(const std::string& cgroup_path) {
  for (const std::string& f : {"/sys/fs/cgroup/memory" + cgroup_path + "/memory.oom_control",
                               "/sys/fs/cgroup" + cgroup_path + "/memory.events",
                               "/sys/fs/cgroup/unified" + cgroup_path + "/memory.events"}) {
    auto text = fs::read_file(f);
    if (!text) continue;
    auto p = text->find("oom_kill ");
    if (p != std::string::npos && std::atoll(text->c_str() + p + 9) > 0) return true;
  }
  return false;
}

}  // namespace

namespace {

// A listening unix socket at `path` (replacing a stale file). -1 on failure.
int listen_unix(const std::string& path) {
  ::unlink(path.c_str());
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  if (fd < 0 || path.size() >= sizeof sa.sun_path) return -1;
  std::memcpy(sa.sun_path, path.c_str(), path.size() + 1);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0 || ::listen(fd, 8) < 0) {
    ::close(fd);
    return -1;
  }
  ::chmod(path.c_str(), 0600);
  return fd;
}

void write_all(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return;
    p += w;
    n -= static_cast<size_t>(w);
  }
}

}  // namespace

std::string socket_dir(const std::string& id) { return "/run/berth/shim/" + id; }

int run(const Options& opts) {
  ::prctl(PR_SET_CHILD_SUBREAPER, 1);
  const std::string sockets = socket_dir(opts.id);
  // Only a container with a terminal or an open stdin has sockets (each directory made and
  // removed is an inode allocated and freed, which costs on a busy ext4).
  if (opts.tty || opts.open_stdin) {
    (void)fs::mkdir_all("/run/berth/shim", 0700);
    (void)fs::mkdir_all(sockets, 0700);
  }
  ::signal(SIGPIPE, SIG_IGN);
  int out[2] = {-1, -1}, err[2] = {-1, -1}, in[2] = {-1, -1};
  if (!opts.tty && (::pipe2(out, O_CLOEXEC) < 0 || ::pipe2(err, O_CLOEXEC) < 0)) {
    report(opts.report_fd, "error create stdio pipes: " + std::string(std::strerror(errno)));
    return 1;
  }
  if (!opts.tty && opts.open_stdin && ::pipe2(in, O_CLOEXEC) < 0) {
    report(opts.report_fd, "error create stdin pipe: " + std::string(std::strerror(errno)));
    return 1;
  }
  // The container's stdio is ours at create: stdin /dev/null (or the stdin pipe), stdout and
  // stderr the pipes. With a terminal the runtime sends us the pty master instead.
  int devnull = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  ::dup2(in[0] >= 0 ? in[0] : devnull, 0);
  ::dup2(opts.tty ? devnull : out[1], 1);
  ::dup2(opts.tty ? devnull : err[1], 2);
  UniqueFd console_listener;
  std::string console_path = sockets + "/console.sock";
  if (opts.tty) console_listener.reset(listen_unix(console_path));
  // SIGCHLD through a signalfd, so the output loop sees the init's end.
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGCHLD);
  sigprocmask(SIG_BLOCK, &mask, nullptr);
  UniqueFd sfd(::signalfd(-1, &mask, SFD_CLOEXEC));

  std::string warnings;
  runtime::Runtime rt(opts.runtime_root, [&](const std::string& w) { warnings += w + "; "; });
  runtime::CreateOptions co;
  co.id = opts.id;
  co.bundle = opts.bundle;
  if (opts.tty) co.console_socket = console_path;
  auto started = rt.run(co, /*detach=*/true);
  auto info = started ? rt.state(opts.id) : Result<runtime::ContainerInfo>(tl::unexpected(started.error()));
  // Our own stdio is /dev/null from now on; only the container holds the pipes' other ends.
  ::dup2(devnull, 0);
  ::dup2(devnull, 1);
  ::dup2(devnull, 2);
  for (int fd : {out[1], err[1], in[0]}) {
    if (fd >= 0) ::close(fd);
  }
  UniqueFd master;
  if (info && opts.tty) {
    // The runtime connected and sent the master during create; it waits in the backlog.
    pollfd p{console_listener.get(), POLLIN, 0};
    ::poll(&p, 1, 5000);
    UniqueFd conn(::accept4(console_listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (conn) {
      ::fcntl(conn.get(), F_SETFL, 0);
      if (auto m = runtime::console::recv_fd(conn.get())) master = std::move(*m);
    }
    console_listener.reset();
    ::unlink(console_path.c_str());
    if (!master) info = make_error(Errc::kInternal, "no terminal from the runtime");
  }
  if (!info) {
    (void)fs::remove_all(sockets);
    report(opts.report_fd, "error " + info.error().message);
    return 1;
  }
  pid_t init = info->state.pid;
  std::string cgroup_path = info->state.cgroup_path;
  UniqueFd stdin_listener, ctl_listener;
  if (opts.tty || opts.open_stdin) {
    stdin_listener.reset(listen_unix(sockets + "/stdin.sock"));
    ctl_listener.reset(listen_unix(sockets + "/ctl.sock"));
  }
  report(opts.report_fd, "ok " + std::to_string(init));

  JsonLog log(opts.log_path, opts.log_max_bytes, opts.log_max_files);
  // 0 stdout (or the master), 1 stderr, 2 SIGCHLD, 3 stdin listener, 4 ctl listener,
  // 5 the stdin client, 6 the ctl client.
  pollfd fds[7] = {{opts.tty ? master.get() : out[0], POLLIN, 0},
                   {opts.tty ? -1 : err[0], POLLIN, 0},
                   {sfd.get(), POLLIN, 0},
                   {stdin_listener ? stdin_listener.get() : -1, POLLIN, 0},
                   {ctl_listener ? ctl_listener.get() : -1, POLLIN, 0},
                   {-1, POLLIN, 0},
                   {-1, POLLIN, 0}};
  int stdin_w = in[1];  // non-tty stdin: the pipe's write end
  std::string ctl_buf;
  int status = -1;
  bool exited = false;
  char buf[64 * 1024];
  // Until the init has exited and its output is drained (processes it left behind may hold
  // the pipes open: after the init's end we only drain what is already there).
  for (;;) {
    int timeout = exited ? 0 : -1;
    int n = ::poll(fds, 7, timeout);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0 && exited) break;
    bool progress = false;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd >= 0 && (fds[i].revents & (POLLIN | POLLHUP | POLLERR))) {
        ssize_t r = ::read(fds[i].fd, buf, sizeof buf);
        if (r > 0) {
          log.add(i == 0 ? "stdout" : "stderr", buf, static_cast<size_t>(r));
          progress = true;
        } else if (r == 0 || (r < 0 && errno == EIO)) {  // EIO: the pty's slave side is gone
          fds[i].fd = -1;
        }
      }
    }
    // One stdin writer at a time (docker attach -i); its end closes stdin with StdinOnce.
    if (fds[3].fd >= 0 && (fds[3].revents & POLLIN) && fds[5].fd < 0) {
      int c = ::accept4(fds[3].fd, nullptr, nullptr, SOCK_CLOEXEC);
      if (c >= 0) fds[5].fd = c;
    }
    if (fds[5].fd >= 0 && (fds[5].revents & (POLLIN | POLLHUP | POLLERR))) {
      ssize_t r = ::read(fds[5].fd, buf, sizeof buf);
      if (r > 0) {
        write_all(opts.tty ? master.get() : stdin_w, buf, static_cast<size_t>(r));
      } else {
        ::close(fds[5].fd);
        fds[5].fd = -1;
        if (opts.stdin_once && !opts.tty && stdin_w >= 0) {
          ::close(stdin_w);
          stdin_w = -1;
          ::close(fds[3].fd);
          fds[3].fd = -1;
        }
      }
    }
    if (fds[4].fd >= 0 && (fds[4].revents & POLLIN) && fds[6].fd < 0) {
      int c = ::accept4(fds[4].fd, nullptr, nullptr, SOCK_CLOEXEC);
      if (c >= 0) fds[6].fd = c;
    }
    if (fds[6].fd >= 0 && (fds[6].revents & (POLLIN | POLLHUP | POLLERR))) {
      ssize_t r = ::read(fds[6].fd, buf, sizeof buf);
      if (r > 0) {
        ctl_buf.append(buf, static_cast<size_t>(r));
        size_t nl;
        while ((nl = ctl_buf.find('\n')) != std::string::npos) {
          Json j = parse_json(ctl_buf.substr(0, nl), "ctl").value_or(Json::object());
          ctl_buf.erase(0, nl + 1);
          if (master && j.is_object() && j.contains("h") && j.contains("w")) {
            winsize ws{};
            ws.ws_row = static_cast<unsigned short>(j.value("h", 24));
            ws.ws_col = static_cast<unsigned short>(j.value("w", 80));
            ::ioctl(master.get(), TIOCSWINSZ, &ws);
          }
        }
      } else {
        ::close(fds[6].fd);
        fds[6].fd = -1;
      }
    }
    if (fds[2].revents & POLLIN) {
      signalfd_siginfo si;
      (void)!::read(sfd.get(), &si, sizeof si);
      // Reap everything (we are a subreaper); remember the init's status.
      for (;;) {
        int st = 0;
        pid_t p = ::waitpid(-1, &st, WNOHANG);
        if (p <= 0) break;
        if (p == init) {
          status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
          exited = true;
        }
      }
    }
    if (fds[0].fd < 0 && fds[1].fd < 0 && exited) break;
    if (exited && !progress) break;
  }
  log.flush();
  (void)fs::remove_all(sockets);
  bool oom = oom_killed(cgroup_path);
  (void)rt.remove(opts.id, /*force=*/true);
  // Read once we have exited (the daemon waits on our pidfd): no reader sees it half written.
  (void)fs::write_file(opts.state_dir + "/exit.json",
                         dump_json(Json{{"ExitCode", status},
                                        {"FinishedAt", rfc3339_now()},
                                        {"OOMKilled", oom},
                                        {"Error", ""}}));
  return 0;
}

}  // namespace berth::shim
