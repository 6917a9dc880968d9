#include "engine/spec_builder.h"

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
#include "runtime/security/seccomp_default.h"
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

tl::unexpected<Error> invalid(std::string message) {
  return make_error(Errc::kInvalidArgument, std::move(message));
}

// Go's %q for the plain strings in docker's messages.
std::string quote(const std::string& s) {
  std::string out = "\"";
  for (char ch : s) {
    if (ch == '"' || ch == '\\') out += '\\';
    out += ch;
  }
  return out + "\"";
}

// HostConfig fields as the docker CLI sends them, where null or a wrong type means "unset".
int64_t int_field(const Json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number_integer() ? it->get<int64_t>() : 0;
}
bool bool_field(const Json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_boolean() && it->get<bool>();
}
std::string string_field(const Json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}
const Json& array_field(const Json& j, const char* key) {
  static const Json kEmpty = Json::array();
  auto it = j.find(key);
  return it != j.end() && it->is_array() ? *it : kEmpty;
}

template <class C, class T>
bool contains(const C& c, const T& v) {
  return std::find(c.begin(), c.end(), v) != c.end();
}

OrderedJson bind_mount(const std::string& src, const std::string& dst, bool ro) {
  OrderedJson opts = OrderedJson::array({"rbind", "rprivate"});
  if (ro) opts.push_back("ro");
  return {{"destination", dst}, {"type", "bind"}, {"source", src}, {"options", opts}};
}

void drop_option(OrderedJson& mount, const std::string& opt) {
  auto& o = mount["options"];
  for (auto it = o.begin(); it != o.end();) it = *it == opt ? o.erase(it) : it + 1;
}

std::string network_field(const Container& c, const char* key) {
  return c.network.is_object() ? string_field(c.network, key) : "";
}

bool host_network(const Container& c) {
  return string_field(c.host_config, "NetworkMode") == "host" || network_field(c, "mode") == "host";
}

// docker's NetworkMode.IsPrivate: a namespace of the container's own (bridge, none, user nets).
bool private_network(const Container& c) {
  return !host_network(c) && !network_field(c, "mode").starts_with("container:") &&
         !string_field(c.host_config, "NetworkMode").starts_with("container:");
}

// --- capabilities (moby daemon/pkg/oci/caps) ---

// The daemon's effective set as CAP_* names: what "ALL" and --privileged grant, and the
// capabilities that exist here (containerd cap.Current).
const std::vector<std::string>& current_caps() {
  static const std::vector<std::string> kCaps = [] {
    std::vector<std::string> out;
    cap_t now = cap_get_proc();
    if (now == nullptr) return out;
    for (cap_value_t v = 0; v < cap_max_bits(); ++v) {
      cap_flag_value_t on = CAP_CLEAR;
      char* name = cap_to_name(v);
      std::string n = name ? name : "";
      cap_free(name);
      if (cap_get_flag(now, v, CAP_EFFECTIVE, &on) == 0 && on == CAP_SET && n.starts_with("cap_")) {
        out.push_back(str::to_upper(n));
      }
    }
    cap_free(now);
    return out;
  }();
  return kCaps;
}

// NormalizeLegacyCapabilities: upper case, CAP_ prefix, "ALL" kept; unknown or unavailable
// names are errors.
Result<std::vector<std::string>> normalize_caps(const Json& list, const char* field) {
  std::vector<std::string> out;
  for (auto c : string_array(list)) {
    c = str::to_upper(c);
    if (c != "ALL" && !c.starts_with("CAP_")) c = "CAP_" + c;
    cap_value_t v;
    if (c != "ALL" && cap_from_name(str::to_lower(c).c_str(), &v) != 0) {
      return invalid(std::string("invalid ") + field + ": unknown capability: " + quote(c));
    }
    if (c != "ALL" && !contains(current_caps(), c)) {
      return invalid(std::string("invalid ") + field +
                     ": capability not supported by your kernel or not available in the "
                     "current environment: " + quote(c));
    }
    out.push_back(c);
  }
  return out;
}

// TweakCapabilities: privileged = all; CapAdd ALL = all but the dropped; CapDrop ALL = only
// the added; else the defaults minus the dropped plus the added.
Result<std::vector<std::string>> container_caps(const Json& hc) {
  BERTH_ASSIGN_OR_RETURN(auto drops, normalize_caps(array_field(hc, "CapDrop"), "CapDrop"));
  BERTH_ASSIGN_OR_RETURN(auto adds, normalize_caps(array_field(hc, "CapAdd"), "CapAdd"));
  if (bool_field(hc, "Privileged")) return current_caps();
  std::vector<std::string> out;
  auto add = [&](const std::string& c) {
    if (c != "ALL" && !contains(out, c)) out.push_back(c);
  };
  if (contains(adds, "ALL")) {
    for (auto& c : current_caps()) {
      if (!contains(drops, c)) add(c);
    }
  } else if (contains(drops, "ALL")) {
    for (auto& c : adds) add(c);
  } else {
    for (const char* c : runtime::security::default_capability_names()) {
      if (!contains(drops, std::string(c))) add(c);
    }
    for (auto& c : adds) add(c);
  }
  return out;
}

std::vector<int> cap_numbers(const std::vector<std::string>& names) {
  std::vector<int> out;
  for (auto& n : names) {
    cap_value_t v;
    if (cap_from_name(str::to_lower(n).c_str(), &v) == 0) out.push_back(v);
  }
  return out;
}

// --- --security-opt (moby daemon_unix.go parseSecurityOpt) ---

struct SecurityOpts {
  bool no_new_privileges = false;
  std::string seccomp;  // "", "unconfined", "builtin", or a profile: JSON text or a file path
  std::optional<bool> writable_cgroups;
};

// Go's strconv.ParseBool.
std::optional<bool> parse_go_bool(const std::string& s) {
  if (contains(std::vector<std::string>{"1", "t", "T", "TRUE", "true", "True"}, s)) return true;
  if (contains(std::vector<std::string>{"0", "f", "F", "FALSE", "false", "False"}, s)) return false;
  return std::nullopt;
}

Result<SecurityOpts> parse_security_opts(const Json& list) {
  SecurityOpts o;
  for (auto& opt : string_array(list)) {
    if (opt == "no-new-privileges") {
      o.no_new_privileges = true;
      continue;
    }
    if (opt == "writable-cgroups") {
      o.writable_cgroups = true;
      continue;
    }
    if (opt == "disable") continue;  // label=disable's short form; there are no labels here
    size_t sep = opt.find('=');
    if (sep == std::string::npos) sep = opt.find(':');  // the deprecated separator
    if (sep == std::string::npos) return invalid("invalid --security-opt 1: " + quote(opt));
    std::string key = opt.substr(0, sep), value = opt.substr(sep + 1);
    if (key == "label" || key == "apparmor") continue;  // no SELinux or AppArmor here
    if (key == "seccomp") {
      o.seccomp = value;
      continue;
    }
    auto flag = parse_go_bool(value);
    if (key == "no-new-privileges" && flag) {
      o.no_new_privileges = *flag;
    } else if (key == "writable-cgroups" && flag) {
      o.writable_cgroups = *flag;
    } else {
      return invalid("invalid --security-opt 2: " + quote(opt));
    }
  }
  return o;
}

// --- seccomp profiles in docker's format (moby/profiles/seccomp setupSeccomp) ---

#if defined(__aarch64__)
constexpr const char* kNativeArch = "arm64";
constexpr const char* kSeccompArch = "SCMP_ARCH_AARCH64";
#else
constexpr const char* kNativeArch = "amd64";
constexpr const char* kSeccompArch = "SCMP_ARCH_X86_64";
#endif

// "5.8" -> {5, 8}; the running kernel's release when `v` is empty.
std::optional<std::pair<int, int>> kernel_version(std::string v) {
  if (v.empty()) {
    utsname u{};
    if (::uname(&u) != 0) return std::nullopt;
    v = u.release;
  }
  int major = 0, minor = 0;
  if (std::sscanf(v.c_str(), "%d.%d", &major, &minor) != 2) return std::nullopt;
  return std::pair{major, minor};
}

// Whether a rule's includes (all must hold) or excludes (none may hold) keep it.
Result<bool> filter_keeps(const Json& f, const std::vector<std::string>& caps, bool include) {
  auto arches = string_array(f.value("arches", Json()));
  if (!arches.empty() && contains(arches, std::string(kNativeArch)) != include) return false;
  for (auto& c : string_array(f.value("caps", Json()))) {
    if (contains(caps, c) != include) return false;
  }
  if (auto mk = f.find("minKernel"); mk != f.end() && mk->is_string()) {
    auto want = kernel_version(mk->get<std::string>()), have = kernel_version("");
    if (!want || !have) {
      return invalid("seccomp profile: invalid minKernel " + quote(mk->get<std::string>()));
    }
    if ((*have >= *want) != include) return false;
  }
  return true;
}

Result<bool> rule_applies(const Json& call, const std::vector<std::string>& caps) {
  for (auto [key, include] : {std::pair{"excludes", false}, std::pair{"includes", true}}) {
    auto f = call.find(key);
    if (f == call.end() || !f->is_object()) continue;
    BERTH_ASSIGN_OR_RETURN(bool keep, filter_keeps(*f, caps, include));
    if (!keep) return false;
  }
  return true;
}

Result<OrderedJson> convert_rule(const Json& call) {
  OrderedJson r;
  auto names = string_array(call.value("names", Json()));
  if (std::string name = string_field(call, "name"); !name.empty()) {
    if (!names.empty()) {
      return invalid("both 'name' and 'names' are specified in the seccomp profile, use either "
                     "'name' or 'names'");
    }
    names = {name};
  }
  r["names"] = names;
  r["action"] = call.value("action", Json());
  for (const char* k : {"errnoRet", "args"}) {
    if (call.contains(k) && !call[k].is_null()) r[k] = call[k];
  }
  return r;
}

// A docker profile (defaultAction, archMap, syscalls with includes/excludes) as runtime-spec
// linux.seccomp; nullopt when it has neither a default action nor rules (seccomp off).
Result<std::optional<OrderedJson>> convert_profile(const Json& p,
                                                   const std::vector<std::string>& caps) {
  if (!p.is_object()) return invalid("Decoding seccomp profile failed: not a JSON object");
  const Json& calls = array_field(p, "syscalls");
  const Json& arch_map = array_field(p, "archMap");
  if (string_field(p, "defaultAction").empty() && calls.empty()) return std::nullopt;
  if (!array_field(p, "architectures").empty() && !arch_map.empty()) {
    return invalid("both 'architectures' and 'archMap' are specified in the seccomp profile, "
                   "use either 'architectures' or 'archMap'");
  }
  OrderedJson out;
  for (const char* k : {"defaultAction", "defaultErrnoRet", "architectures", "flags",
                        "listenerPath", "listenerMetadata"}) {
    if (p.contains(k) && !p[k].is_null()) out[k] = p[k];
  }
  for (auto& a : arch_map) {
    if (a.is_object() && string_field(a, "architecture") == kSeccompArch) {
      out["architectures"] = OrderedJson::array({kSeccompArch});
      for (auto& sub : string_array(a.value("subArchitectures", Json()))) {
        out["architectures"].push_back(sub);
      }
    }
  }
  out["syscalls"] = OrderedJson::array();
  for (auto& call : calls) {
    if (!call.is_object()) return invalid("Decoding seccomp profile failed: a syscall is not an object");
    BERTH_ASSIGN_OR_RETURN(bool keep, rule_applies(call, caps));
    if (!keep) continue;
    BERTH_ASSIGN_OR_RETURN(OrderedJson r, convert_rule(call));
    out["syscalls"].push_back(std::move(r));
  }
  return out;
}

// The profile of seccomp=<value>: JSON text (the docker CLI sends the file's content) or a
// path on the daemon's host (other API clients).
Result<std::optional<OrderedJson>> load_profile(const std::string& value,
                                                const std::vector<std::string>& caps) {
  std::string text = value;
  if (str::trim(value).substr(0, 1) != "{") {
    auto file = fs::read_file(value);
    if (!file) {
      return invalid("opening seccomp profile (" + value + ") failed: " + file.error().message);
    }
    text = *file;
  }
  auto doc = parse_json(text, "seccomp profile");
  if (!doc) return invalid("Decoding seccomp profile failed: " + doc.error().message);
  return convert_profile(*doc, caps);
}

// moby WithSeccomp: unconfined = none; privileged = none unless a profile is given; else the
// given profile or the default one for the container's capabilities.
Result<std::optional<OrderedJson>> seccomp_for(const SecurityOpts& o, bool privileged,
                                               const std::vector<std::string>& caps) {
  if (o.seccomp == "unconfined" || (o.seccomp.empty() && privileged)) return std::nullopt;
  if (o.seccomp.empty() || o.seccomp == "builtin") {
    return runtime::security::default_seccomp_profile(cap_numbers(caps));
  }
  return load_profile(o.seccomp, caps);
}

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
