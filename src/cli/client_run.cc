// berth run and create: docker's run flags into the POST /containers/create body (ports,
// volumes, environment, healthcheck, restart policy, resources, networking), then, for run,
// attach, wait and start as docker's runContainer does, with its exit statuses.
#include "cli/client_internal.h"

#include <arpa/inet.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <thread>
#include <tuple>

#include <CLI/CLI.hpp>

#include "common/fs.h"
#include "common/strings.h"

namespace berth::cli {
namespace {

struct RunOpts {
  bool detach = false, rm = false, tty = false, interactive = false, publish_all = false;
  bool privileged = false, read_only = false, init = false, no_healthcheck = false;
  std::string name, network, workdir, user, entrypoint, restart = "no", hostname, memory, cpus;
  std::string health_cmd, health_interval, health_timeout, health_start_period, stop_signal;
  std::string pull = "missing", shm_size, ip;
  bool entrypoint_set = false;
  int health_retries = 0, stop_timeout = -1;
  int64_t pids_limit = 0;
  std::vector<std::string> publish, env, env_files, volumes, labels, cap_add, cap_drop, tmpfs,
      add_hosts, dns, aliases, expose, security_opt;
  std::string image;
  std::vector<std::string> cmd;
  std::string ignored;  // --platform, --detach-keys: accepted, without effect
};

// One -p spec (nat.ParsePortSpec): [ip:][hostPort:]containerPort[/proto], ranges allowed.
struct PortMap {
  std::string port;  // "80/tcp"
  std::string host_ip, host_port;
};

Result<std::pair<uint64_t, uint64_t>> port_range(const std::string& s) {
  auto dash = s.find('-');
  auto a = str::parse_uint(s.substr(0, dash));
  auto b = dash == std::string::npos ? a : str::parse_uint(s.substr(dash + 1));
  if (!a || !b || *a > 65535 || *b > 65535 || *b < *a) {
    return make_error(Errc::kInvalidArgument, "invalid port range " + s);
  }
  return std::make_pair(*a, *b);
}

Result<std::vector<PortMap>> parse_port_spec(const std::string& raw) {
  auto parts = str::split(raw, ':');
  size_t n = parts.size();
  std::string ip, host, container = parts[n - 1];
  if (n == 2) {
    host = parts[0];
  } else if (n == 3) {
    ip = parts[0];
    host = parts[1];
  } else if (n > 3) {
    ip = str::join(std::vector<std::string>(parts.begin(), parts.end() - 2), ":");
    host = parts[n - 2];
  }
  std::string proto = "tcp";
  if (auto slash = container.find('/'); slash != std::string::npos) {
    proto = container.substr(slash + 1);
    container = container.substr(0, slash);
  }
  if (ip.size() >= 2 && ip.front() == '[' && ip.back() == ']') ip = ip.substr(1, ip.size() - 2);
  if (!ip.empty()) {
    unsigned char buf[16];
    if (inet_pton(AF_INET, ip.c_str(), buf) != 1 && inet_pton(AF_INET6, ip.c_str(), buf) != 1) {
      return make_error(Errc::kInvalidArgument, "invalid IP address: " + ip);
    }
  }
  if (container.empty()) return make_error(Errc::kInvalidArgument, "no port specified: " + raw + "<empty>");
  auto cr = port_range(container);
  if (!cr) return make_error(Errc::kInvalidArgument, "invalid containerPort: " + container);
  uint64_t hs = 0, he = 0;
  if (!host.empty()) {
    auto hr = port_range(host);
    if (!hr) return make_error(Errc::kInvalidArgument, "invalid hostPort: " + host);
    hs = hr->first;
    he = hr->second;
    if (cr->second - cr->first != he - hs && cr->second != cr->first) {
      return make_error(Errc::kInvalidArgument, "invalid ranges specified for container and host Ports: " +
                                                    container + " and " + host);
    }
  }
  proto = str::to_lower(proto);
  if (proto != "tcp" && proto != "udp" && proto != "sctp") {
    return make_error(Errc::kInvalidArgument, "invalid proto: " + proto);
  }
  std::vector<PortMap> out;
  for (uint64_t i = 0; i <= cr->second - cr->first; ++i) {
    PortMap m;
    m.port = std::to_string(cr->first + i) + "/" + proto;
    m.host_ip = ip;
    if (!host.empty()) {
      m.host_port = std::to_string(hs + i);
      // One container port and a host range: the daemon picks a free port in the range.
      if (cr->first == cr->second && hs != he) m.host_port = std::to_string(hs) + "-" + std::to_string(he);
    }
    out.push_back(m);
  }
  return out;
}

}  // namespace

// --env-file: K=V lines; blank lines and #comments skipped; a bare K takes our environment's.
Result<std::vector<std::string>> read_env_file(const std::string& path) {
  BERTH_ASSIGN_OR_RETURN(std::string text, fs::read_file(path));
  std::vector<std::string> out;
  for (auto& raw : str::split(text, '\n')) {
    std::string line(str::trim(raw));
    if (line.empty() || line[0] == '#') continue;
    if (line.find('=') == std::string::npos) {
      if (const char* v = std::getenv(line.c_str())) out.push_back(line + "=" + v);
      continue;
    }
    out.push_back(line);
  }
  return out;
}

std::string env_item(const std::string& e) {
  if (e.find('=') != std::string::npos) return e;
  if (const char* v = std::getenv(e.c_str())) return e + "=" + v;
  return e;
}


namespace {

// The POST /containers/create body of `docker run`'s flags.
Result<Json> run_config(const RunOpts& o) {
  Json cfg = Json::object();
  Json host = Json::object();
  cfg["Image"] = o.image;
  if (!o.hostname.empty()) cfg["Hostname"] = o.hostname;
  cfg["User"] = o.user;
  bool attach = !o.detach;
  cfg["AttachStdin"] = o.interactive && attach;
  cfg["AttachStdout"] = attach;
  cfg["AttachStderr"] = attach;
  cfg["Tty"] = o.tty;
  cfg["OpenStdin"] = o.interactive;
  cfg["StdinOnce"] = o.interactive && attach;
  Json env = Json::array();
  for (auto& f : o.env_files) {
    BERTH_ASSIGN_OR_RETURN(auto lines, read_env_file(f));
    for (auto& l : lines) env.push_back(l);
  }
  for (auto& e : o.env) env.push_back(env_item(e));
  cfg["Env"] = env;
  if (!o.cmd.empty()) cfg["Cmd"] = o.cmd;
  if (o.entrypoint_set) cfg["Entrypoint"] = Json::array({o.entrypoint});
  cfg["WorkingDir"] = o.workdir;
  cfg["Labels"] = kv_object(o.labels);
  if (!o.stop_signal.empty()) cfg["StopSignal"] = o.stop_signal;
  if (o.stop_timeout >= 0) cfg["StopTimeout"] = o.stop_timeout;
  // Ports: -p into PortBindings and ExposedPorts, --expose into ExposedPorts.
  Json exposed = Json::object(), bindings = Json::object();
  for (auto& e : o.expose) {
    std::string p = e.find('/') == std::string::npos ? e + "/tcp" : e;
    auto slash = p.find('/');
    auto r = port_range(p.substr(0, slash));
    if (!r) return make_error(Errc::kInvalidArgument, "invalid range format for --expose: " + e);
    for (uint64_t k = r->first; k <= r->second; ++k) exposed[std::to_string(k) + p.substr(slash)] = Json::object();
  }
  for (auto& spec : o.publish) {
    BERTH_ASSIGN_OR_RETURN(auto maps, parse_port_spec(spec));
    for (auto& m : maps) {
      exposed[m.port] = Json::object();
      if (!bindings.contains(m.port)) bindings[m.port] = Json::array();
      bindings[m.port].push_back({{"HostIp", m.host_ip}, {"HostPort", m.host_port}});
    }
  }
  if (!exposed.empty()) cfg["ExposedPorts"] = exposed;
  host["PortBindings"] = bindings;
  host["PublishAllPorts"] = o.publish_all;
  // Volumes: SRC:DST[:OPTS] are binds (relative sources made absolute), a bare path is an
  // anonymous volume.
  Json binds = Json::array(), vols = Json::object();
  for (auto& v : o.volumes) {
    auto parts = str::split(v, ':');
    if (parts.size() == 1) {
      vols[v] = Json::object();
      continue;
    }
    if (parts[0].starts_with(".")) parts[0] = fs::absolute(parts[0]);
    if (parts[0].empty() || parts[1].empty()) {
      return make_error(Errc::kInvalidArgument, "invalid spec: " + v + ": empty section between colons");
    }
    binds.push_back(str::join(parts, ":"));
  }
  if (!vols.empty()) cfg["Volumes"] = vols;
  host["Binds"] = binds;
  if (o.no_healthcheck) {
    cfg["Healthcheck"] = {{"Test", Json::array({"NONE"})}};
  } else if (!o.health_cmd.empty() || !o.health_interval.empty() || !o.health_timeout.empty() ||
             !o.health_start_period.empty() || o.health_retries != 0) {
    Json hc = Json::object();
    if (!o.health_cmd.empty()) hc["Test"] = Json::array({"CMD-SHELL", o.health_cmd});
    for (auto [flag, key, value] : {std::tuple{"--health-interval", "Interval", &o.health_interval},
                                    std::tuple{"--health-timeout", "Timeout", &o.health_timeout},
                                    std::tuple{"--health-start-period", "StartPeriod", &o.health_start_period}}) {
      if (value->empty()) continue;
      auto d = parse_duration(*value);
      if (!d || *d < 0) return make_error(Errc::kInvalidArgument, std::string("invalid argument \"") + *value + "\" for \"" + flag + "\" flag: time: invalid duration \"" + *value + "\"");
      hc[key] = *d;
    }
    if (o.health_retries < 0) return make_error(Errc::kInvalidArgument, "--health-retries cannot be negative");
    if (o.health_retries) hc["Retries"] = o.health_retries;
    cfg["Healthcheck"] = hc;
  }
  // Restart policy: no | always | unless-stopped | on-failure[:N].
  if (!o.restart.empty()) {
    auto colon = o.restart.find(':');
    std::string pname = o.restart.substr(0, colon);
    int64_t count = 0;
    if (colon != std::string::npos) {
      auto n = str::parse_int(o.restart.substr(colon + 1));
      if (!n || pname != "on-failure") {
        return make_error(Errc::kInvalidArgument, "invalid restart policy format: " + o.restart);
      }
      count = *n;
    }
    if (pname != "no" && pname != "always" && pname != "unless-stopped" && pname != "on-failure") {
      return make_error(Errc::kInvalidArgument, "invalid restart policy format: " + o.restart);
    }
    if (o.rm && pname != "no") {
      return make_error(Errc::kInvalidArgument, "Conflicting options: --restart and --rm");
    }
    host["RestartPolicy"] = {{"Name", pname}, {"MaximumRetryCount", count}};
  }
  host["AutoRemove"] = o.rm;
  host["NetworkMode"] = o.network.empty() ? "default" : o.network;
  if (o.privileged) host["Privileged"] = true;
  if (o.read_only) host["ReadonlyRootfs"] = true;
  if (o.init) host["Init"] = true;
  if (!o.cap_add.empty()) host["CapAdd"] = o.cap_add;
  if (!o.cap_drop.empty()) host["CapDrop"] = o.cap_drop;
  if (!o.dns.empty()) host["Dns"] = o.dns;
  if (!o.add_hosts.empty()) host["ExtraHosts"] = o.add_hosts;
  if (!o.security_opt.empty()) host["SecurityOpt"] = o.security_opt;
  if (!o.tmpfs.empty()) {
    Json t = Json::object();
    for (auto& x : o.tmpfs) {
      auto colon = x.find(':');
      t[x.substr(0, colon)] = colon == std::string::npos ? "" : x.substr(colon + 1);
    }
    host["Tmpfs"] = t;
  }
  if (!o.memory.empty()) {
    auto m = parse_ram(o.memory);
    if (!m) return make_error(Errc::kInvalidArgument, "invalid argument \"" + o.memory + "\" for \"-m, --memory\" flag: invalid size: '" + o.memory + "'");
    host["Memory"] = *m;
  }
  if (!o.shm_size.empty()) {
    auto m = parse_ram(o.shm_size);
    if (!m) return make_error(Errc::kInvalidArgument, "invalid size: '" + o.shm_size + "'");
    host["ShmSize"] = *m;
  }
  if (!o.cpus.empty()) {
    char* end = nullptr;
    double c = std::strtod(o.cpus.c_str(), &end);
    if (!end || *end || c < 0) return make_error(Errc::kInvalidArgument, "invalid argument \"" + o.cpus + "\" for \"--cpus\" flag");
    host["NanoCpus"] = static_cast<int64_t>(std::llround(c * 1e9));
  }
  if (o.pids_limit != 0) host["PidsLimit"] = o.pids_limit;
  if (Json cs = console_size(); o.tty && !cs.is_null()) host["ConsoleSize"] = cs;
  cfg["HostConfig"] = host;
  if (!o.aliases.empty() || !o.ip.empty()) {
    std::string net = o.network.empty() || o.network == "default" ? "bridge" : o.network;
    Json ep = Json::object();
    if (!o.aliases.empty()) ep["Aliases"] = o.aliases;
    if (!o.ip.empty()) ep["IPAMConfig"] = {{"IPv4Address", o.ip}};
    cfg["NetworkingConfig"] = {{"EndpointsConfig", {{net, ep}}}};
  }
  return cfg;
}

// docker's name for an image reference in "Unable to find image": ":latest" when untagged.
std::string with_tag(const std::string& ref) {
  auto slash = ref.rfind('/');
  std::string last = slash == std::string::npos ? ref : ref.substr(slash + 1);
  if (last.find(':') != std::string::npos || ref.find('@') != std::string::npos) return ref;
  return ref + ":latest";
}

// docker run's exit status for a failed start (runStartContainerErr).
int start_error_status(const std::string& msg) {
  if (msg.find("executable file not found") != std::string::npos ||
      msg.find("no such file or directory") != std::string::npos) {
    return 127;
  }
  if (msg.find("permission denied") != std::string::npos ||
      msg.find("is a directory") != std::string::npos) {
    return 126;
  }
  return 125;
}

// POST /containers/create; a missing image as docker's run says it (berth run does not pull).
Result<std::string> create_container(const Client& c, const RunOpts& o, int* status) {
  *status = 125;
  auto cfg = run_config(o);
  if (!cfg) return tl::unexpected(cfg.error());
  Query q;
  if (!o.name.empty()) q.push_back({"name", o.name});
  auto r = c.call_json("POST", "/containers/create", q, *cfg);
  if (!r) {
    if (from_daemon(r.error()) && r.error().code == Errc::kNotFound &&
        r.error().message.starts_with("No such image")) {
      std::fprintf(stderr, "Unable to find image '%s' locally\n", with_tag(o.image).c_str());
      return make_error(Errc::kNotFound, "pull it first with: berth pull " + o.image);
    }
    return tl::unexpected(r.error());
  }
  for (auto& w : r->value("Warnings", Json::array())) {
    if (w.is_string()) std::fprintf(stderr, "WARNING: %s\n", w.get<std::string>().c_str());
  }
  return r->value("Id", "");
}

int run_fail(const Error& e, int status = 125) {
  std::fflush(stdout);
  if (from_daemon(e)) {
    std::fprintf(stderr, "berth: Error response from daemon: %s\n", e.message.c_str());
  } else {
    std::fprintf(stderr, "berth: %s\n", e.message.c_str());
  }
  return unreachable(e) ? 1 : status;
}

int cmd_create(const Client& c, RunOpts& o) {
  o.detach = true;
  int status = 125;
  auto id = create_container(c, o, &status);
  if (!id) return run_fail(id.error(), status);
  std::printf("%s\n", id->c_str());
  return 0;
}

// A request that waits for the container's exit (POST /containers/{id}/wait), sent before the
// start so that no exit is missed: the status once the container has exited (or been removed).
class ExitWaiter {
 public:
  ExitWaiter(const Client& c, const std::string& id, const std::string& condition) {
    thread_ = std::thread([this, &c, id, condition] {
      Client::Stream s;
      s.on_head = [this](int, const std::string&) { signal_head(); };
      s.on_data = [this](const char* d, size_t n) {
        body_.append(d, n);
        return true;
      };
      auto r = c.stream("POST", cpath(id, "/wait"), {{"condition", condition}}, "", {}, s);
      if (!r) error_ = r.error();
      signal_head();
    });
  }
  ~ExitWaiter() {
    if (thread_.joinable()) thread_.join();
  }
  ExitWaiter(const ExitWaiter&) = delete;
  ExitWaiter& operator=(const ExitWaiter&) = delete;

  // Until the daemon has the request (its answer's header is in).
  void wait_registered() {
    std::unique_lock<std::mutex> l(mu_);
    cv_.wait_for(l, std::chrono::seconds(10), [&] { return head_; });
  }
  Result<int> status() {
    if (thread_.joinable()) thread_.join();
    if (error_) return tl::unexpected(*error_);
    auto j = parse_json(body_, "wait");
    if (!j || !j->is_object()) return make_error(Errc::kInternal, "bad answer to wait: " + body_);
    if (auto e = j->find("Error"); e != j->end() && e->is_object() && e->contains("Message") &&
                                   !(*e)["Message"].get<std::string>().empty()) {
      return make_error(Errc::kInternal, (*e)["Message"].get<std::string>());
    }
    return static_cast<int>(j->value("StatusCode", 0));
  }

 private:
  void signal_head() {
    std::lock_guard<std::mutex> l(mu_);
    head_ = true;
    cv_.notify_all();
  }
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool head_ = false;
  std::string body_;
  std::optional<Error> error_;
};

int cmd_run(const Client& c, RunOpts& o) {
  int status = 125;
  auto id = create_container(c, o, &status);
  if (!id) return run_fail(id.error(), status);
  return run_created(c, *id, {o.detach, o.tty, o.interactive, o.rm});
}

}  // namespace

// docker run after the create (see client_internal.h).
int run_created(const Client& c, const std::string& created, const RunFlow& o) {
  const std::string* id = &created;
  if (o.detach) {
    auto s = c.call("POST", cpath(*id, "/start"));
    if (!s) {
      if (o.rm) (void)c.request("DELETE", cpath(*id), {{"force", "1"}});
      return run_fail(s.error(), start_error_status(s.error().message));
    }
    std::printf("%s\n", id->c_str());
    return 0;
  }
  // Foreground: attach first, register the wait, start; the output until the stream ends;
  // the exit code from the wait (docker's runContainer).
  proxy_signals(c, *id, o.tty);
  Query aq = {{"stream", "1"}, {"stdout", "1"}, {"stderr", "1"}};
  if (o.interactive) aq.push_back({"stdin", "1"});
  auto h = c.hijack(cpath(*id, "/attach"), aq, Json());
  if (!h) {
    if (o.rm) (void)c.request("DELETE", cpath(*id), {{"force", "1"}});
    return run_fail(h.error());
  }
  ExitWaiter waiter(c, *id, o.rm ? "removed" : "next-exit");
  waiter.wait_registered();
  std::optional<RawTerminal> raw;
  if (o.tty && o.interactive && ::isatty(STDIN_FILENO)) raw.emplace();
  auto s = c.call("POST", cpath(*id, "/start"));
  if (!s) {
    raw.reset();
    ::shutdown(h->fd.get(), SHUT_RDWR);
    if (o.rm) (void)c.request("DELETE", cpath(*id), {{"force", "1"}});
    (void)waiter.status();
    return run_fail(s.error(), start_error_status(s.error().message));
  }
  if (o.tty && ::isatty(STDOUT_FILENO)) resize(c, cpath(*id, "/resize"));
  if (o.interactive) pump_input(h->fd.get());
  pump_output(*h, o.tty || h->content_type == "application/vnd.docker.raw-stream");
  auto code = waiter.status();
  raw.reset();
  if (!code) return run_fail(code.error());
  return *code;
}

const std::set<std::string>& run_value_flags() {
  static const std::set<std::string> k = {
      "-p", "--publish", "-e", "--env", "--env-file", "-v", "--volume", "--name", "--network",
      "--net", "-w", "--workdir", "-u", "--user", "--entrypoint", "--restart", "--health-cmd",
      "--health-interval", "--health-timeout", "--health-retries", "--health-start-period",
      "-l", "--label", "-h", "--hostname", "-m", "--memory", "--cpus", "--pids-limit",
      "--stop-signal", "--stop-timeout", "--cap-add", "--cap-drop", "--tmpfs", "--add-host",
      "--dns", "--network-alias", "--ip", "--pull", "--shm-size", "--security-opt", "--expose",
      "--detach-keys", "--platform"};
  return k;
}

void add_run_verbs(CLI::App* parent, Verbs& v) {
  auto o = std::make_shared<RunOpts>();
  auto add_run_flags = [o](CLI::App* s, bool run) {
    auto multi = [&](const std::string& names, std::vector<std::string>& values,
                     const std::string& d) {
      s->add_option(names, values, d)->allow_extra_args(false);
    };
    if (run) {
      s->add_flag("-d,--detach", o->detach, "run in the background and print the container ID");
      s->add_flag("--rm", o->rm, "remove the container when it exits");
    }
    s->add_option("--name", o->name, "the container's name");
    multi("-p,--publish", o->publish, "publish a port: [ip:][hostPort:]containerPort[/proto]");
    s->add_flag("-P,--publish-all", o->publish_all, "publish every exposed port to a random port");
    multi("--expose", o->expose, "expose a port or range");
    multi("-e,--env", o->env, "set an environment variable K=V");
    multi("--env-file", o->env_files, "read environment variables from a file");
    multi("-v,--volume", o->volumes, "bind mount or volume: SRC:DST[:OPTS] or DST");
    s->add_option("--network,--net", o->network, "network: bridge, none, host, container:C or a name");
    multi("--network-alias", o->aliases, "a DNS alias on the network");
    s->add_option("--ip", o->ip, "IPv4 address on the network");
    s->add_option("-w,--workdir", o->workdir, "working directory inside the container");
    s->add_option("-u,--user", o->user, "user[:group]");
    s->add_option("--entrypoint", o->entrypoint, "override the image's ENTRYPOINT")
        ->each([o](const std::string&) { o->entrypoint_set = true; });
    s->add_option("--restart", o->restart, "no, always, unless-stopped, on-failure[:N]");
    s->add_option("--health-cmd", o->health_cmd, "command to check health");
    s->add_option("--health-interval", o->health_interval, "time between checks (ms|s|m|h)");
    s->add_option("--health-timeout", o->health_timeout, "maximum time of one check");
    s->add_option("--health-retries", o->health_retries, "failures before unhealthy");
    s->add_option("--health-start-period", o->health_start_period, "grace period after the start");
    s->add_flag("--no-healthcheck", o->no_healthcheck, "disable the image's HEALTHCHECK");
    multi("-l,--label", o->labels, "a label k=v");
    s->add_flag("-t,--tty", o->tty, "allocate a pseudo-TTY");
    s->add_flag("-i,--interactive", o->interactive, "keep stdin open and send ours to it");
    s->add_option("-h,--hostname", o->hostname, "the container's host name");
    s->add_option("-m,--memory", o->memory, "memory limit (e.g. 512m)");
    s->add_option("--cpus", o->cpus, "number of CPUs");
    s->add_option("--pids-limit", o->pids_limit, "process limit (-1 unlimited)");
    s->add_option("--shm-size", o->shm_size, "size of /dev/shm");
    s->add_option("--stop-signal", o->stop_signal, "signal that stops the container");
    s->add_option("--stop-timeout", o->stop_timeout, "seconds before the stop kills");
    multi("--cap-add", o->cap_add, "add a capability");
    multi("--cap-drop", o->cap_drop, "drop a capability");
    multi("--tmpfs", o->tmpfs, "a tmpfs mount: PATH[:OPTS]");
    multi("--add-host", o->add_hosts, "host:ip line in /etc/hosts");
    multi("--dns", o->dns, "DNS server");
    multi("--security-opt", o->security_opt, "security options");
    s->add_flag("--privileged", o->privileged, "every capability and device");
    s->add_flag("--read-only", o->read_only, "read-only root file system");
    s->add_flag("--init", o->init, "run an init inside the container");
    s->add_option("--pull", o->pull, "missing or never (berth run does not pull)");
    s->add_option("--platform", o->ignored, "accepted; the local image's platform is used");
    s->add_option("--detach-keys", o->ignored, "accepted; detaching is not supported");
  };

  auto* run = parent->add_subcommand("run", "create and run a container: IMAGE [COMMAND] [ARG...]");
  add_run_flags(run, true);
  run->callback(v.with([o, &v](const Client& c) {
    if (!v.need_tail("run")) return v.rc;
    o->image = v.tail[0];
    o->cmd.assign(v.tail.begin() + 1, v.tail.end());
    if (o->pull == "always") {
      std::fprintf(stderr, "berth: berth run does not pull: pull it first with: berth pull %s\n", o->image.c_str());
      return 125;
    }
    return cmd_run(c, *o);
  }));

  auto* create = parent->add_subcommand("create", "create a container: IMAGE [COMMAND] [ARG...]");
  add_run_flags(create, false);
  create->callback(v.with([o, &v](const Client& c) {
    if (!v.need_tail("create")) return v.rc;
    o->image = v.tail[0];
    o->cmd.assign(v.tail.begin() + 1, v.tail.end());
    return cmd_create(c, *o);
  }));
}

}  // namespace berth::cli
