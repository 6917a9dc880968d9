// GET /_ping, /version, /info, /system/df.
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "api/docker/routes.h"
#include "image/docker_json.h"
#include "image/filters.h"

namespace berth::api {
namespace {

constexpr const char* kVersion = "0.1.0";

std::string kernel_version() {
  struct utsname u {};
  ::uname(&u);
  return u.release;
}

}  // namespace

namespace {

// docker's since/until: unix seconds with an optional fraction ("1700000000.5"); 0 = unset.
int64_t unix_nano(const std::string& v) {
  if (v.empty()) return 0;
  char* end = nullptr;
  double s = std::strtod(v.c_str(), &end);
  return end && *end == 0 ? static_cast<int64_t>(s * 1e9) : 0;
}

// docker events --filter (moby daemon/events/filter.go): each key must match one of its values.
bool event_matches(const engine::Event& e, const std::map<std::string, std::vector<std::string>>& f) {
  auto named = [&](const std::string& v) {
    auto n = e.attributes.find("name");
    return e.id.starts_with(v) || (n != e.attributes.end() && n->second == v);
  };
  for (auto& [key, values] : f) {
    bool any = false;
    for (auto& v : values) {
      if (key == "type") any = any || e.type == v;
      else if (key == "event") any = any || e.action == v || e.action.starts_with(v + ":");
      else if (key == "container" || key == "network" || key == "volume") any = any || (e.type == key && named(v));
      else if (key == "image") any = any || (e.attributes.count("image") && e.attributes.at("image") == v) || (e.type == "image" && e.id == v);
      else if (key == "label") {
        auto eq = v.find('=');
        auto it = e.attributes.find(v.substr(0, eq));
        any = any || (it != e.attributes.end() && (eq == std::string::npos || it->second == v.substr(eq + 1)));
      } else {
        any = true;  // scope, daemon, ...: nothing of ours differs by them
      }
    }
    if (!any) return false;
  }
  return true;
}

}  // namespace

void add_system_routes(Router& r, DaemonContext& ctx) {
  r.add("GET", "/events", [&ctx](Exchange& ex) {
    auto f = image::parse_filters_json(ex.query("filters", "{}"));
    if (!f) return ex.error(f.error());
    int64_t since = unix_nano(ex.query("since")), until = unix_nano(ex.query("until"));
    if (!ex.begin_stream(200, "application/json")) return;
    bool follow = until == 0 || until > static_cast<int64_t>(::time(nullptr)) * 1000000000;
    ctx.engine->events().subscribe(
        since, until, follow, [&](const engine::Event& e) { return event_matches(e, *f); },
        [&](const engine::Event& e) { return ex.write(dump_json(engine::event_json(e)) + "\n"); },
        [&] { return ex.client_gone(); });
    ex.end_stream();
  });

  // The classic builder is announced (Builder-Version 1) so docker build uses POST /build.
  // Builder-Version 1: the Engine API's builder (POST /build); clients that would use BuildKit
  // fall back to it, as with a dockerd whose BuildKit is off.
  auto ping = [](Exchange& ex) {
    ex.set_header("Builder-Version", "1");
    ex.set_header("Cache-Control", "no-cache, no-store, must-revalidate");
    ex.reply(200, ex.method() == "HEAD" ? "" : "OK", "text/plain; charset=utf-8");
  };
  r.add("GET", "/_ping", ping);
  r.add("HEAD", "/_ping", ping);
  r.add("GET", "/version", [](Exchange& ex) {
    ex.reply_json(200, {{"Platform", {{"Name", "berth"}}},
                        {"Components",
                         Json::array({{{"Name", "Engine"},
                                       {"Version", kVersion},
                                       {"Details", {{"ApiVersion", "1.43"},
                                                    {"MinAPIVersion", "1.24"},
                                                    {"Os", "linux"},
                                                    {"Arch", "amd64"},
                                                    {"KernelVersion", kernel_version()}}}}})},
                        {"Version", kVersion},
                        {"ApiVersion", "1.43"},
                        {"MinAPIVersion", "1.24"},
                        {"GitCommit", "berth"},
                        {"GoVersion", "none (C++20)"},
                        {"Os", "linux"},
                        {"Arch", "amd64"},
                        {"KernelVersion", kernel_version()},
                        {"BuildTime", ""}});
  });
  r.add("GET", "/info", [&ctx](Exchange& ex) {
    auto images = ctx.images->list();
    struct sysinfo si {};
    ::sysinfo(&si);
    char host[256] = {};
    ::gethostname(host, sizeof host - 1);
    bool v2 = ::access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0;
    Json insecure = Json::array({"127.0.0.0/8"});
    for (auto& h : ctx.insecure_registries) insecure.push_back(h);
    ex.reply_json(200, {{"ID", "berth"},
                        {"Containers", 0},
                        {"ContainersRunning", 0},
                        {"ContainersPaused", 0},
                        {"ContainersStopped", 0},
                        {"Images", images ? images->size() : 0},
                        {"Driver", "overlay2"},
                        {"DriverStatus", Json::array()},
                        {"DockerRootDir", ctx.data_root},
                        {"Name", host},
                        {"NCPU", ::sysconf(_SC_NPROCESSORS_ONLN)},
                        {"MemTotal", static_cast<int64_t>(si.totalram) * si.mem_unit},
                        {"OperatingSystem", "berth"},
                        {"OSType", "linux"},
                        {"Architecture", "x86_64"},
                        {"KernelVersion", kernel_version()},
                        {"ServerVersion", kVersion},
                        {"CgroupDriver", "cgroupfs"},
                        {"CgroupVersion", v2 ? "2" : "1"},
                        {"LoggingDriver", "json-file"},
                        {"DefaultRuntime", "runc"},
                        {"Runtimes", {{"runc", {{"path", "berth-runc"}}}}},
                        {"SecurityOptions", Json::array({"name=seccomp,profile=builtin"})},
                        {"RegistryConfig",
                         {{"InsecureRegistryCIDRs", insecure},
                          {"IndexConfigs", Json::object()},
                          {"Mirrors", Json::array()}}},
                        {"Warnings", Json::array()}});
  });
  r.add("GET", "/system/df", [&ctx](Exchange& ex) {
    auto images = ctx.images->list();
    if (!images) return ex.error(images.error());
    Json list = Json::array();
    int64_t layers = 0;
    for (auto& img : *images) {
      list.push_back(image::summary_json(img));
      layers += img.size;
    }
    ex.reply_json(200, {{"LayersSize", layers},
                        {"Images", list},
                        {"Containers", Json::array()},
                        {"Volumes", Json::array()},
                        {"BuildCache", Json::array()}});
  });
}

}  // namespace berth::api
