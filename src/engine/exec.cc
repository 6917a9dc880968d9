// Processes in running containers: docker exec (through berth-runc exec), top, and the
// shim's stdin and terminal-size sockets.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <thread>

#include "common/fs.h"
#include "common/strings.h"
#include "common/unique_fd.h"
#include "engine/engine_impl.h"
#include "engine/spec_builder.h"
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
  if (cfg.tty) {
    return make_error(Errc::kNotImplemented, "exec with a TTY (-t) is not supported yet");
  }
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

Result<int> Engine::exec_start(const std::string& exec_id, const OutputSink& sink) {
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
  auto saved = fs::read_file(c.dir + "/bundle/config.json");
  if (!saved) {
    done(126);
    return tl::unexpected(saved.error());
  }
  OrderedJson spec = parse_json(*saved, "config.json").value_or(Json::object());
  OrderedJson proc = spec.value("process", OrderedJson::object());
  proc["terminal"] = false;
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
  std::vector<std::string> argv = {s.opts.runtime_path, "--root", s.opts.runtime_root,
                                   "exec", "-p", pfile, c.id};
  auto code = run_streaming(argv, sink, [&](pid_t pid) {
    std::lock_guard<std::mutex> l(s.mu);
    if (auto it = s.execs.find(exec_id); it != s.execs.end()) it->second.pid = pid;
  });
  ::unlink(pfile.c_str());
  done(code ? *code : 126);
  return code;
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
  BERTH_TRY(fs::mkdir_all(c.dir + "/bundle", 0700));
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
  s.write_name_files(c, spec["hostname"]);
  spec["process"]["terminal"] = false;
  BERTH_TRY(fs::atomic_write(c.dir + "/bundle/config.json", dump_json(spec)));
  return run_streaming({s.opts.runtime_path, "--root", s.opts.runtime_root, "run", "--bundle",
                        c.dir + "/bundle", c.id},
                       sink, nullptr);
}

Result<int> run_streaming(const std::vector<std::string>& argv, const OutputSink& sink,
                          const std::function<void(pid_t)>& started) {
  int out[2], err[2];
  if (::pipe2(out, O_CLOEXEC) < 0) return sys_error(errno, "pipe");
  if (::pipe2(err, O_CLOEXEC) < 0) {
    ::close(out[0]);
    ::close(out[1]);
    return sys_error(errno, "pipe");
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  posix_spawn_file_actions_adddup2(&fa, err[1], 2);
  posix_spawn_file_actions_addclosefrom_np(&fa, 3);
  auto cargv = str::c_strings(argv);
  std::vector<std::string> envs = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin"};
  auto cenv = str::c_strings(envs);
  pid_t pid = 0;
  int rc = ::posix_spawn(&pid, cargv[0], &fa, nullptr, cargv.data(), cenv.data());
  posix_spawn_file_actions_destroy(&fa);
  ::close(out[1]);
  ::close(err[1]);
  UniqueFd out_r(out[0]), err_r(err[0]);
  if (rc != 0) return sys_error(rc, "spawn " + argv[0]);
  if (started) started(pid);
  pollfd fds[2] = {{out_r.get(), POLLIN, 0}, {err_r.get(), POLLIN, 0}};
  char buf[32 * 1024];
  bool client_gone = false;
  while (fds[0].fd >= 0 || fds[1].fd >= 0) {
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
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
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace berth::engine
