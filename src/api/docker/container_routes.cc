// /containers/...: create, start, stop, kill, wait, delete, inspect, list, logs, attach, prune.
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "api/docker/routes.h"
#include "common/strings.h"
#include "common/time.h"
#include "common/unique_fd.h"
#include "engine/engine.h"

namespace berth::api {
namespace {

bool flag(const Exchange& ex, const std::string& key, bool dflt = false) {
  if (!ex.has_query(key)) return dflt;
  std::string v = ex.query(key);
  return v == "1" || v == "true" || v == "True" || v.empty();
}

// docker's stdcopy framing: [stream, 0, 0, 0, size (big endian)] + payload.
std::string frame(const std::string& stream, const std::string& text) {
  std::string out(8, '\0');
  out[0] = static_cast<char>(stream == "stderr" ? 2 : 1);
  uint32_t n = static_cast<uint32_t>(text.size());
  out[4] = static_cast<char>(n >> 24);
  out[5] = static_cast<char>(n >> 16);
  out[6] = static_cast<char>(n >> 8);
  out[7] = static_cast<char>(n);
  return out + text;
}

Result<void> send_all(int fd, const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return make_error(Errc::kCanceled, "client went away");
    }
    off += static_cast<size_t>(n);
  }
  return {};
}

double time_param(const std::string& v) {
  if (v.empty() || v == "0") return 0;
  if (auto n = str::parse_int(v.substr(0, v.find('.')))) return static_cast<double>(*n);
  return parse_rfc3339(v);
}

}  // namespace

void add_container_routes(Router& r, DaemonContext& ctx) {
  engine::Engine& eng = *ctx.engine;

  r.add("POST", "/containers/create", [&eng](Exchange& ex) {
    auto body = ex.body();
    if (!body) return ex.error(body.error());
    auto j = parse_json(*body, "container config");
    if (!j) return ex.error(400, j.error().message);
    drop_null_members(*j);
    auto c = eng.create(*j, ex.query("name"));
    if (!c) return ex.error(c.error());
    ex.reply_json(201, {{"Id", c->id}, {"Warnings", Json::array()}});
  });

  r.add("POST", "/containers/([^/]+)/start", [&eng](Exchange& ex) {
    auto s = eng.start(ex.params()[0]);
    if (!s && s.error().code == Errc::kAlreadyExists) return ex.reply(304, "");
    if (!s) return ex.error(s.error());
    ex.reply(204, "");
  });

  r.add("POST", "/containers/([^/]+)/stop", [&eng](Exchange& ex) {
    auto c = eng.get(ex.params()[0]);
    if (!c) return ex.error(c.error());
    if (c->state.status != "running" && c->state.status != "paused" &&
        c->state.status != "restarting") {
      return ex.reply(304, "");
    }
    std::optional<int> t;
    if (ex.has_query("t")) t = static_cast<int>(str::parse_int(ex.query("t")).value_or(10));
    auto s = eng.stop(ex.params()[0], t);
    if (!s) return ex.error(s.error());
    ex.reply(204, "");
  });

  r.add("POST", "/containers/([^/]+)/kill", [&eng](Exchange& ex) {
    int sig = SIGKILL;
    if (std::string name = ex.query("signal"); !name.empty()) {
      auto parsed = engine::parse_signal(name);
      if (!parsed) return ex.error(400, parsed.error().message);
      sig = *parsed;
    }
    auto k = eng.kill(ex.params()[0], sig);
    if (!k) return ex.error(k.error());
    ex.reply(204, "");
  });

  r.add("POST", "/containers/([^/]+)/restart", [&eng](Exchange& ex) {
    std::optional<int> t;
    if (ex.has_query("t")) t = static_cast<int>(str::parse_int(ex.query("t")).value_or(10));
    if (auto s = eng.stop(ex.params()[0], t); !s) return ex.error(s.error());
    if (auto s = eng.start(ex.params()[0]); !s) return ex.error(s.error());
    ex.reply(204, "");
  });

  r.add("POST", "/containers/([^/]+)/wait", [&eng](Exchange& ex) {
    std::string cond = ex.query("condition", "not-running");
    if (cond != "not-running" && cond != "next-exit" && cond != "removed") {
      return ex.error(400, "invalid condition: \"" + cond + "\"");
    }
    if (auto c = eng.get(ex.params()[0]); !c) return ex.error(c.error());
    // Headers now, the body when the condition is met (the docker CLI waits on it while the
    // container starts and runs).
    if (!ex.begin_stream(200, "application/json")) return;
    auto code = eng.wait(ex.params()[0], cond);
    (void)ex.write(dump_json(Json{{"StatusCode", code ? *code : 0}, {"Error", Json()}}) + "\n");
    ex.end_stream();
  });

  r.add("DELETE", "/containers/([^/]+)", [&eng](Exchange& ex) {
    auto d = eng.remove(ex.params()[0], flag(ex, "force"), flag(ex, "v"));
    if (!d) return ex.error(d.error());
    ex.reply(204, "");
  });

  r.add("GET", "/containers/([^/]+)/json", [&eng](Exchange& ex) {
    auto c = eng.get(ex.params()[0]);
    if (!c) return ex.error(c.error());
    ex.reply_json(200, engine::inspect_json(*c));
  });

  r.add("GET", "/containers/json", [&eng](Exchange& ex) {
    auto filters = parse_json(ex.query("filters", "{}"), "filters");
    if (!filters || !filters->is_object()) return ex.error(400, "invalid filters");
    auto values = [&](const std::string& key) {
      std::vector<std::string> out;
      if (auto it = filters->find(key); it != filters->end()) {
        if (it->is_object()) {
          for (auto& [k, v] : it->items()) out.push_back(k);
        } else if (it->is_array()) {
          for (auto& v : *it) out.push_back(v.get<std::string>());
        }
      }
      return out;
    };
    bool all = flag(ex, "all");
    Json out = Json::array();
    for (auto& c : eng.list()) {
      Json s = engine::summary_json(c);
      std::string state = s["State"];
      auto st = values("status");
      if (!all && st.empty() && state != "running" && state != "paused") continue;
      if (!st.empty() && std::find(st.begin(), st.end(), state) == st.end()) continue;
      bool ok = true;
      for (auto& n : values("name")) ok = ok && c.name.find(n.starts_with("/") ? n.substr(1) : n) != std::string::npos;
      for (auto& i : values("id")) ok = ok && c.id.rfind(i, 0) == 0;
      for (auto& a : values("ancestor")) ok = ok && (c.image == a || c.image_id == a || c.image_id.find(a) == 7);
      for (auto& e : values("exited")) ok = ok && state == "exited" && std::to_string(c.state.exit_code) == e;
      for (auto& l : values("label")) {
        auto eq = l.find('=');
        Json labels = c.config.value("Labels", Json::object());
        std::string k = l.substr(0, eq);
        ok = ok && labels.is_object() && labels.contains(k) &&
             (eq == std::string::npos || labels[k] == l.substr(eq + 1));
      }
      if (ok) out.push_back(s);
    }
    if (auto n = str::parse_int(ex.query("limit", "-1")); n && *n > 0 && out.size() > size_t(*n)) {
      out.erase(out.begin() + *n, out.end());
    }
    ex.reply_json(200, out);
  });

  r.add("GET", "/containers/([^/]+)/logs", [&eng](Exchange& ex) {
    auto c = eng.get(ex.params()[0]);
    if (!c) return ex.error(c.error());
    engine::LogOptions o;
    o.follow = flag(ex, "follow");
    o.stdout = flag(ex, "stdout");
    o.stderr = flag(ex, "stderr");
    if (!o.stdout && !o.stderr) {
      return ex.error(400, "you must choose at least one stream");
    }
    o.since = time_param(ex.query("since"));
    o.until = time_param(ex.query("until"));
    std::string tail = ex.query("tail", "all");
    o.tail = tail == "all" ? -1 : str::parse_int(tail).value_or(-1);
    bool timestamps = flag(ex, "timestamps");
    bool tty = c->config.value("Tty", false);
    if (!ex.begin_stream(200, tty ? "application/vnd.docker.raw-stream"
                                  : "application/vnd.docker.multiplexed-stream")) {
      return;
    }
    (void)eng.logs(ex.params()[0], o, [&](const engine::LogEntry& e) -> Result<void> {
      std::string text = timestamps ? e.time + " " + e.text : e.text;
      return ex.write(tty ? text : frame(e.stream, text));
    });
    ex.end_stream();
  });

  r.add("POST", "/containers/([^/]+)/attach", [&eng](Exchange& ex) {
    auto c = eng.get(ex.params()[0]);
    if (!c) return ex.error(c.error());
    bool tty = c->config.value("Tty", false);
    engine::LogOptions o;
    o.follow = flag(ex, "stream");
    o.stdout = flag(ex, "stdout");
    o.stderr = flag(ex, "stderr");
    o.from_now = true;
    bool want_stdin = flag(ex, "stdin") && (c->config.value("OpenStdin", false) || tty);
    auto fd = ex.hijack(tty ? "application/vnd.docker.raw-stream"
                            : "application/vnd.docker.multiplexed-stream");
    if (!fd) return;
    UniqueFd sock(*fd);
    // stdin: what the client sends goes to the shim once the container runs (docker attaches
    // before it starts); the client's half-close ends it.
    std::thread input;
    if (want_stdin) {
      input = std::thread([&eng, id = c->id, client = sock.get()] {
        std::unique_ptr<UniqueFd> to;
        auto connect = [&] {
          for (int i = 0; i < 300 && !to; ++i) {
            if (auto s = eng.attach_stdin(id)) {
              to = std::make_unique<UniqueFd>(std::move(*s));
            } else {
              ::usleep(10000);
            }
          }
        };
        char buf[32 * 1024];
        for (;;) {
          ssize_t n = ::read(client, buf, sizeof buf);
          if (n <= 0) {
            // The client's end of input: connect (if it sent nothing) and close, so that the
            // shim ends the container's stdin (StdinOnce) even for empty input.
            if (n == 0) connect();
            break;
          }
          connect();
          if (!to || !send_all(to->get(), std::string(buf, static_cast<size_t>(n)))) break;
        }
      });
    }
    (void)eng.logs(c->id, o, [&](const engine::LogEntry& e) {
      return send_all(sock.get(), tty ? e.text : frame(e.stream, e.text));
    });
    ::shutdown(sock.get(), SHUT_RDWR);
    if (input.joinable()) input.join();
  });

  r.add("POST", "/containers/([^/]+)/resize", [&eng](Exchange& ex) {
    int h = static_cast<int>(str::parse_int(ex.query("h", "24")).value_or(24));
    int w = static_cast<int>(str::parse_int(ex.query("w", "80")).value_or(80));
    auto c = eng.get(ex.params()[0]);
    if (!c) return ex.error(c.error());
    (void)eng.resize(ex.params()[0], h, w);  // before start or without a tty: nothing to do
    ex.reply(200, "");
  });

  r.add("POST", "/containers/([^/]+)/exec", [&eng](Exchange& ex) {
    auto body = ex.body();
    if (!body) return ex.error(body.error());
    auto j = parse_json(*body, "exec config");
    if (!j || !j->is_object()) return ex.error(400, j ? "exec config must be an object" : j.error().message);
    engine::ExecConfig cfg;
    for (auto& v : j->value("Cmd", Json::array())) {
      if (v.is_string()) cfg.cmd.push_back(v.get<std::string>());
    }
    for (auto& v : j->value("Env", Json::array())) {
      if (v.is_string()) cfg.env.push_back(v.get<std::string>());
    }
    cfg.user = j->value("User", "");
    cfg.working_dir = j->value("WorkingDir", "");
    cfg.tty = j->value("Tty", false);
    cfg.attach_stdin = j->value("AttachStdin", false);
    if (auto cs = j->find("ConsoleSize"); cs != j->end() && cs->is_array() && cs->size() == 2 &&
                                          (*cs)[0].is_number_unsigned() && (*cs)[1].is_number_unsigned()) {
      cfg.console_rows = (*cs)[0].get<uint32_t>();
      cfg.console_cols = (*cs)[1].get<uint32_t>();
    }
    auto id = eng.exec_create(ex.params()[0], cfg);
    if (!id) return ex.error(id.error());
    ex.reply_json(201, {{"Id", *id}});
  });

  r.add("POST", "/exec/([^/]+)/start", [&eng](Exchange& ex) {
    auto body = ex.body();
    if (!body) return ex.error(body.error());
    Json j = parse_json(body->empty() ? "{}" : *body, "exec start").value_or(Json::object());
    std::string id = ex.params()[0];
    auto st = eng.exec_inspect(id);
    if (!st) return ex.error(st.error());
    if (st->running || st->pid != 0) return ex.error(409, "exec " + id + " has already been started");
    if (j.is_object() && j.value("Detach", false)) {
      std::thread([&eng, id] {
        (void)eng.exec_start(id, [](const std::string&, std::string_view) -> Result<void> { return {}; });
      }).detach();
      return ex.reply(200, "");
    }
    // With a TTY the stream is raw (the terminal merges stdout and stderr); else framed.
    bool tty = st->config.tty;
    auto fd = ex.hijack(tty ? "application/vnd.docker.raw-stream" : "application/vnd.docker.multiplexed-stream");
    if (!fd) return;
    UniqueFd sock(*fd);
    (void)eng.exec_start(
        id,
        [&](const std::string& stream, std::string_view data) {
          return send_all(sock.get(), tty ? std::string(data) : frame(stream, std::string(data)));
        },
        st->config.attach_stdin ? sock.get() : -1);
    ::shutdown(sock.get(), SHUT_RDWR);
  });

  r.add("POST", "/exec/([^/]+)/resize", [&eng](Exchange& ex) {
    auto h = str::parse_int(ex.query("h", "0")), w = str::parse_int(ex.query("w", "0"));
    if (!h || !w) return ex.error(400, "invalid resize height/width");
    auto st = eng.exec_inspect(ex.params()[0]);
    if (!st) return ex.error(st.error());
    // The CLI resizes right after start, maybe before the terminal exists: not an error.
    (void)eng.exec_resize(ex.params()[0], static_cast<int>(*h), static_cast<int>(*w));
    ex.reply(200, "");
  });

  r.add("GET", "/exec/([^/]+)/json", [&eng](Exchange& ex) {
    auto st = eng.exec_inspect(ex.params()[0]);
    if (!st) return ex.error(st.error());
    std::vector<std::string> args(st->config.cmd.begin() + (st->config.cmd.empty() ? 0 : 1),
                                  st->config.cmd.end());
    ex.reply_json(200, {{"ID", st->id},
                        {"Running", st->running},
                        {"ExitCode", st->running ? Json() : Json(st->exit_code)},
                        {"ProcessConfig",
                         {{"tty", st->config.tty},
                          {"entrypoint", st->config.cmd.empty() ? "" : st->config.cmd[0]},
                          {"arguments", args},
                          {"privileged", false},
                          {"user", st->config.user}}},
                        {"OpenStdin", st->config.attach_stdin},
                        {"OpenStderr", true},
                        {"OpenStdout", true},
                        {"CanRemove", false},
                        {"ContainerID", st->container_id},
                        {"DetachKeys", ""},
                        {"Pid", st->pid}});
  });

  r.add("POST", "/containers/([^/]+)/pause", [&eng](Exchange& ex) {
    auto p = eng.pause(ex.params()[0]);
    if (!p) return ex.error(p.error());
    ex.reply(204, "");
  });

  r.add("POST", "/containers/([^/]+)/unpause", [&eng](Exchange& ex) {
    auto p = eng.unpause(ex.params()[0]);
    if (!p) return ex.error(p.error());
    ex.reply(204, "");
  });

  r.add("POST", "/containers/([^/]+)/rename", [&eng](Exchange& ex) {
    auto p = eng.rename(ex.params()[0], ex.query("name"));
    if (!p) return ex.error(p.error());
    ex.reply(204, "");
  });

  r.add("GET", "/containers/([^/]+)/top", [&eng](Exchange& ex) {
    auto t = eng.top(ex.params()[0]);
    if (!t) return ex.error(t.error());
    ex.reply_json(200, {{"Titles", t->first}, {"Processes", t->second}});
  });

  // docker stats: a sample per second while streaming; without stream one sample whose
  // precpu_stats is a sample taken just before (so the CLI shows CPU %), as moby's.
  r.add("GET", "/containers/([^/]+)/stats", [&eng](Exchange& ex) {
    bool stream = flag(ex, "stream", true);
    bool one_shot = flag(ex, "one-shot");
    auto first = eng.stats(ex.params()[0]);
    if (!first) return ex.error(first.error());
    Json prev = *first;
    if (!stream) {
      if (!one_shot) {
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        auto next = eng.stats(ex.params()[0]);
        if (!next) return ex.error(next.error());
        (*next)["precpu_stats"] = prev["cpu_stats"];
        (*next)["preread"] = prev["read"];
        return ex.reply_json(200, *next);
      }
      return ex.reply_json(200, prev);
    }
    if (!ex.begin_stream(200, "application/json")) return;
    Json sample = prev;
    sample["precpu_stats"] = Json::object();
    while (ex.write(dump_json(sample) + "\n")) {
      std::this_thread::sleep_for(std::chrono::seconds(1));
      auto next = eng.stats(ex.params()[0]);
      if (!next) break;  // removed
      (*next)["precpu_stats"] = prev["cpu_stats"];
      (*next)["preread"] = prev["read"];
      prev = *next;
      sample = *next;
    }
    ex.end_stream();
  });

  r.add("POST", "/containers/([^/]+)/update", [&eng](Exchange& ex) {
    auto body = ex.body();
    if (!body) return ex.error(body.error());
    auto j = parse_json(body->empty() ? "{}" : *body, "update config");
    if (!j) return ex.error(400, j.error().message);
    auto w = eng.update(ex.params()[0], *j);
    if (!w) return ex.error(w.error());
    ex.reply_json(200, {{"Warnings", *w}});
  });

  r.add("POST", "/containers/prune", [&eng](Exchange& ex) {
    Json deleted = Json::array();
    for (auto& c : eng.list()) {
      if (c.state.status == "running" || c.state.status == "paused") continue;
      if (eng.remove(c.id, false)) deleted.push_back(c.id);
    }
    ex.reply_json(200, {{"ContainersDeleted", deleted}, {"SpaceReclaimed", 0}});
  });
}

}  // namespace berth::api
