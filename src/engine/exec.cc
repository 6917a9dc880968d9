// Processes in running containers: docker exec (through berth-runc exec), top, and the
// shim's stdin and terminal-size sockets.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <thread>

#include "common/fs.h"
#include "common/process.h"
#include "common/strings.h"
#include "common/unique_fd.h"
#include "engine/engine_impl.h"
#include "engine/spec_builder.h"
#include "runtime/console/console.h"
#include "runtime/container.h"
#include "shim/shim.h"

namespace berth::engine {

Result<std::pair<std::vector<std::string>, std::vector<std::vector<std::string>>>> Engine::top(
    const std::string& ref) {
  BERTH_ASSIGN_OR_RETURN(Container c, get(ref));
  if (c.state.status != "running" && c.state.status != "paused") {
    return make_error(Errc::kConflict, "Container " + c.id + " is not running");
  }
  runtime::Runtime rt(impl_->opts.runtime_root, [](const std::string&) {});
  BERTH_ASSIGN_OR_RETURN(std::vector<pid_t> pids, rt.pids(c.id));
  std::vector<std::vector<std::string>> rows;
  long ticks = ::sysconf(_SC_CLK_TCK);
  for (pid_t pid : pids) {
    std::string base = "/proc/" + std::to_string(pid);
    auto stat = fs::read_file(base + "/stat");
    auto cmd = fs::read_file(base + "/cmdline");
    auto status = fs::read_file(base + "/status");
    if (!stat || !cmd) continue;
    // /proc/PID/stat: "pid (comm) state ppid ... utime(14) stime(15) ..."
    auto close = stat->rfind(')');
    auto f = str::split(stat->substr(close + 2), ' ');
    std::string uid = "0";
    if (status) {
      auto p = status->find("\nUid:\t");
      if (p != std::string::npos) uid = status->substr(p + 6, status->find('\t', p + 6) - p - 6);
    }
    long cpu = f.size() > 12 ? (std::atol(f[11].c_str()) + std::atol(f[12].c_str())) / ticks : 0;
    char t[64];
    std::snprintf(t, sizeof t, "%02ld:%02ld:%02ld", cpu / 3600, (cpu / 60) % 60, cpu % 60);
    std::string command = *cmd;
    std::replace(command.begin(), command.end(), '\0', ' ');
    while (!command.empty() && command.back() == ' ') command.pop_back();
    rows.push_back({uid, std::to_string(pid), f.size() > 1 ? f[1] : "0", "0", "-", "?", t, command});
  }
  return std::make_pair(std::vector<std::string>{"UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"},
                        rows);
}

Result<std::string> Engine::exec_create(const std::string& ref, const ExecConfig& cfg) {
  auto& s = *impl_;
  if (cfg.cmd.empty()) return make_error(Errc::kInvalidArgument, "No exec command specified");
  std::lock_guard<std::mutex> l(s.mu);
  BERTH_ASSIGN_OR_RETURN(Container * c, s.find(ref));
  if (c->state.status != "running") {
    return make_error(Errc::kConflict, "container " + c->id + " is not running");
  }
  ExecState e;
  e.id = str::random_hex(32);
  e.container_id = c->id;
  e.config = cfg;
  s.execs[e.id] = e;
  return e.id;
}

namespace {

Result<UniqueFd> connect_unix(const std::string& path) {
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  if (!fd || path.size() >= sizeof sa.sun_path) return sys_error(EINVAL, "socket `" + path + "`");
  std::memcpy(sa.sun_path, path.c_str(), path.size() + 1);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0) {
    return sys_error(errno, "connect `" + path + "`");
  }
  return fd;
}

}  // namespace

Result<UniqueFd> Engine::attach_stdin(const std::string& ref) {
  BERTH_ASSIGN_OR_RETURN(Container c, get(ref));
  if (c.state.status != "running") {
    return make_error(Errc::kConflict, "container " + c.id + " is not running");
  }
  if (!c.config.value("OpenStdin", false) && !c.config.value("Tty", false)) {
    return make_error(Errc::kConflict, "container " + c.id + " has no open stdin (-i)");
  }
  // The shim makes the socket right after the container starts: wait for it a little.
  for (int i = 0; i < 100; ++i) {
    auto fd = connect_unix(shim::socket_dir(c.id) + "/stdin.sock");
    if (fd) return fd;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return connect_unix(shim::socket_dir(c.id) + "/stdin.sock");
}

Result<void> Engine::resize(const std::string& ref, int rows, int cols) {
  BERTH_ASSIGN_OR_RETURN(Container c, get(ref));
  if (!c.config.value("Tty", false)) {
    return make_error(Errc::kConflict, "container " + c.id + " has no terminal (-t)");
  }
  if (c.state.status != "running") {
    return make_error(Errc::kConflict, "container " + c.id + " is not running");
  }
  BERTH_ASSIGN_OR_RETURN(UniqueFd fd, connect_unix(shim::socket_dir(c.id) + "/ctl.sock"));
  std::string line = dump_json(Json{{"h", rows}, {"w", cols}}) + "\n";
  if (::write(fd.get(), line.data(), line.size()) < 0) return sys_error(errno, "resize");
  return {};
}

Result<ExecState> Engine::exec_inspect(const std::string& exec_id) const {
  std::lock_guard<std::mutex> l(impl_->mu);
  auto it = impl_->execs.find(exec_id);
  if (it == impl_->execs.end()) {
    return make_error(Errc::kNotFound, "No such exec instance: " + exec_id);
  }
  return it->second;
}

Result<int> run_terminal(Engine::Impl& s, const std::string& exec_id, std::vector<std::string> argv,
                         const std::string& pfile, const std::string& container,
                         const OutputSink& sink, const std::function<void(pid_t)>& started,
                         int input);

Result<int> Engine::exec_start(const std::string& exec_id, const OutputSink& sink, int input) {
  auto& s = *impl_;
  ExecState e;
  Container c;
  {
    std::lock_guard<std::mutex> l(s.mu);
    auto it = s.execs.find(exec_id);
    if (it == s.execs.end()) {
      return make_error(Errc::kNotFound, "No such exec instance: " + exec_id);
    }
    if (it->second.running || it->second.pid != 0) {
      return make_error(Errc::kConflict, "exec " + exec_id + " has already been started");
    }
    BERTH_ASSIGN_OR_RETURN(Container * p, s.find(it->second.container_id));
    if (p->state.status != "running") {
      return make_error(Errc::kConflict, "container " + p->id + " is not running");
    }
    it->second.running = true;
    e = it->second;
    c = *p;
  }
  auto done = [&](int code) {
    std::lock_guard<std::mutex> l(s.mu);
    if (auto it = s.execs.find(exec_id); it != s.execs.end()) {
      it->second.running = false;
      it->second.exit_code = code;
    }
    s.changed();
  };
  // The container's own process is the template (runc exec -p): caps, rlimits, no_new_privs.
  auto saved = fs::read_file(c.dir + "/config.json");
  // One started before the container directory became the bundle (live restore).
  if (!saved) saved = fs::read_file(c.dir + "/bundle/config.json");
  if (!saved) {
    done(126);
    return tl::unexpected(saved.error());
  }
  OrderedJson spec = parse_json(*saved, "config.json").value_or(Json::object());
  OrderedJson proc = spec.value("process", OrderedJson::object());
  proc["terminal"] = e.config.tty;
  proc.erase("consoleSize");
  if (e.config.tty && e.config.console_rows && e.config.console_cols) {
    proc["consoleSize"] = {{"height", e.config.console_rows}, {"width", e.config.console_cols}};
  }
  proc["args"] = e.config.cmd;
  std::vector<std::string> env = proc.value("env", std::vector<std::string>{});
  for (auto& kv : e.config.env) {
    std::string key = kv.substr(0, kv.find('='));
    std::erase_if(env, [&](auto& x) { return x.substr(0, x.find('=')) == key; });
    env.push_back(kv);
  }
  proc["env"] = env;
  if (!e.config.working_dir.empty()) proc["cwd"] = e.config.working_dir;
  if (!e.config.user.empty()) {
    auto u = resolve_user(e.config.user, s.rootfs(c));
    if (!u) {
      done(126);
      return tl::unexpected(u.error());
    }
    proc["user"] = *u;
  }
  std::string pfile = c.dir + "/exec-" + exec_id + ".json";
  BERTH_TRY(fs::atomic_write(pfile, dump_json(proc), 0600));
  std::vector<std::string> argv = {s.opts.runtime_path, "--root", s.opts.runtime_root, "exec"};
  auto started = [&](pid_t pid) {
    std::lock_guard<std::mutex> l(s.mu);
    if (auto it = s.execs.find(exec_id); it != s.execs.end()) it->second.pid = pid;
  };
  // The runtime's own failure to exec ("berth: exec: ...") becomes docker's exit code: 127
  // for a missing program, 126 for one that cannot run (moby daemon/exec.go).
  int exec_failure = 0;
  OutputSink watch = [&](const std::string& stream, std::string_view d) -> Result<void> {
    if (stream == "stderr" && d.starts_with("berth: exec: ")) {
      exec_failure = d.find("not found") != std::string_view::npos ? 127 : 126;
    }
    return sink(stream, d);
  };
  Result<int> code = 0;
  if (e.config.tty) {
    code = run_terminal(s, exec_id, argv, pfile, c.id, watch, started, input);
  } else {
    argv.insert(argv.end(), {"-p", pfile, c.id});
    code = run_streaming(argv, watch, started, e.config.attach_stdin ? input : -1);
  }
  if (code && *code == 1 && exec_failure) code = exec_failure;
  ::unlink(pfile.c_str());
  done(code ? *code : 126);
  return code;
}

// docker exec -t: the runtime makes the terminal in the container and sends its master over a
// console socket (runc docs/terminals.md); the master is bridged to the client both ways.
Result<int> run_terminal(Engine::Impl& s, const std::string& exec_id, std::vector<std::string> argv,
                         const std::string& pfile, const std::string& container,
                         const OutputSink& sink, const std::function<void(pid_t)>& started,
                         int input) {
  std::string dir = "/run/berth/exec";
  BERTH_TRY(fs::mkdir_all(dir, 0700));
  std::string path = dir + "/" + exec_id.substr(0, 24) + ".sock";
  ::unlink(path.c_str());
  UniqueFd listener(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  std::memcpy(sa.sun_path, path.c_str(), path.size() + 1);
  if (!listener || ::bind(listener.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0 ||
      ::listen(listener.get(), 1) < 0) {
    return sys_error(errno, "console socket `" + path + "`");
  }
  struct Unlink {
    std::string p;
    ~Unlink() { ::unlink(p.c_str()); }
  } unlink_socket{path};
  argv.insert(argv.end(), {"--console-socket", path, "-p", pfile, container});
  UniqueFd master;
  // The runtime's own messages (a failed exec) come as its stderr; the terminal brings the rest.
  std::string errors;
  std::thread runtime_thread;
  Result<int> code = 0;
  std::atomic<bool> runtime_done{false};
  runtime_thread = std::thread([&] {
    code = run_streaming(argv, [&](const std::string&, std::string_view d) -> Result<void> {
      errors.append(d);
      return {};
    }, started);
    runtime_done = true;
  });
  pollfd lp{listener.get(), POLLIN, 0};
  // Until the master arrives, or the runtime exits without sending one (the exec failed).
  while (!master && !runtime_done) {
    if (::poll(&lp, 1, 100) <= 0) continue;
    UniqueFd conn(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (conn) {
      if (auto m = runtime::console::recv_fd(conn.get())) master = std::move(*m);
    }
    break;
  }
  if (master) {
    {
      std::lock_guard<std::mutex> l(s.mu);
      s.exec_terminals[exec_id] = master.get();
    }
    pollfd fds[2] = {{master.get(), POLLIN, 0}, {input, POLLIN, 0}};
    char buf[32 * 1024];
    bool client_gone = false;
    for (;;) {
      if (::poll(fds, input >= 0 ? 2 : 1, -1) < 0) {
        if (errno == EINTR) continue;
        break;
      }
      if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
        ssize_t n = ::read(master.get(), buf, sizeof buf);
        if (n <= 0) break;  // EIO: the last holder of the terminal is gone
        if (!client_gone && !sink("stdout", std::string_view(buf, static_cast<size_t>(n)))) client_gone = true;
      }
      if (input >= 0 && (fds[1].revents & (POLLIN | POLLHUP | POLLERR))) {
        ssize_t n = ::read(input, buf, sizeof buf);
        if (n <= 0) {
          fds[1].fd = -1;
          input = -1;
          continue;
        }
        (void)!::write(master.get(), buf, static_cast<size_t>(n));
      }
    }
    std::lock_guard<std::mutex> l(s.mu);
    s.exec_terminals.erase(exec_id);
  }
  runtime_thread.join();
  if (!errors.empty()) (void)sink("stderr", errors);
  return code;
}

Result<void> Engine::exec_resize(const std::string& exec_id, int rows, int cols) {
  std::lock_guard<std::mutex> l(impl_->mu);
  if (!impl_->execs.count(exec_id)) return make_error(Errc::kNotFound, "No such exec instance: " + exec_id);
  auto it = impl_->exec_terminals.find(exec_id);
  if (it == impl_->exec_terminals.end()) {
    return make_error(Errc::kConflict, "exec " + exec_id + " has no terminal");
  }
  winsize ws{};
  ws.ws_row = static_cast<unsigned short>(rows);
  ws.ws_col = static_cast<unsigned short>(cols);
  if (::ioctl(it->second, TIOCSWINSZ, &ws) < 0) return sys_error(errno, "resize");
  return {};
}

Result<int> Engine::run_step(const StepOptions& step, const OutputSink& sink) {
  auto& s = *impl_;
  Container c;
  c.id = str::random_hex(32);
  c.name = "build-" + c.id.substr(0, 12);
  c.dir = s.opts.data_root + "/builds/" + c.id;
  c.config = step.config;
  c.host_config = {{"NetworkMode", step.network}};
  c.networking = Json::object();
  c.mounts = Json::array();
  BERTH_TRY(fs::mkdir_all(c.dir, 0700));
  struct Cleanup {
    Engine::Impl& s;
    const std::string& id;
    const std::string& dir;
    ~Cleanup() {
      s.detach_networks(id);
      (void)fs::remove_all(dir);
    }
  } cleanup{s, c.id, c.dir};
  BERTH_TRY(s.attach_networks(c));
  BERTH_ASSIGN_OR_RETURN(OrderedJson spec, build_spec(c, step.rootfs));
  BERTH_TRY(fs::mkdir_in_root(step.rootfs, spec["process"]["cwd"]));
  // Mount points the runtime makes for RUN --mount are removed after the step, when still
  // empty, with the parents it made (BuildKit's removeMountStubs): they are not the step's.
  std::vector<std::string> stubs;
  for (auto& m : step.mounts) {
    for (std::string p = fs::clean_path("/" + m.target); p != "/"; p = p.substr(0, p.rfind('/'))) {
      if (p.empty() || fs::exists(step.rootfs + p)) break;
      stubs.push_back(p);
    }
  }
  std::sort(stubs.begin(), stubs.end(), [](auto& a, auto& b) { return a.size() > b.size(); });
  stubs.erase(std::unique(stubs.begin(), stubs.end()), stubs.end());
  struct StubRemover {
    const std::string& root;
    const std::vector<std::string>& stubs;
    ~StubRemover() {
      UniqueFd dir(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
      for (auto& p : stubs) {
        std::string parent = p.substr(0, p.rfind('/'));
        UniqueFd pd = fs::open_in_root(dir.get(), parent.empty() ? "/" : parent, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (!pd) continue;
        std::string name = p.substr(p.rfind('/') + 1);
        struct stat st;
        if (::fstatat(pd.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
        if (S_ISDIR(st.st_mode)) {
          (void)::unlinkat(pd.get(), name.c_str(), AT_REMOVEDIR);  // only when empty
        } else if (S_ISREG(st.st_mode) && st.st_size == 0) {
          (void)::unlinkat(pd.get(), name.c_str(), 0);
        }
      }
    }
  } remove_stubs{step.rootfs, stubs};
  for (auto& m : step.mounts) {
    OrderedJson mount = {{"destination", m.target}};
    if (m.type == "tmpfs") {
      OrderedJson options = {"nosuid", "nodev", "mode=1777"};
      if (m.tmpfs_size > 0) options.push_back("size=" + std::to_string(m.tmpfs_size));
      mount["type"] = "tmpfs";
      mount["source"] = "tmpfs";
      mount["options"] = options;
    } else {
      mount["type"] = "bind";
      mount["source"] = m.source;
      mount["options"] = {"rbind", m.read_only ? "ro" : "rw"};
    }
    spec["mounts"].push_back(mount);
  }
  s.write_name_files(c, spec["hostname"]);
  spec["process"]["terminal"] = false;
  BERTH_TRY(fs::write_file(c.dir + "/config.json", dump_json(spec), 0600));
  return run_streaming({s.opts.runtime_path, "--root", s.opts.runtime_root, "run", "--bundle",
                        c.dir, c.id},
                       sink, nullptr);
}

Result<int> run_streaming(const std::vector<std::string>& argv, const OutputSink& sink,
                          const std::function<void(pid_t)>& started, int input) {
  int in[2] = {-1, -1};
  if (input >= 0 && ::pipe2(in, O_CLOEXEC) < 0) return sys_error(errno, "pipe");
  UniqueFd in_r(in[0]), in_w(in[1]);
  int out[2], err[2];
  if (::pipe2(out, O_CLOEXEC) < 0) return sys_error(errno, "pipe");
  if (::pipe2(err, O_CLOEXEC) < 0) {
    ::close(out[0]);
    ::close(out[1]);
    return sys_error(errno, "pipe");
  }
  proc::SpawnOptions so;
  so.stdin_fd = in_r.get();
  so.stdout_fd = out[1];
  so.stderr_fd = err[1];
  auto spawned = proc::spawn(argv, so);
  ::close(out[1]);
  ::close(err[1]);
  UniqueFd out_r(out[0]), err_r(err[0]);
  in_r.reset();
  if (!spawned) return tl::unexpected(spawned.error());
  pid_t pid = *spawned;
  if (started) started(pid);
  // stdout, stderr and, with input, the client's bytes for the process's stdin.
  pollfd fds[3] = {{out_r.get(), POLLIN, 0}, {err_r.get(), POLLIN, 0}, {in_w ? input : -1, POLLIN, 0}};
  char buf[32 * 1024];
  bool client_gone = false;
  while (fds[0].fd >= 0 || fds[1].fd >= 0) {
    if (::poll(fds, 3, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (fds[2].fd >= 0 && (fds[2].revents & (POLLIN | POLLHUP | POLLERR))) {
      ssize_t n = ::read(input, buf, sizeof buf);
      if (n <= 0 || ::write(in_w.get(), buf, static_cast<size_t>(n)) < 0) {
        fds[2].fd = -1;
        in_w.reset();  // EOF of the client: the process sees the end of its stdin
      }
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n <= 0) {
        fds[i].fd = -1;
        continue;
      }
      if (!client_gone &&
          !sink(i == 0 ? "stdout" : "stderr", std::string_view(buf, static_cast<size_t>(n)))) {
        client_gone = true;  // keep draining so the process is not blocked on a full pipe
      }
    }
  }
  return proc::wait_exit(pid);
}

}  // namespace berth::engine
