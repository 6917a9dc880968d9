#include "runtime/linux/mounts.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <string_view>
#include <climits>

#include "common/fs.h"
#include "common/strings.h"
#include "common/unique_fd.h"

namespace berth::runtime::os {
namespace {

struct FlagName {
  const char* name;
  bool clear;
  unsigned long flag;
};
constexpr FlagName kFlags[] = {
    {"defaults", false, 0},          {"ro", false, MS_RDONLY},
    {"rw", true, MS_RDONLY},         {"suid", true, MS_NOSUID},
    {"nosuid", false, MS_NOSUID},    {"dev", true, MS_NODEV},
    {"nodev", false, MS_NODEV},      {"exec", true, MS_NOEXEC},
    {"noexec", false, MS_NOEXEC},    {"sync", false, MS_SYNCHRONOUS},
    {"async", true, MS_SYNCHRONOUS}, {"dirsync", false, MS_DIRSYNC},
    {"remount", false, MS_REMOUNT},  {"mand", false, MS_MANDLOCK},
    {"nomand", true, MS_MANDLOCK},   {"atime", true, MS_NOATIME},
    {"noatime", false, MS_NOATIME},  {"diratime", true, MS_NODIRATIME},
    {"nodiratime", false, MS_NODIRATIME}, {"relatime", false, MS_RELATIME},
    {"norelatime", true, MS_RELATIME}, {"strictatime", false, MS_STRICTATIME},
    {"nostrictatime", true, MS_STRICTATIME}, {"lazytime", false, MS_LAZYTIME},
    {"nolazytime", true, MS_LAZYTIME}, {"silent", false, MS_SILENT},
    {"loud", true, MS_SILENT},
};

struct PropName {
  const char* name;
  unsigned long flag;
};
constexpr PropName kProps[] = {
    {"private", MS_PRIVATE},          {"rprivate", MS_PRIVATE | MS_REC},
    {"shared", MS_SHARED},            {"rshared", MS_SHARED | MS_REC},
    {"slave", MS_SLAVE},              {"rslave", MS_SLAVE | MS_REC},
    {"unbindable", MS_UNBINDABLE},    {"runbindable", MS_UNBINDABLE | MS_REC},
};

Result<void> do_mount(const char* src, const std::string& dst, const char* type,
                      unsigned long flags, const std::string& data, const std::string& what) {
  if (::mount(src, dst.c_str(), type, flags, data.empty() ? nullptr : data.c_str()) < 0) {
    return sys_error(errno, what);
  }
  return {};
}

// Creates the mount point: a file for a bind of a non-directory, a directory otherwise.
Result<void> make_mountpoint(const std::string& dest, bool file) {
  if (fs::exists(dest)) {
    return {};
  }
  if (!file) {
    return fs::mkdir_all(dest, 0755);
  }
  BERTH_TRY(fs::mkdir_all(dest.substr(0, dest.find_last_of('/')), 0755));
  UniqueFd fd(::open(dest.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
  if (!fd && errno != EEXIST) {
    return sys_error(errno, "create mount point `" + dest + "`");
  }
  return {};
}

Result<void> apply_propagation(const std::string& dest, const MountOptions& o,
                               const std::string& what) {
  for (unsigned long p : o.propagation) {
    BERTH_TRY(do_mount(nullptr, dest, nullptr, p, "", what + ": set propagation"));
  }
  return {};
}

std::string base_name(const std::string& p) { return p.substr(p.find_last_of('/') + 1); }

// cgroup mounts: the container sees its own cgroup as the root of each hierarchy. With a new
// cgroup namespace the kernel does that for a fresh cgroup mount; without one we bind the
// container's dir in (runc's mountCgroupV1/V2).
Result<void> mount_cgroups(const std::string& dest, const MountOptions& o, const MountContext& ctx,
                           const std::string& what) {
  const cgroup::Layout& l = *ctx.cgroup_layout;
  const unsigned long flags = o.flags & (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RELATIME);
  auto one = [&](const std::string& target, const std::string& host_dir, const char* type,
                 const std::string& data) -> Result<void> {
    BERTH_TRY(fs::mkdir_all(target, 0755));
    if (ctx.new_cgroupns) {
      return do_mount("cgroup", target, type, flags, data, what + ": mount " + type);
    }
    BERTH_TRY(do_mount(host_dir.c_str(), target, nullptr, MS_BIND | MS_REC, "",
                       what + ": bind " + host_dir));
    return remount_bind(target, flags | MS_BIND, what + ": remount " + target);
  };
  if (l.pure_v2()) {
    return one(dest, l.unified + ctx.cgroup_path, "cgroup2", "");
  }
  BERTH_TRY(do_mount("tmpfs", dest, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755",
                     what + ": mount tmpfs"));
  for (const auto& h : l.v1) {
    std::string name = base_name(h.mountpoint);
    BERTH_TRY(one(dest + "/" + name, h.mountpoint + ctx.cgroup_path, "cgroup",
                  str::join(h.controllers, ",")));
    // "cpu,cpuacct" is also reachable as "cpu" and "cpuacct" (as on the host).
    if (h.controllers.size() > 1 && name.find(',') != std::string::npos) {
      for (const auto& c : h.controllers) {
        (void)::symlinkat(name.c_str(), AT_FDCWD, (dest + "/" + c).c_str());
      }
    }
  }
  if (!l.unified.empty()) {
    BERTH_TRY(one(dest + "/" + base_name(l.unified), l.unified + ctx.cgroup_path, "cgroup2", ""));
  }
  if (o.flags & MS_RDONLY) {
    BERTH_TRY(do_mount(nullptr, dest, nullptr, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV |
                                                   MS_NOEXEC, "mode=755",
                       what + ": remount read-only"));
  }
  return {};
}

}  // namespace

// Read-only and other per-mount flags on a bind need a second, remount call. A remount replaces
// every per-mount flag, so the restrictions the mount already has (nosuid, nodev, noexec: also
// what the kernel locks in a user namespace) are kept; the remount only ever adds.
Result<void> remount_bind(const std::string& dest, unsigned long flags, const std::string& what) {
  unsigned long f = MS_BIND | MS_REMOUNT | (flags & ~(MS_BIND | MS_REC | MS_REMOUNT));
  struct statvfs sv;
  if (::statvfs(dest.c_str(), &sv) == 0) {
    f |= sv.f_flag & (ST_NODEV | ST_NOSUID | ST_NOEXEC);
  }
  if (::mount(nullptr, dest.c_str(), nullptr, f, nullptr) == 0) {
    return {};
  }
  if (errno == EPERM && ::statvfs(dest.c_str(), &sv) == 0) {
    f |= sv.f_flag & (ST_RDONLY | ST_NOATIME | ST_NODIRATIME | ST_RELATIME);
    if (::mount(nullptr, dest.c_str(), nullptr, f, nullptr) == 0) {
      return {};
    }
  }
  return sys_error(errno, what);
}

unsigned long propagation_flags(std::string_view name) {
  for (const auto& p : kProps) {
    if (name == p.name) {
      return p.flag;
    }
  }
  return 0;
}

Result<MountOptions> parse_mount_options(const std::vector<std::string>& options) {
  MountOptions o;
  std::vector<std::string> data;
  for (const auto& opt : options) {
    if (opt == "bind") {
      o.bind = true;
      o.flags |= MS_BIND;
      continue;
    }
    if (opt == "rbind") {
      o.bind = true;
      o.flags |= MS_BIND | MS_REC;
      continue;
    }
    if (opt == "idmap" || opt == "ridmap") {
      return make_error(Errc::kInvalidArgument, "mount option `" + opt + "` is not supported");
    }
    if (opt == "tmpcopyup" || opt == "copy-symlink" || opt == "z" || opt == "Z" ||
        opt.rfind("x-", 0) == 0) {
      continue;  // podman's and runc's extensions that need no kernel flag
    }
    bool known = false;
    for (const auto& f : kFlags) {
      if (opt == f.name) {
        known = true;
        if (f.clear) {
          o.flags &= ~f.flag;
        } else {
          o.flags |= f.flag;
        }
      }
    }
    if (unsigned long prop = propagation_flags(opt); prop != 0) {
      known = true;
      o.propagation.push_back(prop);
    }
    if (!known) {
      data.push_back(opt);
    }
  }
  o.data = str::join(data, ",");
  return o;
}

Result<std::string> secure_join(const std::string& rootfs, const std::string& path) {
  std::vector<std::string> done;  // resolved components below rootfs
  std::vector<std::string> todo;
  for (auto& c : str::split(path, '/')) {
    todo.push_back(c);
  }
  std::reverse(todo.begin(), todo.end());
  int links = 0;
  while (!todo.empty()) {
    std::string c = std::move(todo.back());
    todo.pop_back();
    if (c.empty() || c == ".") {
      continue;
    }
    if (c == "..") {
      if (!done.empty()) {
        done.pop_back();
      }
      continue;
    }
    std::string full = rootfs + "/" + str::join(done, "/") + (done.empty() ? "" : "/") + c;
    struct stat st;
    if (::lstat(full.c_str(), &st) == 0 && S_ISLNK(st.st_mode)) {
      if (++links > 255) {
        return make_error(Errc::kInvalidArgument, "too many symlinks resolving `" + path + "`");
      }
      char buf[PATH_MAX];
      ssize_t n = ::readlink(full.c_str(), buf, sizeof buf - 1);
      if (n < 0) {
        return sys_error(errno, "readlink `" + full + "`");
      }
      std::string target(buf, static_cast<size_t>(n));
      if (!target.empty() && target[0] == '/') {
        done.clear();
      }
      auto parts = str::split(target, '/');
      for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
        todo.push_back(*it);
      }
      continue;
    }
    done.push_back(c);
  }
  std::string out = rootfs;
  for (auto& c : done) {
    out += "/" + c;
  }
  return out;
}

namespace {

// Opens `dest` (O_PATH) and checks that what was opened lies inside `rootfs`: a path checked by
// secure_join can be swapped for a symlink before it is used (a volume shared with a running
// container), but an fd cannot. Mounting on "/proc/self/fd/N" then hits exactly what was checked
// (runc's approach to CVE-2021-30465).
struct Target {
  UniqueFd fd;
  std::string proc_path;  // "/proc/self/fd/N"
};
Result<Target> open_target(const std::string& dest, const std::string& rootfs,
                           const std::string& what) {
  Target t;
  t.fd.reset(::open(dest.c_str(), O_PATH | O_CLOEXEC));
  if (!t.fd) {
    return sys_error(errno, what + ": open mount point");
  }
  t.proc_path = "/proc/self/fd/" + std::to_string(t.fd.get());
  char real[PATH_MAX];
  ssize_t n = ::readlink(t.proc_path.c_str(), real, sizeof real - 1);
  if (n < 0) {
    return sys_error(errno, what + ": resolve mount point");
  }
  std::string_view r(real, static_cast<size_t>(n));
  if (r != rootfs && (r.size() <= rootfs.size() || r.substr(0, rootfs.size()) != rootfs ||
                      r[rootfs.size()] != '/')) {
    return make_error(Errc::kPermissionDenied,
                      what + ": mount point escaped the rootfs (now " + std::string(r) + ")");
  }
  return t;
}

}  // namespace

Result<void> mount_entry(const spec::Mount& m, const MountContext& ctx) {
  const std::string what = "mount `" + m.destination + "`";
  auto opts = parse_mount_options(m.options);
  if (!opts) {
    return tl::unexpected(wrap(std::move(opts.error()), what));
  }
  MountOptions& o = *opts;
  BERTH_ASSIGN_OR_RETURN(std::string dest, secure_join(ctx.rootfs, m.destination));
  const bool bind = o.bind || m.type == "bind";
  if (bind && !o.data.empty()) {
    // A bind mount takes no fs options: an option we do not know (rro, nosymfollow, ...) would
    // otherwise be dropped and the mount be less strict than asked.
    return make_error(Errc::kInvalidArgument,
                      what + ": mount option(s) `" + o.data + "` not supported on a bind mount");
  }
  if (bind) {
    struct stat st;
    if (::stat(m.source.c_str(), &st) < 0) {
      return sys_error(errno, what + ": source `" + m.source + "`");
    }
    BERTH_TRY(make_mountpoint(dest, !S_ISDIR(st.st_mode)));
    {
      BERTH_ASSIGN_OR_RETURN(Target t, open_target(dest, ctx.rootfs, what));
      BERTH_TRY(do_mount(m.source.c_str(), t.proc_path, nullptr, MS_BIND | (o.flags & MS_REC), "",
                         what + ": bind `" + m.source + "`"));
    }
    // The new mount is reached through a fresh, checked fd as well.
    BERTH_ASSIGN_OR_RETURN(Target mounted, open_target(dest, ctx.rootfs, what));
    if (o.flags & ~(MS_BIND | MS_REC)) {
      BERTH_TRY(remount_bind(mounted.proc_path, o.flags, what + ": remount"));
    }
    return apply_propagation(mounted.proc_path, o, what);
  }
  BERTH_TRY(make_mountpoint(dest, false));
  if (m.type == "cgroup" || m.type == "cgroup2") {
    if (ctx.cgroup_layout == nullptr) {
      return make_error(Errc::kFailedPrecondition, what + ": no cgroup layout");
    }
    BERTH_TRY(mount_cgroups(dest, o, ctx, what));
    return apply_propagation(dest, o, what);
  }
  const char* source = m.source.empty() ? m.type.c_str() : m.source.c_str();
  BERTH_ASSIGN_OR_RETURN(Target t, open_target(dest, ctx.rootfs, what));
  if (::mount(source, t.proc_path.c_str(), m.type.c_str(), o.flags,
              o.data.empty() ? nullptr : o.data.c_str()) < 0) {
    int err = errno;
    // sysfs cannot be mounted without owning the network namespace: bind the host's instead.
    if (m.type == "sysfs" && (err == EPERM || err == EBUSY)) {
      BERTH_TRY(do_mount("/sys", dest, nullptr, MS_BIND | MS_REC, "", what + ": bind /sys"));
      BERTH_TRY(remount_bind(dest, o.flags | MS_BIND, what + ": remount /sys"));
      return apply_propagation(dest, o, what);
    }
    return sys_error(err, what + " (type " + m.type + ")");
  }
  return apply_propagation(dest, o, what);
}

}  // namespace berth::runtime::os
