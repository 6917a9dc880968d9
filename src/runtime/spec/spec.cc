#include "runtime/spec/spec.h"

#include <linux/sched.h>
#include <sched.h>

namespace berth::runtime::spec {

std::string_view namespace_type_name(NamespaceType t) {
  switch (t) {
    case NamespaceType::kPid: return "pid";
    case NamespaceType::kNetwork: return "network";
    case NamespaceType::kMount: return "mount";
    case NamespaceType::kIpc: return "ipc";
    case NamespaceType::kUts: return "uts";
    case NamespaceType::kUser: return "user";
    case NamespaceType::kCgroup: return "cgroup";
    case NamespaceType::kTime: return "time";
  }
  return "unknown";
}

std::string_view namespace_proc_name(NamespaceType t) {
  switch (t) {
    case NamespaceType::kPid: return "pid";
    case NamespaceType::kNetwork: return "net";
    case NamespaceType::kMount: return "mnt";
    case NamespaceType::kIpc: return "ipc";
    case NamespaceType::kUts: return "uts";
    case NamespaceType::kUser: return "user";
    case NamespaceType::kCgroup: return "cgroup";
    case NamespaceType::kTime: return "time";
  }
  return "unknown";
}

int namespace_clone_flag(NamespaceType t) {
  switch (t) {
    case NamespaceType::kPid: return CLONE_NEWPID;
    case NamespaceType::kNetwork: return CLONE_NEWNET;
    case NamespaceType::kMount: return CLONE_NEWNS;
    case NamespaceType::kIpc: return CLONE_NEWIPC;
    case NamespaceType::kUts: return CLONE_NEWUTS;
    case NamespaceType::kUser: return CLONE_NEWUSER;
    case NamespaceType::kCgroup: return CLONE_NEWCGROUP;
    case NamespaceType::kTime: return CLONE_NEWTIME;
  }
  return 0;
}

}  // namespace berth::runtime::spec
