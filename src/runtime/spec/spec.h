// OCI runtime-spec (v1.0/v1.1) configuration as typed values. config.json is converted
// once, here, at the edge (runc's specconv); everything below works on these structs.
// Field names follow runtime-spec config.md / config-linux.md; units are in the names.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/json.h"

namespace berth::runtime::spec {

struct User {
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::optional<uint32_t> umask;
  std::vector<uint32_t> additional_gids;
};

// Capability sets as numbers (CAP_*), parsed from names like "CAP_CHOWN".
struct Capabilities {
  std::vector<int> bounding, effective, inheritable, permitted, ambient;
};

struct Rlimit {
  int type = 0;  // RLIMIT_* number, parsed from "RLIMIT_NOFILE"
  std::string name;
  uint64_t hard = 0;
  uint64_t soft = 0;
};

struct Process {
  bool terminal = false;
  uint32_t console_height = 0, console_width = 0;  // characters; 0 = unset
  User user;
  std::vector<std::string> args;
  std::vector<std::string> env;  // "KEY=value"
  std::string cwd = "/";
  std::optional<Capabilities> capabilities;
  std::vector<Rlimit> rlimits;
  bool no_new_privileges = false;
  std::string apparmor_profile;
  std::string selinux_label;
  std::optional<int> oom_score_adj;
};

struct Mount {
  std::string destination;
  std::string type;
  std::string source;
  std::vector<std::string> options;
};

struct Hook {
  std::string path;
  std::vector<std::string> args;
  std::vector<std::string> env;
  std::optional<int> timeout_seconds;
};

struct Hooks {
  std::vector<Hook> prestart, create_runtime, create_container, start_container, poststart,
      poststop;
  bool empty() const {
    return prestart.empty() && create_runtime.empty() && create_container.empty() &&
           start_container.empty() && poststart.empty() && poststop.empty();
  }
};

enum class NamespaceType { kPid, kNetwork, kMount, kIpc, kUts, kUser, kCgroup, kTime };

struct Namespace {
  NamespaceType type;
  std::string path;  // "" = create a new one; else join the namespace at this path
};

struct IdMapping {
  uint32_t container_id = 0, host_id = 0, size = 0;
};

struct Device {
  char type = 'c';  // 'c', 'b', 'u' or 'p'
  std::string path;
  int64_t major = 0, minor = 0;
  std::optional<uint32_t> file_mode;  // permission bits
  std::optional<uint32_t> uid, gid;
};

// linux.resources.devices[]: a cgroup device allow/deny rule.
struct DeviceRule {
  bool allow = false;
  char type = 'a';                     // 'a', 'c' or 'b'
  std::optional<int64_t> major, minor;  // nullopt = any ("*")
  std::string access = "rwm";
};

struct MemoryResources {
  std::optional<int64_t> limit_bytes, reservation_bytes, swap_bytes;  // swap = memory+swap
  std::optional<uint64_t> swappiness;
  bool disable_oom_killer = false;
};

struct CpuResources {
  std::optional<uint64_t> shares;        // v1 relative weight (2..262144)
  std::optional<int64_t> quota_us;       // per period; -1 = unlimited
  std::optional<uint64_t> period_us;
  std::string cpus, mems;                // cpuset lists, "0-1"
};

struct BlockIoResources {
  std::optional<uint16_t> weight;  // 10..1000
};

struct Resources {
  std::vector<DeviceRule> devices;
  std::optional<MemoryResources> memory;
  std::optional<CpuResources> cpu;
  std::optional<int64_t> pids_limit;  // <= 0 = unlimited
  std::optional<BlockIoResources> block_io;
  std::map<std::string, std::string> unified;  // cgroup v2 file -> value
};

enum class SeccompOp { kNotEqual, kLessThan, kLessEqual, kEqualTo, kGreaterEqual, kGreaterThan,
                       kMaskedEqual };

struct SeccompArg {
  uint32_t index = 0;
  uint64_t value = 0, value_two = 0;
  SeccompOp op = SeccompOp::kEqualTo;
};

struct SeccompRule {
  std::vector<std::string> names;
  std::string action;  // "SCMP_ACT_ALLOW", ...
  std::optional<uint32_t> errno_ret;
  std::vector<SeccompArg> args;
};

struct Seccomp {
  std::string default_action;
  std::optional<uint32_t> default_errno_ret;
  std::vector<std::string> architectures;  // "SCMP_ARCH_X86_64", ...
  std::vector<std::string> flags;
  std::vector<SeccompRule> syscalls;
};

struct Linux {
  std::vector<Namespace> namespaces;
  std::vector<IdMapping> uid_mappings, gid_mappings;
  std::vector<Device> devices;
  std::string cgroups_path;
  std::optional<Resources> resources;
  std::map<std::string, std::string> sysctl;
  std::optional<Seccomp> seccomp;
  std::string rootfs_propagation;
  std::vector<std::string> masked_paths, readonly_paths;
  std::string mount_label;

  const Namespace* find_namespace(NamespaceType t) const;
};

struct Spec {
  std::string oci_version;
  std::string root_path;  // absolute after load(): bundle-relative paths are resolved
  bool root_readonly = false;
  std::vector<Mount> mounts;
  std::optional<Process> process;
  std::string hostname, domainname;
  Hooks hooks;
  std::map<std::string, std::string> annotations;
  Linux linux;
  // Fields given but not implemented by berth ("linux.personality is not supported; ignored").
  std::vector<std::string> warnings;
};

// Parses a runtime-spec config without looking at the host. Checks types, required fields and
// value ranges and names the offending field in the error ("linux.namespaces[1].type: unknown namespace type \"foo\"").
// `bundle` resolves a relative root.path. Errors: kInvalidArgument.
Result<Spec> parse_spec(const Json& config, const std::string& bundle);

// The checks that look at this host, done once at create (a saved config is re-read later, when
// a joined namespace may be gone): namespace paths exist; sysctls, hostname and domainname belong
// to namespaces of the container's own, never the host's. Errors: kInvalidArgument.
Result<void> check_against_host(const Spec& s);

// Reads `<bundle>/config.json`, parses it and checks it against the host. Errors: kNotFound (no config.json or rootfs),
// kInvalidArgument (malformed).
Result<Spec> load_bundle(const std::string& bundle);

// Parses a runtime-spec `linux.resources` object (runc update's resources file). Errors:
// kInvalidArgument naming the field.
Result<Resources> parse_linux_resources(const Json& resources);

// Parses a runtime-spec `process` object (for `exec -p process.json`). Errors: kInvalidArgument.
Result<Process> parse_process(const Json& process, std::string_view what);

// Docker's defaults as a config.json: default capability set, masked and read-only paths,
// default mounts, the default seccomp profile (moby profiles/seccomp/default.json), args
// ["sh"], terminal true (as `runc spec`).
OrderedJson default_spec_json();

std::string_view namespace_type_name(NamespaceType t);
// CLONE_NEW* flag for `t`.
int namespace_clone_flag(NamespaceType t);
// "ipc" etc. as in /proc/PID/ns/<name>.
std::string_view namespace_proc_name(NamespaceType t);

}  // namespace berth::runtime::spec
