// How the runtime starts and watches a container process: clone into the container's cgroups,
// the sync-socket handshake up to "ready", signal forwarding and exit status. Shared by
// create/run (container.cc) and exec (exec.cc). Single-threaded runtime processes only.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/unique_fd.h"
#include "runtime/cgroup/manager.h"
#include "runtime/process/sync.h"

namespace berth::runtime::process {

// fork(2) with namespace flags `flags`, the child born in the container's v2 cgroup through
// clone3's CLONE_INTO_CGROUP; when `child_joins_v1`, the child then moves itself into the v1
// cgroups (Manager::join_v1_self). Neither writes another pid to cgroup.procs, which waits for an
// RCU grace period (5-20 ms here), and the runtime itself never enters the container's cgroups
// (where a pids limit would count it and a concurrent delete would kill it). Without a new stack
// the raw syscalls return twice like fork (crun's syscall_clone): 0 in the child, its pid in the
// caller, -1 with errno on failure. Sets `joined` when no cgroup.procs write is needed afterwards.
pid_t spawn_in_cgroup(int flags, const cgroup::Manager& cgroups, bool child_joins_v1,
                      bool& joined);

// Reads the child's messages until kReady: warnings go to `warn`, kHooks runs `on_hooks` and
// answers kHooksDone, a terminal master (kPty) is returned (invalid when none).
// Errors: the child's own (kError), kUnavailable when it died, kInternal on protocol errors.
Result<UniqueFd> await_ready(int sync_fd, const std::function<void(const std::string&)>& warn,
                             const std::function<Result<void>()>& on_hooks);

// The child's report of a failure as an Error (errno mapped as sys_error does).
Error child_error(const SyncMessage& m);

// Forwards SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1/2 and SIGWINCH to `pid` (0 stops), as
// runc does for a foreground container.
void forward_signals_to(pid_t pid);

// Waits for `pid`; its exit code, or 128+signal.
int wait_exit_status(pid_t pid);

}  // namespace berth::runtime::process
