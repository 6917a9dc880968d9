// `berth runtime features`: what this runtime implements (runtime-spec features.md).
#include <seccomp.h>
#include <sys/capability.h>

#include <cctype>

#include "runtime/container.h"
#include "runtime/security/seccomp_default.h"

namespace berth::runtime {

OrderedJson features_json() {
  OrderedJson f;
  f["ociVersionMin"] = "1.0.0";
  f["ociVersionMax"] = "1.1.0";
  f["hooks"] = {"prestart", "createRuntime", "createContainer", "startContainer", "poststart",
                "poststop"};
  f["mountOptions"] = {"async", "atime", "bind", "defaults", "dev", "diratime", "dirsync",
                       "exec", "lazytime", "loud", "mand", "noatime", "nodev", "nodiratime",
                       "noexec", "nolazytime", "nomand", "norelatime", "nostrictatime",
                       "nosuid", "private", "rbind", "relatime", "remount", "ro", "rprivate",
                       "rshared", "rslave", "runbindable", "rw", "shared", "silent", "slave",
                       "strictatime", "suid", "sync", "unbindable"};
  OrderedJson caps = OrderedJson::array();
  for (int c = 0; c <= CAP_LAST_CAP; ++c) {
    char* name = cap_to_name(c);
    std::string n = name;
    cap_free(name);
    for (auto& ch : n) {
      ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    }
    caps.push_back(n);
  }
  const scmp_version* v = seccomp_version();
  f["linux"] = {
      {"namespaces", {"cgroup", "ipc", "mount", "network", "pid", "user", "uts", "time"}},
      {"capabilities", caps},
      {"cgroup", {{"v1", true}, {"v2", true}, {"systemd", false}, {"systemdUser", false}}},
      {"seccomp",
       {{"enabled", true},
        {"actions", {"SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS",
                     "SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG", "SCMP_ACT_TRACE", "SCMP_ACT_TRAP"}},
        {"operators", {"SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_LE", "SCMP_CMP_LT",
                       "SCMP_CMP_MASKED_EQ", "SCMP_CMP_NE"}},
        {"archs", {"SCMP_ARCH_X86", "SCMP_ARCH_X86_64", "SCMP_ARCH_X32", "SCMP_ARCH_AARCH64",
                   "SCMP_ARCH_ARM"}},
        {"knownFlags", {"SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
                        "SECCOMP_FILTER_FLAG_TSYNC"}}}},
      {"apparmor", {{"enabled", false}}},
      {"selinux", {{"enabled", false}}},
  };
  f["annotations"] = {
      {"io.github.seccomp.libseccomp.version",
       std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->micro)},
      {"org.berth.runtime", "berth"}};
  return f;
}

}  // namespace berth::runtime
