// Control groups for one container, on cgroup v1, v2, or the hybrid of both (v1 controllers
// plus cgroup2 at <root>/unified). Roots come from a Layout, so tests can point every
// hierarchy at a temp dir. Follows runtime-spec config-linux.md "Control groups" and runc's
// libcontainer/cgroups/fs (v1) and fs2 (v2).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "common/unique_fd.h"
#include "runtime/spec/spec.h"

namespace berth::runtime::cgroup {

struct V1Hierarchy {
  std::string mountpoint;                // "/sys/fs/cgroup/memory"
  std::vector<std::string> controllers;  // {"memory"}, or {"cpu","cpuacct"}; "name=systemd"
};

struct Layout {
  std::string unified;  // cgroup2 mountpoint ("" when none)
  std::vector<V1Hierarchy> v1;
  bool pure_v2() const { return v1.empty() && !unified.empty(); }
  // The v1 hierarchy holding `controller`, or nullptr.
  const V1Hierarchy* find_v1(std::string_view controller) const;
};

// Parses /proc/self/mountinfo text into the cgroup layout. Errors: kNotFound (no cgroup fs).
Result<Layout> parse_layout(std::string_view mountinfo);
// The layout of this host (reads /proc/self/mountinfo). Errors: as parse_layout.
Result<Layout> detect_layout();

// The cgroup path (inside each hierarchy) for a spec's linux.cgroupsPath: "" → "/berth/<id>";
// relative → made absolute; systemd "slice:prefix:name" → "/<slice path>/<prefix>-<name>.scope"
// (used when --systemd-cgroup is set or the value has that form; there is no systemd here).
// Errors: kInvalidArgument (".." components, malformed systemd form).
Result<std::string> resolve_path(const std::string& cgroups_path, const std::string& id,
                                 bool systemd);

// What a cgroup has counted (runc's cgroups.Stats, in short). Bytes and nanoseconds; a limit
// of 0 means none.
struct Stats {
  uint64_t cpu_total_ns = 0, cpu_user_ns = 0, cpu_system_ns = 0;
  uint64_t throttle_periods = 0, throttled_periods = 0, throttled_ns = 0;
  uint64_t memory_usage = 0, memory_max_usage = 0, memory_limit = 0, memory_failcnt = 0;
  std::map<std::string, uint64_t> memory_stat;  // memory.stat as the kernel names its keys
  uint64_t pids_current = 0, pids_limit = 0;
  uint64_t io_read_bytes = 0, io_write_bytes = 0;  // summed over devices
};

class Manager {
 public:
  Manager(Layout layout, std::string path) : layout_(std::move(layout)), path_(std::move(path)) {}

  const std::string& path() const { return path_; }
  // The root of the hierarchies (path "" or "/"): never killed, frozen or destroyed.
  bool is_root() const { return path_.empty() || path_ == "/"; }
  // Directory of this cgroup in each hierarchy that exists.
  std::vector<std::string> dirs() const;

  // mkdir in every hierarchy; v1 cpuset dirs inherit cpus/mems from the parent; on v2 the
  // ancestors' subtree_control enables the controllers. Errors: kAlreadyExists (the cgroup
  // exists and holds processes), kPermissionDenied, kInternal.
  Result<void> create();
  // Writes `res` (memory, cpu, cpuset, pids, blkio/io, devices, unified). A knob whose file
  // the kernel lacks (e.g. memsw without swap accounting) is skipped with a warning appended to
  // `warnings`. Errors: kInvalidArgument (kernel rejected a value), kInternal.
  Result<void> apply(const spec::Resources& res, std::vector<std::string>& warnings);
  // Moves `pid` into the cgroup in every hierarchy. Errors: kNotFound, kResourceExhausted.
  Result<void> add_process(pid_t pid);
  // Moves the calling thread into this cgroup in every v1 hierarchy by writing "0" to `tasks`.
  // For a single-threaded process (a freshly cloned container init) that moves the process.
  // Unlike a cgroup.procs write of another pid, a thread moving itself skips the kernel's
  // cgroup_threadgroup_rwsem, whose write side waits for an RCU grace period (5-20 ms here).
  // Needs the host's privileges over the cgroup files (not from inside a new user namespace).
  // Errors: kPermissionDenied, kNotFound.
  Result<void> join_v1_self() const;
  // The v2 dir (unified hierarchy) opened for clone3's CLONE_INTO_CGROUP; invalid when none.
  UniqueFd open_v2_dir() const;

  // Freezes (true) or thaws every process in the cgroup and waits until the kernel reports it
  // done (v1 freezer.state FROZEN/THAWED, else v2 cgroup.freeze + cgroup.events "frozen").
  // Errors: kNotImplemented (no freezer), kDeadlineExceeded (not settled within ~2 s).
  Result<void> freeze(bool frozen);
  // Whether the cgroup is frozen (false when there is no freezer).
  bool frozen() const;

  // Counters of the cgroup: each controller from its v1 hierarchy when mounted there, else
  // from the v2 dir (stats.cc). Errors: kNotFound (the cgroup has no cpu accounting).
  Result<Stats> stats() const;
  // Pids in the cgroup (v2 dir, else the v1 pids/memory/first hierarchy).
  std::vector<pid_t> pids() const;
  // Sends `sig` to every process in the cgroup.
  void signal_all(int sig) const;
  // Kills every process (SIGKILL, repeated until none is left, ~2 s at most), then removes the
  // dirs. Errors: kConflict when processes remain.
  Result<void> destroy();
  // destroy(), then removes the parent dir too when it is left empty (the shared "/berth" that
  // default cgroup paths live in); a busy or foreign parent stays.
  Result<void> destroy_and_prune_parent();

 private:
  Result<void> create_once();
  Layout layout_;
  std::string path_;
};

// v1 and v2 resource writers (v1.cc, v2.cc). `dir_of(controller)` gives the v1 dir or "".
namespace internal {
Result<void> apply_v1(const Layout& layout, const std::string& path, const spec::Resources& res,
                      std::vector<std::string>& warnings);
Result<void> apply_v2(const std::string& dir, const spec::Resources& res,
                      std::vector<std::string>& warnings);
// v2 device rules need a BPF_PROG_TYPE_CGROUP_DEVICE program attached to the cgroup dir.
Result<void> apply_v2_devices(const std::string& dir, const std::vector<spec::DeviceRule>& rules);
// Writes `value` to `dir`/`file`. A knob the kernel lacks becomes a warning
// ("<label>: <file> <missing>; ignored"); a value it refuses is kInvalidArgument.
Result<void> write_knob(const std::string& dir, const std::string& file, const std::string& value,
                        std::string_view label, std::string_view missing,
                        std::vector<std::string>& warnings);
// Convert cpu shares (2..262144) to cgroup v2 cpu.weight (1..10000), as runc does.
uint64_t shares_to_weight(uint64_t shares);
}  // namespace internal

}  // namespace berth::runtime::cgroup
