#include "runtime/linux/namespaces.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "common/fs.h"

namespace berth::runtime::os {

int new_namespace_flags(const spec::Linux& lx) {
  int flags = 0;
  for (const auto& ns : lx.namespaces) {
    if (ns.path.empty()) {
      flags |= spec::namespace_clone_flag(ns.type);
    }
  }
  return flags;
}

Result<void> join_namespace(const std::string& path, spec::NamespaceType t) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    return sys_error(errno, "open " + std::string(spec::namespace_type_name(t)) +
                                " namespace `" + path + "`");
  }
  if (::setns(fd.get(), spec::namespace_clone_flag(t)) < 0) {
    return sys_error(errno, "join " + std::string(spec::namespace_type_name(t)) +
                                " namespace `" + path + "`");
  }
  return {};
}

namespace {
std::string format_map(const std::vector<spec::IdMapping>& maps) {
  std::string out;
  for (const auto& m : maps) {
    out += std::to_string(m.container_id) + " " + std::to_string(m.host_id) + " " +
           std::to_string(m.size) + "\n";
  }
  return out;
}
}  // namespace

Result<void> write_id_mappings(pid_t pid, const spec::Linux& lx) {
  const std::string base = "/proc/" + std::to_string(pid);
  for (bool uid : {true, false}) {
    auto r = fs::write_control(base + (uid ? "/uid_map" : "/gid_map"),
                               format_map(uid ? lx.uid_mappings : lx.gid_mappings));
    if (!r) {
      return make_error(Errc::kInvalidArgument,
                        std::string(uid ? "linux.uidMappings" : "linux.gidMappings") +
                            ": the kernel rejected the mapping: " +
                            std::strerror(r.error().sys_errno));
    }
  }
  return {};
}

Result<std::vector<NsHandle>> open_namespaces_of(pid_t pid) {
  using spec::NamespaceType;
  const NamespaceType order[] = {NamespaceType::kUser, NamespaceType::kIpc, NamespaceType::kUts,
                                 NamespaceType::kNetwork, NamespaceType::kCgroup,
                                 NamespaceType::kTime, NamespaceType::kPid, NamespaceType::kMount};
  std::vector<NsHandle> out;
  for (NamespaceType t : order) {
    const std::string name(spec::namespace_proc_name(t));
    struct stat mine, theirs;
    const std::string path = "/proc/" + std::to_string(pid) + "/ns/" + name;
    if (::stat(path.c_str(), &theirs) < 0) {
      if (errno == ENOENT && t == NamespaceType::kTime) {
        continue;  // older kernels
      }
      return sys_error(errno, "open namespace `" + path + "`");
    }
    if (::stat(("/proc/self/ns/" + name).c_str(), &mine) == 0 && mine.st_ino == theirs.st_ino &&
        mine.st_dev == theirs.st_dev) {
      continue;
    }
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) {
      return sys_error(errno, "open namespace `" + path + "`");
    }
    out.push_back({t, std::move(fd)});
  }
  return out;
}

}  // namespace berth::runtime::os
