// The docker run options build_spec applies (internal to the engine): capabilities,
// --security-opt and seccomp profiles (spec_security.cc), --ulimit, devices, sysctls and
// resources (spec_resources.cc), and the small helpers they share with spec_builder.cc.
// Each follows moby daemon/oci_linux.go and daemon_unix.go; errors are kInvalidArgument with
// docker's messages.
#pragma once

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/json.h"
#include "engine/engine.h"

namespace berth::engine::spec_opts {

inline tl::unexpected<Error> invalid(std::string message) {
  return make_error(Errc::kInvalidArgument, std::move(message));
}

// Go's %q for the plain strings in docker's messages.
inline std::string quote(const std::string& s) {
  std::string out = "\"";
  for (char ch : s) {
    if (ch == '"' || ch == '\\') out += '\\';
    out += ch;
  }
  return out + "\"";
}

// HostConfig fields as the docker CLI sends them, where null or a wrong type means "unset".
inline int64_t int_field(const Json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number_integer() ? it->get<int64_t>() : 0;
}
inline bool bool_field(const Json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_boolean() && it->get<bool>();
}
inline std::string string_field(const Json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}
inline const Json& array_field(const Json& j, const char* key) {
  static const Json kEmpty = Json::array();
  auto it = j.find(key);
  return it != j.end() && it->is_array() ? *it : kEmpty;
}

template <class C, class T>
bool contains(const C& c, const T& v) {
  return std::find(c.begin(), c.end(), v) != c.end();
}

inline OrderedJson bind_mount(const std::string& src, const std::string& dst, bool ro) {
  OrderedJson opts = OrderedJson::array({"rbind", "rprivate"});
  if (ro) opts.push_back("ro");
  return {{"destination", dst}, {"type", "bind"}, {"source", src}, {"options", opts}};
}

inline void drop_option(OrderedJson& mount, const std::string& opt) {
  auto& o = mount["options"];
  for (auto it = o.begin(); it != o.end();) it = *it == opt ? o.erase(it) : it + 1;
}

inline std::string network_field(const Container& c, const char* key) {
  return c.network.is_object() ? string_field(c.network, key) : "";
}

inline bool host_network(const Container& c) {
  return string_field(c.host_config, "NetworkMode") == "host" || network_field(c, "mode") == "host";
}

// docker's NetworkMode.IsPrivate: a namespace of the container's own (bridge, none, user nets).
inline bool private_network(const Container& c) {
  return !host_network(c) && !network_field(c, "mode").starts_with("container:") &&
         !string_field(c.host_config, "NetworkMode").starts_with("container:");
}

struct SecurityOpts {
  bool no_new_privileges = false;
  std::string seccomp;  // "", "unconfined", "builtin", or a profile: JSON text or a file path
  std::optional<bool> writable_cgroups;
};

// The daemon's effective capabilities as CAP_* names (what ALL and --privileged grant).
const std::vector<std::string>& current_caps();
// The container's capability set from Privileged, CapAdd and CapDrop (moby TweakCapabilities).
Result<std::vector<std::string>> container_caps(const Json& hc);
// HostConfig.SecurityOpt. Errors: "invalid --security-opt ...".
Result<SecurityOpts> parse_security_opts(const Json& list);
// linux.seccomp for the container, nullopt for none (unconfined, or privileged without one).
Result<std::optional<OrderedJson>> seccomp_for(const SecurityOpts& o, bool privileged,
                                               const std::vector<std::string>& caps);
// process.rlimits for HostConfig.Ulimits, clamped to the daemon's hard limits when it lacks
// CAP_SYS_RESOURCE (with a warning naming container `id`).
Result<OrderedJson> rlimits_for(const Json& ulimits, const std::string& id);
// linux.devices and the device cgroup rules for --device and --privileged.
Result<void> apply_devices(OrderedJson& linux, const Json& hc);
// linux.sysctl: docker's defaults for a network of its own plus HostConfig.Sysctls.
Result<void> apply_sysctls(OrderedJson& linux, const Container& c);
// linux.resources from HostConfig (memory, cpu, cpuset, pids, blkio weight).
Result<OrderedJson> resources_for(const Json& hc);

}  // namespace berth::engine::spec_opts
