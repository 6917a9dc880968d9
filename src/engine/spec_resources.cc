// --ulimit, devices, sysctls and resources for build_spec (spec_options.h); the helpers here
// are internal to the engine.
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <set>

#include "common/fs.h"
#include "common/strings.h"
#include "engine/spec_options.h"

namespace berth::engine::spec_opts {

// --- --ulimit (moby withRlimits; names as go-units) ---

struct UlimitName {
  const char* name;
  int resource;
};
constexpr UlimitName kUlimits[] = {
    {"as", RLIMIT_AS},         {"core", RLIMIT_CORE},         {"cpu", RLIMIT_CPU},
    {"data", RLIMIT_DATA},     {"fsize", RLIMIT_FSIZE},       {"locks", RLIMIT_LOCKS},
    {"memlock", RLIMIT_MEMLOCK}, {"msgqueue", RLIMIT_MSGQUEUE}, {"nice", RLIMIT_NICE},
    {"nofile", RLIMIT_NOFILE}, {"nproc", RLIMIT_NPROC},       {"rss", RLIMIT_RSS},
    {"rtprio", RLIMIT_RTPRIO}, {"rttime", RLIMIT_RTTIME},     {"sigpending", RLIMIT_SIGPENDING},
    {"stack", RLIMIT_STACK},
};

// Without CAP_SYS_RESOURCE the runtime, our child, cannot raise a hard limit above ours: the
// container gets ours (the runtime would clamp too, but its warning goes nowhere).
void clamp_to_daemon(int resource, const std::string& name, uint64_t& soft, uint64_t& hard,
                     const std::string& id) {
  rlimit own{};
  if (contains(current_caps(), std::string("CAP_SYS_RESOURCE")) ||
      ::getrlimit(resource, &own) != 0 || hard <= own.rlim_max) {
    return;
  }
  std::fprintf(stderr,
               "berth daemon: container %s: ulimit %s: hard limit %llu is above the daemon's "
               "own (%llu) and it cannot raise it; clamped to %llu\n",
               id.substr(0, 12).c_str(), name.c_str(), static_cast<unsigned long long>(hard),
               static_cast<unsigned long long>(own.rlim_max),
               static_cast<unsigned long long>(own.rlim_max));
  hard = own.rlim_max;
  soft = std::min<uint64_t>(soft, hard);
}

// process.rlimits: only what the user asked for; everything else is inherited from the daemon,
// as docker's containers inherit containerd's.
Result<OrderedJson> rlimits_for(const Json& ulimits, const std::string& id) {
  OrderedJson out = OrderedJson::array();
  for (auto& u : ulimits) {
    if (!u.is_object()) continue;
    std::string name = string_field(u, "Name");
    auto known = std::find_if(std::begin(kUlimits), std::end(kUlimits),
                              [&](auto& k) { return name == k.name; });
    if (known == std::end(kUlimits)) return invalid("invalid ulimit type: " + name);
    int64_t s = int_field(u, "Soft"), h = int_field(u, "Hard");
    if (s > h) {
      return invalid("ulimit soft limit must be less than or equal to hard limit: " +
                     std::to_string(s) + " > " + std::to_string(h));
    }
    uint64_t soft = s < 0 ? RLIM_INFINITY : static_cast<uint64_t>(s);
    uint64_t hard = h < 0 ? RLIM_INFINITY : static_cast<uint64_t>(h);
    clamp_to_daemon(known->resource, name, soft, hard, id);
    out.push_back({{"type", "RLIMIT_" + str::to_upper(name)}, {"hard", hard}, {"soft", soft}});
  }
  return out;
}

// --- devices (moby WithDevices, containerd DeviceFromPath/HostDevices) ---

// Go's text for an errno ("no such file or directory").
std::string go_errno(int err) {
  std::string s = std::strerror(err);
  if (!s.empty()) s[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(s[0])));
  return s;
}

// The node at `host` (lstat: a symlink is no device) as a linux.devices[] entry at `path`.
// Errors: the errno of lstat (kNotFound), kInvalidArgument "not a device node".
Result<OrderedJson> device_node(const std::string& host, const std::string& path) {
  struct stat st {};
  if (::lstat(host.c_str(), &st) != 0) return make_error(Errc::kNotFound, go_errno(errno));
  const char* type = S_ISCHR(st.st_mode) ? "c" : S_ISBLK(st.st_mode) ? "b"
                   : S_ISFIFO(st.st_mode) ? "p" : nullptr;
  if (type == nullptr) return invalid("not a device node");
  return OrderedJson{{"path", path}, {"type", type}, {"major", major(st.st_rdev)},
                     {"minor", minor(st.st_rdev)}, {"fileMode", st.st_mode & 07777},
                     {"uid", st.st_uid}, {"gid", st.st_gid}};
}

OrderedJson allow_rule(const OrderedJson& dev, const std::string& access) {
  return {{"allow", true}, {"type", dev["type"]}, {"major", dev["major"]},
          {"minor", dev["minor"]}, {"access", access}};
}

// The device nodes under `dir`, recursively, placed under `ctr`. `host_dev` walks /dev for
// --privileged: no pts, shm, fd, mqueue, console or fifos (HostDevices), and no ptmx, which the
// runtime links to pts/ptmx as runc does.
void collect_devices(const std::string& dir, const std::string& ctr, bool host_dev,
                     std::vector<OrderedJson>& out) {
  static const std::set<std::string> kSkipDirs = {"pts", "shm", "fd", "mqueue", ".lxc",
                                                  ".lxd-mounts", ".udev"};
  auto names = fs::list_dir(dir);
  if (!names) return;
  std::sort(names->begin(), names->end());
  for (auto& n : *names) {
    std::string host = dir + "/" + n, path = ctr + "/" + n;
    struct stat st {};
    if (::lstat(host.c_str(), &st) != 0) continue;
    if (S_ISDIR(st.st_mode)) {
      if (!host_dev || !kSkipDirs.count(n)) collect_devices(host, path, host_dev, out);
      continue;
    }
    if (host_dev && (n == "console" || n == "ptmx" || S_ISFIFO(st.st_mode))) continue;
    if (auto d = device_node(host, path)) out.push_back(std::move(*d));
  }
}

// One --device PATH_ON_HOST[:PATH_IN_CONTAINER[:PERMISSIONS]] (moby DevicesFromPath): a node,
// or a directory of them; a symlink is followed once.
Result<void> add_device(const Json& mapping, OrderedJson& devices, OrderedJson& rules) {
  std::string host = string_field(mapping, "PathOnHost");
  std::string path = string_field(mapping, "PathInContainer");
  std::string access = string_field(mapping, "CgroupPermissions");
  if (path.empty()) path = host;
  if (access.empty()) access = "rwm";
  std::string resolved = host;
  struct stat st {};
  if (::lstat(host.c_str(), &st) == 0 && S_ISLNK(st.st_mode)) {
    if (char* real = ::realpath(host.c_str(), nullptr)) {
      resolved = real;
      ::free(real);
    }
  }
  auto node = device_node(resolved, path);
  std::vector<OrderedJson> found;
  if (node) {
    found.push_back(*node);
  } else if (node.error().code == Errc::kInvalidArgument && fs::is_dir(resolved)) {
    collect_devices(resolved, path, false, found);
  }
  if (found.empty()) {
    return invalid("error gathering device information while adding custom device " +
                   quote(host) + ": " + node.error().message);
  }
  for (auto& d : found) {
    if (d["type"] != "p") rules.push_back(allow_rule(d, access));  // cgroups know c and b
    devices.push_back(std::move(d));
  }
  return {};
}

// Privileged: every host device, and every device allowed; else the --device mappings.
Result<void> apply_devices(OrderedJson& linux, const Json& hc) {
  OrderedJson devices = OrderedJson::array();
  OrderedJson rules = linux["resources"]["devices"];
  if (!bool_field(hc, "Privileged")) {
    for (auto& m : array_field(hc, "Devices")) BERTH_TRY(add_device(m, devices, rules));
  } else {
    std::vector<OrderedJson> host;
    collect_devices("/dev", "/dev", true, host);
    for (auto& d : host) devices.push_back(std::move(d));
    OrderedJson ignored = OrderedJson::array();
    for (auto& m : array_field(hc, "Devices")) {
      // Host paths are there already; the others are added (their permissions do not matter).
      if (string_field(m, "PathOnHost") != string_field(m, "PathInContainer")) {
        BERTH_TRY(add_device(m, devices, ignored));
      }
    }
    rules = OrderedJson::array({{{"allow", true}, {"access", "rwm"}}});
  }
  if (!devices.empty()) linux["devices"] = std::move(devices);
  linux["resources"]["devices"] = std::move(rules);
  return {};
}

// --- sysctls ---

// docker's allow-list (docker CLI opts.ValidateSysctl): sysctls of the container's own ipc and
// network namespaces; net.* not with the host's network (runc's check).
Result<void> check_sysctl(const std::string& key, bool host_net) {
  static const std::set<std::string> kIpc = {"kernel.msgmax", "kernel.msgmnb", "kernel.msgmni",
                                             "kernel.sem",    "kernel.shmall", "kernel.shmmax",
                                             "kernel.shmmni", "kernel.shm_rmid_forced"};
  if (key.starts_with("net.") && host_net) {
    return invalid("sysctl " + quote(key) + " not allowed in host network namespace");
  }
  if (kIpc.count(key) || key.starts_with("net.") || key.starts_with("fs.mqueue.")) return {};
  return invalid("sysctl " + quote(key) + " is not allowed");
}

Result<void> apply_sysctls(OrderedJson& linux, const Container& c) {
  OrderedJson out = OrderedJson::object();
  // docker's defaults for a network of the container's own: ping without CAP_NET_RAW, any
  // port without CAP_NET_BIND_SERVICE (moby withCommonOptions).
  if (private_network(c)) {
    if (fs::exists("/proc/sys/net/ipv4/ping_group_range")) {
      out["net.ipv4.ping_group_range"] = "0 2147483647";
    }
    if (fs::exists("/proc/sys/net/ipv4/ip_unprivileged_port_start")) {
      out["net.ipv4.ip_unprivileged_port_start"] = "0";
    }
  }
  auto it = c.host_config.find("Sysctls");
  if (it != c.host_config.end() && it->is_object()) {
    for (auto& [key, value] : it->items()) {
      BERTH_TRY(check_sysctl(key, host_network(c)));
      out[key] = value.is_string() ? value.get<std::string>() : value.dump();
    }
  }
  if (!out.empty()) linux["sysctl"] = std::move(out);
  return {};
}

// --- resources ---

// A cpuset list ("0-2,4") as numbers; nullopt when malformed.
std::optional<std::set<uint64_t>> parse_cpuset(const std::string& s) {
  std::set<uint64_t> out;
  for (auto& part : str::split(str::trim(s), ',')) {
    auto dash = part.find('-');
    auto lo = str::parse_uint(part.substr(0, dash));
    auto hi = dash == std::string::npos ? lo : str::parse_uint(part.substr(dash + 1));
    if (!lo || !hi || *hi < *lo || *hi - *lo > 65536) return std::nullopt;
    for (uint64_t i = *lo; i <= *hi; ++i) out.insert(i);
  }
  return out;
}

// docker's checks of --cpuset-cpus/--cpuset-mems against what this host has online.
Result<void> check_cpuset(const std::string& value, const std::string& online_file,
                          const std::string& what, const std::string& unavailable) {
  auto want = parse_cpuset(value);
  if (!want) return invalid("Invalid value " + value + " for cpuset " + what);
  auto text = fs::read_file(online_file);
  if (!text) return {};  // no such list here (e.g. no NUMA nodes): the kernel decides
  auto have = parse_cpuset(*text);
  if (have && !std::includes(have->begin(), have->end(), want->begin(), want->end())) {
    return invalid(unavailable + " - requested " + value + ", available: " +
                   std::string(str::trim(*text)));
  }
  return {};
}

// Memory, MemorySwap, MemoryReservation, NanoCpus, CpuShares, CpusetCpus/Mems, PidsLimit,
// BlkioWeight (moby WithResources), with docker's create-time checks.
Result<OrderedJson> resources_for(const Json& hc) {
  OrderedJson res = OrderedJson::object();
  int64_t mem = int_field(hc, "Memory"), reservation = int_field(hc, "MemoryReservation");
  if (mem > 0) {
    res["memory"]["limit"] = mem;
    int64_t swap = int_field(hc, "MemorySwap");
    if (swap != 0) res["memory"]["swap"] = swap;  // -1 = unlimited
  }
  if (reservation > 0) {
    if (reservation < 6 * 1024 * 1024) return invalid("Minimum memory reservation allowed is 6MB");
    if (mem > 0 && mem < reservation) {
      return invalid("Minimum memory limit can not be less than memory reservation limit, see usage");
    }
    res["memory"]["reservation"] = reservation;
  }
  if (int64_t nano = int_field(hc, "NanoCpus"); nano > 0) {
    res["cpu"]["period"] = 100000;
    res["cpu"]["quota"] = nano / 10000;  // NanoCpus * period / 1e9
  }
  if (int64_t shares = int_field(hc, "CpuShares"); shares > 0) res["cpu"]["shares"] = shares;
  if (std::string cpus = string_field(hc, "CpusetCpus"); !cpus.empty()) {
    BERTH_TRY(check_cpuset(cpus, "/sys/devices/system/cpu/online", "cpus",
                           "Requested CPUs are not available"));
    res["cpu"]["cpus"] = cpus;
  }
  if (std::string mems = string_field(hc, "CpusetMems"); !mems.empty()) {
    BERTH_TRY(check_cpuset(mems, "/sys/devices/system/node/online", "mems",
                           "Requested memory nodes are not available"));
    res["cpu"]["mems"] = mems;
  }
  if (int64_t pids = int_field(hc, "PidsLimit"); pids > 0) res["pids"]["limit"] = pids;
  if (int64_t weight = int_field(hc, "BlkioWeight"); weight != 0) {
    if (weight < 10 || weight > 1000) return invalid("Range of blkio weight is from 10 to 1000");
    res["blockIO"]["weight"] = weight;
  }
  return res;
}

}  // namespace berth::engine::spec_opts
