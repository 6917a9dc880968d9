// The OCI runtime: containers from bundles, driven through the lifecycle of runtime-spec
// runtime.md (create, start, state, kill, delete) plus run, exec, list and ps as runc has them.
// The facade of the runtime layer; knows nothing of daemons. Every verb is one short-lived,
// single-threaded process (it clones the container init).
#pragma once

#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "runtime/cgroup/manager.h"
#include "runtime/spec/spec.h"
#include "runtime/state/state.h"

namespace berth::runtime {

struct CreateOptions {
  std::string id;
  std::string bundle;          // dir with config.json; "" = current dir
  std::string pid_file;        // where to write the init's host pid ("" = none)
  std::string console_socket;  // unix socket that receives the pty master (terminal only)
  bool no_pivot = false;       // chroot(2) instead of pivot_root(2)
  bool systemd_cgroup = false; // cgroupsPath is "slice:prefix:name"
  bool no_new_keyring = false; // keep the caller's session keyring (default: a new one)
  int preserve_fds = 0;        // extra fds (3..) passed to the container process
};

struct ExecOptions {
  spec::Process process;
  bool detach = false;
  std::string pid_file;
  std::string console_socket;
  int preserve_fds = 0;
};

struct ContainerInfo {
  ContainerState state;
  Status status;
  std::string rootfs;
};

// Receives warnings (clamped rlimits, ignored AppArmor profile, ...): one line each.
using WarningSink = std::function<void(const std::string&)>;

class Runtime {
 public:
  // `root` holds the state dirs (`--root`, default /run/berth/runtime).
  Runtime(std::string root, WarningSink warn);

  // Builds the container up to the point of running the user program and leaves its init
  // waiting for start. Errors: kInvalidArgument (config.json field named), kNotFound (bundle,
  // rootfs), kAlreadyExists (id), and any failure of the init, all with nothing left behind.
  Result<void> create(const CreateOptions& opts);
  // Lets a created container exec its program; runs poststart hooks (failures are warnings).
  // Errors: kNotFound, kFailedPrecondition (not in "created" state).
  Result<void> start(const std::string& id);
  // create + start. Foreground (detach=false): waits, forwards signals, deletes the container
  // and returns its exit status (128+signal when killed). Detached: returns 0 once started.
  Result<int> run(const CreateOptions& opts, bool detach);
  // Errors: kNotFound.
  Result<ContainerInfo> state(const std::string& id) const;
  // Sends `signal` to the init, or to every process in the cgroup when `all`.
  // Errors: kNotFound, kFailedPrecondition (stopped).
  Result<void> kill(const std::string& id, int signal, bool all);
  // Removes a stopped (or created) container: cgroup, poststop hooks, state. `force` kills a
  // running one first, and makes a missing container a success (as runc). Errors: kNotFound,
  // kFailedPrecondition (running without force).
  Result<void> remove(const std::string& id, bool force);
  // Freezes / thaws every process of the container (runc pause / resume; docker pause).
  // Errors: kNotFound, kFailedPrecondition (not running / not paused), kNotImplemented.
  Result<void> pause(const std::string& id);
  Result<void> resume(const std::string& id);
  // Runs a new process in the container's namespaces and cgroup. Returns the exit status, or 0
  // once started when detached. Errors: kNotFound, kFailedPrecondition (not running), exec errors.
  Result<int> exec(const std::string& id, const ExecOptions& opts);
  // Every container under root, sorted by id.
  Result<std::vector<ContainerInfo>> list() const;
  // Host pids of the container's processes. Errors: kNotFound.
  Result<std::vector<pid_t>> pids(const std::string& id) const;
  // runc update: writes `res` to the container's cgroups; knobs the kernel lacks are appended
  // to `warnings`. Errors: kNotFound, kInvalidArgument (a value the kernel refuses).
  Result<void> update(const std::string& id, const spec::Resources& res, std::vector<std::string>& warnings);
  // The counters of the container's cgroups (runc events --stats). Errors: kNotFound.
  Result<cgroup::Stats> stats(const std::string& id) const;

 private:
  Result<int> create_container(const CreateOptions& opts, bool fifo_start, bool detach);
  Result<void> destroy(const ContainerState& st, bool run_poststop);
  Result<void> force_remove_unreadable(const std::string& id);
  Result<void> set_frozen(const std::string& id, bool frozen);
  // The config.json saved at create, parsed (exec and delete need it; the bundle may be gone).
  Result<spec::Spec> saved_spec(const ContainerState& st) const;
  // current_status() plus "paused" from the cgroup freezer.
  Status status_of(const ContainerState& st) const;

  StateStore store_;
  WarningSink warn_;
};

// Parses "KILL", "SIGKILL", "9". Errors: kInvalidArgument.
Result<int> parse_signal(const std::string& name);

// `berth runtime features` (runtime-spec features.md).
OrderedJson features_json();

}  // namespace berth::runtime
