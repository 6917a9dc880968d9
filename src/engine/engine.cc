#include "engine/engine.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <linux/openat2.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/syscall.h>
#include <spawn.h>
#include <unistd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <random>
#include <regex>
#include <thread>

#include "common/fs.h"
#include "common/sqlite.h"
#include "common/strings.h"
#include "common/time.h"
#include "common/unique_fd.h"
#include "engine/network.h"
#include "engine/spec_builder.h"
#include "runtime/container.h"
#include "shim/shim.h"

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

// mkdir -p of `path` inside `root`, every component resolved with RESOLVE_IN_ROOT so that a
// symlink in the image never leads outside it.
Result<void> mkdir_in_root(const std::string& root, const std::string& path) {
  UniqueFd rootfd(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!rootfd) return sys_error(errno, "open `" + root + "`");
  open_how how{};
  how.flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  std::string prefix = ".";
  for (auto& comp : str::split(path, '/')) {
    if (comp.empty() || comp == ".") continue;
    UniqueFd parent(static_cast<int>(
        ::syscall(SYS_openat2, rootfd.get(), prefix.c_str(), &how, sizeof how)));
    if (!parent) return sys_error(errno, "open working dir `" + path + "`");
    if (comp != ".." && ::mkdirat(parent.get(), comp.c_str(), 0755) < 0 && errno != EEXIST) {
      return sys_error(errno, "create working dir `" + path + "`");
    }
    prefix += "/" + comp;
  }
  return {};
}

int pidfd_open(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }

// Whether `pid` is a berth-shim for container `id` (and not a recycled pid).
bool is_our_shim(pid_t pid, const std::string& id) {
  if (pid <= 0) return false;
  auto cmd = fs::read_file("/proc/" + std::to_string(pid) + "/cmdline");
  return cmd && cmd->find("berth-shim") != std::string::npos &&
         cmd->find(id) != std::string::npos;
}


// docker's -v/--mount/--tmpfs and the image's VOLUMEs as one list of mounts (moby
// daemon/volumes_unix.go, volume/mounts/linux_parser.go): binds need an existing absolute
// source, named volumes are created on first use, paths the image declares get anonymous
// volumes unless something else is mounted there.
Result<Json> resolve_mounts(Volumes& vols, const Json& cfg, const Json& hc) {
  Json out = Json::array();
  // Volumes this call creates are removed again when a later mount is refused.
  std::vector<std::string> made;
  struct Undo {
    Volumes& vols;
    std::vector<std::string>& made;
    bool keep = false;
    ~Undo() {
      if (!keep) {
        for (auto& n : made) (void)vols.remove(n);
      }
    }
  } undo{vols, made};
  auto check_target = [](const std::string& t, const std::string& spec) -> Result<void> {
    if (t.empty() || t[0] != '/') {
      return make_error(Errc::kInvalidArgument, "invalid mount config: mount path must be absolute: "
                                                "\"" + spec + "\"");
    }
    if (t == "/") return make_error(Errc::kInvalidArgument, "invalid specification: destination can't be '/'");
    return {};
  };
  auto add_bind = [&](const std::string& src, const std::string& dst, bool ro) -> Result<void> {
    if (!fs::exists(src)) {
      return make_error(Errc::kInvalidArgument,
                        "invalid mount config for type \"bind\": bind source path does not exist: " + src);
    }
    out.push_back({{"Type", "bind"}, {"Source", src}, {"Destination", dst}, {"RW", !ro},
                   {"Name", ""}, {"Options", Json::array()}});
    return {};
  };
  auto add_volume = [&](const std::string& name, const std::string& dst, bool ro) -> Result<void> {
    bool existed = !name.empty() && vols.get(name).has_value();
    BERTH_ASSIGN_OR_RETURN(Volume v, vols.create(name, {}));
    if (!existed) made.push_back(v.name);
    out.push_back({{"Type", "volume"}, {"Name", v.name}, {"Source", v.mountpoint},
                   {"Destination", dst}, {"RW", !ro}, {"Options", Json::array()}});
    return {};
  };
  for (auto& b : string_array(hc.value("Binds", Json()))) {
    auto parts = str::split(b, ':');
    if (parts.size() < 2 || parts.size() > 3 || parts[0].empty()) {
      return make_error(Errc::kInvalidArgument, "invalid volume specification: '" + b + "'");
    }
    BERTH_TRY(check_target(parts[1], b));
    bool ro = parts.size() == 3 && str::split(parts[2], ',')[0] == "ro";
    if (parts[0][0] == '/') {
      BERTH_TRY(add_bind(parts[0], parts[1], ro));
    } else {
      BERTH_TRY(add_volume(parts[0], parts[1], ro));
    }
  }
  if (auto ms = hc.find("Mounts"); ms != hc.end() && ms->is_array()) {
    for (auto& m : *ms) {
      std::string type = m.value("Type", "volume"), src = m.value("Source", ""),
                  dst = m.value("Target", "");
      bool ro = m.value("ReadOnly", false);
      BERTH_TRY(check_target(dst, dst));
      if (type == "bind") {
        BERTH_TRY(add_bind(src, dst, ro));
      } else if (type == "volume") {
        BERTH_TRY(add_volume(src, dst, ro));
      } else if (type == "tmpfs") {
        Json opts = Json::array({"nosuid", "nodev", "noexec"});
        Json t = m.value("TmpfsOptions", Json::object());
        if (int64_t size = t.value("SizeBytes", int64_t{0}); size > 0) {
          opts.push_back("size=" + std::to_string(size));
        }
        if (int mode = t.value("Mode", 0); mode > 0) {
          char buf[32];
          std::snprintf(buf, sizeof buf, "mode=%o", static_cast<unsigned>(mode));
          opts.push_back(buf);
        }
        out.push_back({{"Type", "tmpfs"}, {"Source", ""}, {"Destination", dst}, {"RW", !ro},
                       {"Name", ""}, {"Options", opts}});
      } else {
        return make_error(Errc::kInvalidArgument, "mount type \"" + type + "\" is not supported");
      }
    }
  }
  if (auto tm = hc.find("Tmpfs"); tm != hc.end() && tm->is_object()) {
    for (auto& [dst, optstr] : tm->items()) {
      BERTH_TRY(check_target(dst, dst));
      Json opts = Json::array({"nosuid", "nodev", "noexec"});
      if (optstr.is_string()) {
        for (auto& o : str::split(optstr.get<std::string>(), ',')) {
          if (!o.empty()) opts.push_back(o);
        }
      }
      out.push_back({{"Type", "tmpfs"}, {"Source", ""}, {"Destination", dst}, {"RW", true},
                     {"Name", ""}, {"Options", opts}});
    }
  }
  if (auto vs = cfg.find("Volumes"); vs != cfg.end() && vs->is_object()) {
    for (auto& [dst, unused] : vs->items()) {
      bool covered = std::any_of(out.begin(), out.end(),
                                 [&](auto& m) { return m["Destination"] == dst; });
      if (!covered) {
        BERTH_TRY(check_target(dst, dst));
        BERTH_TRY(add_volume("", dst, false));
      }
    }
  }
  undo.keep = true;
  return out;
}

// docker's volume copy-up: an empty volume gets what the image has at its mount path, once.
void populate_volume(Volumes& vols, const Json& m, const std::string& rootfs) {
  if (m.value("Type", "") != "volume") return;
  auto v = vols.get(m.value("Name", ""));
  if (!v || v->populated) return;
  std::string src = rootfs + m.value("Destination", "");
  auto entries = fs::list_dir(v->mountpoint);
  if (fs::is_dir(src) && entries && entries->empty()) {
    // cp -a keeps owners, modes, links and xattrs; the source is the container's own rootfs.
    std::vector<std::string> argv = {"/bin/cp", "-a", "--no-target-directory", src + "/.",
                                     v->mountpoint};
    auto cargv = str::c_strings(argv);
    pid_t pid = 0;
    if (::posix_spawn(&pid, cargv[0], nullptr, nullptr, cargv.data(), environ) == 0) {
      int st = 0;
      ::waitpid(pid, &st, 0);
    }
  }
  (void)vols.mark_populated(v->name);
}

}  // namespace

struct Engine::Impl {
  EngineOptions opts;
  image::ImageService* images;
  sql::Db db;
  mutable std::mutex mu;
  std::condition_variable cv;  // any state change
  std::map<std::string, Container> containers;
  Network net{opts.data_root + "/network"};
  std::unique_ptr<Volumes> vols;
  uint64_t generation = 0;  // bumped on every change (waiters compare)
  std::map<std::string, int> followers;        // attach/logs -f streams per container
  std::map<std::string, int> removed_codes;    // exit codes of removed containers (for wait)
  std::vector<std::string> pending_detach;     // networks of exited containers to tear down
  std::map<std::string, ExecState> execs;      // docker exec instances (forgotten with their container)

  // Tears down the networks finish() queued; called without the lock.
  void detach_pending() {
    std::vector<std::string> ids;
    {
      std::lock_guard<std::mutex> l(mu);
      ids.swap(pending_detach);
    }
    for (auto& id : ids) net.detach(id);
  }

  Impl(EngineOptions o, image::ImageService* i, sql::Db d)
      : opts(std::move(o)), images(i), db(std::move(d)) {}

  std::string dir_of(const std::string& id) const { return opts.data_root + "/containers/" + id; }

  // Caller holds mu.
  Result<void> save(const Container& c) {
    Json data = {{"name", c.name},     {"image", c.image},   {"image_id", c.image_id},
                 {"network", c.network},  {"mounts", c.mounts},
                 {"config", c.config}, {"host_config", c.host_config},
                 {"created", c.created}, {"state", state_json(c.state)}};
    BERTH_ASSIGN_OR_RETURN(
        auto st, db.prepare("INSERT INTO containers(id, name, data) VALUES(?,?,?) "
                            "ON CONFLICT(id) DO UPDATE SET name=excluded.name, data=excluded.data"));
    st.bind(1, c.id).bind(2, c.name).bind(3, dump_json(data));
    return st.run();
  }

  Result<void> load_all() {
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
      c.mounts = data->value("mounts", Json::array());
      c.state = state_from(data->value("state", Json::object()));
      c.dir = dir_of(c.id);
      c.log_path = c.dir + "/" + c.id + "-json.log";
      containers[c.id] = std::move(c);
    }
    return {};
  }

  // Caller holds mu. Errors: kNotFound.
  Result<Container*> find(const std::string& ref) {
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

  std::vector<int> wake_fds;  // eventfds of log followers, written on every change

  void changed() {
    ++generation;
    cv.notify_all();
    uint64_t one = 1;
    for (int fd : wake_fds) (void)!::write(fd, &one, sizeof one);
  }

  std::string rootfs(const Container& c) const { return c.dir + "/rootfs"; }

  Result<void> mount_rootfs(const Container& c) {
    std::string target = rootfs(c);
    BERTH_TRY(fs::mkdir_all(target, 0755));
    auto img = images->get(c.image_id);
    if (!img) return tl::unexpected(img.error());
    auto m = images->snapshots().mounts(c.id);
    if (!m) {
      m = images->snapshots().prepare(c.id, image::ImageService::chain(*img));
      if (!m) return tl::unexpected(m.error());
    }
    std::string data = str::join(m->options, ",");
    if (::mount("overlay", target.c_str(), "overlay", 0, data.c_str()) < 0) {
      return sys_error(errno, "mount the root file system of " + c.id.substr(0, 12));
    }
    return {};
  }

  void unmount_rootfs(const Container& c) {
    std::string target = rootfs(c);
    while (::umount2(target.c_str(), MNT_DETACH) == 0) {
    }
  }

  // The end of a shim: read what it recorded and update the container. Caller holds mu.
  void finish(Container& c) {
    auto text = fs::read_file(c.dir + "/exit.json");
    Json j = text ? parse_json(*text, "exit.json").value_or(Json::object()) : Json::object();
    c.state.status = "exited";
    c.state.exit_code = j.value("ExitCode", 255);
    c.state.oom_killed = j.value("OOMKilled", false);
    c.state.finished_at = j.value("FinishedAt", rfc3339_now());
    c.state.pid = 0;
    c.state.shim_pid = 0;
    unmount_rootfs(c);
    pending_detach.push_back(c.id);  // CNI DEL runs outside the lock (plugins take time)
    c.network = Json();
    (void)save(c);
    changed();
  }

  // Follows a shim until it exits (pidfd readable), then finishes the container.
  void monitor(const std::string& id, pid_t shim_pid) {
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
    detach_pending();
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
    }
  }

  Result<void> remove(const std::string& ref, bool force, bool volumes);

  // Milliseconds to wait before restarting `c` by its restart policy, -1 for no restart
  // (moby restartmanager: on-failure[:N], always, unless-stopped; back-off from 100 ms,
  // doubling up to a minute). Caller holds mu.
  static int restart_delay(const Container& c) {
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

  Engine* self = nullptr;
};

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
        std::thread([&s, id = id, pid = c.state.shim_pid] { s.monitor(id, pid); }).detach();
        restored.push_back(id);
      } else {
        s.finish(c);
        if (Impl::restart_delay(c) >= 0) restart.push_back(id);
      }
    }
  }
  s.detach_pending();
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
  std::string net = hc.value("NetworkMode", "default");
  if (net != "default" && net != "bridge" && net != "none" && net != "host") {
    return make_error(Errc::kNotFound, "network " + net + " not found");
  }
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
    s.unmount_rootfs(c);
    s.net.detach(c.id);
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
  BERTH_TRY(fs::mkdir_all(c.dir + "/bundle", 0700));
  if (auto m = s.mount_rootfs(c); !m) return fail(m.error());
  for (auto& m : c.mounts) populate_volume(*s.vols, m, s.rootfs(c));
  // The network namespace, wired by CNI before the container exists (docker's sandbox).
  std::string net_mode = c.host_config.value("NetworkMode", "default");
  if (net_mode != "host") {
    auto ports = port_mappings(c.config, c.host_config);
    if (!ports) return fail(ports.error());
    auto att = net_mode == "none" ? s.net.attach_none(c.id) : s.net.attach(c.id, *ports);
    if (!att) return fail(att.error());
    Json pj = Json::array();
    for (auto& p : att->ports) {
      pj.push_back({{"HostIp", p.host_ip.empty() ? "0.0.0.0" : p.host_ip},
                    {"HostPort", std::to_string(p.host_port)},
                    {"ContainerPort", p.container_port},
                    {"Protocol", p.protocol}});
    }
    c.network = {{"mode", net_mode == "default" ? "bridge" : net_mode},
                 {"netns", att->netns}, {"ip", att->ip}, {"prefix", att->prefix},
                 {"gateway", att->gateway}, {"mac", att->mac}, {"ports", pj}};
  }
  auto spec = build_spec(c, s.rootfs(c));
  if (!spec) return fail(spec.error());
  // The working dir is made when missing, as docker does, resolved inside the rootfs.
  if (auto made = mkdir_in_root(s.rootfs(c), (*spec)["process"]["cwd"]); !made) {
    return fail(made.error());
  }
  std::string hostname = (*spec)["hostname"];
  (void)fs::atomic_write(c.dir + "/hostname", hostname + "\n");
  std::string own_ip = c.network.is_object() ? c.network.value("ip", "") : "";
  (void)fs::atomic_write(c.dir + "/hosts",
                         "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
                         "fe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\n"
                         "ff02::2\tip6-allrouters\n" +
                             (own_ip.empty() ? "" : own_ip + "\t" + hostname + "\n"));
  std::string resolv = fs::read_file("/etc/resolv.conf").value_or("");
  (void)fs::atomic_write(c.dir + "/resolv.conf", resolv);
  if (auto w = fs::atomic_write(c.dir + "/bundle/config.json", dump_json(*spec)); !w) {
    return fail(w.error());
  }
  ::unlink((c.dir + "/exit.json").c_str());

  // The shim, twice forked so that it is nobody's child here (it outlives the daemon), with
  // a pipe on which it reports "ok <pid>" or "error <message>".
  int rep[2];
  if (::pipe2(rep, O_CLOEXEC) < 0) return fail(sys_error(errno, "pipe").value());
  UniqueFd rep_r(rep[0]), rep_w(rep[1]);
  std::vector<std::string> argv = {s.opts.shim_path, "--id",        c.id,
                                   "--bundle",       c.dir + "/bundle",
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
  auto cargv = str::c_strings(argv);
  pid_t child = ::fork();
  if (child < 0) return fail(sys_error(errno, "fork").value());
  if (child == 0) {
    ::setsid();
    if (::fork() != 0) ::_exit(0);
    int null = ::open("/dev/null", O_RDWR);
    ::dup2(null, 0);
    ::dup2(null, 1);
    ::dup2(null, 2);
    ::dup2(rep_w.get(), 3);
    // Nothing else of ours may reach the shim (API connections, logs): it outlives us.
    ::close_range(4, ~0U, 0);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execv(cargv[0], cargv.data());
    ::_exit(127);
  }
  ::waitpid(child, nullptr, 0);
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
    return fail(Error{code, "failed to create task for container: " + msg});
  }
  pid_t init = static_cast<pid_t>(std::atoi(line.c_str() + 3));
  pid_t shim = static_cast<pid_t>(
      str::parse_int(str::trim(fs::read_file(c.dir + "/shim.pid").value_or("0"))).value_or(0));
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
    p->state.finished_at = "0001-01-01T00:00:00Z";
    (void)s.save(*p);
    s.changed();
  }
  std::thread([&s, id = c.id, shim] { s.monitor(id, shim); }).detach();
  start_health_checks(c.id);
  return {};
}

// HEALTHCHECK (moby daemon/health.go): the test runs as an exec every Interval (default 30 s)
// with a Timeout (30 s); Retries (3) failures in a row make the container unhealthy, except
// during StartPeriod; the last five results are kept. The thread ends with the run.
void Engine::start_health_checks(const std::string& id) {
  auto& s = *impl_;
  Json hc;
  std::string started;
  {
    std::lock_guard<std::mutex> l(s.mu);
    auto it = s.containers.find(id);
    if (it == s.containers.end()) return;
    hc = it->second.config.value("Healthcheck", Json());
    started = it->second.state.started_at;
    if (!hc.is_object()) return;
    auto test = hc.value("Test", Json::array());
    if (!test.is_array() || test.empty() || test[0] == "NONE") return;
    it->second.state.health = {{"Status", "starting"}, {"FailingStreak", 0}, {"Log", Json::array()}};
    (void)s.save(it->second);
  }
  std::thread([this, &s, id, hc, started] {
    auto ns = [&](const char* k, int64_t dflt) {
      int64_t v = hc.value(k, int64_t{0});
      return std::chrono::nanoseconds(v > 0 ? v : dflt);
    };
    auto interval = ns("Interval", 30'000'000'000), timeout = ns("Timeout", 30'000'000'000),
         start_period = ns("StartPeriod", 0);
    int retries = hc.value("Retries", 0) > 0 ? hc.value("Retries", 0) : 3;
    auto test = hc.value("Test", Json::array());
    std::vector<std::string> cmd;
    if (test[0] == "CMD-SHELL" && test.size() > 1) {
      cmd = {"/bin/sh", "-c", test[1].get<std::string>()};
    } else {
      for (size_t i = test[0] == "CMD" ? 1 : 0; i < test.size(); ++i) cmd.push_back(test[i]);
    }
    auto begun = std::chrono::steady_clock::now();
    for (;;) {
      {
        std::unique_lock<std::mutex> l(s.mu);
        s.cv.wait_for(l, interval, [&] {
          auto it = s.containers.find(id);
          return it == s.containers.end() || it->second.state.started_at != started ||
                 it->second.state.status != "running";
        });
        auto it = s.containers.find(id);
        if (it == s.containers.end() || it->second.state.started_at != started ||
            it->second.state.status != "running") {
          return;
        }
      }
      std::string t0 = rfc3339_now();
      auto exec_id = exec_create(id, ExecConfig{cmd, {}, "", "", false});
      int code = -1;
      std::string output;
      if (exec_id) {
        // A probe that outlives its timeout is killed and counts as a failure.
        std::atomic<bool> done{false};
        std::thread watchdog([&] {
          auto deadline = std::chrono::steady_clock::now() + timeout;
          while (!done && std::chrono::steady_clock::now() < deadline) {
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
          }
          if (done) return;
          if (auto st = exec_inspect(*exec_id); st && st->pid > 0) {
            ::kill(st->pid, SIGTERM);
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
            ::kill(st->pid, SIGKILL);
          }
        });
        auto r = exec_start(*exec_id, [&](const std::string&, std::string_view d) -> Result<void> {
          if (output.size() < 4096) output.append(d.substr(0, 4096 - output.size()));
          return {};
        });
        done = true;
        watchdog.join();
        code = r ? *r : -1;
        std::lock_guard<std::mutex> l(s.mu);
        s.execs.erase(*exec_id);
      }
      bool in_start_period = std::chrono::steady_clock::now() - begun < start_period;
      std::lock_guard<std::mutex> l(s.mu);
      auto it = s.containers.find(id);
      if (it == s.containers.end() || it->second.state.started_at != started) return;
      Json& h = it->second.state.health;
      if (!h.is_object()) h = {{"Status", "starting"}, {"FailingStreak", 0}, {"Log", Json::array()}};
      h["Log"].push_back({{"Start", t0}, {"End", rfc3339_now()}, {"ExitCode", code},
                          {"Output", output}});
      while (h["Log"].size() > 5) h["Log"].erase(h["Log"].begin());
      if (code == 0) {
        h["Status"] = "healthy";
        h["FailingStreak"] = 0;
      } else if (!in_start_period) {
        h["FailingStreak"] = h.value("FailingStreak", 0) + 1;
        if (h["FailingStreak"].get<int>() >= retries) h["Status"] = "unhealthy";
      }
      (void)s.save(it->second);
      s.changed();
    }
  }).detach();
}

Result<void> Engine::pause(const std::string& ref) {
  auto& s = *impl_;
  std::lock_guard<std::mutex> l(s.mu);
  BERTH_ASSIGN_OR_RETURN(Container * p, s.find(ref));
  if (p->state.status != "running") {
    return make_error(Errc::kConflict, "Container " + p->id + " is not running");
  }
  runtime::Runtime rt(s.opts.runtime_root, [](const std::string&) {});
  BERTH_TRY(rt.pause(p->id));
  p->state.status = "paused";
  (void)s.save(*p);
  s.changed();
  return {};
}

Result<void> Engine::unpause(const std::string& ref) {
  auto& s = *impl_;
  std::lock_guard<std::mutex> l(s.mu);
  BERTH_ASSIGN_OR_RETURN(Container * p, s.find(ref));
  if (p->state.status != "paused") {
    return make_error(Errc::kConflict, "Container " + p->id + " is not paused");
  }
  runtime::Runtime rt(s.opts.runtime_root, [](const std::string&) {});
  BERTH_TRY(rt.resume(p->id));
  p->state.status = "running";
  (void)s.save(*p);
  s.changed();
  return {};
}

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
  p->name = name;
  BERTH_TRY(s.save(*p));
  s.changed();
  return {};
}

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
  }
  runtime::Runtime rt(s.opts.runtime_root, [](const std::string&) {});
  auto r = rt.kill(id, signal, signal == SIGKILL);
  if (!r && r.error().code != Errc::kFailedPrecondition) return r;
  return {};
}

Result<void> Engine::stop(const std::string& ref, std::optional<int> timeout_s) {
  auto& s = *impl_;
  std::string id;
  int sig = SIGTERM;
  int timeout = 10;
  {
    std::lock_guard<std::mutex> l(s.mu);
    BERTH_ASSIGN_OR_RETURN(Container * p, s.find(ref));
    if (p->state.status == "restarting") {
      p->state.status = "exited";
      p->state.manually_stopped = true;
      (void)s.save(*p);
      s.changed();
      return {};
    }
    if (p->state.status != "running" && p->state.status != "paused") return {};
    p->state.manually_stopped = true;
    id = p->id;
    if (std::string ss = p->config.value("StopSignal", ""); !ss.empty()) {
      if (auto parsed = runtime::parse_signal(ss)) sig = *parsed;
    }
    if (auto st = p->config.find("StopTimeout"); st != p->config.end() && st->is_number()) {
      timeout = st->get<int>();
    }
  }
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
  std::lock_guard<std::mutex> l(mu);
  auto it = containers.find(c.id);
  if (it == containers.end()) return {};
  it->second.state.status = "removing";
  unmount_rootfs(c);
  net.detach(c.id);
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

Result<void> Engine::logs(const std::string& ref, const LogOptions& o,
                          const std::function<Result<void>(const LogEntry&)>& sink) {
  BERTH_ASSIGN_OR_RETURN(Container c, get(ref));
  // Still producing output: running, or about to (created/starting) unless a start failed
  // since we began.
  auto running = [&] {
    std::lock_guard<std::mutex> l(impl_->mu);
    auto it = impl_->containers.find(c.id);
    if (it == impl_->containers.end()) return false;
    const State& st = it->second.state;
    return st.status == "running" || st.status == "paused" || st.status == "starting" ||
           (st.status == "created" && st.start_failures == c.state.start_failures);
  };
  auto emit = [&](const std::string& line) -> Result<void> {
    auto j = parse_json(line, "log");
    if (!j || !j->is_object()) return {};
    LogEntry e{j->value("stream", "stdout"), j->value("time", ""), j->value("log", "")};
    if ((e.stream == "stdout" && !o.stdout) || (e.stream == "stderr" && !o.stderr)) return {};
    double t = parse_rfc3339(e.time);
    if (o.since > 0 && t < o.since) return {};
    if (o.until > 0 && t > o.until) return {};
    return sink(e);
  };
  // Rotated files first (oldest = highest number), then the live one.
  std::vector<std::string> files;
  for (int i = 9; i >= 1; --i) {
    std::string f = c.log_path + "." + std::to_string(i);
    if (fs::exists(f)) files.push_back(f);
  }
  files.push_back(c.log_path);
  int64_t offset = 0;
  if (o.from_now) {
    struct stat st {};
    offset = ::stat(c.log_path.c_str(), &st) == 0 ? st.st_size : 0;
    files = {c.log_path};
  } else {
    std::deque<std::string> lines;
    for (auto& f : files) {
      auto text = fs::read_file(f);
      if (!text) continue;
      if (f == c.log_path) offset = static_cast<int64_t>(text->size());
      size_t start = 0;
      for (;;) {
        size_t nl = text->find('\n', start);
        if (nl == std::string::npos) break;
        lines.push_back(text->substr(start, nl - start));
        if (o.tail >= 0 && static_cast<int64_t>(lines.size()) > o.tail) lines.pop_front();
        start = nl + 1;
      }
      if (f == c.log_path) offset = static_cast<int64_t>(start);
    }
    if (o.tail != 0) {
      for (auto& l : lines) BERTH_TRY(emit(l));
    }
  }
  if (!o.follow) return {};
  // Follow: new lines as the shim appends them, until the container is no longer running.
  // Counted as a follower, so that --rm waits for us before removing the log.
  // Woken by the shim's writes (inotify) and by any state change of the engine (eventfd).
  UniqueFd wake(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  {
    std::lock_guard<std::mutex> l(impl_->mu);
    ++impl_->followers[c.id];
    if (wake) impl_->wake_fds.push_back(wake.get());
  }
  struct Unfollow {
    Impl* s;
    std::string id;
    int wake;
    ~Unfollow() {
      std::lock_guard<std::mutex> l(s->mu);
      if (auto it = s->followers.find(id); it != s->followers.end() && --it->second <= 0) {
        s->followers.erase(it);
      }
      std::erase(s->wake_fds, wake);
      s->cv.notify_all();
    }
  } unfollow{impl_.get(), c.id, wake.get()};
  UniqueFd ino(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
  if (ino) {
    ::inotify_add_watch(ino.get(), c.dir.c_str(), IN_MODIFY | IN_MOVED_TO | IN_CREATE);
  }
  std::string pending;
  for (;;) {
    bool alive = running();
    UniqueFd fd(::open(c.log_path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd) {
      struct stat st {};
      ::fstat(fd.get(), &st);
      if (st.st_size < offset) offset = 0;  // rotated: the live file started over
      std::string buf(static_cast<size_t>(st.st_size - offset), '\0');
      ssize_t n = buf.empty() ? 0 : ::pread(fd.get(), buf.data(), buf.size(), offset);
      if (n > 0) {
        offset += n;
        pending.append(buf.data(), static_cast<size_t>(n));
        size_t start = 0;
        for (;;) {
          size_t nl = pending.find('\n', start);
          if (nl == std::string::npos) break;
          BERTH_TRY(emit(pending.substr(start, nl - start)));
          start = nl + 1;
        }
        pending.erase(0, start);
        continue;
      }
    }
    if (!alive) return {};
    pollfd p[2] = {{ino.get(), POLLIN, 0}, {wake.get(), POLLIN, 0}};
    ::poll(p, 2, 1000);
    char drain[4096];
    while (ino && ::read(ino.get(), drain, sizeof drain) > 0) {
    }
    while (wake && ::read(wake.get(), drain, 8) > 0) {
    }
  }
}

Result<int> parse_signal(const std::string& name) { return runtime::parse_signal(name); }

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

Result<int> Engine::exec_start(
    const std::string& exec_id,
    const std::function<Result<void>(const std::string&, std::string_view)>& sink) {
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
  int out[2], err[2];
  if (::pipe2(out, O_CLOEXEC) < 0 || ::pipe2(err, O_CLOEXEC) < 0) {
    done(126);
    return sys_error(errno, "pipe");
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  posix_spawn_file_actions_adddup2(&fa, err[1], 2);
  posix_spawn_file_actions_addclosefrom_np(&fa, 3);
  std::vector<std::string> argv = {s.opts.runtime_path, "--root", s.opts.runtime_root,
                                   "exec", "-p", pfile, c.id};
  auto cargv = str::c_strings(argv);
  std::vector<std::string> envs = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin"};
  auto cenv = str::c_strings(envs);
  pid_t pid = 0;
  int rc = ::posix_spawn(&pid, cargv[0], &fa, nullptr, cargv.data(), cenv.data());
  posix_spawn_file_actions_destroy(&fa);
  ::close(out[1]);
  ::close(err[1]);
  UniqueFd out_r(out[0]), err_r(err[0]);
  if (rc != 0) {
    ::unlink(pfile.c_str());
    done(126);
    return sys_error(rc, "spawn " + s.opts.runtime_path);
  }
  {
    std::lock_guard<std::mutex> l(s.mu);
    if (auto it = s.execs.find(exec_id); it != s.execs.end()) it->second.pid = pid;
  }
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
  ::unlink(pfile.c_str());
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  done(code);
  return code;
}

// ---- docker's JSON views -----------------------------------------------------------------

namespace {


std::string status_text(const State& st) {
  double now = static_cast<double>(::time(nullptr));
  if (st.status == "running") {
    std::string up = "Up " + human_duration(now - parse_rfc3339(st.started_at));
    if (st.health.is_object()) {
      std::string h = st.health.value("Status", "");
      up += h == "starting" ? " (health: starting)" : " (" + h + ")";
    }
    return up;
  }
  if (st.status == "paused") {
    return "Up " + human_duration(now - parse_rfc3339(st.started_at)) + " (Paused)";
  }
  if (st.status == "exited") {
    return "Exited (" + std::to_string(st.exit_code) + ") " +
           human_duration(now - parse_rfc3339(st.finished_at)) + " ago";
  }
  if (st.status == "removing") return "Removal In Progress";
  if (st.status == "restarting") {
    return "Restarting (" + std::to_string(st.exit_code) + ") " +
           human_duration(now - parse_rfc3339(st.finished_at)) + " ago";
  }
  return "Created";
}

Json network_settings(const Container& c) {
  const Json& n = c.network.is_object() ? c.network : Json::object();
  std::string mode = c.host_config.value("NetworkMode", "default");
  if (mode == "default") mode = "bridge";
  Json ports = Json::object();
  for (auto& p : n.value("ports", Json::array())) {
    std::string key = std::to_string(p.value("ContainerPort", 0)) + "/" + p.value("Protocol", "tcp");
    ports[key].push_back({{"HostIp", p["HostIp"]}, {"HostPort", p["HostPort"]}});
  }
  std::string ip = n.value("ip", ""), gw = n.value("gateway", ""), mac = n.value("mac", "");
  int prefix = n.value("prefix", 0);
  Json endpoint = {{"IPAddress", ip}, {"IPPrefixLen", ip.empty() ? 0 : prefix},
                   {"Gateway", gw}, {"MacAddress", mac}, {"NetworkID", mode},
                   {"EndpointID", ip.empty() ? "" : c.id}, {"Aliases", Json()}};
  return {{"Bridge", mode == "bridge" ? "berth0" : ""},
          {"SandboxID", c.id},
          {"SandboxKey", n.value("netns", "")},
          {"Ports", ports},
          {"IPAddress", ip},
          {"IPPrefixLen", ip.empty() ? 0 : prefix},
          {"Gateway", gw},
          {"MacAddress", mac},
          {"Networks", {{mode, endpoint}}}};
}

Json mounts_json(const Container& c) {
  Json out = Json::array();
  for (auto& m : c.mounts.is_array() ? c.mounts : Json::array()) {
    Json j = {{"Type", m["Type"]},
              {"Source", m["Source"]},
              {"Destination", m["Destination"]},
              {"Mode", m.value("RW", true) ? "" : "ro"},
              {"RW", m["RW"]},
              {"Propagation", m["Type"] == "bind" ? "rprivate" : ""}};
    if (m["Type"] == "volume") {
      j["Name"] = m["Name"];
      j["Driver"] = "local";
      j["Mode"] = m.value("RW", true) ? "z" : "ro";
    }
    out.push_back(j);
  }
  return out;
}

Json summary_ports(const Container& c) {
  Json out = Json::array();
  if (!c.network.is_object()) return out;
  for (auto& p : c.network.value("ports", Json::array())) {
    out.push_back({{"IP", p["HostIp"]},
                   {"PrivatePort", p["ContainerPort"]},
                   {"PublicPort", str::parse_int(p.value("HostPort", "0")).value_or(0)},
                   {"Type", p["Protocol"]}});
  }
  return out;
}

}  // namespace

Json inspect_json(const Container& c) {
  auto ep = string_array(c.config.value("Entrypoint", Json()));
  auto cmd = string_array(c.config.value("Cmd", Json()));
  std::vector<std::string> all = ep;
  all.insert(all.end(), cmd.begin(), cmd.end());
  std::string path = all.empty() ? "" : all[0];
  std::vector<std::string> args(all.empty() ? all.begin() : all.begin() + 1, all.end());
  const State& st = c.state;
  std::string status = st.status == "starting" ? "created" : st.status;
  Json cfg = c.config;
  if (cfg.value("Hostname", "").empty()) cfg["Hostname"] = c.id.substr(0, 12);
  return {{"Id", c.id},
          {"Created", c.created},
          {"Path", path},
          {"Args", args},
          {"State",
           {{"Status", status},
            {"Running", status == "running" || status == "paused"},
            {"Paused", status == "paused"},
            {"Restarting", status == "restarting"},
            {"OOMKilled", st.oom_killed},
            {"Dead", status == "dead"},
            {"Pid", st.pid},
            {"ExitCode", st.exit_code},
            {"Error", st.error},
            {"StartedAt", st.started_at},
            {"FinishedAt", st.finished_at},
            {"Health", st.health.is_object() ? st.health : Json()}}},
          {"Image", c.image_id},
          {"ResolvConfPath", c.dir + "/resolv.conf"},
          {"HostnamePath", c.dir + "/hostname"},
          {"HostsPath", c.dir + "/hosts"},
          {"LogPath", c.log_path},
          {"Name", "/" + c.name},
          {"RestartCount", st.restart_count},
          {"Driver", "overlay2"},
          {"Platform", "linux"},
          {"MountLabel", ""},
          {"ProcessLabel", ""},
          {"AppArmorProfile", ""},
          {"ExecIDs", Json()},
          {"HostConfig", c.host_config},
          {"GraphDriver", {{"Name", "overlay2"}, {"Data", Json::object()}}},
          {"Mounts", mounts_json(c)},
          {"Config", cfg},
          {"NetworkSettings", network_settings(c)}};
}

Json summary_json(const Container& c) {
  auto ep = string_array(c.config.value("Entrypoint", Json()));
  auto cmd = string_array(c.config.value("Cmd", Json()));
  std::vector<std::string> all = ep;
  all.insert(all.end(), cmd.begin(), cmd.end());
  std::string status = c.state.status == "starting" ? "created" : c.state.status;
  std::string net = c.host_config.value("NetworkMode", "default");
  return {{"Id", c.id},
          {"Names", Json::array({"/" + c.name})},
          {"Image", c.image},
          {"ImageID", c.image_id},
          {"Command", str::join(all, " ")},
          {"Created", static_cast<int64_t>(parse_rfc3339(c.created))},
          {"Ports", summary_ports(c)},
          {"Labels", c.config.value("Labels", Json::object())},
          {"State", status},
          {"Status", status_text(c.state)},
          {"HostConfig", {{"NetworkMode", net}}},
          {"NetworkSettings", {{"Networks", Json::object()}}},
          {"Mounts", mounts_json(c)}};
}

}  // namespace berth::engine
