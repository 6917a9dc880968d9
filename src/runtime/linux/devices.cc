#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>

#include "common/fs.h"
#include "common/unique_fd.h"
#include "runtime/linux/rootfs.h"

namespace berth::runtime::os {
namespace {

struct DefaultDevice {
  const char* path;
  int major, minor;
};
constexpr DefaultDevice kDefaultDevices[] = {
    {"/dev/null", 1, 3},    {"/dev/zero", 1, 5}, {"/dev/full", 1, 7},
    {"/dev/random", 1, 8},  {"/dev/urandom", 1, 9}, {"/dev/tty", 5, 0},
};

Result<void> make_node(const std::string& rootfs, const spec::Device& d, bool in_userns) {
  BERTH_ASSIGN_OR_RETURN(std::string dest, secure_join(rootfs, d.path));
  BERTH_TRY(fs::mkdir_all(dest.substr(0, dest.find_last_of('/')), 0755));
  if (in_userns) {
    // mknod is not allowed in a user namespace: bind the host's node instead (runc).
    UniqueFd f(::open(dest.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600));
    if (!f && errno != EEXIST) {
      return sys_error(errno, "create `" + d.path + "`");
    }
    if (::mount(d.path.c_str(), dest.c_str(), nullptr, MS_BIND, nullptr) < 0) {
      return sys_error(errno, "bind device `" + d.path + "`");
    }
    return {};
  }
  mode_t type = d.type == 'b' ? S_IFBLK : d.type == 'p' ? S_IFIFO : S_IFCHR;
  mode_t mode = d.file_mode.value_or(0666) & 07777;
  ::unlink(dest.c_str());
  if (::mknod(dest.c_str(), type | mode,
              makedev(static_cast<unsigned>(d.major), static_cast<unsigned>(d.minor))) < 0) {
    return sys_error(errno, "mknod `" + d.path + "`");
  }
  // mknod is subject to umask; set the exact mode.
  if (::chmod(dest.c_str(), mode) < 0) {
    return sys_error(errno, "chmod `" + d.path + "`");
  }
  if (::chown(dest.c_str(), d.uid.value_or(0), d.gid.value_or(0)) < 0) {
    return sys_error(errno, "chown `" + d.path + "`");
  }
  return {};
}

bool dev_is_bound_from_host(const spec::Spec& spec) {
  for (const auto& m : spec.mounts) {
    if (m.destination == "/dev") {
      for (const auto& o : m.options) {
        if (o == "bind" || o == "rbind") {
          return true;
        }
      }
      return m.type == "bind";
    }
  }
  return false;
}

}  // namespace

Result<void> create_devices(const spec::Spec& spec, const std::string& rootfs, bool in_userns) {
  if (!dev_is_bound_from_host(spec)) {
    for (const auto& dd : kDefaultDevices) {
      bool overridden = false;
      for (const auto& d : spec.linux.devices) {
        overridden = overridden || d.path == dd.path;
      }
      if (!overridden) {
        spec::Device d;
        d.path = dd.path;
        d.major = dd.major;
        d.minor = dd.minor;
        d.file_mode = 0666;
        BERTH_TRY(make_node(rootfs, d, in_userns));
      }
    }
  }
  for (const auto& d : spec.linux.devices) {
    BERTH_TRY(make_node(rootfs, d, in_userns));
  }
  if (dev_is_bound_from_host(spec)) {
    return {};
  }
  const std::pair<const char*, const char*> links[] = {
      {"/proc/self/fd", "/dev/fd"},      {"/proc/self/fd/0", "/dev/stdin"},
      {"/proc/self/fd/1", "/dev/stdout"}, {"/proc/self/fd/2", "/dev/stderr"},
      {"/proc/kcore", "/dev/core"},      {"pts/ptmx", "/dev/ptmx"},
  };
  for (const auto& [target, link] : links) {
    // Resolved inside the rootfs: a rootfs whose /dev is a symlink must not make us write
    // links into a host directory.
    BERTH_ASSIGN_OR_RETURN(std::string path, secure_join(rootfs, link));
    if (::symlink(target, path.c_str()) < 0 && errno != EEXIST) {
      return sys_error(errno, std::string("symlink `") + link + "`");
    }
  }
  return {};
}

std::vector<spec::DeviceRule> default_device_rules(const spec::Spec& spec) {
  auto rule = [](char type, std::optional<int64_t> major, std::optional<int64_t> minor,
                 const char* access) {
    spec::DeviceRule r;
    r.allow = true;
    r.type = type;
    r.major = major;
    r.minor = minor;
    r.access = access;
    return r;
  };
  std::vector<spec::DeviceRule> out = {
      rule('c', std::nullopt, std::nullopt, "m"), rule('b', std::nullopt, std::nullopt, "m"),
      rule('c', 1, 3, "rwm"),  rule('c', 1, 8, "rwm"), rule('c', 1, 7, "rwm"),
      rule('c', 5, 0, "rwm"),  rule('c', 1, 5, "rwm"), rule('c', 1, 9, "rwm"),
      rule('c', 136, std::nullopt, "rwm"), rule('c', 5, 2, "rwm"), rule('c', 10, 200, "rwm"),
  };
  for (const auto& d : spec.linux.devices) {
    if (d.type == 'c' || d.type == 'b') {
      out.push_back(rule(d.type, d.major, d.minor, "rwm"));
    }
  }
  return out;
}

}  // namespace berth::runtime::os
