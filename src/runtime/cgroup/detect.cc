#include <algorithm>

#include "common/fs.h"
#include "common/strings.h"
#include "runtime/cgroup/manager.h"

namespace berth::runtime::cgroup {

const V1Hierarchy* Layout::find_v1(std::string_view controller) const {
  for (const auto& h : v1) {
    if (std::find(h.controllers.begin(), h.controllers.end(), controller) != h.controllers.end()) {
      return &h;
    }
  }
  return nullptr;
}

Result<Layout> parse_layout(std::string_view mountinfo) {
  Layout layout;
  for (auto& line : str::split(mountinfo, '\n')) {
    // mountinfo: ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTS
    auto sep = line.find(" - ");
    if (sep == std::string::npos) {
      continue;
    }
    auto left = str::split(line.substr(0, sep), ' ');
    auto right = str::split(line.substr(sep + 3), ' ');
    if (left.size() < 5 || right.size() < 3) {
      continue;
    }
    const std::string& mountpoint = left[4];
    const std::string& fstype = right[0];
    if (fstype == "cgroup2") {
      if (layout.unified.empty()) {
        layout.unified = mountpoint;
      }
    } else if (fstype == "cgroup") {
      V1Hierarchy h;
      h.mountpoint = mountpoint;
      for (auto& opt : str::split(right[2], ',')) {
        if (opt == "rw" || opt == "ro" || opt.find('=') != std::string::npos) {
          if (opt.rfind("name=", 0) == 0) {
            h.controllers.push_back(opt);
          }
          continue;
        }
        if (opt == "relatime" || opt == "noatime" || opt == "nosuid" || opt == "nodev" ||
            opt == "noexec" || opt == "clone_children" || opt == "xattr" ||
            opt == "noprefix" || opt == "cpuset_v2_mode") {
          continue;
        }
        h.controllers.push_back(opt);
      }
      // Skip a second mount of a hierarchy we already have.
      bool dup = false;
      for (const auto& o : layout.v1) {
        dup = dup || o.controllers == h.controllers;
      }
      if (!dup && !h.controllers.empty()) {
        layout.v1.push_back(std::move(h));
      }
    }
  }
  if (layout.unified.empty() && layout.v1.empty()) {
    return make_error(Errc::kNotFound, "no cgroup file system is mounted");
  }
  return layout;
}

Result<Layout> detect_layout() {
  BERTH_ASSIGN_OR_RETURN(std::string text, fs::read_file("/proc/self/mountinfo"));
  return parse_layout(text);
}

namespace {
// "machine-foo.slice" → "/machine.slice/machine-foo.slice" (systemd's slice nesting).
Result<std::string> expand_slice(const std::string& slice) {
  const std::string suffix = ".slice";
  if (slice.size() < suffix.size() ||
      slice.compare(slice.size() - suffix.size(), suffix.size(), suffix) != 0 ||
      slice.find('/') != std::string::npos) {
    return make_error(Errc::kInvalidArgument, "invalid systemd slice `" + slice + "`");
  }
  if (slice == "-.slice") {
    return std::string();
  }
  std::string name = slice.substr(0, slice.size() - suffix.size());
  std::string path, prefix;
  for (auto& part : str::split(name, '-')) {
    if (part.empty()) {
      return make_error(Errc::kInvalidArgument, "invalid systemd slice `" + slice + "`");
    }
    prefix += (prefix.empty() ? "" : "-") + part;
    path += "/" + prefix + suffix;
  }
  return path;
}
}  // namespace

Result<std::string> resolve_path(const std::string& cgroups_path, const std::string& id,
                                 bool systemd) {
  auto parts = str::split(cgroups_path, ':');
  if (parts.size() == 3 && cgroups_path.find('/') == std::string::npos) {
    std::string slice = parts[0].empty() ? "system.slice" : parts[0];
    BERTH_ASSIGN_OR_RETURN(std::string base, expand_slice(slice));
    std::string unit = parts[2].size() > 6 && parts[2].ends_with(".slice")
                           ? parts[2]
                           : (parts[1].empty() ? "" : parts[1] + "-") + parts[2] + ".scope";
    return base + "/" + unit;
  }
  if (systemd && !cgroups_path.empty()) {
    return make_error(Errc::kInvalidArgument,
                      "linux.cgroupsPath: expected \"slice:prefix:name\" with --systemd-cgroup, "
                      "got `" + cgroups_path + "`");
  }
  if (cgroups_path.empty()) {
    return "/berth/" + id;
  }
  std::string out;
  for (auto& part : str::split(cgroups_path, '/')) {
    if (part.empty() || part == ".") {
      continue;
    }
    if (part == "..") {
      return make_error(Errc::kInvalidArgument,
                        "linux.cgroupsPath: `..` is not allowed in `" + cgroups_path + "`");
    }
    out += "/" + part;
  }
  if (out.empty()) {
    return make_error(Errc::kInvalidArgument, "linux.cgroupsPath: the root cgroup is not allowed");
  }
  return out;
}

}  // namespace berth::runtime::cgroup
