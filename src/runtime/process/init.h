// The container's first process between clone(2) and execve(2): it builds the container from
// inside its new namespaces and reports each step to the runtime over the sync socket
// (runtime-spec runtime.md "Lifecycle" steps 2-6; runc's standard_init_linux.go). Runs only in a
// single-threaded, freshly cloned child; never returns.
#pragma once

#include <string>

#include "runtime/cgroup/manager.h"
#include "runtime/security/seccomp.h"
#include "runtime/spec/spec.h"

namespace berth::runtime::process {

enum class StartMode {
  kFifo,  // `create`: block on the exec fifo until `start` writes to it
  kSync,  // `run`: wait for kStart on the sync socket
};

struct InitConfig {
  const spec::Spec* spec = nullptr;
  int sync_fd = -1;
  int fifo_fd = -1;            // kFifo: the exec fifo, opened O_RDWR
  int console_socket = -1;     // terminal: send the pty master here; -1 = to the parent
  StartMode start = StartMode::kSync;
  bool use_chroot = false;     // --no-pivot, or no mount namespace
  const cgroup::Layout* cgroup_layout = nullptr;
  const cgroup::Manager* join_v1 = nullptr;  // moves itself into these v1 cgroups first
  std::string cgroup_path;
  int unshare_after_userns = 0;  // namespaces to unshare after joining a user namespace
  bool new_keyring = true;       // join a fresh session keyring (runc's default)
  int late_unshare = 0;           // CLONE_NEWCGROUP/CLONE_NEWTIME, once inside the cgroup
  int preserve_fds = 0;
  const security::SeccompFilter* seccomp = nullptr;  // compiled by the runtime; null = none
};

[[noreturn]] void container_init(const InitConfig& cfg);

// Exec'd process setup for `exec` (exec.cc): joins nothing itself (the caller forked it inside
// the namespaces), then terminal, rlimits, user, capabilities, seccomp, cwd, execve.
struct ExecChildConfig {
  const spec::Process* process = nullptr;
  const security::SeccompFilter* seccomp = nullptr;  // compiled by the runtime; null = none
  int sync_fd = -1;
  int console_socket = -1;
  int preserve_fds = 0;
  bool setgroups_allowed = true;
};
[[noreturn]] void exec_child(const ExecChildConfig& cfg);

}  // namespace berth::runtime::process
