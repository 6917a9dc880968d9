// The container verbs but run/create and stats: ps, logs, exec, stop, start, restart, kill, rm,
// wait, port, top, container inspect (and the inspect of networks and volumes).
#include "cli/client_internal.h"

#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>

#include <CLI/CLI.hpp>

#include "common/strings.h"

namespace berth::cli {
namespace {

// docker's DisplayablePorts: "0.0.0.0:8080->80/tcp, 443/tcp", contiguous ports grouped.
std::string displayable_ports(Json ports) {
  if (!ports.is_array()) return "";
  std::vector<Json> list(ports.begin(), ports.end());
  std::stable_sort(list.begin(), list.end(), [](const Json& a, const Json& b) {
    return a.value("PrivatePort", 0) < b.value("PrivatePort", 0);
  });
  struct Group {
    int first, last;
  };
  std::map<std::string, Group> groups;
  std::vector<std::string> keys, result, host_maps;
  auto form = [](const std::string& key, int first, int last) {
    auto slash = key.rfind('/');
    std::string type = key, ip;
    if (slash != std::string::npos) {
      ip = key.substr(0, slash);
      type = key.substr(slash + 1);
    }
    std::string g = std::to_string(first);
    if (first != last) g += "-" + std::to_string(last);
    if (!ip.empty()) g = (ip.find(':') != std::string::npos ? "[" + ip + "]" : ip) + ":" + g + "->" + g;
    return g + "/" + type;
  };
  for (auto& p : list) {
    int cur = p.value("PrivatePort", 0);
    std::string type = p.value("Type", "tcp");
    std::string ip = p.value("IP", "");
    std::string key = type;
    if (!ip.empty()) {
      int pub = p.value("PublicPort", 0);
      if (pub != cur) {
        std::string addr = (ip.find(':') != std::string::npos ? "[" + ip + "]" : ip) + ":" + std::to_string(pub);
        host_maps.push_back(addr + "->" + std::to_string(cur) + "/" + type);
        continue;
      }
      key = ip + "/" + type;
    }
    auto it = groups.find(key);
    if (it == groups.end()) {
      groups[key] = {cur, cur};
      keys.push_back(key);
      continue;
    }
    if (cur == it->second.last + 1) {
      it->second.last = cur;
      continue;
    }
    result.push_back(form(key, it->second.first, it->second.last));
    it->second = {cur, cur};
  }
  for (auto& k : keys) result.push_back(form(k, groups[k].first, groups[k].last));
  result.insert(result.end(), host_maps.begin(), host_maps.end());
  return str::join(result, ", ");
}

struct PsOpts {
  bool all = false, quiet = false, no_trunc = false, latest = false, size = false;
  int last = -1;
  std::string format;
  std::vector<std::string> filters;
};

}  // namespace

Json ps_row(const Json& c, bool trunc) {
  std::string id = c.value("Id", "");
  std::string command = c.value("Command", "");
  if (trunc) command = ellipsis(command, 20);
  std::vector<std::string> names;
  for (auto& n : c.value("Names", Json::array())) {
    std::string s = n.get<std::string>();
    if (s.starts_with("/")) s = s.substr(1);
    if (trunc && s.find('/') != std::string::npos) continue;  // links
    names.push_back(s);
  }
  std::string image = c.value("Image", "");
  if (trunc) {
    if (image.starts_with("sha256:")) image = short_id(image);
    else if (auto at = image.find('@'); at != std::string::npos) image = image.substr(0, at);
  }
  std::vector<std::string> labels, networks, mounts;
  Json label_map = c.value("Labels", Json::object());
  for (auto& [k, v] : label_map.items()) {
    labels.push_back(k + "=" + (v.is_string() ? v.get<std::string>() : ""));
  }
  Json nets = c.value("NetworkSettings", Json::object()).value("Networks", Json::object());
  if (nets.is_object()) {
    for (auto& [k, v] : nets.items()) networks.push_back(k);
  }
  int local = 0;
  for (auto& m : c.value("Mounts", Json::array())) {
    std::string n = m.value("Name", "");
    if (n.empty()) n = m.value("Source", "");
    mounts.push_back(trunc ? ellipsis(n, 15) : n);
    if (m.value("Driver", "") == "local") ++local;
  }
  int64_t created = c.value("Created", int64_t{0});
  std::string quoted = dump_json(Json(command));
  return {{"ID", trunc ? short_id(id) : id},
          {"Image", image},
          {"Command", quoted},
          {"CreatedAt", go_time(created)},
          {"RunningFor", ago(static_cast<double>(created))},
          {"Ports", displayable_ports(c.value("Ports", Json::array()))},
          {"State", c.value("State", "")},
          {"Status", c.value("Status", "")},
          {"Size", "0B"},
          {"Names", str::join(names, ",")},
          {"Labels", str::join(labels, ",")},
          {"Mounts", str::join(mounts, ",")},
          {"Networks", str::join(networks, ",")},
          {"LocalVolumes", std::to_string(local)},
          {"Platform", nullptr}};
}

namespace {

int cmd_ps(const Client& c, const PsOpts& o) {
  Query q;
  if (o.all || o.latest || o.last > 0) q.push_back({"all", "1"});
  if (o.latest) q.push_back({"limit", "1"});
  else if (o.last > 0) q.push_back({"limit", std::to_string(o.last)});
  if (!o.filters.empty()) q.push_back({"filters", filters_json(o.filters)});
  auto list = c.call_json("GET", "/containers/json", q);
  if (!list) return fail(list.error());
  std::vector<Json> rows;
  for (auto& x : *list) rows.push_back(ps_row(x, !o.no_trunc));
  if (o.quiet && (o.format.empty() || o.format == "table")) {
    for (auto& r : rows) std::printf("%s\n", r["ID"].get<std::string>().c_str());
    return 0;
  }
  Json headers = {{"ID", "CONTAINER ID"}, {"Image", "IMAGE"}, {"Command", "COMMAND"},
                  {"CreatedAt", "CREATED AT"}, {"RunningFor", "CREATED"}, {"Ports", "PORTS"},
                  {"State", "STATE"}, {"Status", "STATUS"}, {"Size", "SIZE"}, {"Names", "NAMES"},
                  {"Labels", "LABELS"}, {"Mounts", "MOUNTS"}, {"Networks", "NETWORKS"},
                  {"LocalVolumes", "LOCAL VOLUMES"}};
  print_formatted(o.format,
                  "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}",
                  rows, headers);
  return 0;
}

}  // namespace

// --since/--until: a Go duration before now, an RFC 3339 time or unix seconds.
std::string log_time(const std::string& v) {
  if (v.empty()) return v;
  if (auto d = parse_duration(v); d && *d != 0 && !str::parse_int(v)) {
    return std::to_string(static_cast<int64_t>(::time(nullptr)) - *d / 1000000000);
  }
  return v;
}

// docker logs (see client_internal.h).
int cmd_logs(const Client& c, const std::string& ref, const LogsOpts& o) {
  auto info = c.call_json("GET", cpath(ref, "/json"));
  if (!info) return fail(info.error());
  bool tty = info->value("Config", Json::object()).value("Tty", false);
  Query q = {{"stdout", "1"}, {"stderr", "1"}, {"tail", o.tail}};
  if (o.follow) q.push_back({"follow", "1"});
  if (o.timestamps) q.push_back({"timestamps", "1"});
  if (!o.since.empty()) q.push_back({"since", log_time(o.since)});
  if (!o.until.empty()) q.push_back({"until", log_time(o.until)});
  auto sink = o.sink ? o.sink : [](int stream, std::string_view d) {
    return write_all(stream == 2 ? STDERR_FILENO : STDOUT_FILENO, d);
  };
  StdDemux demux(sink);
  Client::Stream s;
  bool raw = tty;
  s.on_head = [&](int, const std::string& type) {
    raw = tty || type == "application/vnd.docker.raw-stream";
  };
  s.on_data = [&](const char* d, size_t n) {
    return raw ? sink(1, std::string_view(d, n)) : demux.feed(d, n);
  };
  auto r = c.stream("GET", cpath(ref, "/logs"), q, "", {}, s);
  if (!r) return fail(r.error());
  return 0;
}

// docker exec (see client_internal.h).
int cmd_exec(const Client& c, const ExecOpts& o) {
  Json env = Json::array();
  for (auto& f : o.env_files) {
    auto lines = read_env_file(f);
    if (!lines) return fail(lines.error());
    for (auto& l : *lines) env.push_back(l);
  }
  for (auto& e : o.env) env.push_back(env_item(e));
  Json cfg = {{"User", o.user},
              {"Privileged", o.privileged},
              {"Tty", o.tty},
              {"AttachStdin", o.interactive && !o.detach},
              {"AttachStdout", !o.detach},
              {"AttachStderr", !o.detach},
              {"Detach", o.detach},
              {"DetachKeys", ""},
              {"Env", env},
              {"WorkingDir", o.workdir},
              {"Cmd", o.cmd}};
  if (Json cs = console_size(); o.tty && !cs.is_null()) cfg["ConsoleSize"] = cs;
  auto created = c.call_json("POST", cpath(o.container, "/exec"), {}, cfg);
  if (!created) return fail(created.error());
  std::string id = created->value("Id", "");
  std::string start = "/exec/" + id + "/start";
  if (o.detach) {
    auto s = c.call("POST", start, {}, dump_json(Json{{"Detach", true}, {"Tty", o.tty}}));
    return s ? 0 : fail(s.error());
  }
  auto h = c.hijack(start, {}, Json{{"Detach", false}, {"Tty", o.tty}});
  if (!h) return fail(h.error());
  std::optional<RawTerminal> raw;
  if (o.tty && o.interactive && ::isatty(STDIN_FILENO)) raw.emplace();
  if (o.tty && ::isatty(STDOUT_FILENO)) resize(c, "/exec/" + id + "/resize");
  if (o.interactive) pump_input(h->fd.get());
  pump_output(*h, h->content_type == "application/vnd.docker.raw-stream");
  raw.reset();
  // The exit code, once the daemon has it.
  for (int i = 0; i < 100; ++i) {
    auto st = c.call_json("GET", "/exec/" + id + "/json");
    if (!st) return fail(st.error());
    if (!st->value("Running", false) && (*st)["ExitCode"].is_number()) {
      return (*st)["ExitCode"].get<int>();
    }
    ::usleep(10000);
  }
  return 0;
}

int cmd_inspect(const Client& c, const std::vector<std::string>& refs, const std::string& format,
                const std::string& kind) {
  Json out = Json::array();
  std::vector<Error> errors;
  for (auto& r : refs) {
    std::string path = kind == "container" ? cpath(r, "/json")
                       : kind == "network" ? "/networks/" + path_escape(r)
                                           : "/volumes/" + path_escape(r);
    auto j = c.call_json("GET", path);
    if (!j) {
      if (unreachable(j.error())) return fail(j.error());
      errors.push_back(j.error());
      continue;
    }
    out.push_back(*j);
  }
  if (!format.empty()) {
    for (auto& j : out) std::printf("%s\n", render(format, j).c_str());
  } else {
    std::printf("%s\n", dump_json(out, 4).c_str());
  }
  std::fflush(stdout);
  for (auto& e : errors) print_error(e);
  return errors.empty() ? 0 : 1;
}


namespace {

int cmd_port(const Client& c, const std::string& ref, const std::string& want) {
  auto info = c.call_json("GET", cpath(ref, "/json"));
  if (!info) return fail(info.error());
  Json ports = info->value("NetworkSettings", Json::object()).value("Ports", Json::object());
  if (!ports.is_object()) ports = Json::object();
  auto join_host = [](const Json& f) {
    std::string ip = f.value("HostIp", "");
    std::string port = f.value("HostPort", "");
    return (ip.find(':') != std::string::npos ? "[" + ip + "]" : ip) + ":" + port;
  };
  std::vector<std::string> out;
  if (!want.empty()) {
    std::string key = want.find('/') == std::string::npos ? want + "/tcp" : want;
    auto it = ports.find(key);
    if (it == ports.end() || !it->is_array()) {
      std::fprintf(stderr, "Error: No public port '%s' published for %s\n", want.c_str(), ref.c_str());
      return 1;
    }
    for (auto& f : *it) out.push_back(join_host(f));
  } else {
    for (auto& [from, fronts] : ports.items()) {
      if (!fronts.is_array()) continue;
      for (auto& f : fronts) out.push_back(from + " -> " + join_host(f));
    }
  }
  std::sort(out.begin(), out.end(), natural_less);
  for (auto& l : out) std::printf("%s\n", l.c_str());
  return 0;
}

int cmd_top(const Client& c, const std::string& ref, const std::vector<std::string>& ps_args) {
  Query q;
  if (!ps_args.empty()) q.push_back({"ps_args", str::join(ps_args, " ")});
  auto t = c.call_json("GET", cpath(ref, "/top"), q);
  if (!t) return fail(t.error());
  std::vector<std::string> lines;
  std::vector<std::string> titles = string_array(t->value("Titles", Json::array()));
  lines.push_back(str::join(titles, "\t"));
  for (auto& p : t->value("Processes", Json::array())) lines.push_back(str::join(string_array(p), "\t"));
  tab_print(lines, 20, 3);
  return 0;
}

}  // namespace

const std::set<std::string>& exec_value_flags() {
  static const std::set<std::string> k = {"-e", "--env", "--env-file", "-w", "--workdir", "-u",
                                          "--user", "--detach-keys"};
  return k;
}

// The flags of the container verbs (one set for each parent: a verb reads only its own).
struct ContainerFlags {
  PsOpts po;
  LogsOpts lo;
  ExecOpts eo;
  std::vector<std::string> refs;
  std::string ref, format, signal = "KILL", stop_signal, private_port;
  bool force = false, volumes = false, no_trunc = false, all = false, no_stream = false;
  int timeout = -1;
  bool timeout_set = false;
  std::string ignored;       // exec --detach-keys: accepted, without effect
  bool ignored_flag = false;  // rm --link, inspect --size: likewise
};

void add_container_verbs(CLI::App* parent, bool top, Verbs& v) {
  auto f = std::make_shared<ContainerFlags>();
  auto* ps = parent->add_subcommand(top ? "ps" : "ls", "list containers");
  if (!top) {
    ps->alias("ps");
    ps->alias("list");
  }
  ps->add_flag("-a,--all", f->po.all, "all containers (running only by default)");
  ps->add_flag("-q,--quiet", f->po.quiet, "only IDs");
  ps->add_flag("--no-trunc", f->po.no_trunc, "do not truncate");
  ps->add_flag("-l,--latest", f->po.latest, "the latest created container");
  ps->add_option("-n,--last", f->po.last, "the last N created containers");
  ps->add_flag("-s,--size", f->po.size, "accepted; sizes are not computed");
  ps->add_option("-f,--filter", f->po.filters, "status=, name=, id=, label=, ancestor=, exited=")->allow_extra_args(false);
  ps->add_option("--format", f->po.format, "table, json or a Go template");
  ps->callback(v.with([f](const Client& c) { return cmd_ps(c, f->po); }));

  auto* logs = parent->add_subcommand("logs", "a container's output");
  logs->add_option("container", f->ref, "CONTAINER")->required();
  logs->add_flag("-f,--follow", f->lo.follow, "follow the output");
  logs->add_flag("-t,--timestamps", f->lo.timestamps, "show timestamps");
  logs->add_option("-n,--tail", f->lo.tail, "lines from the end (all)");
  logs->add_option("--since", f->lo.since, "since a time (RFC 3339, unix seconds or a duration like 10m)");
  logs->add_option("--until", f->lo.until, "until a time");
  logs->add_flag("--details", f->lo.details, "accepted");
  logs->callback(v.with([f](const Client& c) { return cmd_logs(c, f->ref, f->lo); }));

  auto* exec = parent->add_subcommand("exec", "run a command in a running container: CONTAINER COMMAND [ARG...]");
  exec->add_flag("-d,--detach", f->eo.detach, "run in the background");
  exec->add_flag("-t,--tty", f->eo.tty, "allocate a pseudo-TTY");
  exec->add_flag("-i,--interactive", f->eo.interactive, "send our stdin (needs the daemon's support)");
  exec->add_flag("--privileged", f->eo.privileged, "extended privileges");
  exec->add_option("-e,--env", f->eo.env, "environment variable K=V")->allow_extra_args(false);
  exec->add_option("--env-file", f->eo.env_files, "environment file")->allow_extra_args(false);
  exec->add_option("-u,--user", f->eo.user, "user[:group]");
  exec->add_option("-w,--workdir", f->eo.workdir, "working directory");
  exec->add_option("--detach-keys", f->ignored, "accepted; detaching is not supported");
  exec->callback(v.with([f, &v](const Client& c) {
    if (!v.need_tail("exec")) return v.rc;
    if (v.tail.size() < 2) {
      std::fprintf(stderr, "berth: \"exec\" requires at least 2 arguments.\n");
      return 1;
    }
    f->eo.container = v.tail[0];
    f->eo.cmd.assign(v.tail.begin() + 1, v.tail.end());
    return cmd_exec(c, f->eo);
  }));

  auto* stop = parent->add_subcommand("stop", "stop running containers");
  stop->add_option("containers", f->refs, "CONTAINER")->required();
  stop->add_option("-t,--time,--timeout", f->timeout, "seconds before SIGKILL")
      ->each([f](const std::string&) { f->timeout_set = true; });
  stop->add_option("-s,--signal", f->stop_signal, "signal to send first");
  stop->callback(v.with([f](const Client& c) {
    return for_each(f->refs, [&](const std::string& r) -> Result<void> {
      Query q;
      if (f->timeout_set) q.push_back({"t", std::to_string(f->timeout)});
      if (!f->stop_signal.empty()) q.push_back({"signal", f->stop_signal});
      BERTH_TRY(c.call("POST", cpath(r, "/stop"), q));
      return {};
    });
  }));
  auto* start = parent->add_subcommand("start", "start stopped containers");
  start->add_option("containers", f->refs, "CONTAINER")->required();
  start->callback(v.with([f](const Client& c) {
    std::mutex mu;
    std::vector<std::string> failed;
    int status = for_each(f->refs, [&](const std::string& r) -> Result<void> {
      auto s = c.call("POST", cpath(r, "/start"));
      if (!s) {
        std::lock_guard<std::mutex> l(mu);
        if (!unreachable(s.error())) failed.push_back(r);
        return tl::unexpected(s.error());
      }
      return {};
    });
    if (!failed.empty() && status) {
      std::sort(failed.begin(), failed.end(), [&](const std::string& a, const std::string& b) {
        return std::find(f->refs.begin(), f->refs.end(), a) < std::find(f->refs.begin(), f->refs.end(), b);
      });
      std::fprintf(stderr, "Error: failed to start containers: %s\n", str::join(failed, ", ").c_str());
    }
    return status;
  }));
  auto* restart = parent->add_subcommand("restart", "restart containers");
  restart->add_option("containers", f->refs, "CONTAINER")->required();
  restart->add_option("-t,--time,--timeout", f->timeout, "seconds before SIGKILL")
      ->each([f](const std::string&) { f->timeout_set = true; });
  restart->callback(v.with([f](const Client& c) {
    return for_each(f->refs, [&](const std::string& r) -> Result<void> {
      Query q;
      if (f->timeout_set) q.push_back({"t", std::to_string(f->timeout)});
      BERTH_TRY(c.call("POST", cpath(r, "/restart"), q));
      return {};
    });
  }));
  auto* kill = parent->add_subcommand("kill", "send a signal to running containers");
  kill->add_option("containers", f->refs, "CONTAINER")->required();
  kill->add_option("-s,--signal", f->signal, "signal (KILL)");
  kill->callback(v.with([f](const Client& c) {
    return for_each(f->refs, [&](const std::string& r) -> Result<void> {
      BERTH_TRY(c.call("POST", cpath(r, "/kill"), {{"signal", f->signal}}));
      return {};
    });
  }));
  auto* rm = parent->add_subcommand("rm", "remove containers");
  if (!top) rm->alias("remove");
  rm->add_option("containers", f->refs, "CONTAINER")->required();
  rm->add_flag("-f,--force", f->force, "kill a running container first");
  rm->add_flag("-v,--volumes", f->volumes, "remove its anonymous volumes");
  rm->add_flag("-l,--link", f->ignored_flag, "accepted; links do not exist");
  rm->callback(v.with([f](const Client& c) {
    return for_each(f->refs, [&](const std::string& r) -> Result<void> {
      Query q;
      if (f->force) q.push_back({"force", "1"});
      if (f->volumes) q.push_back({"v", "1"});
      BERTH_TRY(c.call("DELETE", cpath(r), q));
      return {};
    });
  }));
  auto* wait = parent->add_subcommand("wait", "wait for containers to stop; print their exit codes");
  wait->add_option("containers", f->refs, "CONTAINER")->required();
  wait->callback(v.with([f](const Client& c) {
    int status = 0;
    for (auto& r : f->refs) {
      auto j = c.call_json("POST", cpath(r, "/wait"));
      if (!j) {
        status = fail(j.error());
        continue;
      }
      std::printf("%d\n", j->value("StatusCode", 0));
      std::fflush(stdout);
    }
    return status;
  }));
  auto* port = parent->add_subcommand("port", "the published ports of a container");
  port->add_option("container", f->ref, "CONTAINER")->required();
  port->add_option("port", f->private_port, "PRIVATE_PORT[/PROTO]");
  port->callback(v.with([f](const Client& c) { return cmd_port(c, f->ref, f->private_port); }));
  auto* topc = parent->add_subcommand("top", "the processes of a container");
  topc->add_option("container", f->ref, "CONTAINER")->required();
  topc->prefix_command();  // [ps OPTIONS] after the container
  topc->callback(v.with([f, topc](const Client& c) { return cmd_top(c, f->ref, topc->remaining()); }));
  auto* stats = parent->add_subcommand("stats", "resource usage of containers");
  stats->add_option("containers", f->refs, "CONTAINER (default: the running ones)");
  stats->add_flag("-a,--all", f->all, "all containers");
  stats->add_flag("--no-stream", f->no_stream, "one sample, then exit");
  stats->add_flag("--no-trunc", f->no_trunc, "full IDs");
  stats->add_option("--format", f->format, "table or a Go template");
  stats->callback(v.with([f](const Client& c) { return cmd_stats(c, f->refs, f->all, f->no_stream, f->no_trunc, f->format); }));

  if (!top) {
    auto* insp = parent->add_subcommand("inspect", "low-level information on containers");
    insp->add_option("containers", f->refs, "CONTAINER")->required();
    insp->add_option("-f,--format", f->format, "Go template");
    insp->add_flag("-s,--size", f->ignored_flag, "accepted");
    insp->callback(v.with([f](const Client& c) { return cmd_inspect(c, f->refs, f->format, "container"); }));
  }
}

}  // namespace berth::cli
