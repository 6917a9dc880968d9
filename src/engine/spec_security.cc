// Capabilities, --security-opt and seccomp profiles for build_spec (spec_options.h); the
// helpers here are internal to the engine.
#include <sys/capability.h>
#include <sys/utsname.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <set>

#include "common/fs.h"
#include "common/strings.h"
#include "engine/spec_options.h"
#include "runtime/security/seccomp_default.h"

namespace berth::engine::spec_opts {

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

}  // namespace berth::engine::spec_opts
