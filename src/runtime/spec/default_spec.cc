// `berth runtime spec`: a config.json with Docker's defaults (moby oci/defaults.go), so a
// default container is as confined as a default docker one.
#include <sys/capability.h>

#include "runtime/security/seccomp_default.h"
#include "runtime/spec/spec.h"

namespace berth::runtime::spec {

OrderedJson default_spec_json() {
  const auto& cap_names = security::default_capability_names();
  std::vector<int> caps;
  OrderedJson cap_list = OrderedJson::array();
  for (const char* n : cap_names) {
    cap_value_t v;
    if (cap_from_name(n, &v) == 0) {
      caps.push_back(v);
    }
    cap_list.push_back(n);
  }
  OrderedJson s;
  s["ociVersion"] = "1.1.0";
  s["process"] = {
      {"terminal", true},
      {"user", {{"uid", 0}, {"gid", 0}}},
      {"args", {"sh"}},
      {"env", {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"}},
      {"cwd", "/"},
      {"capabilities",
       {{"bounding", cap_list}, {"effective", cap_list}, {"permitted", cap_list}}},
      {"rlimits", {{{"type", "RLIMIT_NOFILE"}, {"hard", 1024}, {"soft", 1024}}}},
      {"noNewPrivileges", true},
  };
  s["root"] = {{"path", "rootfs"}, {"readonly", true}};
  s["hostname"] = "berth";
  s["mounts"] = {
      {{"destination", "/proc"}, {"type", "proc"}, {"source", "proc"}},
      {{"destination", "/dev"}, {"type", "tmpfs"}, {"source", "tmpfs"},
       {"options", {"nosuid", "strictatime", "mode=755", "size=65536k"}}},
      {{"destination", "/dev/pts"}, {"type", "devpts"}, {"source", "devpts"},
       {"options", {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}}},
      {{"destination", "/dev/shm"}, {"type", "tmpfs"}, {"source", "shm"},
       {"options", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}}},
      {{"destination", "/dev/mqueue"}, {"type", "mqueue"}, {"source", "mqueue"},
       {"options", {"nosuid", "noexec", "nodev"}}},
      {{"destination", "/sys"}, {"type", "sysfs"}, {"source", "sysfs"},
       {"options", {"nosuid", "noexec", "nodev", "ro"}}},
      {{"destination", "/sys/fs/cgroup"}, {"type", "cgroup"}, {"source", "cgroup"},
       {"options", {"nosuid", "noexec", "nodev", "relatime", "ro"}}},
  };
  s["linux"] = {
      {"resources", {{"devices", {{{"allow", false}, {"access", "rwm"}}}}}},
      {"namespaces",
       {{{"type", "pid"}}, {{"type", "network"}}, {{"type", "ipc"}}, {{"type", "uts"}},
        {{"type", "mount"}}, {{"type", "cgroup"}}}},
      {"seccomp", security::default_seccomp_profile(caps)},
      {"maskedPaths",
       {"/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
        "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
        "/sys/firmware", "/sys/devices/virtual/powercap"}},
      {"readonlyPaths",
       {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}},
  };
  return s;
}

}  // namespace berth::runtime::spec
