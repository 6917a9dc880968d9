#include "support/leak_check.h"

#include <dirent.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>
#include <vector>

#include "support/process.h"

namespace berth::test {
namespace {

std::vector<std::string> list(const std::string& dir) {
  std::vector<std::string> out;
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d)) {
      std::string n = e->d_name;
      if (n != "." && n != "..") {
        out.push_back(n);
      }
    }
    closedir(d);
  }
  return out;
}

template <class C>
void add_diff(std::ostringstream& os, const char* what, const C& before, const C& after) {
  for (const auto& a : after) {
    if (before.count(a) < after.count(a)) {
      os << "left behind " << what << ": " << a << "\n";
    }
  }
}

}  // namespace

HostSnapshot snapshot(const std::string& state_root, const std::string& marker,
                      const std::string& suffix) {
  HostSnapshot s;
  std::ifstream mi("/proc/self/mountinfo");
  for (std::string line; std::getline(mi, line);) {
    std::istringstream f(line);
    std::string id, parent, dev, root, mp;
    f >> id >> parent >> dev >> root >> mp;
    // podman's storage mount comes and goes with podman's own cleanup processes.
    if (mp.rfind("/var/lib/containers/", 0) != 0) {
      s.mounts.insert(mp);
    }
  }
  for (const auto& h : list("/sys/fs/cgroup")) {
    const std::string base = "/sys/fs/cgroup/" + h + "/berth";
    struct stat st;
    for (const auto& c : list(base)) {
      bool ours = c.size() >= suffix.size() && c.compare(c.size() - suffix.size(), suffix.size(),
                                                         suffix) == 0;
      if (ours && stat((base + "/" + c).c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
        s.cgroup_dirs.insert(h + "/berth/" + c);
      }
    }
  }
  for (const auto& e : list(state_root)) {
    if (e == ".seccomp") continue;  // the runtime's compiled-filter cache, kept on purpose
    s.state_entries.insert(e);
  }
  if (!marker.empty()) {
    for (const auto& p : list("/proc")) {
      if (p.find_first_not_of("0123456789") != std::string::npos) {
        continue;
      }
      std::ifstream cl("/proc/" + p + "/cmdline");
      std::string cmd((std::istreambuf_iterator<char>(cl)), {});
      for (auto& c : cmd) {
        c = c == '\0' ? ' ' : c;
      }
      if (cmd.find(marker) != std::string::npos && cmd.find("leak-check-self") == std::string::npos) {
        s.processes.insert(p + " " + cmd);
      }
    }
  }
  return s;
}

std::string diff(const HostSnapshot& before, const HostSnapshot& after) {
  std::ostringstream os;
  add_diff(os, "mount", before.mounts, after.mounts);
  add_diff(os, "cgroup", before.cgroup_dirs, after.cgroup_dirs);
  add_diff(os, "state entry", before.state_entries, after.state_entries);
  add_diff(os, "process", before.processes, after.processes);
  return os.str();
}

}  // namespace berth::test
