#include "cli/runtime_cli.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <iostream>

#include <CLI/CLI.hpp>

#include "cli/runtime_log.h"
#include "common/fs.h"
#include "common/process.h"
#include "common/strings.h"
#include "runtime/container.h"

namespace berth::cli {
namespace {

constexpr const char* kDefaultRoot = "/run/berth/runtime";

struct CreateFlags {
  std::string bundle = ".";
  std::string console_socket, pid_file;
  bool no_pivot = false, no_new_keyring = false, detach = false, keep = false;
  int preserve_fds = 0;
};

void add_create_flags(CLI::App* sub, CreateFlags& f) {
  sub->add_option("-b,--bundle", f.bundle, "path to the bundle (config.json + rootfs)");
  sub->add_option("--console-socket", f.console_socket, "unix socket that receives the pty master");
  sub->add_option("--pid-file", f.pid_file, "file to write the container's pid to");
  sub->add_flag("--no-pivot", f.no_pivot, "use chroot instead of pivot_root");
  sub->add_flag("--no-new-keyring", f.no_new_keyring, "keep the caller's session keyring");
  sub->add_option("--preserve-fds", f.preserve_fds, "pass N extra fds (3..) to the process")
      ->check(CLI::Range(0, 1024));
}

runtime::CreateOptions to_create_options(const CreateFlags& f, const std::string& id,
                                         bool systemd) {
  runtime::CreateOptions o;
  o.id = id;
  o.bundle = f.bundle;
  o.pid_file = f.pid_file;
  o.console_socket = f.console_socket;
  o.no_pivot = f.no_pivot;
  o.systemd_cgroup = systemd;
  o.preserve_fds = f.preserve_fds;
  o.no_new_keyring = f.no_new_keyring;
  return o;
}

// exec's process from flags: the container's own process as the template (runc's exec).
Result<runtime::spec::Process> exec_process(const std::string& state_config,
                                            const std::vector<std::string>& args,
                                            const std::vector<std::string>& env,
                                            const std::string& cwd, const std::string& user,
                                            const std::vector<uint32_t>& gids,
                                            const std::vector<std::string>& caps, bool tty,
                                            bool no_new_privs) {
  BERTH_ASSIGN_OR_RETURN(std::string text, fs::read_file(state_config));
  BERTH_ASSIGN_OR_RETURN(Json j, parse_json(text, "config.json"));
  if (!j.contains("process")) {
    return make_error(Errc::kInvalidArgument, "container config has no process");
  }
  Json pj = j["process"];
  pj["args"] = args;
  pj["terminal"] = tty;
  if (!cwd.empty()) {
    pj["cwd"] = cwd;
  }
  for (const auto& e : env) {
    // -e KEY=v replaces KEY in the container's env rather than adding a second KEY.
    const std::string key = e.substr(0, e.find('=') + 1);
    Json merged = Json::array();
    for (const auto& old : pj.value("env", Json::array())) {
      if (!old.is_string() || old.get<std::string>().rfind(key, 0) != 0) {
        merged.push_back(old);
      }
    }
    merged.push_back(e);
    pj["env"] = std::move(merged);
  }
  if (!user.empty()) {
    auto parts = str::split(user, ':');
    auto uid = str::parse_uint(parts[0]);
    auto gid = parts.size() > 1 ? str::parse_uint(parts[1]) : std::optional<uint64_t>(0);
    if (!uid || !gid || *uid > UINT32_MAX || *gid > UINT32_MAX) {
      return make_error(Errc::kInvalidArgument, "--user: expected UID[:GID], got `" + user + "`");
    }
    pj["user"]["uid"] = *uid;
    pj["user"]["gid"] = *gid;
  }
  if (!gids.empty()) {
    pj["user"]["additionalGids"] = gids;
  }
  for (const auto& c : caps) {
    for (const char* set : {"bounding", "effective", "permitted", "inheritable", "ambient"}) {
      pj["capabilities"][set].push_back(c);
    }
  }
  if (no_new_privs) {
    pj["noNewPrivileges"] = true;
  }
  return runtime::spec::parse_process(pj, "process");
}

void print_table(const std::vector<runtime::ContainerInfo>& list) {
  std::printf("%-12s %-8s %-10s %-40s %-30s %s\n", "ID", "PID", "STATUS", "BUNDLE", "CREATED",
              "OWNER");
  for (const auto& c : list) {
    std::printf("%-12s %-8d %-10s %-40s %-30s %s\n", c.state.id.c_str(),
                c.status == runtime::Status::kStopped ? 0 : c.state.pid,
                std::string(runtime::status_name(c.status)).c_str(), c.state.bundle.c_str(),
                c.state.created.c_str(), "root");
  }
}

// `ps ID [ps-args]`: ps(1) output restricted to the container's pids (runc's ps). ps is run
// directly with an argv: arguments never pass through a shell.
int run_ps(const std::vector<pid_t>& pids, const std::vector<std::string>& ps_args) {
  std::vector<std::string> args = {"ps"};
  if (ps_args.empty()) {
    args.push_back("-ef");
  }
  args.insert(args.end(), ps_args.begin(), ps_args.end());
  auto ps = proc::run(args, {});
  if (!ps) {
    std::fprintf(stderr, "berth: ps: %s\n", ps.error().message.c_str());
    return 1;
  }
  int pid_col = -1;
  bool header = true;
  for (auto& l : str::split(ps->out, '\n')) {
    if (l.empty()) continue;
    std::string line = l + "\n";
    std::vector<std::string> cols;
    for (auto& c : str::split(str::trim(l), ' ')) {
      if (!c.empty()) {
        cols.push_back(c);
      }
    }
    if (header) {
      for (size_t i = 0; i < cols.size(); ++i) {
        if (cols[i] == "PID") {
          pid_col = static_cast<int>(i);
        }
      }
      std::fputs(line.c_str(), stdout);
      header = false;
      continue;
    }
    if (pid_col >= 0 && static_cast<size_t>(pid_col) < cols.size()) {
      auto v = str::parse_int(cols[static_cast<size_t>(pid_col)]);
      if (v && std::find(pids.begin(), pids.end(), static_cast<pid_t>(*v)) != pids.end()) {
        std::fputs(line.c_str(), stdout);
      }
    }
  }
  return ps->status == 0 ? 0 : 1;
}

bool is_verb(std::string_view a) {
  static const char* const kVerbs[] = {"create", "run",  "start", "state", "kill",
                                       "delete", "exec", "list",  "ls",    "ps",
                                       "spec",   "features", "pause", "resume"};
  for (const char* v : kVerbs) {
    if (a == v) {
      return true;
    }
  }
  return false;
}

// The first argument past the global flags (the verb), or "" when there is none.
std::string find_verb(int argc, char** argv) {
  static const char* const kValued[] = {"--root", "--log", "--log-format", "--criu", "--rootless"};
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (!a.empty() && a[0] == '-') {
      for (const char* v : kValued) {
        if (a == v) {
          ++i;  // its value
        }
      }
      continue;
    }
    return std::string(a);
  }
  return "";
}

}  // namespace

int runtime_main(int argc, char** argv) {
  // A caller that ignores SIGCHLD would make waitpid() lose the container's exit status.
  ::signal(SIGCHLD, SIG_DFL);
  CLI::App app{"berth runtime: an OCI runtime (runc-compatible command line)"};
  app.name(argc > 0 ? argv[0] : "berth-runc");
  app.require_subcommand(1);
  std::string root = kDefaultRoot, log_path, log_format = "text";
  bool systemd_cgroup = false, debug = false, rootless_flag = false;
  std::string criu;
  app.add_option("--root", root, "state directory");
  app.add_option("--log", log_path, "log file for warnings and errors");
  app.add_option("--log-format", log_format, "text or json")
      ->check(CLI::IsMember({"text", "json"}));
  app.add_flag("--systemd-cgroup", systemd_cgroup, "cgroupsPath is slice:prefix:name");
  app.add_flag("--debug", debug, "accepted for runc compatibility");
  app.add_option("--criu", criu, "accepted for runc compatibility");
  app.add_option("--rootless", rootless_flag, "accepted for runc compatibility");
  app.set_version_flag("-v,--version", "berth runtime 0.1.0\nspec: 1.1.0");

  // Only the verb being run gets its options built: constructing every subcommand's options
  // is most of CLI11's cost, paid on each container start.
  const std::string verb = find_verb(argc, argv);
  auto want = [&](const char* name, const char* alias = nullptr) {
    return verb.empty() || verb == name || (alias != nullptr && verb == alias);
  };

  RuntimeLog log;
  std::string id;
  CreateFlags cf;
  CLI::App* create = nullptr;
  if (want("create")) {
    create = app.add_subcommand("create", "create a container from a bundle");
    add_create_flags(create, cf);
    create->add_option("id", id, "container id")->required();
  }

  CLI::App* run = nullptr;
  if (want("run")) {
    run = app.add_subcommand("run", "create and start a container");
    add_create_flags(run, cf);
    run->add_flag("-d,--detach", cf.detach, "detach from the container's process");
    run->add_flag("--keep", cf.keep, "accepted for runc compatibility");
    run->add_option("id", id, "container id")->required();
  }

  CLI::App* start = nullptr;
  if (want("start")) {
    start = app.add_subcommand("start", "start a created container");
    start->add_option("id", id, "container id")->required();
  }

  CLI::App* state = nullptr;
  if (want("state")) {
    state = app.add_subcommand("state", "print the state of a container as JSON");
    state->add_option("id", id, "container id")->required();
  }

  bool kill_all = false;
  std::string signal = "SIGTERM";
  CLI::App* kill = nullptr;
  if (want("kill")) {
    kill = app.add_subcommand("kill", "send a signal to the container's init");
    kill->add_flag("-a,--all", kill_all, "signal every process in the container");
    kill->add_option("id", id, "container id")->required();
    kill->add_option("signal", signal, "signal name or number (default SIGTERM)");
  }

  CLI::App* pause = nullptr;
  if (want("pause")) {
    pause = app.add_subcommand("pause", "freeze every process of a container");
    pause->add_option("id", id, "container id")->required();
  }
  CLI::App* resume = nullptr;
  if (want("resume")) {
    resume = app.add_subcommand("resume", "thaw a paused container");
    resume->add_option("id", id, "container id")->required();
  }

  bool force = false;
  CLI::App* del = nullptr;
  if (want("delete")) {
    del = app.add_subcommand("delete", "delete a container");
    del->add_flag("-f,--force", force, "kill the container first when it is running");
    del->add_option("id", id, "container id")->required();
  }

  std::string process_json, cwd, user, exec_pid_file, exec_console, apparmor, label;
  std::vector<std::string> env, caps;
  std::vector<uint32_t> gids;
  bool tty = false, exec_detach = false, no_new_privs = false, ignore_paused = false;
  int exec_preserve = 0;
  CLI::App* exec = nullptr;
  if (want("exec")) {
    exec = app.add_subcommand("exec", "run a process in a running container");
    exec->add_option("-p,--process", process_json, "process.json to run");
    exec->add_option("--cwd", cwd, "working directory");
    // One value per occurrence (runc's -e A=1 -e B=2), so the id after them is not swallowed.
    auto each = [](CLI::Option* o) {
      o->expected(1)->allow_extra_args(false)->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    };
    each(exec->add_option("-e,--env", env, "KEY=value to add"));
    exec->add_option("-u,--user", user, "UID[:GID]");
    each(exec->add_option("-g,--additional-gids", gids, "additional gid"));
    each(exec->add_option("-c,--cap", caps, "capability to add"));
    exec->add_flag("-t,--tty", tty, "allocate a pseudo-TTY");
    exec->add_flag("-d,--detach", exec_detach, "detach from the process");
    exec->add_option("--pid-file", exec_pid_file, "file to write the process pid to");
    exec->add_option("--console-socket", exec_console, "unix socket that receives the pty master");
    exec->add_option("--apparmor", apparmor, "ignored: AppArmor is not supported");
    exec->add_option("--process-label", label, "ignored: SELinux is not supported");
    exec->add_flag("--no-new-privs", no_new_privs, "set no_new_privs");
    exec->add_flag("--ignore-paused", ignore_paused, "accepted for runc compatibility");
    exec->add_option("--preserve-fds", exec_preserve, "pass N extra fds (3..) to the process")
        ->check(CLI::Range(0, 1024));
    exec->prefix_command();
  }

  std::string format = "table";
  bool quiet = false;
  CLI::App* list = nullptr;
  if (want("list", "ls")) {
    list = app.add_subcommand("list", "list containers");
    list->alias("ls");
    list->add_option("-f,--format", format, "table or json")->check(CLI::IsMember({"table", "json"}));
    list->add_flag("-q,--quiet", quiet, "ids only");
  }

  CLI::App* ps = nullptr;
  if (want("ps")) {
    ps = app.add_subcommand("ps", "list the processes of a container");
    ps->add_option("-f,--format", format, "table or json")->check(CLI::IsMember({"table", "json"}));
    ps->prefix_command();
  }

  std::string spec_bundle;
  bool spec_rootless = false;
  CLI::App* spec = nullptr;
  if (want("spec")) {
    spec = app.add_subcommand("spec", "write a default config.json (Docker's defaults)");
    spec->add_option("-b,--bundle", spec_bundle, "directory for config.json");
    spec->add_flag("--rootless", spec_rootless, "accepted for runc compatibility");
  }

  CLI::App* features = nullptr;
  if (want("features")) {
    features = app.add_subcommand("features", "print the features of this runtime as JSON");
  }

  if (!verb.empty() && !is_verb(verb)) {
    std::fprintf(stderr, "berth: unknown runtime command `%s`\n", verb.c_str());
    return 1;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) {
      return app.exit(e);
    }
    std::fprintf(stderr, "berth: %s\n", e.what());
    return 1;
  }
  // The container inherits fds 3..3+N-1 for --preserve-fds N: they must be the caller's, all
  // open before we open anything ourselves (so none of ours can land in that range).
  const int preserve = cf.preserve_fds > 0 ? cf.preserve_fds : exec_preserve;
  for (int fd = 3; fd < 3 + preserve; ++fd) {
    if (::fcntl(fd, F_GETFD) < 0) {
      std::fprintf(stderr, "berth: --preserve-fds %d: fd %d is not open\n", preserve, fd);
      return 1;
    }
  }
  if (auto logged = log.configure(log_path, log_format); !logged) {
    std::fprintf(stderr, "berth: %s\n", logged.error().message.c_str());
    return 1;
  }
  runtime::Runtime rt(root, [&](const std::string& w) { log.warning(w); });
  auto fail = [&](const Error& e) {
    log.error(e.message);
    return 1;
  };

  if (create != nullptr && *create) {
    auto r = rt.create(to_create_options(cf, id, systemd_cgroup));
    return r ? 0 : fail(r.error());
  }
  if (run != nullptr && *run) {
    auto r = rt.run(to_create_options(cf, id, systemd_cgroup), cf.detach);
    return r ? *r : fail(r.error());
  }
  if (start != nullptr && *start) {
    auto r = rt.start(id);
    return r ? 0 : fail(r.error());
  }
  if (state != nullptr && *state) {
    auto r = rt.state(id);
    if (!r) {
      return fail(r.error());
    }
    std::cout << dump_json(runtime::state_json(r->state, r->status, r->rootfs), 2) << "\n";
    return 0;
  }
  if (kill != nullptr && *kill) {
    auto sig = runtime::parse_signal(signal);
    if (!sig) {
      return fail(sig.error());
    }
    auto r = rt.kill(id, *sig, kill_all);
    return r ? 0 : fail(r.error());
  }
  if (pause != nullptr && *pause) {
    auto r = rt.pause(id);
    return r ? 0 : fail(r.error());
  }
  if (resume != nullptr && *resume) {
    auto r = rt.resume(id);
    return r ? 0 : fail(r.error());
  }
  if (del != nullptr && *del) {
    auto r = rt.remove(id, force);
    return r ? 0 : fail(r.error());
  }
  if (exec != nullptr && *exec) {
    auto rest = exec->remaining();
    if (rest.empty()) {
      return fail(Error{Errc::kInvalidArgument, "exec: a container id is required", 0});
    }
    id = rest[0];
    std::vector<std::string> args(rest.begin() + 1, rest.end());
    runtime::ExecOptions eo;
    if (!process_json.empty()) {
      auto text = fs::read_file(process_json);
      if (!text) {
        return fail(text.error());
      }
      auto j = parse_json(*text, process_json);
      if (!j) {
        return fail(j.error());
      }
      auto p = runtime::spec::parse_process(*j, "process");
      if (!p) {
        return fail(p.error());
      }
      eo.process = std::move(*p);
    } else {
      if (args.empty()) {
        return fail(Error{Errc::kInvalidArgument, "exec: a command or --process is required", 0});
      }
      auto p = exec_process(runtime::StateStore(root).config_path(id), args, env, cwd, user, gids,
                            caps, tty, no_new_privs);
      if (!p) {
        return fail(p.error().code == Errc::kNotFound
                        ? Error{Errc::kNotFound, "container does not exist: " + id, 0}
                        : p.error());
      }
      eo.process = std::move(*p);
    }
    eo.detach = exec_detach;
    eo.pid_file = exec_pid_file;
    eo.console_socket = exec_console;
    eo.preserve_fds = exec_preserve;
    auto r = rt.exec(id, eo);
    return r ? *r : fail(r.error());
  }
  if (list != nullptr && *list) {
    auto r = rt.list();
    if (!r) {
      return fail(r.error());
    }
    if (quiet) {
      for (const auto& c : *r) {
        std::printf("%s\n", c.state.id.c_str());
      }
    } else if (format == "json") {
      OrderedJson out = OrderedJson::array();
      for (const auto& c : *r) {
        out.push_back(runtime::state_json(c.state, c.status, c.rootfs));
      }
      std::cout << dump_json(out) << "\n";
    } else {
      print_table(*r);
    }
    return 0;
  }
  if (ps != nullptr && *ps) {
    auto rest = ps->remaining();
    if (rest.empty()) {
      return fail(Error{Errc::kInvalidArgument, "ps: a container id is required", 0});
    }
    auto pids = rt.pids(rest[0]);
    if (!pids) {
      return fail(pids.error());
    }
    if (format == "json") {
      std::cout << dump_json(Json(*pids)) << "\n";
      return 0;
    }
    return run_ps(*pids, std::vector<std::string>(rest.begin() + 1, rest.end()));
  }
  if (spec != nullptr && *spec) {
    if (!spec_bundle.empty() && !fs::is_dir(spec_bundle)) {
      return fail(Error{Errc::kNotFound, "spec: bundle directory `" + spec_bundle +
                                             "` does not exist", 0});
    }
    std::string path = spec_bundle.empty() ? "config.json" : fs::join(spec_bundle, "config.json");
    if (fs::exists(path)) {
      return fail(Error{Errc::kAlreadyExists, "File " + path + " exists. Remove it first", 0});
    }
    auto r = fs::atomic_write(path, dump_json(runtime::spec::default_spec_json(), 2) + "\n", 0644);
    return r ? 0 : fail(r.error());
  }
  if (features != nullptr && *features) {
    std::cout << dump_json(runtime::features_json(), 2) << "\n";
    return 0;
  }
  return 1;
}

}  // namespace berth::cli
