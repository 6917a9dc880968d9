// `berth compose`: docker compose's command line (docker/compose cmd/compose) over the berth
// daemon. The project comes from compose/project.h, the convergence from compose/runner.h;
// here are the flags, the progress lines (on stderr, as compose prints them in plain mode),
// the tables and the prefixed, coloured log lines.
#include "cli/compose_cli.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/client_internal.h"
#include "common/cleanup.h"
#include "common/strings.h"
#include "compose/project.h"
#include "compose/runner.h"

extern char** environ;

namespace berth::cli {
namespace {

// The Engine API as compose/runner.h wants it, through our client.
class ClientApi : public compose::EngineApi {
 public:
  explicit ClientApi(const Client& c) : c_(c) {}

  Result<Json> call(const std::string& method, const std::string& path,
                    const compose::ApiQuery& query, const Json& body) override {
    return c_.call_json(method, path, Query(query.begin(), query.end()), body);
  }

  Result<void> build(const compose::BuildConfig& b, const std::string& tag) override {
    BuildOpts o;
    o.context = b.context;
    o.file = b.dockerfile.starts_with("/") ? b.dockerfile : b.context + "/" + b.dockerfile;
    // dockerfile_inline: a Dockerfile from outside the context, as `build -f` sends one.
    std::string inline_file;
    if (!b.dockerfile_inline.empty()) {
      char tmpl[] = "/tmp/berth-compose-dockerfile-XXXXXX";
      int fd = ::mkstemp(tmpl);
      if (fd < 0 || !write_all(fd, b.dockerfile_inline)) {
        if (fd >= 0) ::close(fd);
        return make_error(Errc::kInternal, "writing dockerfile_inline to a temporary file failed");
      }
      ::close(fd);
      o.file = inline_file = tmpl;
    }
    Cleanup remove_inline;
    if (!inline_file.empty()) remove_inline.push([&] { ::unlink(inline_file.c_str()); });
    o.tags = {tag};
    for (auto& t : b.tags) o.tags.push_back(t);
    for (auto& [k, v] : b.args) o.build_args.push_back(k + "=" + v);
    for (auto& [k, v] : b.labels) o.labels.push_back(k + "=" + v);
    o.target = b.target;
    o.network = b.network;
    o.no_cache = b.no_cache;
    o.pull = b.pull;
    o.progress = "plain";
    std::lock_guard<std::mutex> l(build_mu_);  // one build display at a time
    if (cmd_build(c_, o) != 0) return make_error(Errc::kFailedPrecondition, "failed to build " + tag);
    return {};
  }

  Result<void> pull(const std::string& image) override {
    std::string error;
    std::string pending;
    Client::Stream s;
    s.on_data = [&](const char* d, size_t n) {
      pending.append(d, n);
      size_t nl;
      while ((nl = pending.find('\n')) != std::string::npos) {
        auto j = parse_json(pending.substr(0, nl), "pull progress");
        pending.erase(0, nl + 1);
        if (j && j->is_object() && j->contains("error")) error = j->value("error", "");
      }
      return true;
    };
    auto at = image.rfind(':');
    bool tagged = at != std::string::npos && image.find('/', at) == std::string::npos;
    Query q = {{"fromImage", tagged ? image.substr(0, at) : image}, {"tag", tagged ? image.substr(at + 1) : "latest"}};
    BERTH_TRY(c_.stream("POST", "/images/create", q, "", {}, s));
    if (!error.empty()) return make_error(Errc::kNotFound, error);
    return {};
  }

 private:
  const Client& c_;
  std::mutex build_mu_;
};

std::mutex out_mu;

// Progress as docker compose prints it without a TTY: " Container p-web-1  Started".
void progress(const std::string& kind, const std::string& name, const std::string& state) {
  std::lock_guard<std::mutex> l(out_mu);
  if (kind == "Warning") {
    std::fprintf(stderr, "WARN[0000] %s\n", state.c_str());
  } else {
    std::fprintf(stderr, " %s %s  %s\n", kind.c_str(), name.c_str(), state.c_str());
  }
}

struct Globals {
  std::string host_flag;
  std::vector<std::string> files, profiles;
  std::string project_name, project_directory, env_file;
  std::vector<std::string> tail;  // exec/run: the command after SERVICE
};

Result<compose::Project> load(const Globals& g, const std::vector<std::string>& services) {
  compose::LoadOptions o;
  o.files = g.files;
  o.working_dir = g.project_directory;
  o.project_name = g.project_name;
  o.env_file = g.env_file;
  o.profiles = g.profiles;
  o.services = services;
  for (char** e = environ; e && *e; ++e) {
    std::string kv = *e;
    auto eq = kv.find('=');
    if (eq != std::string::npos) o.environment[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  return compose::load_project(o);
}

// What every verb does first: the project, the client, the runner; then `f`.
using VerbFn = std::function<int(const compose::Project&, const Client&, compose::Runner&)>;
int with_project(const Globals& g, const std::vector<std::string>& services, const VerbFn& f) {
  auto p = load(g, services);
  if (!p) return fail(p.error());
  auto host = resolve_host(g.host_flag);
  if (!host) return fail(host.error());
  Client c(*host);
  ClientApi api(c);
  compose::Runner runner(*p, api, progress);
  return f(*p, c, runner);
}

int check(const Result<void>& r) { return r ? 0 : fail(r.error()); }

// ---------------------------------------------------------------------------------------------
// logs: every container's lines with "name  | " before them, coloured per container on a
// terminal (compose's formatter.go palette).

class LogPrinter {
 public:
  LogPrinter(size_t width, bool color, bool prefix) : width_(width), color_(color), prefix_(prefix) {}

  // A sink for one container's stream (cmd_logs' LogsOpts::sink).
  std::function<bool(int, std::string_view)> sink(const std::string& name, int index) {
    static const int kColors[] = {36, 33, 32, 35, 34, 96, 93, 92, 95, 94};
    std::string head;
    if (prefix_) {
      std::string padded = name + std::string(width_ > name.size() ? width_ - name.size() : 0, ' ');
      head = color_ ? "\x1b[" + std::to_string(kColors[index % 10]) + "m" + padded + "  |\x1b[0m "
                    : padded + "  | ";
    }
    auto partial = std::make_shared<std::string>();
    return [this, head, partial](int stream, std::string_view d) {
      partial->append(d);
      size_t nl;
      while ((nl = partial->find('\n')) != std::string::npos) {
        std::string line = head + partial->substr(0, nl + 1);
        partial->erase(0, nl + 1);
        std::lock_guard<std::mutex> l(out_mu);
        if (!write_all(stream == 2 && !prefix_ ? STDERR_FILENO : STDOUT_FILENO, line)) return false;
      }
      return true;
    };
  }

 private:
  size_t width_;
  bool color_, prefix_;
};

struct LogsFlags {
  bool follow = false, timestamps = false, no_color = false, no_prefix = false;
  std::string tail = "all", since, until;
};

// Streams the logs of `cs` at once; returns when every stream has ended (or at once after a
// SIGINT/SIGTERM when `until_signal` — compose up's attached mode).
int stream_logs(const Client& c, const std::vector<compose::ProjectContainer>& cs, const LogsFlags& f) {
  size_t width = 0;
  for (auto& x : cs) width = std::max(width, x.name.size());
  LogPrinter printer(width, !f.no_color && ::isatty(STDOUT_FILENO), !f.no_prefix);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < cs.size(); ++i) {
    LogsOpts o;
    o.follow = f.follow;
    o.timestamps = f.timestamps;
    o.tail = f.tail;
    o.since = f.since;
    o.until = f.until;
    o.sink = printer.sink(cs[i].name, static_cast<int>(i));
    threads.emplace_back([&c, id = cs[i].id, o] { (void)cmd_logs(c, id, o); });
  }
  for (auto& t : threads) t.join();
  return 0;
}

// ---------------------------------------------------------------------------------------------
// ps and ls tables.

int print_ps(const std::vector<compose::ProjectContainer>& cs, const std::string& format, bool quiet,
             bool services_only) {
  if (services_only) {
    std::set<std::string> seen;
    for (auto& c : cs) {
      if (seen.insert(c.service).second) std::printf("%s\n", c.service.c_str());
    }
    return 0;
  }
  if (quiet) {
    for (auto& c : cs) std::printf("%s\n", c.id.c_str());
    return 0;
  }
  std::vector<Json> rows;
  for (auto& c : cs) {
    Json r = ps_row(c.summary, format != "json");  // JSON: full IDs and commands
    r["Name"] = c.name;
    r["Service"] = c.service;
    r["Project"] = c.summary.value("Labels", Json::object()).value("com.docker.compose.project", "");
    // ExitCode and Health as docker compose reads them from the status line:
    // "Exited (3) 5 seconds ago", "Up 2 minutes (healthy)".
    std::string status = c.summary.value("Status", "");
    int exit_code = 0;
    if (status.starts_with("Exited (")) {
      exit_code = static_cast<int>(str::parse_int(status.substr(8, status.find(')') - 8)).value_or(0));
    }
    std::string health;
    for (const char* h : {"healthy", "unhealthy", "health: starting"}) {
      if (status.find(std::string("(") + h + ")") != std::string::npos) health = h == std::string("health: starting") ? "starting" : h;
    }
    r["ExitCode"] = exit_code;
    r["Health"] = health;
    Json publishers = Json::array();
    for (auto& port : c.summary.value("Ports", Json::array())) {
      publishers.push_back({{"URL", port.value("IP", "")},
                            {"TargetPort", port.value("PrivatePort", 0)},
                            {"PublishedPort", port.value("PublicPort", 0)},
                            {"Protocol", port.value("Type", "tcp")}});
    }
    r["Publishers"] = publishers;
    rows.push_back(r);
  }
  if (format == "json") {
    for (auto& r : rows) std::printf("%s\n", dump_json(r).c_str());
    return 0;
  }
  Json headers = {{"Name", "NAME"}, {"Image", "IMAGE"}, {"Command", "COMMAND"},
                  {"Service", "SERVICE"}, {"RunningFor", "CREATED"}, {"Status", "STATUS"},
                  {"Ports", "PORTS"}, {"ID", "CONTAINER ID"}, {"State", "STATE"},
                  {"Project", "PROJECT"}, {"CreatedAt", "CREATED AT"}};
  print_formatted(format,
                  "table {{.Name}}\t{{.Image}}\t{{.Command}}\t{{.Service}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}",
                  rows, headers);
  return 0;
}

std::string random_suffix() {
  std::random_device rd;
  static const char* kHex = "0123456789abcdef";
  std::string s;
  for (int i = 0; i < 12; ++i) s += kHex[rd() % 16];
  return s;
}

}  // namespace

int compose_main(int argc, char** argv) {
  ::signal(SIGPIPE, SIG_IGN);
  std::vector<std::string> args(argv, argv + argc);
  Globals g;
  // berth [-H ...] compose [globals] VERB ...: the global -H is ours to read.
  size_t at = 1;
  while (at < args.size() && args[at] != "compose") {
    if ((args[at] == "-H" || args[at] == "--host") && at + 1 < args.size()) g.host_flag = args[++at];
    ++at;
  }
  std::vector<std::string> cargs = {"berth compose"};
  cargs.insert(cargs.end(), args.begin() + static_cast<long>(std::min(at + 1, args.size())), args.end());
  // exec and run: everything after SERVICE is the command.
  static const std::set<std::string> kGlobalValues = {"-f", "--file", "-p", "--project-name",
                                                      "--project-directory", "--env-file", "--profile",
                                                      "--ansi", "--progress"};
  size_t verb = first_operand(cargs, 1, kGlobalValues);
  if (verb < cargs.size() && (cargs[verb] == "exec" || cargs[verb] == "run")) {
    static const std::set<std::string> kExecValues = {"-e", "--env", "-u", "--user", "-w", "--workdir",
                                                      "--index", "--name", "--entrypoint", "-l",
                                                      "--label", "-p", "--publish", "-v", "--volume"};
    size_t service = first_operand(cargs, verb + 1, kExecValues);
    if (service + 1 < cargs.size()) {
      g.tail.assign(cargs.begin() + static_cast<long>(service) + 1, cargs.end());
      cargs.resize(service + 1);
    }
  }

  CLI::App app{"berth compose: multi-container applications from compose files", "berth compose"};
  app.require_subcommand(1);
  app.add_option("-f,--file", g.files, "compose configuration files")->allow_extra_args(false);
  app.add_option("-p,--project-name", g.project_name, "project name");
  app.add_option("--project-directory", g.project_directory, "working directory (default: the first file's)");
  app.add_option("--env-file", g.env_file, "an alternate environment file");
  app.add_option("--profile", g.profiles, "profile to enable")->allow_extra_args(false);
  std::string ansi, progress_mode;
  app.add_option("--ansi", ansi, "accepted: never, always, auto");
  app.add_option("--progress", progress_mode, "accepted: auto, tty, plain, quiet");
  int rc = 0;

  // up / create
  auto up_o = std::make_shared<compose::UpOptions>();
  bool detach = false;
  int wait_timeout = 0;
  std::string up_timeout_unused;
  auto* up = app.add_subcommand("up", "create and start containers");
  up->add_option("services", up_o->services, "SERVICE...");
  up->add_flag("-d,--detach", detach, "run in the background");
  up->add_flag("--build", up_o->build, "build images before starting");
  up->add_flag("--no-build", up_o->no_build, "do not build images");
  up->add_flag("--force-recreate", up_o->force_recreate, "recreate even when unchanged");
  up->add_flag("--no-recreate", up_o->no_recreate, "do not recreate existing containers");
  up->add_flag("--remove-orphans", up_o->remove_orphans, "remove containers of services not in the file");
  up->add_flag("--wait", up_o->wait, "wait for services to be running|healthy (implies -d)");
  up->add_option("--wait-timeout", wait_timeout, "seconds to wait with --wait");
  up->add_option("--pull", up_o->pull, "always, missing, never");
  std::vector<std::string> scales;
  up->add_option("--scale", scales, "SERVICE=NUM: replicas, overriding the file")->allow_extra_args(false);
  up->callback([&] {
    if (up_o->wait) detach = true;
    up_o->wait_timeout_ms = static_cast<int64_t>(wait_timeout) * 1000;
    for (auto& sc : scales) {
      auto eq = sc.find('=');
      auto n = eq == std::string::npos ? std::nullopt : str::parse_int(sc.substr(eq + 1));
      if (!n || *n < 0) {
        rc = fail(Error{Errc::kInvalidArgument, "invalid --scale \"" + sc + "\": SERVICE=NUM", 0});
        return;
      }
      up_o->scale[sc.substr(0, eq)] = static_cast<int>(*n);
    }
    rc = with_project(g, up_o->services, [&](auto&, const Client& c, compose::Runner& r) {
      if (int e = check(r.up(*up_o))) return e;
      if (detach) return 0;
      // Attached: the services' logs until they all stop; Ctrl-C stops the project.
      auto cs = r.containers(up_o->services, true);
      if (!cs) return fail(cs.error());
      sigset_t set;
      sigemptyset(&set);
      sigaddset(&set, SIGINT);
      sigaddset(&set, SIGTERM);
      // Taken even when started with SIGINT ignored (a shell's `up &`), as Go's signal.Notify
      // makes docker compose do: an ignored signal would never reach sigwait.
      ::pthread_sigmask(SIG_BLOCK, &set, nullptr);
      ::signal(SIGINT, SIG_DFL);
      std::atomic<bool> done{false};
      std::thread logs([&] {
        LogsFlags f;
        f.follow = true;
        (void)stream_logs(c, *cs, f);
        done = true;
        ::kill(::getpid(), SIGTERM);
      });
      int sig = 0;
      ::sigwait(&set, &sig);
      bool interrupted = !done;
      if (interrupted) {
        std::fprintf(stderr, "Gracefully stopping... (press Ctrl+C again to force)\n");
        (void)r.stop(up_o->services);
      }
      logs.join();
      // Interrupted by the user: 130, as docker compose exits (a shell's code for SIGINT).
      return interrupted && sig == SIGINT ? 130 : 0;
    });
  });
  auto* create = app.add_subcommand("create", "create containers without starting them");
  create->add_option("services", up_o->services, "SERVICE...");
  create->add_flag("--build", up_o->build, "build images before creating");
  create->add_flag("--force-recreate", up_o->force_recreate, "recreate even when unchanged");
  create->callback([&] {
    up_o->no_start = true;
    rc = with_project(g, up_o->services, [&](auto&, auto&, compose::Runner& r) { return check(r.up(*up_o)); });
  });

  // down
  compose::DownOptions down_o;
  auto* down = app.add_subcommand("down", "stop and remove containers, networks");
  down->add_flag("-v,--volumes", down_o.volumes, "remove named and anonymous volumes too");
  down->add_option("--rmi", down_o.rmi, "remove images: all or local")->check(CLI::IsMember({"all", "local"}));
  down->add_flag("--remove-orphans", down_o.remove_orphans, "remove containers of services not in the file");
  down->add_option("-t,--timeout", down_o.timeout_s, "stop timeout in seconds");
  down->callback([&] {
    rc = with_project(g, {}, [&](auto&, auto&, compose::Runner& r) { return check(r.down(down_o)); });
  });

  // ps
  std::vector<std::string> ps_services;
  std::string ps_format;
  bool ps_all = false, ps_quiet = false, ps_services_only = false;
  auto* ps = app.add_subcommand("ps", "list containers");
  ps->add_option("services", ps_services, "SERVICE...");
  ps->add_flag("-a,--all", ps_all, "also stopped containers");
  ps->add_flag("-q,--quiet", ps_quiet, "only IDs");
  ps->add_flag("--services", ps_services_only, "only service names");
  ps->add_option("--format", ps_format, "table, json or a Go template");
  ps->callback([&] {
    rc = with_project(g, ps_services, [&](auto&, auto&, compose::Runner& r) {
      auto cs = r.containers(ps_services, ps_all);
      if (!cs) return fail(cs.error());
      return print_ps(*cs, ps_format, ps_quiet, ps_services_only);
    });
  });

  // logs
  std::vector<std::string> log_services;
  LogsFlags lf;
  auto* logs = app.add_subcommand("logs", "view output from containers");
  logs->add_option("services", log_services, "SERVICE...");
  logs->add_flag("-f,--follow", lf.follow, "follow log output");
  logs->add_flag("-t,--timestamps", lf.timestamps, "show timestamps");
  logs->add_flag("--no-color", lf.no_color, "monochrome output");
  logs->add_flag("--no-log-prefix", lf.no_prefix, "no name prefix");
  logs->add_option("-n,--tail", lf.tail, "lines from the end of each log");
  logs->add_option("--since", lf.since, "since a timestamp or a relative time (42m)");
  logs->add_option("--until", lf.until, "until a timestamp or a relative time");
  logs->callback([&] {
    rc = with_project(g, log_services, [&](auto&, const Client& c, compose::Runner& r) {
      auto cs = r.containers(log_services, true);
      if (!cs) return fail(cs.error());
      return stream_logs(c, *cs, lf);
    });
  });

  // config
  bool cfg_services = false, cfg_volumes = false, cfg_quiet = false;
  std::string cfg_format = "yaml";
  auto* config = app.add_subcommand("config", "print the resolved compose model");
  config->add_flag("--services", cfg_services, "print the service names");
  config->add_flag("--volumes", cfg_volumes, "print the volume names");
  config->add_flag("-q,--quiet", cfg_quiet, "only validate");
  config->add_option("--format", cfg_format, "yaml or json")->check(CLI::IsMember({"yaml", "json"}));
  config->callback([&] {
    auto p = load(g, {});
    if (!p) {
      rc = fail(p.error());
      return;
    }
    if (cfg_quiet) return;
    if (cfg_services) {
      for (auto& s : p->services) std::printf("%s\n", s.name.c_str());
    } else if (cfg_volumes) {
      for (auto& [k, v] : p->volumes) std::printf("%s\n", k.c_str());
    } else if (cfg_format == "json") {
      std::printf("%s\n", dump_json(compose::to_json(*p), 2).c_str());
    } else {
      std::fputs(compose::to_yaml(*p).c_str(), stdout);
    }
  });

  // start / stop / restart
  std::vector<std::string> svc_args;
  int stop_timeout = -1;
  auto* start = app.add_subcommand("start", "start existing containers");
  start->add_option("services", svc_args, "SERVICE...");
  start->callback([&] {
    rc = with_project(g, svc_args, [&](auto&, auto&, compose::Runner& r) { return check(r.start(svc_args)); });
  });
  auto* stop = app.add_subcommand("stop", "stop running containers");
  stop->add_option("services", svc_args, "SERVICE...");
  stop->add_option("-t,--timeout", stop_timeout, "seconds before SIGKILL");
  stop->callback([&] {
    rc = with_project(g, svc_args, [&](auto&, auto&, compose::Runner& r) { return check(r.stop(svc_args, stop_timeout)); });
  });
  auto* restart = app.add_subcommand("restart", "restart containers");
  restart->add_option("services", svc_args, "SERVICE...");
  restart->add_option("-t,--timeout", stop_timeout, "seconds before SIGKILL");
  restart->callback([&] {
    rc = with_project(g, svc_args, [&](auto&, auto&, compose::Runner& r) { return check(r.restart(svc_args, stop_timeout)); });
  });

  // build / pull
  auto* build = app.add_subcommand("build", "build service images");
  build->add_option("services", svc_args, "SERVICE...");
  build->callback([&] {
    rc = with_project(g, svc_args, [&](auto&, auto&, compose::Runner& r) { return check(r.build(svc_args)); });
  });
  auto* pull = app.add_subcommand("pull", "pull service images");
  pull->add_option("services", svc_args, "SERVICE...");
  pull->callback([&] {
    rc = with_project(g, svc_args, [&](auto&, auto&, compose::Runner& r) { return check(r.pull(svc_args)); });
  });

  // exec
  ExecOpts eo;
  std::string exec_service;
  int exec_index = 1;
  bool no_tty = false;
  auto* exec = app.add_subcommand("exec", "run a command in a running service container");
  exec->add_option("service", exec_service, "SERVICE")->required();
  exec->add_flag("-d,--detach", eo.detach, "in the background");
  exec->add_flag("-T,--no-TTY", no_tty, "no pseudo-TTY (default: one when stdin is a terminal)");
  exec->add_flag("--privileged", eo.privileged, "extended privileges");
  exec->add_option("-u,--user", eo.user, "user");
  exec->add_option("-w,--workdir", eo.workdir, "working directory");
  exec->add_option("-e,--env", eo.env, "K=V")->allow_extra_args(false);
  exec->add_option("--index", exec_index, "the replica, from 1");
  exec->callback([&] {
    // Named services are checked by the loader ("no such service: x"), as with every verb below.
    if (g.tail.empty()) {
      rc = fail(Error{Errc::kInvalidArgument, "exec: a command is required after SERVICE", 0});
      return;
    }
    rc = with_project(g, {exec_service}, [&](auto&, const Client& c, compose::Runner& r) {
      auto cs = r.containers({exec_service}, false);
      if (!cs) return fail(cs.error());
      for (auto& x : *cs) {
        if (x.number != exec_index) continue;
        eo.container = x.id;
        eo.cmd = g.tail;
        eo.interactive = !eo.detach;
        eo.tty = !no_tty && !eo.detach && ::isatty(STDIN_FILENO);
        return cmd_exec(c, eo);
      }
      std::fprintf(stderr, "berth: service \"%s\" is not running\n", exec_service.c_str());
      return 1;
    });
  });

  // run
  std::string run_service, run_name, run_entrypoint, run_user, run_workdir;
  std::vector<std::string> run_env;
  bool run_rm = false, run_detach = false, run_no_deps = false, run_no_tty = false, run_ports = false;
  auto* run = app.add_subcommand("run", "run a one-off command on a service");
  run->add_option("service", run_service, "SERVICE")->required();
  run->add_flag("--rm", run_rm, "remove the container when it exits");
  run->add_flag("-d,--detach", run_detach, "in the background, print the ID");
  run->add_flag("--no-deps", run_no_deps, "do not start linked services");
  run->add_flag("-T,--no-TTY", run_no_tty, "no pseudo-TTY");
  run->add_flag("--service-ports", run_ports, "publish the service's ports");
  run->add_option("--name", run_name, "container name");
  run->add_option("--entrypoint", run_entrypoint, "override the entrypoint");
  run->add_option("-u,--user", run_user, "user");
  run->add_option("-w,--workdir", run_workdir, "working directory");
  run->add_option("-e,--env", run_env, "K=V")->allow_extra_args(false);
  run->callback([&] {
    rc = with_project(g, {run_service}, [&](const compose::Project& p, const Client& c, compose::Runner& r) {
      const compose::Service* s = p.service(run_service);
      if (!s) return fail(make_error(Errc::kNotFound, "no such service: " + run_service).value());
      compose::UpOptions deps;
      for (auto& d : s->depends_on) deps.services.push_back(d.service);
      if (!run_no_deps && !deps.services.empty()) {
        if (int e = check(r.up(deps))) return e;
      }
      // Networks, volumes and the image, without the service's own containers.
      compose::UpOptions self;
      self.services = {run_service};
      self.resources_only = true;
      if (int e = check(r.up(self))) return e;
      compose::Service one = *s;
      if (!g.tail.empty()) one.command = g.tail;
      if (!run_entrypoint.empty()) one.entrypoint = std::vector<std::string>{run_entrypoint};
      if (!run_user.empty()) one.user = run_user;
      if (!run_workdir.empty()) one.working_dir = run_workdir;
      for (auto& e : run_env) {
        auto eq = e.find('=');
        one.environment[e.substr(0, eq)] = eq == std::string::npos ? "" : e.substr(eq + 1);
      }
      if (!run_ports) one.ports.clear();
      one.tty = !run_no_tty && !run_detach && ::isatty(STDIN_FILENO);
      one.stdin_open = !run_detach;
      one.restart.clear();
      auto body = compose::container_create_body(p, one, 1, r.image_name(*s), "", [&](const std::string& svc) {
        auto cs = r.containers({svc}, false);
        return cs && !cs->empty() ? cs->front().id : std::string();
      });
      if (!body) return fail(body.error());
      (*body)["Labels"]["com.docker.compose.oneoff"] = "True";
      (*body)["Labels"].erase("com.docker.compose.container-number");
      (*body)["AttachStdin"] = one.stdin_open;
      (*body)["AttachStdout"] = true;
      (*body)["AttachStderr"] = true;
      (*body)["StdinOnce"] = one.stdin_open;
      (*body)["HostConfig"]["AutoRemove"] = run_rm;
      std::string name = !run_name.empty() ? run_name : p.name + "-" + run_service + "-run-" + random_suffix();
      auto created = c.call_json("POST", "/containers/create", {{"name", name}}, *body);
      if (!created) return fail(created.error());
      return run_created(c, created->value("Id", ""), {run_detach, one.tty, one.stdin_open, run_rm});
    });
  });

  // top
  auto* top = app.add_subcommand("top", "display the running processes");
  top->add_option("services", svc_args, "SERVICE...");
  top->callback([&] {
    rc = with_project(g, svc_args, [&](auto&, const Client& c, compose::Runner& r) {
      auto cs = r.containers(svc_args, false);
      if (!cs) return fail(cs.error());
      for (auto& x : *cs) {
        auto t = c.call_json("GET", "/containers/" + x.id + "/top");
        if (!t) return fail(t.error());
        std::printf("%s\n", x.name.c_str());
        std::vector<std::string> lines = {str::join(string_array((*t)["Titles"]), "\t")};
        for (auto& p : (*t)["Processes"]) lines.push_back(str::join(string_array(p), "\t"));
        tab_print(lines, 0, 3);
        std::printf("\n");
      }
      return 0;
    });
  });

  // ls
  bool ls_all = false, ls_quiet = false;
  std::string ls_format;
  auto* ls = app.add_subcommand("ls", "list running compose projects");
  ls->add_flag("-a,--all", ls_all, "also stopped projects");
  ls->add_flag("-q,--quiet", ls_quiet, "only names");
  ls->add_option("--format", ls_format, "table or json");
  ls->callback([&] {
    auto host = resolve_host(g.host_flag);
    if (!host) {
      rc = fail(host.error());
      return;
    }
    Client c(*host);
    ClientApi api(c);
    auto projects = compose::list_projects(api, ls_all);
    if (!projects) {
      rc = fail(projects.error());
      return;
    }
    if (ls_format == "json") {
      Json out = Json::array();
      for (auto& p : *projects) out.push_back({{"Name", p.name}, {"Status", p.status}, {"ConfigFiles", p.config_files}});
      std::printf("%s\n", dump_json(out).c_str());
      return;
    }
    std::vector<std::string> lines;
    if (!ls_quiet) lines.push_back("NAME\tSTATUS\tCONFIG FILES");
    for (auto& p : *projects) lines.push_back(ls_quiet ? p.name : p.name + "\t" + p.status + "\t" + p.config_files);
    tab_print(lines);
  });

  std::vector<char*> cv;
  for (auto& a : cargs) cv.push_back(a.data());
  try {
    app.parse(static_cast<int>(cv.size()), cv.data());
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);
    std::fprintf(stderr, "berth compose: %s\n", e.what());
    return 1;
  }
  std::fflush(stdout);
  return rc;
}

}  // namespace berth::cli
