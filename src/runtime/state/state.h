// The runtime's per-container state directory, `<root>/<id>/`:
//   state.json   what `state` reports plus what later verbs need (cgroup path, start time)
//   config.json  the bundle's config as given to create (exec and delete read it back)
//   exec.fifo    exists from create until start (runc's exec fifo; status "created")
// Follows runtime-spec runtime.md "State" and runc's state layout.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/time.h"
#include "common/json.h"

namespace berth::runtime {

enum class Status { kCreating, kCreated, kRunning, kPaused, kStopped };
std::string_view status_name(Status s);

struct ContainerState {
  std::string oci_version;
  std::string id;
  std::string bundle;
  pid_t pid = 0;
  uint64_t pid_start_ticks = 0;  // /proc/PID/stat starttime: guards against pid reuse
  std::string created;           // RFC 3339 with nanoseconds, UTC
  std::string cgroup_path;       // path inside each hierarchy, e.g. "/berth/ID"
  bool cgroup_default = false;   // cgroup_path was chosen by us (its parent may be pruned)
  std::map<std::string, std::string> annotations;
};

class StateStore {
 public:
  // `root` is the --root directory (runc: /run/runc); created when missing.
  explicit StateStore(std::string root) : root_(std::move(root)) {}

  const std::string& root() const { return root_; }
  std::string dir(const std::string& id) const;
  std::string fifo_path(const std::string& id) const;
  std::string config_path(const std::string& id) const;

  // Reserves `id` by creating its directory. Errors: kInvalidArgument (bad id),
  // kAlreadyExists ("container with id exists: ID"), kPermissionDenied.
  Result<void> reserve(const std::string& id);
  // Errors: kInvalidArgument (bad id), kNotFound ("container does not exist"), kDataLoss.
  Result<ContainerState> load(const std::string& id) const;
  // Atomically replaces state.json. Errors: kNotFound (dir gone), kPermissionDenied.
  Result<void> save(const ContainerState& st) const;
  // rm -rf of the container's dir. Errors: kInvalidArgument (bad id), kPermissionDenied.
  Result<void> remove(const std::string& id) const;
  // Ids of all containers under root, sorted; a missing root is an empty list.
  // Errors: kNotFound/kPermissionDenied when root exists but cannot be read as a directory.
  Result<std::vector<std::string>> list() const;

 private:
  std::string root_;
};

// runc's container id rule: [A-Za-z0-9_+.-]+, not "." or "..", at most 1024 bytes.
Result<void> validate_id(const std::string& id);

// Live status from the process and the fifo: stopped when the pid is gone or reused.
Status current_status(const StateStore& store, const ContainerState& st);

// /proc/PID/stat field 22 (start time in clock ticks since boot); 0 if the process is gone.
uint64_t process_start_ticks(pid_t pid);

// The runtime-spec state object as `state` prints it (plus runc's rootfs/created/owner).
OrderedJson state_json(const ContainerState& st, Status status, const std::string& rootfs);


}  // namespace berth::runtime
