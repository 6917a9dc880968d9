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

// The runtime's own stay in the container's v1 cgroups while it clones (see spawn_in_cgroup).
// Leaving moves it back; the destructor leaves too, so declare it after any Cleanup that
// destroys the cgroup: it then runs first.
class CgroupVisit {
 public:
  CgroupVisit() = default;
  CgroupVisit(const CgroupVisit&) = delete;
  CgroupVisit& operator=(const CgroupVisit&) = delete;
  ~CgroupVisit() { leave(); }
  void leave();

 private:
  friend pid_t spawn_in_cgroup(int, cgroup::Manager&, CgroupVisit&, bool&);
  std::vector<std::string> back_;  // our own v1 `tasks` files
};

// fork(2) with namespace flags `flags`, the child born in the container's cgroups: the v1 ones
// through the caller's own membership (it moves its thread in with `tasks` <- "0", which unlike
// a cgroup.procs write of another pid does not wait for an RCU grace period), the v2 one through
// clone3's CLONE_INTO_CGROUP. Without a new stack the raw syscalls return twice like fork
// (crun's syscall_clone): 0 in the child, its pid in the caller, -1 with errno on failure. Sets
// `joined` when no cgroup.procs write is needed afterwards. Call visit.leave() once the child is
// busy.
pid_t spawn_in_cgroup(int flags, cgroup::Manager& cgroups, CgroupVisit& visit, bool& joined);

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
