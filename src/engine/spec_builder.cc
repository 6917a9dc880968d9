#include "engine/spec_builder.h"

#include "engine/spec_options.h"

#include <sys/capability.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <set>

#include "common/fs.h"
#include "common/strings.h"
#include "runtime/spec/spec.h"

namespace berth::engine {
namespace {

struct PasswdEntry {
  std::string name;
  uint32_t uid = 0, gid = 0;
  std::string home;
};

std::vector<std::vector<std::string>> colon_file(const std::string& path) {
  std::vector<std::vector<std::string>> out;
  auto text = fs::read_file(path);
  if (!text) return out;
  for (auto& line : str::split(*text, '\n')) {
    if (line.empty() || line[0] == '#') continue;
    out.push_back(str::split(line, ':'));
  }
  return out;
}

}  // namespace

// docker's user spec: user, uid, user:group, uid:gid (moby/sys/user GetExecUser).
Result<OrderedJson> resolve_user(const std::string& spec, const std::string& rootfs) {
  OrderedJson u = {{"uid", 0}, {"gid", 0}};
  if (spec.empty()) return u;
  auto colon = spec.find(':');
  std::string user = spec.substr(0, colon);
  std::string group = colon == std::string::npos ? "" : spec.substr(colon + 1);
  auto passwd = colon_file(rootfs + "/etc/passwd");
  auto groups = colon_file(rootfs + "/etc/group");
  uint32_t uid = 0, gid = 0;
  std::string name;
  bool found = false;
  for (auto& f : passwd) {
    if (f.size() < 4) continue;
    if (f[0] == user || (str::parse_uint(user) && f[2] == user)) {
      uid = static_cast<uint32_t>(str::parse_uint(f[2]).value_or(0));
      gid = static_cast<uint32_t>(str::parse_uint(f[3]).value_or(0));
      name = f[0];
      found = true;
      break;
    }
  }
  if (!found) {
    auto n = str::parse_uint(user);
    if (!n) {
      return make_error(Errc::kInvalidArgument,
                        "unable to find user " + user + ": no matching entries in passwd file");
    }
    uid = static_cast<uint32_t>(*n);
  }
  if (!group.empty()) {
    bool gfound = false;
    for (auto& f : groups) {
      if (f.size() >= 3 && (f[0] == group || (str::parse_uint(group) && f[2] == group))) {
        gid = static_cast<uint32_t>(str::parse_uint(f[2]).value_or(0));
        gfound = true;
        break;
      }
    }
    if (!gfound) {
      auto n = str::parse_uint(group);
      if (!n) {
        return make_error(Errc::kInvalidArgument,
                          "unable to find group " + group + ": no matching entries in group file");
      }
      gid = static_cast<uint32_t>(*n);
    }
  }
  u["uid"] = uid;
  u["gid"] = gid;
  OrderedJson extra = OrderedJson::array();
  if (!name.empty()) {
    for (auto& f : groups) {
      if (f.size() < 4) continue;
      for (auto& member : str::split(f[3], ',')) {
        auto g = str::parse_uint(f[2]);
        if (member == name && g && *g != gid) extra.push_back(*g);
      }
    }
  }
  if (!extra.empty()) u["additionalGids"] = extra;
  return u;
}

namespace {

using namespace spec_opts;

// --- mounts and process ---

OrderedJson* find_mount(OrderedJson& spec, const std::string& destination) {
  for (auto& m : spec["mounts"]) {
    if (m["destination"] == destination) return &m;
  }
  return nullptr;
}

// --shm-size: the /dev/shm tmpfs's size (0 = docker's default, 64 MiB, already there).
Result<void> apply_shm_size(OrderedJson& spec, const Json& hc) {
  int64_t size = int_field(hc, "ShmSize");
  if (size < 0) return invalid("SHM size can not be less than 0");
  OrderedJson* shm = find_mount(spec, "/dev/shm");
  if (size == 0 || shm == nullptr) return {};
  auto& opts = (*shm)["options"];
  for (auto it = opts.begin(); it != opts.end();) {
    it = it->get<std::string>().starts_with("size=") ? opts.erase(it) : it + 1;
  }
  opts.push_back("size=" + std::to_string(size));
  return {};
}

// --init: the host's static tini as docker-init, pid 1 of the container (dockerd's --init).
Result<void> apply_init(OrderedJson& spec) {
  for (const char* path : {"/usr/bin/tini-static", "/usr/bin/docker-init"}) {
    if (!fs::exists(path)) continue;
    spec["mounts"].push_back(bind_mount(path, "/sbin/docker-init", true));
    auto& args = spec["process"]["args"];
    args.insert(args.begin(), {"/sbin/docker-init", "--"});
    return {};
  }
  return invalid("--init: no init binary found (install tini)");
}

// --group-add: names from the container's /etc/group, numbers as they are (moby
// GetAdditionalGroups).
Result<void> add_groups(OrderedJson& user, const Json& list, const std::string& rootfs) {
  auto groups = colon_file(rootfs + "/etc/group");
  if (!user.contains("additionalGids")) user["additionalGids"] = OrderedJson::array();
  for (auto& g : string_array(list)) {
    auto number = str::parse_uint(g);
    std::optional<uint64_t> gid;
    for (auto& f : groups) {
      auto fgid = f.size() >= 3 ? str::parse_uint(f[2]) : std::nullopt;
      if (fgid && (f[0] == g || (number && *fgid == *number))) {
        gid = fgid;
        break;
      }
    }
    if (!gid) gid = number;
    if (!gid || *gid > UINT32_MAX) {
      return invalid("unable to find group " + g + ": no matching entries in group file");
    }
    if (!contains(user["additionalGids"], OrderedJson(*gid))) user["additionalGids"].push_back(*gid);
  }
  if (user["additionalGids"].empty()) user.erase("additionalGids");
  return {};
}

// Capabilities, no_new_privs, seccomp and --privileged's lifting of the confinement.
Result<void> apply_security(OrderedJson& spec, const Json& hc) {
  BERTH_ASSIGN_OR_RETURN(auto caps, container_caps(hc));
  BERTH_ASSIGN_OR_RETURN(SecurityOpts opts, parse_security_opts(array_field(hc, "SecurityOpt")));
  const bool privileged = bool_field(hc, "Privileged");
  OrderedJson& proc = spec["process"];
  // bounding, effective and permitted; never inheritable (CVE-2022-24769, moby oci caps).
  proc["capabilities"] = {{"bounding", caps}, {"effective", caps}, {"permitted", caps}};
  proc["noNewPrivileges"] = opts.no_new_privileges;  // docker's default: off
  OrderedJson& linux = spec["linux"];
  BERTH_ASSIGN_OR_RETURN(auto seccomp, seccomp_for(opts, privileged, caps));
  if (seccomp) {
    linux["seccomp"] = std::move(*seccomp);
  } else {
    linux.erase("seccomp");
  }
  if (privileged) {
    proc.erase("apparmorProfile");
    linux.erase("maskedPaths");
    linux.erase("readonlyPaths");
    if (OrderedJson* sys = find_mount(spec, "/sys")) drop_option(*sys, "ro");
  }
  if (opts.writable_cgroups.value_or(privileged)) {
    if (OrderedJson* cg = find_mount(spec, "/sys/fs/cgroup")) drop_option(*cg, "ro");
  }
  return {};
}

Result<void> apply_process_options(OrderedJson& spec, const Container& c,
                                   const std::string& rootfs) {
  const Json& hc = c.host_config;
  OrderedJson& proc = spec["process"];
  BERTH_TRY(add_groups(proc["user"], array_field(hc, "GroupAdd"), rootfs));
  BERTH_ASSIGN_OR_RETURN(proc["rlimits"], rlimits_for(array_field(hc, "Ulimits"), c.id));
  if (proc["rlimits"].empty()) proc.erase("rlimits");
  int64_t oom = int_field(hc, "OomScoreAdj");
  if (oom < -1000 || oom > 1000) {
    return invalid("Invalid value " + std::to_string(oom) +
                   ", range for oom score adj is [-1000, 1000]");
  }
  // 0 is left out: the daemon's own is inherited, and lowering it needs CAP_SYS_RESOURCE.
  if (oom != 0) proc["oomScoreAdj"] = oom;
  if (bool_field(hc, "Init")) BERTH_TRY(apply_init(spec));
  return {};
}

}  // namespace

Result<void> validate_host_config(const Container& c) {
  OrderedJson spec = runtime::spec::default_spec_json();
  const Json& hc = c.host_config;
  BERTH_TRY(apply_security(spec, hc));
  BERTH_TRY(apply_shm_size(spec, hc));
  int64_t oom = int_field(hc, "OomScoreAdj");
  if (oom < -1000 || oom > 1000) {
    return invalid("Invalid value " + std::to_string(oom) + ", range for oom score adj is [-1000, 1000]");
  }
  if (bool_field(hc, "Init") && !fs::exists("/usr/bin/tini-static") && !fs::exists("/usr/bin/docker-init")) {
    return invalid("--init: no init binary found (install tini)");
  }
  OrderedJson& linux = spec["linux"];
  BERTH_TRY(apply_sysctls(linux, c));
  BERTH_TRY(resources_for(hc).map([](auto&&) {}));
  BERTH_TRY(apply_devices(linux, hc));
  return {};
}

Result<OrderedJson> build_spec(const Container& c, const std::string& rootfs) {
  OrderedJson spec = runtime::spec::default_spec_json();
  const Json& cfg = c.config;
  const Json& hc = c.host_config;
  std::vector<std::string> args = string_array(cfg.value("Entrypoint", Json()));
  for (auto& a : string_array(cfg.value("Cmd", Json()))) args.push_back(a);
  if (args.empty()) {
    return make_error(Errc::kInvalidArgument, "no command specified");
  }
  OrderedJson& proc = spec["process"];
  proc["terminal"] = cfg.value("Tty", false);
  // docker run -t sends the client's terminal size as HostConfig.ConsoleSize [rows, columns]
  // (API 1.42+): the pty has it before the process starts (runtime-spec process.consoleSize).
  if (Json cs = hc.value("ConsoleSize", Json()); cfg.value("Tty", false) && cs.is_array() && cs.size() == 2 &&
                                                 cs[0].is_number_unsigned() && cs[1].is_number_unsigned() &&
                                                 cs[0].get<uint32_t>() > 0 && cs[1].get<uint32_t>() > 0) {
    proc["consoleSize"] = {{"height", cs[0].get<uint32_t>()}, {"width", cs[1].get<uint32_t>()}};
  }
  proc["args"] = args;
  std::vector<std::string> env = string_array(cfg.value("Env", Json()));
  auto has = [&](const std::string& k) {
    return std::any_of(env.begin(), env.end(), [&](auto& e) { return e.rfind(k + "=", 0) == 0; });
  };
  if (!has("PATH")) env.insert(env.begin(), "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  std::string hostname = cfg.value("Hostname", "");
  if (hostname.empty()) hostname = c.id.substr(0, 12);
  if (!has("HOSTNAME")) env.insert(env.begin() + 1, "HOSTNAME=" + hostname);
  if (cfg.value("Tty", false) && !has("TERM")) env.push_back("TERM=xterm");
  proc["env"] = env;
  std::string cwd = cfg.value("WorkingDir", "");
  proc["cwd"] = cwd.empty() ? "/" : cwd;
  BERTH_ASSIGN_OR_RETURN(proc["user"], resolve_user(cfg.value("User", ""), rootfs));
  spec["hostname"] = hostname;
  spec["root"] = {{"path", rootfs}, {"readonly", hc.value("ReadonlyRootfs", false)}};
  BERTH_TRY(apply_security(spec, hc));
  BERTH_TRY(apply_process_options(spec, c, rootfs));

  // /etc/hosts, /etc/hostname and /etc/resolv.conf are the container's own files.
  spec["mounts"].push_back(bind_mount(c.dir + "/resolv.conf", "/etc/resolv.conf", false));
  spec["mounts"].push_back(bind_mount(c.dir + "/hostname", "/etc/hostname", false));
  spec["mounts"].push_back(bind_mount(c.dir + "/hosts", "/etc/hosts", false));
  BERTH_TRY(apply_shm_size(spec, hc));
  for (auto& m : c.mounts.is_array() ? c.mounts : Json::array()) {
    std::string type = m.value("Type", "");
    bool ro = !m.value("RW", true);
    if (type == "tmpfs") {
      OrderedJson opts = OrderedJson::array();
      for (auto& o : m.value("Options", Json::array())) opts.push_back(o.get<std::string>());
      if (ro) opts.push_back("ro");
      spec["mounts"].push_back({{"destination", m["Destination"]}, {"type", "tmpfs"},
                                {"source", "tmpfs"}, {"options", opts}});
    } else {
      spec["mounts"].push_back(bind_mount(m["Source"], m["Destination"], ro));
    }
  }

  OrderedJson& linux = spec["linux"];
  auto& ns = linux["namespaces"];
  if (host_network(c)) {
    for (auto it = ns.begin(); it != ns.end();) {
      it = (*it)["type"] == "network" || (*it)["type"] == "uts" ? ns.erase(it) : it + 1;
    }
  } else if (std::string path = network_field(c, "netns"); !path.empty()) {
    for (auto& n : ns) {
      if (n["type"] == "network") n["path"] = path;  // made and wired by the engine (CNI)
    }
  }
  BERTH_TRY(apply_sysctls(linux, c));
  BERTH_ASSIGN_OR_RETURN(OrderedJson res, resources_for(hc));
  for (auto& [k, v] : res.items()) linux["resources"][k] = v;
  BERTH_TRY(apply_devices(linux, hc));
  return spec;
}

}  // namespace berth::engine
