// Leak check for runtime tests: what a container may leave on the host (mounts, cgroup dirs,
// state dirs, processes) is recorded before a test and compared after, even when it failed.
#pragma once

#include <set>
#include <string>

namespace berth::test {

struct HostSnapshot {
  std::multiset<std::string> mounts;    // mount points from /proc/self/mountinfo
  std::set<std::string> cgroup_dirs;    // dirs under each hierarchy's /berth named *<suffix>
  std::set<std::string> state_entries;  // entries of the runtime root
  std::set<std::string> processes;      // "pid cmdline" of processes whose cmdline has `marker`
};

// `suffix` scopes the cgroup check to this test process's containers (ids end with it), so
// test runs in parallel do not see each other's containers as leaks.
HostSnapshot snapshot(const std::string& state_root, const std::string& marker,
                      const std::string& suffix);

// Human-readable differences ("" when none).
std::string diff(const HostSnapshot& before, const HostSnapshot& after);

}  // namespace berth::test
