#include "engine/engine.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <random>
#include <regex>
#include <thread>

#include "common/fs.h"
#include "common/process.h"
#include "common/strings.h"
#include "common/time.h"
#include "common/unique_fd.h"
#include "engine/engine_impl.h"
#include "engine/spec_builder.h"
#include "runtime/container.h"

namespace berth::engine {

namespace {

constexpr std::string_view kSchema = R"sql(
CREATE TABLE IF NOT EXISTS containers(
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  data TEXT NOT NULL);
)sql";


// docker's namesgenerator, in short.
std::string random_name() {
  static const char* kLeft[] = {"admiring", "brave",   "clever",  "dazzling", "eager",
                                "focused",  "gallant", "happy",   "jolly",    "keen",
                                "lucid",    "modest",  "nifty",   "quirky",   "serene",
                                "tender",   "upbeat",  "vibrant", "wizardly", "zealous"};
  static const char* kRight[] = {"babbage", "curie",   "dijkstra", "euler",  "feynman",
                                 "gauss",   "hopper",  "knuth",    "lamport", "lovelace",
                                 "noether", "pascal",  "ritchie",  "shannon", "thompson",
                                 "turing",  "wozniak", "yonath",   "hamilton", "kepler"};
  std::random_device rd;
  return std::string(kLeft[rd() % 20]) + "_" + kRight[rd() % 20];
}

Json state_json(const State& s) {
  return {{"status", s.status},       {"pid", s.pid},
          {"shim_pid", s.shim_pid},   {"exit_code", s.exit_code},
          {"oom_killed", s.oom_killed}, {"error", s.error},
          {"started_at", s.started_at}, {"finished_at", s.finished_at},
          {"restart_count", s.restart_count}, {"manually_stopped", s.manually_stopped},
          {"health", s.health}};
}

State state_from(const Json& j) {
  State s;
  s.status = j.value("status", "created");
  s.pid = j.value("pid", 0);
  s.shim_pid = j.value("shim_pid", 0);
  s.exit_code = j.value("exit_code", 0);
  s.oom_killed = j.value("oom_killed", false);
  s.error = j.value("error", "");
  s.started_at = j.value("started_at", s.started_at);
  s.finished_at = j.value("finished_at", s.finished_at);
  s.restart_count = j.value("restart_count", 0);
  s.manually_stopped = j.value("manually_stopped", false);
  s.health = j.value("health", Json());
  return s;
}

int pidfd_open(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }

// Whether `pid` is a berth-shim for container `id` (and not a recycled pid).
bool is_our_shim(pid_t pid, const std::string& id) {
  if (pid <= 0) return false;
  auto cmd = fs::read_file("/proc/" + std::to_string(pid) + "/cmdline");
  return cmd && cmd->find("berth-shim") != std::string::npos &&
         cmd->find(id) != std::string::npos;
}


}  // namespace

void Engine::Impl::detach_pending() {
  for (;;) {
    std::string id;
    {
      std::lock_guard<std::mutex> l(mu);
      if (pending_detach.empty()) return;
      id = pending_detach.back();
      pending_detach.pop_back();
      detaching.insert(id);
    }
    teardown(id);
    std::lock_guard<std::mutex> l(mu);
    detaching.erase(id);
    changed();
  }
}

void Engine::Impl::finish_detach(const std::string& id) {
  bool mine = false;
  {
    std::unique_lock<std::mutex> l(mu);
    if (auto it = std::find(pending_detach.begin(), pending_detach.end(), id); it != pending_detach.end()) {
      pending_detach.erase(it);
      mine = true;
    }
    cv.wait(l, [&] { return !detaching.count(id); });
  }
  if (mine) teardown(id);
}

void Engine::Impl::teardown(const std::string& id) {
  detach_networks(id);
  // An overlay unmount syncs its upper file system: milliseconds, not to be spent under mu.
  unmount_rootfs(dir_of(id));
}

Result<void> Engine::Impl::save(const Container& c) {
  Json data = {{"name", c.name},     {"image", c.image},   {"image_id", c.image_id},
               {"network", c.network},  {"networking", c.networking},
               {"mounts", c.mounts},
               {"config", c.config}, {"host_config", c.host_config},
               {"created", c.created}, {"state", state_json(c.state)}};
  BERTH_ASSIGN_OR_RETURN(
      auto st, db.prepare("INSERT INTO containers(id, name, data) VALUES(?,?,?) "
                          "ON CONFLICT(id) DO UPDATE SET name=excluded.name, data=excluded.data"));
  st.bind(1, c.id).bind(2, c.name).bind(3, dump_json(data));
  return st.run();
}

Result<void> Engine::Impl::load_all() {
  BERTH_ASSIGN_OR_RETURN(auto st, db.prepare("SELECT id, name, data FROM containers"));
  for (;;) {
    BERTH_ASSIGN_OR_RETURN(bool row, st.step());
    if (!row) break;
    auto data = parse_json(st.text(2), "container record");
    if (!data) continue;
    Container c;
    c.id = st.text(0);
    c.name = st.text(1);
    c.image = data->value("image", "");
    c.image_id = data->value("image_id", "");
    c.config = data->value("config", Json::object());
    c.host_config = data->value("host_config", Json::object());
    c.created = data->value("created", "");
    c.network = data->value("network", Json());
    c.networking = data->value("networking", Json::object());
    c.mounts = data->value("mounts", Json::array());
    c.state = state_from(data->value("state", Json::object()));
    c.dir = dir_of(c.id);
    c.log_path = c.dir + "/" + c.id + "-json.log";
    containers[c.id] = std::move(c);
  }
  return {};
}

Result<Container*> Engine::Impl::find(const std::string& ref) {
  std::string r = ref.starts_with("/") ? ref.substr(1) : ref;
  if (auto it = containers.find(r); it != containers.end()) return &it->second;
  for (auto& [id, c] : containers) {
    if (c.name == r) return &c;
  }
  Container* match = nullptr;
  if (!r.empty()) {
    for (auto& [id, c] : containers) {
      if (id.rfind(r, 0) == 0) {
        if (match) {
          return make_error(Errc::kInvalidArgument,
                            "multiple IDs found with provided prefix: " + r);
        }
        match = &c;
      }
    }
  }
  if (!match) return make_error(Errc::kNotFound, "No such container: " + ref);
  return match;
}

void Engine::Impl::emit(const Container& c, const std::string& action,
                        std::map<std::string, std::string> extra) {
  Event e{"container", action, c.id, std::move(extra), 0};
  e.attributes["name"] = c.name;
  e.attributes["image"] = c.image;
  if (auto l = c.config.find("Labels"); l != c.config.end() && l->is_object()) {
    for (auto& [k, v] : l->items()) {
      if (v.is_string()) e.attributes.emplace(k, v.get<std::string>());
    }
  }
  events.emit(std::move(e));
}

Events& Engine::events() { return impl_->events; }

void Engine::emit(const std::string& type, const std::string& action, const std::string& id,
                  std::map<std::string, std::string> attributes) {
  impl_->events.emit(Event{type, action, id, std::move(attributes), 0});
}

void Engine::Impl::changed() {
  cv.notify_all();
  uint64_t one = 1;
  for (int fd : wake_fds) (void)!::write(fd, &one, sizeof one);
}

Result<void> Engine::Impl::mount_rootfs(const Container& c) {
  std::string target = rootfs(c);
  BERTH_TRY(fs::mkdir_all(target, 0755));
  auto img = images->get(c.image_id);
  if (!img) return tl::unexpected(img.error());
  auto m = images->snapshots().mounts(c.id);
  if (!m) {
    auto chain = image::ImageService::chain(*img);
    // The mount points every container needs (the runtime's defaults and the name files),
    // and docker's /.dockerenv, in a lower layer shared by the image's containers: nothing to
    // create in this one's writable layer at start.
    static const std::vector<std::string> kInitEntries = {
        ".dockerenv", "proc/", "sys/", "dev/", "etc/hostname", "etc/hosts", "etc/resolv.conf"};
    if (auto init = images->snapshots().init_layer(chain, kInitEntries)) chain.push_back(*init);
    m = images->snapshots().prepare(c.id, chain);
    if (!m) return tl::unexpected(m.error());
  }
  std::string data = str::join(m->options, ",");
  // --rm: the writable layer goes with the container, so nothing in it needs to reach the
  // disk and the unmount need not sync (overlayfs "volatile", Linux 5.10; podman does the
  // same for --rm). Without it, or on an older kernel, the usual mount.
  if (c.host_config.value("AutoRemove", false) &&
      ::mount("overlay", target.c_str(), "overlay", 0, (data + ",volatile").c_str()) == 0) {
    return {};
  }
  if (::mount("overlay", target.c_str(), "overlay", 0, data.c_str()) < 0) {
    return sys_error(errno, "mount the root file system of " + c.id.substr(0, 12));
  }
  return {};
}

void Engine::Impl::unmount_rootfs(const std::string& dir) {
  std::string target = dir + "/rootfs";
  while (::umount2(target.c_str(), MNT_DETACH) == 0) {
  }
}

void Engine::Impl::finish(Container& c) {
  auto text = fs::read_file(c.dir + "/exit.json");
  Json j = text ? parse_json(*text, "exit.json").value_or(Json::object()) : Json::object();
  c.state.status = "exited";
  c.state.exit_code = j.value("ExitCode", 255);
  c.state.oom_killed = j.value("OOMKilled", false);
  c.state.finished_at = j.value("FinishedAt", rfc3339_now());
  c.state.pid = 0;
  c.state.shim_pid = 0;
  pending_detach.push_back(c.id);  // rootfs and networks come down outside the lock
  c.network = Json();
  {
    // Its host ports are free from now on, as docker's are once it has stopped (a recreate
    // starts the successor at once); the portmap rules go with the detach.
    std::lock_guard<std::mutex> lp(ports_mu);
    port_reservations.erase(c.id);
  }
  (void)save(c);
  emit(c, "die", {{"exitCode", std::to_string(c.state.exit_code)}});
  changed();
}

void Engine::Impl::monitor(const std::string& id, pid_t shim_pid) {
  UniqueFd pfd(pidfd_open(shim_pid));
  if (pfd) {
    pollfd p{pfd.get(), POLLIN, 0};
    while (::poll(&p, 1, -1) < 0 && errno == EINTR) {
    }
    // Reaped here when the daemon is the shim's subreaper (see daemon.cc); else its init's.
    siginfo_t info{};
    ::waitid(static_cast<idtype_t>(3) /* P_PIDFD */, static_cast<id_t>(pfd.get()), &info,
             WEXITED | WNOHANG);
  }
  bool auto_remove = false;
  int delay_ms = -1;
  {
    std::lock_guard<std::mutex> l(mu);
    auto it = containers.find(id);
    if (it == containers.end() || it->second.state.status != "running") return;
    finish(it->second);
    auto_remove = it->second.host_config.value("AutoRemove", false);
    delay_ms = restart_delay(it->second);
    if (delay_ms >= 0) {
      it->second.state.status = "restarting";
      ++it->second.state.restart_count;
      (void)save(it->second);
      changed();
    }
  }
  if (!auto_remove) detach_pending();  // --rm: after the removal, below
  if (delay_ms >= 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    {
      std::lock_guard<std::mutex> l(mu);
      auto it = containers.find(id);
      // Stopped or removed while waiting: the policy stands down.
      if (it == containers.end() || it->second.state.status != "restarting") return;
      it->second.state.status = "exited";
    }
    if (self) (void)self->start(id, /*by_policy=*/true);
    return;
  }
  if (auto_remove) {
    // Attached clients get the last of the output before the log goes with the container.
    std::unique_lock<std::mutex> l(mu);
    cv.wait_for(l, std::chrono::seconds(5), [&] { return followers[id] == 0; });
    l.unlock();
    (void)remove(id, true, /*volumes=*/true);  // --rm takes anonymous volumes along
    detach_pending();
  }
}

int Engine::Impl::restart_delay(const Container& c) {
  Json p = c.host_config.value("RestartPolicy", Json::object());
  std::string name = p.is_object() ? p.value("Name", "") : "";
  if (c.state.manually_stopped || name.empty() || name == "no") return -1;
  if (name == "on-failure") {
    int max = p.value("MaximumRetryCount", 0);
    if (c.state.exit_code == 0 || (max > 0 && c.state.restart_count >= max)) return -1;
  } else if (name != "always" && name != "unless-stopped") {
    return -1;
  }
  int n = std::min(c.state.restart_count, 10);
  return std::min(100 << n, 60000);
}

Engine::Engine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Engine::~Engine() = default;

Result<std::unique_ptr<Engine>> Engine::open(EngineOptions opts, image::ImageService* images) {
  opts.data_root = fs::absolute(opts.data_root);
  BERTH_TRY(fs::mkdir_all(opts.data_root + "/containers", 0710));
  BERTH_ASSIGN_OR_RETURN(sql::Db db, sql::Db::open(opts.data_root + "/berth.db"));
  BERTH_TRY(db.exec(kSchema));
  auto impl = std::make_unique<Impl>(std::move(opts), images, std::move(db));
  BERTH_ASSIGN_OR_RETURN(impl->vols, Volumes::open(impl->opts.data_root + "/berth.db",
                                                   impl->opts.data_root + "/volumes"));
  BERTH_ASSIGN_OR_RETURN(impl->nets, Networks::open(impl->opts.data_root + "/berth.db",
                                                   impl->opts.data_root + "/network"));
  impl->dns = std::make_unique<DnsServer>([s = impl.get()](const std::string& asker,
                                                           const std::string& name) {
    return s->dns_lookup(asker, name);
  });
  BERTH_TRY(impl->load_all());
  std::unique_ptr<Engine> e(new Engine(std::move(impl)));
  e->impl_->self = e.get();
  // Live restore: shims that kept running are followed again; the others ended meanwhile.
  Impl& s = *e->impl_;
  std::vector<std::string> restart, restored;
  {
    std::lock_guard<std::mutex> l(s.mu);
    for (auto& [id, c] : s.containers) {
      if (c.state.status == "restarting") {
        c.state.status = "exited";
        restart.push_back(id);
        continue;
      }
      if (c.state.status != "running" && c.state.status != "paused") continue;
      if (is_our_shim(c.state.shim_pid, id)) {
        (void)s.serve_dns(c);  // the DNS server's sockets went with the old daemon
        std::thread([&s, id = id, pid = c.state.shim_pid] { s.monitor(id, pid); }).detach();
        restored.push_back(id);
      } else {
        s.finish(c);
        if (Impl::restart_delay(c) >= 0) restart.push_back(id);
      }
    }
  }
  s.detach_pending();
  // Sandboxes of containers that no longer run: a daemon that ended between a container's
  // exit (or removal) and its teardown left them.
  for (auto& id : s.nets->sandboxes()) {
    if (std::find(restored.begin(), restored.end(), id) == restored.end()) s.teardown(id);
  }
  for (auto& id : restored) e->start_health_checks(id);
  // Containers whose policy wants them running again after ending while we were away.
  for (auto& id : restart) {
    std::thread([eng = e.get(), id] { (void)eng->start(id, /*by_policy=*/true); }).detach();
  }
  return e;
}

Result<Container> Engine::create(const Json& body, const std::string& name_in) {
  auto& s = *impl_;
  if (!body.is_object()) return make_error(Errc::kInvalidArgument, "config must be an object");
  std::string image_ref = body.value("Image", "");
  if (image_ref.empty()) return make_error(Errc::kInvalidArgument, "No image was specified");
  BERTH_ASSIGN_OR_RETURN(image::Image img, s.images->get(image_ref));
  std::string name = name_in.starts_with("/") ? name_in.substr(1) : name_in;
  static const std::regex kName("^[a-zA-Z0-9][a-zA-Z0-9_.-]+$");
  if (!name.empty() && !std::regex_match(name, kName)) {
    return make_error(Errc::kInvalidArgument, "Invalid container name (" + name +
                                                  "), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
  }
  Json hc = body.value("HostConfig", Json::object());
  if (!hc.is_object()) hc = Json::object();
  if (!hc.contains("LogConfig") || !hc["LogConfig"].is_object() ||
      hc["LogConfig"].value("Type", "").empty()) {
    hc["LogConfig"] = {{"Type", "json-file"}, {"Config", Json::object()}};
  }
  if (std::string t = hc["LogConfig"].value("Type", ""); t != "json-file") {
    return make_error(Errc::kInvalidArgument, "logging driver \"" + t + "\" is not supported");
  }
  BERTH_ASSIGN_OR_RETURN(Json networking, s.networking_for_create(hc, body));
  // The container's Config: the image's, overridden by what the user gave (moby
  // daemon/create.go merge): Entrypoint given without Cmd drops the image's Cmd.
  Json image_cfg = img.config.doc.value("config", Json::object());
  if (!image_cfg.is_object()) image_cfg = Json::object();
  Json cfg = body;
  cfg.erase("HostConfig");
  cfg.erase("NetworkingConfig");
  bool has_entry = cfg.contains("Entrypoint") && !cfg["Entrypoint"].is_null() &&
                   !string_array(cfg["Entrypoint"]).empty();
  bool has_cmd = cfg.contains("Cmd") && !cfg["Cmd"].is_null() && !string_array(cfg["Cmd"]).empty();
  if (!has_entry) cfg["Entrypoint"] = image_cfg.value("Entrypoint", Json());
  if (!has_cmd && !has_entry) cfg["Cmd"] = image_cfg.value("Cmd", Json());
  if (string_array(cfg["Entrypoint"]).empty() && string_array(cfg["Cmd"]).empty()) {
    return make_error(Errc::kInvalidArgument, "no command specified");
  }
  std::vector<std::string> env = string_array(image_cfg.value("Env", Json()));
  for (auto& e : string_array(cfg.value("Env", Json()))) {
    std::string key = e.substr(0, e.find('='));
    env.erase(std::remove_if(env.begin(), env.end(),
                             [&](auto& x) { return x.substr(0, x.find('=')) == key; }),
              env.end());
    env.push_back(e);
  }
  cfg["Env"] = env;
  for (const char* k : {"WorkingDir", "User", "StopSignal"}) {
    if (cfg.value(k, "").empty() && image_cfg.contains(k)) cfg[k] = image_cfg[k];
  }
  Json labels = image_cfg.value("Labels", Json::object());
  if (!labels.is_object()) labels = Json::object();
  if (auto l = cfg.find("Labels"); l != cfg.end() && l->is_object()) labels.update(*l);
  cfg["Labels"] = labels;
  Json exposed = image_cfg.value("ExposedPorts", Json::object());
  if (!exposed.is_object()) exposed = Json::object();
  if (auto p = cfg.find("ExposedPorts"); p != cfg.end() && p->is_object()) exposed.update(*p);
  if (!exposed.empty()) cfg["ExposedPorts"] = exposed;
  if (!cfg.contains("Healthcheck") || cfg["Healthcheck"].is_null()) {
    if (image_cfg.contains("Healthcheck")) cfg["Healthcheck"] = image_cfg["Healthcheck"];
  }
  Json volumes = image_cfg.value("Volumes", Json::object());
  if (!volumes.is_object()) volumes = Json::object();
  if (auto v = cfg.find("Volumes"); v != cfg.end() && v->is_object()) volumes.update(*v);
  if (!volumes.empty()) cfg["Volumes"] = volumes;
  cfg["Image"] = image_ref;
  {
    // Options docker's create refuses are refused here too, before any volume or record exists.
    Container probe;
    probe.host_config = hc;
    probe.config = cfg;
    BERTH_TRY(validate_host_config(probe));
  }
  BERTH_ASSIGN_OR_RETURN(Json mounts, resolve_mounts(*s.vols, cfg, hc));

  std::lock_guard<std::mutex> l(s.mu);
  if (name.empty()) {
    do {
      name = random_name();
    } while (s.find(name).has_value());
  } else {
    for (auto& [id, c] : s.containers) {
      if (c.name == name) {
        return make_error(Errc::kConflict, "Conflict. The container name \"/" + name +
                                               "\" is already in use by container \"" + id +
                                               "\". You have to remove (or rename) that "
                                               "container to be able to reuse that name.");
      }
    }
  }
  Container c;
  c.id = str::random_hex(32);
  c.name = name;
  c.image = image_ref;
  c.image_id = img.id;
  c.config = cfg;
  c.host_config = hc;
  c.mounts = mounts;
  c.networking = networking;
  c.created = rfc3339_now();
  c.dir = s.dir_of(c.id);
  c.log_path = c.dir + "/" + c.id + "-json.log";
  BERTH_TRY(fs::mkdir_all(c.dir, 0710));
  auto saved = s.save(c);
  if (!saved) {
    (void)fs::remove_all(c.dir);
    return tl::unexpected(saved.error());
  }
  s.containers[c.id] = c;
  s.emit(c, "create");
  s.changed();
  return c;
}

Result<void> Engine::start(const std::string& ref, bool by_policy) {
  auto& s = *impl_;
  Container c;
  {
    std::lock_guard<std::mutex> l(s.mu);
    BERTH_ASSIGN_OR_RETURN(Container * p, s.find(ref));
    if (!by_policy) {  // a start by the user resets the policy's count and stand-down
      p->state.restart_count = 0;
      p->state.manually_stopped = false;
    }
    if (p->state.status == "running" || p->state.status == "paused") {
      return make_error(Errc::kAlreadyExists, "container " + p->id + " is already running");
    }
    if (p->state.status == "removing") {
      return make_error(Errc::kConflict, "container " + p->id + " is being removed");
    }
    p->state.status = "starting";  // keeps concurrent starts and removes out
    c = *p;
  }
  auto fail = [&](const Error& e) -> Result<void> {
    std::lock_guard<std::mutex> l(s.mu);
    s.unmount_rootfs(c.dir);
    s.detach_networks(c.id);
    if (auto p = s.find(c.id)) {
      (*p)->state.status = "created";
      (*p)->state.error = e.message;
      // docker: 127 for a missing program, 126 for one that cannot be run.
      (*p)->state.exit_code = e.message.find("not found") != std::string::npos ? 127 : 126;
      ++(*p)->state.start_failures;
      (void)s.save(**p);
      s.changed();
      // --rm: a container that could not start is removed too (as dockerd does).
      if ((*p)->host_config.value("AutoRemove", false)) {
        std::thread([&s, id = c.id] { (void)s.remove(id, true, true); }).detach();
      }
    }
    return tl::unexpected(e);
  };
  s.finish_detach(c.id);  // the last run's network may still be coming down
  if (auto m = s.mount_rootfs(c); !m) return fail(m.error());
  for (auto& m : c.mounts) populate_volume(*s.vols, m, s.rootfs(c));
  // The network namespace, wired by CNI before the container exists (docker's sandbox).
  if (auto att = s.attach_networks(c); !att) return fail(att.error());
  {
    // Known before the process runs: its first DNS question may come at once.
    std::lock_guard<std::mutex> l(s.mu);
    if (auto p = s.find(c.id)) (*p)->network = c.network;
  }
  auto spec = build_spec(c, s.rootfs(c));
  if (!spec) return fail(spec.error());
  // The working dir is made when missing, as docker does, resolved inside the rootfs.
  if (auto made = fs::mkdir_in_root(s.rootfs(c), (*spec)["process"]["cwd"]); !made) {
    return fail(made.error());
  }
  s.write_name_files(c, (*spec)["hostname"]);
  // The container's directory is its OCI bundle: config.json beside the rootfs mount point.
  if (auto w = fs::write_file(c.dir + "/config.json", dump_json(*spec), 0600); !w) {
    return fail(w.error());
  }
  ::unlink((c.dir + "/exit.json").c_str());

  // The shim, in a session of its own, with a pipe on which it reports "ok <pid>" or "error
  // <message>". It outlives the daemon; while we live we reap it (monitor).
  int rep[2];
  if (::pipe2(rep, O_CLOEXEC) < 0) return fail(sys_error(errno, "pipe").value());
  UniqueFd rep_r(rep[0]), rep_w(rep[1]);
  std::vector<std::string> argv = {s.opts.shim_path, "--id",        c.id,
                                   "--bundle",       c.dir,
                                   "--runtime-root", s.opts.runtime_root,
                                   "--state-dir",    c.dir,
                                   "--log",          c.log_path,
                                   "--report-fd",    "3"};
  if (c.config.value("Tty", false)) argv.push_back("--tty");
  if (c.config.value("OpenStdin", false)) argv.push_back("--stdin");
  if (c.config.value("StdinOnce", false)) argv.push_back("--stdin-once");
  auto log_opts = c.host_config.value("LogConfig", Json::object()).value("Config", Json::object());
  if (log_opts.is_object()) {
    if (auto ms = log_opts.find("max-size"); ms != log_opts.end() && ms->is_string()) {
      std::string v = *ms;
      int64_t mult = 1;
      char unit = v.empty() ? 0 : static_cast<char>(std::tolower(v.back()));
      if (unit == 'k') mult = 1000;
      if (unit == 'm') mult = 1000 * 1000;
      if (unit == 'g') mult = 1000 * 1000 * 1000;
      if (mult > 1) v.pop_back();
      argv.push_back("--log-max-size");
      argv.push_back(std::to_string(str::parse_int(v).value_or(0) * mult));
    }
    if (auto mf = log_opts.find("max-file"); mf != log_opts.end() && mf->is_string()) {
      argv.push_back("--log-max-file");
      argv.push_back(*mf);
    }
  }
  proc::SpawnOptions so;
  so.inherit_env = true;
  so.fds = {{rep_w.get(), 3}};
  so.new_session = true;  // nothing else of ours reaches it: API connections, logs
  auto shim_spawned = proc::spawn(argv, so);
  if (!shim_spawned) return fail(shim_spawned.error());
  rep_w.reset();
  std::string line;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(rep_r.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    line.append(buf, static_cast<size_t>(n));
  }
  while (!line.empty() && line.back() == '\n') line.pop_back();
  if (!line.starts_with("ok ")) {
    std::string msg = line.starts_with("error ") ? line.substr(6)
                                                 : "the shim exited without starting the container";
    Errc code = msg.find("not found") != std::string::npos ||
                        msg.find("no such file") != std::string::npos
                    ? Errc::kInvalidArgument
                    : Errc::kInternal;
    (void)proc::wait_exit(*shim_spawned);  // it ends after the report
    return fail(Error{code, "failed to create task for container: " + msg});
  }
  pid_t init = static_cast<pid_t>(std::atoi(line.c_str() + 3));
  pid_t shim = *shim_spawned;
  {
    std::lock_guard<std::mutex> l(s.mu);
    BERTH_ASSIGN_OR_RETURN(Container * p, s.find(c.id));
    p->state.status = "running";
    p->network = c.network;
    p->state.pid = init;
    p->state.shim_pid = shim;
    p->state.exit_code = 0;
    p->state.error.clear();
    p->state.oom_killed = false;
    p->state.started_at = rfc3339_now();
    s.emit(*p, "start");
    p->state.finished_at = "0001-01-01T00:00:00Z";
    (void)s.save(*p);
    s.changed();
  }
  std::thread([&s, id = c.id, shim] { s.monitor(id, shim); }).detach();
  start_health_checks(c.id);
  return {};
}

// docker pause/unpause: the runtime's freezer, and the state docker shows.
Result<void> Engine::Impl::set_paused(const std::string& ref, bool paused) {
  std::lock_guard<std::mutex> l(mu);
  BERTH_ASSIGN_OR_RETURN(Container * p, find(ref));
  const char* want = paused ? "running" : "paused";
  if (p->state.status != want) {
    return make_error(Errc::kConflict, "Container " + p->id + " is not " +
                                           (paused ? "running" : "paused"));
  }
  runtime::Runtime rt(opts.runtime_root, [](const std::string&) {});
  BERTH_TRY(paused ? rt.pause(p->id) : rt.resume(p->id));
  p->state.status = paused ? "paused" : "running";
  emit(*p, paused ? "pause" : "unpause");
  (void)save(*p);
  changed();
  return {};
}

Result<void> Engine::pause(const std::string& ref) { return impl_->set_paused(ref, true); }
Result<void> Engine::unpause(const std::string& ref) { return impl_->set_paused(ref, false); }

Result<void> Engine::rename(const std::string& ref, const std::string& name_in) {
  auto& s = *impl_;
  std::string name = name_in.starts_with("/") ? name_in.substr(1) : name_in;
  static const std::regex kName("^[a-zA-Z0-9][a-zA-Z0-9_.-]+$");
  if (!std::regex_match(name, kName)) {
    return make_error(Errc::kInvalidArgument, "Invalid container name (" + name +
                                                  "), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
  }
  std::lock_guard<std::mutex> l(s.mu);
  BERTH_ASSIGN_OR_RETURN(Container * p, s.find(ref));
  for (auto& [id, c] : s.containers) {
    if (c.name == name && id != p->id) {
      return make_error(Errc::kConflict, "Conflict. The container name \"/" + name +
                                             "\" is already in use by container \"" + id + "\".");
    }
  }
  std::string old = p->name;
  p->name = name;
  BERTH_TRY(s.save(*p));
  s.emit(*p, "rename", {{"oldName", "/" + old}});
  s.changed();
  return {};
}

Result<void> Engine::kill(const std::string& ref, int signal) {
  auto& s = *impl_;
  std::string id;
  {
    std::lock_guard<std::mutex> l(s.mu);
    BERTH_ASSIGN_OR_RETURN(Container * p, s.find(ref));
    if (p->state.status == "restarting") {  // killing a restarting container stops it
      p->state.status = "exited";
      p->state.manually_stopped = true;
      (void)s.save(*p);
      s.changed();
      return {};
    }
    if (p->state.status != "running" && p->state.status != "paused") {
      return make_error(Errc::kConflict, "Cannot kill container: " + ref + ": Container " +
                                             p->id + " is not running");
    }
    p->state.manually_stopped = true;
    id = p->id;
    s.emit(*p, "kill", {{"signal", std::to_string(signal)}});
  }
  runtime::Runtime rt(s.opts.runtime_root, [](const std::string&) {});
  auto r = rt.kill(id, signal, signal == SIGKILL);
  if (!r && r.error().code != Errc::kFailedPrecondition) return r;
  return {};
}

Result<void> Engine::stop(const std::string& ref, std::optional<int> timeout_s) {
  auto& s = *impl_;
  std::string id;
  bool restarting = false;
  int sig = SIGTERM;
  int timeout = 10;
  {
    std::lock_guard<std::mutex> l(s.mu);
    BERTH_ASSIGN_OR_RETURN(Container * p, s.find(ref));
    restarting = p->state.status == "restarting";
    if (!restarting && p->state.status != "running" && p->state.status != "paused") return {};
    p->state.manually_stopped = true;
    id = p->id;
    if (std::string ss = p->config.value("StopSignal", ""); !ss.empty()) {
      if (auto parsed = runtime::parse_signal(ss)) sig = *parsed;
    }
    if (auto st = p->config.find("StopTimeout"); st != p->config.end() && st->is_number()) {
      timeout = st->get<int>();
    }
  }
  if (restarting) return kill(id, SIGKILL);  // kill stands the restart policy down
  if (timeout_s) timeout = *timeout_s;
  auto exited = [&] {
    auto it = s.containers.find(id);
    return it == s.containers.end() ||
           (it->second.state.status != "running" && it->second.state.status != "paused");
  };
  if (timeout != 0) {
    (void)kill(id, sig);
    std::unique_lock<std::mutex> l(s.mu);
    if (s.cv.wait_for(l, std::chrono::seconds(timeout < 0 ? 3600 * 24 : timeout), exited)) {
      return {};
    }
  }
  (void)kill(id, SIGKILL);
  std::unique_lock<std::mutex> l(s.mu);
  s.cv.wait_for(l, std::chrono::seconds(30), exited);
  return {};
}

Result<void> Engine::Impl::remove(const std::string& ref, bool force, bool volumes) {
  Container c;
  {
    std::lock_guard<std::mutex> l(mu);
    BERTH_ASSIGN_OR_RETURN(Container * p, find(ref));
    if (p->state.status == "running" || p->state.status == "paused") {
      if (!force) {
        return make_error(Errc::kConflict,
                          "cannot remove container \"/" + p->name +
                              "\": container is running: stop the container before removing or "
                              "force remove");
      }
    }
    if (p->state.status == "removing") return {};
    c = *p;
  }
  if (c.state.status == "running" || c.state.status == "paused") {
    runtime::Runtime rt(opts.runtime_root, [](const std::string&) {});
    (void)rt.kill(c.id, SIGKILL, true);
    std::unique_lock<std::mutex> l(mu);
    cv.wait_for(l, std::chrono::seconds(30), [&] {
      auto it = containers.find(c.id);
      return it == containers.end() || it->second.state.status != "running";
    });
  }
  // Its network comes down before it is gone: the exit's teardown (maybe running on the monitor
  // thread now) is waited for, then anything a failed start left. Unless it is a --rm
  // container's and still queued: its monitor runs it after the removal, so that CNI DEL is
  // not on the path of `docker run --rm`.
  bool queued = false;
  if (c.host_config.value("AutoRemove", false)) {
    std::lock_guard<std::mutex> l(mu);
    queued = std::find(pending_detach.begin(), pending_detach.end(), c.id) != pending_detach.end();
  }
  if (!queued) {
    finish_detach(c.id);
    detach_networks(c.id);
  }
  std::lock_guard<std::mutex> l(mu);
  auto it = containers.find(c.id);
  if (it == containers.end()) return {};
  it->second.state.status = "removing";
  unmount_rootfs(c.dir);
  (void)images->snapshots().remove_active(c.id);
  (void)fs::remove_all(c.dir);
  if (auto st = db.prepare("DELETE FROM containers WHERE id=?")) {
    st->bind(1, c.id);
    (void)st->run();
  }
  if (removed_codes.size() > 1000) removed_codes.clear();
  removed_codes[c.id] = it->second.state.exit_code;
  followers.erase(c.id);
  std::erase_if(execs, [&](auto& kv) { return kv.second.container_id == c.id; });
  emit(it->second, "destroy");
  containers.erase(it);
  changed();
  // -v (and --rm): the container's anonymous volumes go with it; named ones stay (docker's).
  if (volumes) {
    for (auto& m : c.mounts.is_array() ? c.mounts : Json::array()) {
      if (m.value("Type", "") != "volume") continue;
      auto v = vols->get(m.value("Name", ""));
      bool used = std::any_of(containers.begin(), containers.end(), [&](auto& kv) {
        for (auto& o : kv.second.mounts.is_array() ? kv.second.mounts : Json::array()) {
          if (o.value("Name", "") == m.value("Name", "")) return true;
        }
        return false;
      });
      if (v && v->anonymous && !used) (void)vols->remove(v->name);
    }
  }
  return {};
}

Result<void> Engine::remove(const std::string& ref, bool force, bool volumes) {
  return impl_->remove(ref, force, volumes);
}

Volumes& Engine::volumes() { return *impl_->vols; }

std::vector<std::string> Engine::volume_users(const std::string& name) const {
  std::lock_guard<std::mutex> l(impl_->mu);
  std::vector<std::string> out;
  for (auto& [id, c] : impl_->containers) {
    for (auto& m : c.mounts.is_array() ? c.mounts : Json::array()) {
      if (m.value("Type", "") == "volume" && m.value("Name", "") == name) out.push_back(id);
    }
  }
  return out;
}

Result<Container> Engine::get(const std::string& ref) const {
  std::lock_guard<std::mutex> l(impl_->mu);
  BERTH_ASSIGN_OR_RETURN(Container * p, impl_->find(ref));
  return *p;
}

std::vector<Container> Engine::list() const {
  std::lock_guard<std::mutex> l(impl_->mu);
  std::vector<Container> out;
  for (auto& [id, c] : impl_->containers) out.push_back(c);
  std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.created > b.created; });
  return out;
}

bool Engine::image_in_use(const std::string& image_id) const {
  std::lock_guard<std::mutex> l(impl_->mu);
  for (auto& [id, c] : impl_->containers) {
    if (c.image_id == image_id) return true;
  }
  return false;
}

Result<int> Engine::wait(const std::string& ref, const std::string& condition) {
  auto& s = *impl_;
  std::unique_lock<std::mutex> l(s.mu);
  BERTH_ASSIGN_OR_RETURN(Container * p, s.find(ref));
  std::string id = p->id;
  std::string started = p->state.started_at;
  uint64_t failures = p->state.start_failures;
  bool was_running = p->state.status == "running";
  int code = p->state.exit_code;
  s.cv.wait(l, [&] {
    auto it = s.containers.find(id);
    if (it == s.containers.end()) {  // removed
      if (auto rc = s.removed_codes.find(id); rc != s.removed_codes.end()) code = rc->second;
      return true;
    }
    const State& st = it->second.state;
    code = st.exit_code;
    bool stopped = st.status == "exited" || st.status == "dead";
    if (st.start_failures != failures && condition != "removed") return true;  // never ran
    if (condition == "removed") return false;
    if (condition == "next-exit") {
      // An exit after this call: stopped now, and it had started (again) since.
      return stopped && (was_running || st.started_at != started);
    }
    return st.status != "running" && st.status != "paused" && st.status != "starting";
  });
  return code;
}

Result<int> parse_signal(const std::string& name) { return runtime::parse_signal(name); }

}  // namespace berth::engine
