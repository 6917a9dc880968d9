// GET /_ping, /version, /info, /system/df.
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "api/docker/routes.h"
#include "image/docker_json.h"

namespace berth::api {
namespace {

constexpr const char* kVersion = "0.1.0";

std::string kernel_version() {
  struct utsname u {};
  ::uname(&u);
  return u.release;
}

}  // namespace

void add_system_routes(Router& r, DaemonContext& ctx) {
  // The classic builder is announced (Builder-Version 1) so docker build uses POST /build.
  r.add("GET", "/_ping", [](Exchange& ex) {
    ex.reply(200, ex.method() == "HEAD" ? "" : "OK", "text/plain; charset=utf-8");
  });
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
