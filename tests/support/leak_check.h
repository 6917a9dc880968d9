// Leak check for runtime tests: what a container may leave on the host (mounts, cgroup dirs,
// state dirs, processes) is recorded before a test and compared after, even when it failed.
#pragma once

#include <set>
#include <string>

namespace berth::test {

struct HostSnapshot {
  std::multiset<std::string> mounts;    // mount points from /proc/self/mountinfo
  std::set<std::string> cgroup_dirs;    // dirs under each hierarchy's /berth
  std::set<std::string> state_entries;  // entries of the runtime root
  std::set<std::string> processes;      // "pid cmdline" of processes whose cmdline has `marker`
};

HostSnapshot snapshot(const std::string& state_root, const std::string& marker);

// Human-readable differences ("" when none).
std::string diff(const HostSnapshot& before, const HostSnapshot& after);

}  // namespace berth::test
