// The compose runner (docker/compose pkg/compose: up.go, create.go, convergence.go,
// dependencies.go, down.go, start.go, stop.go, ls.go). Services are handled in dependency
// levels: every service of a level at once (a thread each), levels in order — dependencies
// first for up and start, dependents first for stop and down.
#include "compose/runner.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "common/strings.h"

namespace berth::compose {
namespace {

const char* kProjectLabel = "com.docker.compose.project";
const char* kServiceLabel = "com.docker.compose.service";

std::string cpath(const std::string& id, const std::string& rest = "") {
  return "/containers/" + id + rest;
}

// Runs `f` for every item at once; the first error (in item order) is returned.
template <typename T, typename F>
Result<void> parallel(const std::vector<T>& items, F f) {
  std::vector<Result<void>> results(items.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < items.size(); ++i) {
    threads.emplace_back([&, i] { results[i] = f(items[i]); });
  }
  for (auto& t : threads) t.join();
  for (auto& r : results) {
    if (!r) return r;
  }
  return {};
}

bool is_not_found(const Result<Json>& r) { return !r && r.error().code == Errc::kNotFound; }

std::string label_filter(const std::vector<std::string>& labels) {
  return dump_json(Json{{"label", labels}});
}

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// The replaced container's anonymous volumes (the service's volumes without a source and
// the image's VOLUMEs) go to its successor, as compose's getMounts does with `inherit`: their
// data survives a recreate and the old ones are not left behind unnamed.
void inherit_anonymous_volumes(const Service& s, const Json& old, Json& body) {
  std::set<std::string> anonymous;
  for (auto& v : s.volumes) {
    if (v.type == MountType::kVolume && v.source.empty()) anonymous.insert(v.target);
  }
  Json declared = old.value("Config", Json::object()).value("Volumes", Json());
  if (declared.is_object()) {
    for (auto& [target, unused] : declared.items()) anonymous.insert(target);
  }
  std::map<std::string, std::string> inherited;  // target -> volume name
  for (auto& m : old.value("Mounts", Json::array())) {
    std::string target = m.value("Destination", "");
    if (m.value("Type", "") == "volume" && anonymous.count(target)) inherited[target] = m.value("Name", "");
  }
  Json& hc = body["HostConfig"];
  if (!hc.contains("Mounts")) hc["Mounts"] = Json::array();
  std::set<std::string> mounted;
  for (auto& m : hc["Mounts"]) {
    std::string target = m.value("Target", "");
    auto it = inherited.find(target);
    if (it != inherited.end() && m.value("Type", "") == "volume" && m.value("Source", "").empty()) {
      m["Source"] = it->second;
    }
    mounted.insert(target);
  }
  for (auto& b : hc.value("Binds", Json::array())) {
    auto parts = str::split(b.get<std::string>(), ':');
    if (parts.size() > 1) mounted.insert(parts[1]);
  }
  Json tmpfs = hc.value("Tmpfs", Json::object());
  for (auto& [target, unused] : tmpfs.items()) mounted.insert(target);
  for (auto& [target, name] : inherited) {
    if (!mounted.count(target) && !name.empty()) {
      hc["Mounts"].push_back({{"Type", "volume"}, {"Source", name}, {"Target", target}, {"ReadOnly", false}});
    }
  }
  if (hc["Mounts"].empty()) hc.erase("Mounts");
}

}  // namespace

// What an up made or started, to take back when it fails.
struct Runner::Undo {
  std::mutex mu;
  std::vector<std::string> created, started, networks, volumes;
  void add(std::vector<std::string>& v, const std::string& s) {
    std::lock_guard<std::mutex> l(mu);
    v.push_back(s);
  }
};

std::string Runner::image_name(const Service& s) const {
  return s.image.empty() ? project_.name + "-" + s.name : s.image;
}

// The services named (all enabled ones when none are), with their dependencies when asked,
// grouped into levels: level 0 depends on nothing selected, level k on levels below k.
std::vector<const Service*> Runner::select(const std::vector<std::string>& names,
                                           bool with_deps) const {
  std::set<std::string> want;
  std::vector<std::string> todo = names;
  if (names.empty()) {
    for (auto& s : project_.services) want.insert(s.name);
  }
  while (!todo.empty()) {
    std::string n = todo.back();
    todo.pop_back();
    const Service* s = project_.service(n);
    if (!s || !want.insert(n).second) continue;
    if (!with_deps) continue;
    for (auto& d : s->depends_on) todo.push_back(d.service);
  }
  std::vector<const Service*> out;
  for (auto& s : project_.services) {
    if (want.count(s.name)) out.push_back(&s);
  }
  return out;
}

namespace {

// Services in levels by their depends_on (among `services`); the loader has refused cycles.
std::vector<std::vector<const Service*>> levels(const std::vector<const Service*>& services) {
  std::map<std::string, int> level;
  std::map<std::string, const Service*> by_name;
  for (auto* s : services) by_name[s->name] = s;
  std::function<int(const Service*, int)> depth = [&](const Service* s, int guard) -> int {
    if (auto it = level.find(s->name); it != level.end()) return it->second;
    int l = 0;
    for (auto& d : s->depends_on) {
      auto it = by_name.find(d.service);
      if (it != by_name.end() && guard < 1000) l = std::max(l, depth(it->second, guard + 1) + 1);
    }
    return level[s->name] = l;
  };
  std::vector<std::vector<const Service*>> out;
  for (auto* s : services) {
    size_t l = static_cast<size_t>(depth(s, 0));
    if (out.size() <= l) out.resize(l + 1);
    out[l].push_back(s);
  }
  return out;
}

}  // namespace

Result<std::vector<ProjectContainer>> Runner::containers(const std::vector<std::string>& services,
                                                          bool all, bool oneoff) {
  std::vector<std::string> labels = {std::string(kProjectLabel) + "=" + project_.name};
  if (!oneoff) labels.push_back("com.docker.compose.oneoff=False");
  BERTH_ASSIGN_OR_RETURN(Json list, api_.call("GET", "/containers/json",
                                              {{"all", all ? "1" : "0"},
                                               {"filters", label_filter(labels)}}));
  std::vector<ProjectContainer> out;
  if (!list.is_array()) return out;
  for (auto& c : list) {
    Json l = c.value("Labels", Json::object());
    if (!l.is_object()) continue;
    ProjectContainer pc;
    pc.id = c.value("Id", "");
    auto names = string_array(c.value("Names", Json()));
    pc.name = names.empty() ? pc.id.substr(0, 12) : names[0].substr(names[0][0] == '/' ? 1 : 0);
    pc.service = l.value(kServiceLabel, "");
    pc.number = static_cast<int>(str::parse_int(l.value("com.docker.compose.container-number", "0")).value_or(0));
    pc.oneoff = l.value("com.docker.compose.oneoff", "False") == "True";
    pc.summary = c;
    if (!services.empty() && std::find(services.begin(), services.end(), pc.service) == services.end()) {
      continue;
    }
    out.push_back(std::move(pc));
  }
  std::sort(out.begin(), out.end(), [](auto& a, auto& b) {
    return std::tie(a.service, a.oneoff, a.number, a.name) < std::tie(b.service, b.oneoff, b.number, b.name);
  });
  return out;
}

Result<void> Runner::ensure_networks(const std::vector<const Service*>& services, Undo& undo) {
  std::set<std::string> keys;
  for (auto* s : services) {
    if (!s->network_mode.empty()) continue;
    for (auto& n : s->networks) keys.insert(n.name);
  }
  for (auto& key : keys) {
    auto it = project_.networks.find(key);
    if (it == project_.networks.end()) continue;
    const Network& n = it->second;
    auto existing = api_.call("GET", "/networks/" + n.name);
    if (existing) continue;
    if (!is_not_found(existing)) return tl::unexpected(existing.error());
    if (n.external) {
      return make_error(Errc::kNotFound, "network " + n.name + " declared as external, but could not be found");
    }
    Json labels = Json::object();
    for (auto& [k, v] : n.labels) labels[k] = v;
    labels[kProjectLabel] = project_.name;
    labels["com.docker.compose.network"] = key;
    labels["com.docker.compose.version"] = "2.29.0";
    Json pools = Json::array();
    for (auto& c : n.ipam_config) {
      Json pool = Json::object();
      if (!c.subnet.empty()) pool["Subnet"] = c.subnet;
      if (!c.gateway.empty()) pool["Gateway"] = c.gateway;
      if (!c.ip_range.empty()) pool["IPRange"] = c.ip_range;
      if (!c.aux_addresses.empty()) pool["AuxiliaryAddresses"] = c.aux_addresses;
      pools.push_back(pool);
    }
    Json body = {{"Name", n.name},
                 {"Driver", n.driver.empty() ? "bridge" : n.driver},
                 {"Internal", n.internal},
                 {"Attachable", n.attachable},
                 {"Options", n.driver_opts},
                 {"Labels", labels},
                 {"IPAM", {{"Driver", n.ipam_driver.empty() ? "default" : n.ipam_driver},
                           {"Config", pools}}}};
    progress_("Network", n.name, "Creating");
    BERTH_TRY(api_.call("POST", "/networks/create", {}, body));
    undo.add(undo.networks, n.name);
    progress_("Network", n.name, "Created");
  }
  return {};
}

Result<void> Runner::ensure_volumes(const std::vector<const Service*>& services, Undo& undo) {
  std::set<std::string> keys;
  for (auto* s : services) {
    for (auto& v : s->volumes) {
      if (v.type == MountType::kVolume && !v.source.empty()) keys.insert(v.source);
    }
  }
  for (auto& key : keys) {
    auto it = project_.volumes.find(key);
    if (it == project_.volumes.end()) continue;
    const Volume& v = it->second;
    auto existing = api_.call("GET", "/volumes/" + v.name);
    if (existing) continue;
    if (!is_not_found(existing)) return tl::unexpected(existing.error());
    if (v.external) {
      return make_error(Errc::kNotFound, "external volume \"" + v.name + "\" not found");
    }
    Json labels = Json::object();
    for (auto& [k, val] : v.labels) labels[k] = val;
    labels[kProjectLabel] = project_.name;
    labels["com.docker.compose.volume"] = key;
    labels["com.docker.compose.version"] = "2.29.0";
    progress_("Volume", "\"" + v.name + "\"", "Creating");
    BERTH_TRY(api_.call("POST", "/volumes/create", {},
                        Json{{"Name", v.name},
                             {"Driver", v.driver.empty() ? "local" : v.driver},
                             {"DriverOpts", v.driver_opts},
                             {"Labels", labels}}));
    undo.add(undo.volumes, v.name);
    progress_("Volume", "\"" + v.name + "\"", "Created");
  }
  return {};
}

// Builds or pulls the service's image as its pull_policy (or --pull, --build) asks; records
// the image ID for the container labels.
Result<void> Runner::ensure_image(const Service& s, const UpOptions& o) {
  std::string image = image_name(s);
  std::string policy = !o.pull.empty() ? o.pull : s.pull_policy.empty() ? "missing" : s.pull_policy;
  if (policy == "if_not_present") policy = "missing";
  bool can_build = s.build.has_value() && !o.no_build;
  bool must_build = can_build && (o.build || policy == "build");
  auto inspect = api_.call("GET", "/images/" + image + "/json");
  if (!inspect && !is_not_found(inspect)) return tl::unexpected(inspect.error());
  if (!must_build && inspect && policy != "always") {
    std::lock_guard<std::mutex> l(mu_);
    image_ids_[s.name] = inspect->value("Id", "");
    return {};
  }
  if (must_build || (can_build && !inspect)) {
    BERTH_TRY(api_.build(*s.build, image));
  } else if (policy == "never") {
    return make_error(Errc::kNotFound, "service \"" + s.name + "\": image " + image +
                                           " not found and pull_policy is never");
  } else {
    progress_("Image", image, "Pulling");
    BERTH_TRY(api_.pull(image));
    progress_("Image", image, "Pulled");
  }
  BERTH_ASSIGN_OR_RETURN(Json after, api_.call("GET", "/images/" + image + "/json"));
  std::lock_guard<std::mutex> l(mu_);
  image_ids_[s.name] = after.value("Id", "");
  return {};
}

Result<void> Runner::wait_dependencies(const Service& s) {
  for (auto& d : s.depends_on) {
    if (d.condition == DependsCondition::kStarted || !project_.service(d.service)) continue;
    BERTH_ASSIGN_OR_RETURN(auto deps, containers({d.service}, true));
    for (auto& c : deps) {
      progress_("Container", c.name, "Waiting");
      while (true) {
        BERTH_ASSIGN_OR_RETURN(Json info, api_.call("GET", cpath(c.id, "/json")));
        Json state = info.value("State", Json::object());
        std::string status = state.value("Status", "");
        int code = state.value("ExitCode", 0);
        if (d.condition == DependsCondition::kCompletedSuccessfully) {
          if (status == "exited" || status == "dead") {
            if (code != 0) {
              return make_error(Errc::kFailedPrecondition,
                                "service \"" + d.service + "\" didn't complete successfully: exit " +
                                    std::to_string(code));
            }
            progress_("Container", c.name, "Exited");
            break;
          }
        } else {
          Json health = state.value("Health", Json());
          if (!health.is_object()) {
            return make_error(Errc::kFailedPrecondition,
                              "container " + c.name + " has no healthcheck configured");
          }
          std::string hs = health.value("Status", "");
          if (hs == "healthy") {
            progress_("Container", c.name, "Healthy");
            break;
          }
          if (hs == "unhealthy") {
            return make_error(Errc::kFailedPrecondition,
                              "dependency failed to start: container " + c.name + " is unhealthy");
          }
          if (status == "exited" || status == "dead") {
            return make_error(Errc::kFailedPrecondition, "dependency failed to start: container " +
                                                             c.name + " exited (" +
                                                             std::to_string(code) + ")");
          }
        }
        ::usleep(100 * 1000);
      }
    }
  }
  return {};
}

Result<std::string> Runner::create_container(const Service& s, int number, Undo& undo,
                                             const Json& replaced) {
  std::string image_id;
  {
    std::lock_guard<std::mutex> l(mu_);
    image_id = image_ids_[s.name];
  }
  auto container_of = [&](const std::string& service) -> std::string {
    auto cs = containers({service}, false);
    return cs && !cs->empty() ? cs->front().id : "";
  };
  BERTH_ASSIGN_OR_RETURN(Json body, container_create_body(project_, s, number, image_name(s),
                                                          image_id, container_of));
  if (replaced.is_object()) inherit_anonymous_volumes(s, replaced, body);
  std::string name = !s.container_name.empty()
                         ? s.container_name
                         : project_.name + "-" + s.name + "-" + std::to_string(number);
  progress_("Container", name, "Creating");
  BERTH_ASSIGN_OR_RETURN(Json created, api_.call("POST", "/containers/create", {{"name", name}}, body));
  std::string id = created.value("Id", "");
  undo.add(undo.created, id);
  progress_("Container", name, "Created");
  return id;
}

// network_mode "service:x" joins the namespace of x's container at creation; once x's container
// is replaced, the joined one would stay in a namespace with nothing but lo, so it is recreated.
bool Runner::stale_network_container(const Service& s, const Json& summary) {
  if (!s.network_mode.starts_with("service:")) return false;
  auto target = containers({s.network_mode.substr(8)}, false);
  if (!target || target->empty()) return false;
  std::string mode = summary.value("HostConfig", Json::object()).value("NetworkMode", "");
  return mode != "container:" + target->front().id && mode != "container:" + target->front().name;
}

Result<void> Runner::converge(const Service& s, const UpOptions& o, Undo& undo) {
  BERTH_ASSIGN_OR_RETURN(auto existing, containers({s.name}, true));
  std::string hash = config_hash(s);
  std::string image_id;
  {
    std::lock_guard<std::mutex> l(mu_);
    image_id = image_ids_[s.name];
  }
  auto scaled = o.scale.find(s.name);
  int replicas = scaled != o.scale.end() ? scaled->second : s.replicas();
  std::vector<std::pair<std::string, std::string>> to_start;  // id, name
  for (int n = 1; n <= replicas; ++n) {
    auto it = std::find_if(existing.begin(), existing.end(), [&](auto& c) { return c.number == n; });
    if (it == existing.end()) {
      BERTH_ASSIGN_OR_RETURN(std::string id, create_container(s, n, undo));
      to_start.push_back({id, !s.container_name.empty() ? s.container_name
                                                        : project_.name + "-" + s.name + "-" + std::to_string(n)});
      continue;
    }
    Json labels = it->summary.value("Labels", Json::object());
    bool changed = labels.value("com.docker.compose.config-hash", "") != hash ||
                   (!image_id.empty() && labels.value("com.docker.compose.image", "") != image_id) ||
                   stale_network_container(s, it->summary);
    if (o.force_recreate || (changed && !o.no_recreate)) {
      progress_("Container", it->name, "Recreate");
      BERTH_ASSIGN_OR_RETURN(Json old, api_.call("GET", cpath(it->id, "/json")));
      (void)api_.call("POST", cpath(it->id, "/stop"));
      BERTH_TRY(api_.call("DELETE", cpath(it->id), {{"force", "1"}}));
      BERTH_ASSIGN_OR_RETURN(std::string id, create_container(s, n, undo, old));
      progress_("Container", it->name, "Recreated");
      to_start.push_back({id, it->name});
    } else if (it->summary.value("State", "") != "running") {
      to_start.push_back({it->id, it->name});
      undo.add(undo.started, it->id);
    } else {
      progress_("Container", it->name, "Running");
    }
  }
  // Replicas beyond the scale go, the highest numbers first.
  for (auto& c : existing) {
    if (c.number <= replicas) continue;
    progress_("Container", c.name, "Stopping");
    (void)api_.call("POST", cpath(c.id, "/stop"));
    BERTH_TRY(api_.call("DELETE", cpath(c.id), {{"force", "1"}}));
    progress_("Container", c.name, "Removed");
  }
  if (o.no_start) return {};
  for (auto& [id, name] : to_start) {
    progress_("Container", name, "Starting");
    BERTH_TRY(api_.call("POST", cpath(id, "/start")));
    progress_("Container", name, "Started");
  }
  return {};
}

Result<void> Runner::wait_healthy(const std::vector<const Service*>& services, int64_t timeout_ms) {
  int64_t deadline = timeout_ms > 0 ? now_ms() + timeout_ms : 0;
  std::vector<std::string> names;
  for (auto* s : services) names.push_back(s->name);
  BERTH_ASSIGN_OR_RETURN(auto cs, containers(names, true));
  for (auto& c : cs) {
    progress_("Container", c.name, "Waiting");
    while (true) {
      BERTH_ASSIGN_OR_RETURN(Json info, api_.call("GET", cpath(c.id, "/json")));
      Json state = info.value("State", Json::object());
      std::string status = state.value("Status", "");
      Json health = state.value("Health", Json());
      std::string hs = health.is_object() ? health.value("Status", "") : "";
      if (status == "exited" || status == "dead") {
        // A service that ran to completion is fine when something waits for that.
        if (state.value("ExitCode", 0) == 0 && !health.is_object()) {
          progress_("Container", c.name, "Exited");
          break;
        }
        return make_error(Errc::kFailedPrecondition, "container " + c.name + " exited (" +
                                                         std::to_string(state.value("ExitCode", 0)) + ")");
      }
      if (hs == "unhealthy") {
        return make_error(Errc::kFailedPrecondition, "container " + c.name + " is unhealthy");
      }
      if (status == "running" && (hs.empty() || hs == "healthy")) {
        progress_("Container", c.name, hs.empty() ? "Running" : "Healthy");
        break;
      }
      if (deadline && now_ms() > deadline) {
        return make_error(Errc::kDeadlineExceeded, "timeout waiting for container " + c.name);
      }
      ::usleep(100 * 1000);
    }
  }
  return {};
}

Result<void> Runner::remove_orphans(bool remove) {
  BERTH_ASSIGN_OR_RETURN(auto all, containers({}, true));
  std::vector<std::string> orphans;
  std::vector<ProjectContainer> found;
  for (auto& c : all) {
    bool known = project_.service(c.service) != nullptr ||
                 std::find(project_.disabled_services.begin(), project_.disabled_services.end(),
                           c.service) != project_.disabled_services.end();
    if (!known) {
      orphans.push_back(c.name);
      found.push_back(c);
    }
  }
  if (found.empty()) return {};
  if (!remove) {
    progress_("Warning", "", "Found orphan containers ([" + str::join(orphans, " ") + "]) for this project. "
              "If you removed or renamed this service in your compose file, you can run this "
              "command with the --remove-orphans flag to clean it up.");
    return {};
  }
  return parallel(found, [&](const ProjectContainer& c) -> Result<void> {
    progress_("Container", c.name, "Removing");
    BERTH_TRY(api_.call("DELETE", cpath(c.id), {{"force", "1"}}));
    progress_("Container", c.name, "Removed");
    return {};
  });
}

Result<void> Runner::up(const UpOptions& o) {
  auto targets = select(o.services, true);
  // Checked before anything is made: a fixed container name cannot be given to a second
  // replica (compose's getScale), and a --scale of no service is a typo.
  for (auto& [name, n] : o.scale) {
    if (!project_.service(name)) return make_error(Errc::kNotFound, "no such service: " + name);
  }
  for (auto* s : targets) {
    auto scaled = o.scale.find(s->name);
    int replicas = scaled != o.scale.end() ? scaled->second : s->replicas();
    if (replicas > 1 && !s->container_name.empty() && !o.resources_only) {
      return make_error(Errc::kInvalidArgument,
                        "service \"" + s->name + "\" is using the custom container name \"" +
                            s->container_name + "\" and cannot be scaled to " +
                            std::to_string(replicas) + ": container names must be unique");
    }
  }
  Undo undo;
  auto r = [&]() -> Result<void> {
    BERTH_TRY(ensure_networks(targets, undo));
    BERTH_TRY(ensure_volumes(targets, undo));
    BERTH_TRY(parallel(targets, [&](const Service* s) { return ensure_image(*s, o); }));
    if (o.resources_only) return {};
    BERTH_TRY(remove_orphans(o.remove_orphans));
    for (auto& level : levels(targets)) {
      auto level_result = parallel(level, [&](const Service* s) -> Result<void> {
        if (!o.no_start) BERTH_TRY(wait_dependencies(*s));
        return converge(*s, o, undo);
      });
      if (!level_result) return level_result;
    }
    if (o.wait && !o.no_start) BERTH_TRY(wait_healthy(targets, o.wait_timeout_ms));
    return {};
  }();
  if (r) return r;
  // Take back what this call made: no half-started project stays behind.
  for (auto& id : undo.created) (void)api_.call("DELETE", cpath(id), {{"force", "1"}, {"v", "1"}});
  for (auto& id : undo.started) (void)api_.call("POST", cpath(id, "/stop"));
  for (auto& n : undo.networks) (void)api_.call("DELETE", "/networks/" + n);
  for (auto& v : undo.volumes) (void)api_.call("DELETE", "/volumes/" + v);
  return r;
}

namespace {

// The containers of `services` in stop order (dependents first), one level per vector; the
// rest (orphans, one-offs of unknown services) in a last level.
std::vector<std::vector<ProjectContainer>> stop_levels(const std::vector<ProjectContainer>& cs,
                                                       const std::vector<const Service*>& services) {
  auto ls = levels(services);
  std::vector<std::vector<ProjectContainer>> out(ls.size() + 1);
  for (auto& c : cs) {
    size_t at = ls.size();
    for (size_t l = 0; l < ls.size(); ++l) {
      for (auto* s : ls[l]) {
        if (s->name == c.service) at = ls.size() - 1 - l;
      }
    }
    out[at == ls.size() ? 0 : at + 1].push_back(c);
  }
  return out;
}

}  // namespace

Result<void> Runner::down(const DownOptions& o) {
  BERTH_ASSIGN_OR_RETURN(auto all, containers({}, true, /*oneoff=*/true));
  auto services = select({}, false);
  std::vector<ProjectContainer> mine;
  std::vector<std::string> orphans;
  for (auto& c : all) {
    bool known = project_.service(c.service) != nullptr ||
                 std::find(project_.disabled_services.begin(), project_.disabled_services.end(),
                           c.service) != project_.disabled_services.end();
    if (known || o.remove_orphans) {
      mine.push_back(c);
    } else {
      orphans.push_back(c.name);
    }
  }
  if (!orphans.empty()) {
    progress_("Warning", "", "Found orphan containers ([" + str::join(orphans, " ") +
                                 "]) for this project. To remove them, run this command with "
                                 "the --remove-orphans flag.");
  }
  ApiQuery stop_q;
  if (o.timeout_s >= 0) stop_q.push_back({"t", std::to_string(o.timeout_s)});
  for (auto& level : stop_levels(mine, services)) {
    auto level_result = parallel(level, [&](const ProjectContainer& c) -> Result<void> {
      if (c.summary.value("State", "") == "running" || c.summary.value("State", "") == "paused") {
        progress_("Container", c.name, "Stopping");
        auto s = api_.call("POST", cpath(c.id, "/stop"), stop_q);
        if (!s && !is_not_found(s)) return tl::unexpected(s.error());
        progress_("Container", c.name, "Stopped");
      }
      progress_("Container", c.name, "Removing");
      auto r = api_.call("DELETE", cpath(c.id), {{"force", "1"}, {"v", o.volumes ? "1" : "0"}});
      if (!r && !is_not_found(r)) return tl::unexpected(r.error());
      progress_("Container", c.name, "Removed");
      return {};
    });
    if (!level_result) return level_result;
  }
  for (auto& [key, n] : project_.networks) {
    if (n.external) continue;
    auto r = api_.call("DELETE", "/networks/" + n.name);
    if (!r && !is_not_found(r)) return tl::unexpected(r.error());
    if (r) progress_("Network", n.name, "Removed");
  }
  if (o.volumes) {
    for (auto& [key, v] : project_.volumes) {
      if (v.external) continue;
      auto r = api_.call("DELETE", "/volumes/" + v.name);
      if (!r && !is_not_found(r)) return tl::unexpected(r.error());
      if (r) progress_("Volume", v.name, "Removed");
    }
  }
  if (!o.rmi.empty()) {
    std::set<std::string> images;
    for (auto& s : project_.services) {
      if (o.rmi == "all" || s.image.empty()) images.insert(image_name(s));
    }
    for (auto& image : images) {
      auto r = api_.call("DELETE", "/images/" + image);
      if (!r && !is_not_found(r)) return tl::unexpected(r.error());
      if (r) progress_("Image", image, "Removed");
    }
  }
  return {};
}

Result<void> Runner::stop(const std::vector<std::string>& services, int timeout_s) {
  BERTH_ASSIGN_OR_RETURN(auto cs, containers(services, false));
  ApiQuery q;
  if (timeout_s >= 0) q.push_back({"t", std::to_string(timeout_s)});
  for (auto& level : stop_levels(cs, select({}, false))) {
    auto level_result = parallel(level, [&](const ProjectContainer& c) -> Result<void> {
      progress_("Container", c.name, "Stopping");
      BERTH_TRY(api_.call("POST", cpath(c.id, "/stop"), q));
      progress_("Container", c.name, "Stopped");
      return {};
    });
    if (!level_result) return level_result;
  }
  return {};
}

Result<void> Runner::start(const std::vector<std::string>& services) {
  auto targets = select(services, false);
  for (auto& level : levels(targets)) {
    auto level_result = parallel(level, [&](const Service* s) -> Result<void> {
      BERTH_TRY(wait_dependencies(*s));
      BERTH_ASSIGN_OR_RETURN(auto cs, containers({s->name}, true));
      if (cs.empty() && s->replicas() > 0) {
        return make_error(Errc::kNotFound, "service \"" + s->name + "\" has no container to start");
      }
      for (auto& c : cs) {
        if (c.summary.value("State", "") == "running") continue;
        progress_("Container", c.name, "Starting");
        BERTH_TRY(api_.call("POST", cpath(c.id, "/start")));
        progress_("Container", c.name, "Started");
      }
      return {};
    });
    if (!level_result) return level_result;
  }
  return {};
}

Result<void> Runner::restart(const std::vector<std::string>& services, int timeout_s) {
  BERTH_ASSIGN_OR_RETURN(auto cs, containers(services, true));
  ApiQuery q;
  if (timeout_s >= 0) q.push_back({"t", std::to_string(timeout_s)});
  return parallel(cs, [&](const ProjectContainer& c) -> Result<void> {
    progress_("Container", c.name, "Restarting");
    BERTH_TRY(api_.call("POST", cpath(c.id, "/restart"), q));
    progress_("Container", c.name, "Started");
    return {};
  });
}

Result<void> Runner::build(const std::vector<std::string>& services) {
  for (auto* s : select(services, false)) {
    if (s->build) BERTH_TRY(api_.build(*s->build, image_name(*s)));
  }
  return {};
}

Result<void> Runner::pull(const std::vector<std::string>& services) {
  auto targets = select(services, false);
  return parallel(targets, [&](const Service* s) -> Result<void> {
    if (s->build && s->pull_policy != "always") return {};
    progress_("Image", image_name(*s), "Pulling");
    BERTH_TRY(api_.pull(image_name(*s)));
    progress_("Image", image_name(*s), "Pulled");
    return {};
  });
}

Result<std::vector<ProjectSummary>> list_projects(EngineApi& api, bool all) {
  BERTH_ASSIGN_OR_RETURN(Json list, api.call("GET", "/containers/json",
                                             {{"all", "1"}, {"filters", label_filter({kProjectLabel})}}));
  struct Tally {
    std::map<std::string, int> states;
    std::set<std::string> files;
  };
  std::map<std::string, Tally> projects;
  for (auto& c : list.is_array() ? list : Json::array()) {
    Json l = c.value("Labels", Json::object());
    if (!l.is_object()) continue;
    auto& t = projects[l.value(kProjectLabel, "")];
    t.states[c.value("State", "")]++;
    for (auto& f : str::split(l.value("com.docker.compose.project.config_files", ""), ',')) {
      if (!f.empty()) t.files.insert(f);
    }
  }
  std::vector<ProjectSummary> out;
  for (auto& [name, t] : projects) {
    if (!all && !t.states.count("running")) continue;
    ProjectSummary p;
    p.name = name;
    for (auto& [state, n] : t.states) {
      p.status += (p.status.empty() ? "" : ", ") + state + "(" + std::to_string(n) + ")";
    }
    p.config_files = str::join(std::vector<std::string>(t.files.begin(), t.files.end()), ",");
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace berth::compose
