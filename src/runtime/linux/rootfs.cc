#include "runtime/linux/rootfs.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "common/fs.h"
#include "common/unique_fd.h"

namespace berth::runtime::os {
Result<void> prepare_rootfs(const spec::Spec& spec, const MountContext& ctx) {
  // Our view of the host's mounts must not propagate back: rslave by default (runc), or the
  // requested propagation when it is at least as strict. Shared propagation is applied at the end.
  unsigned long prop = propagation_flags(spec.linux.rootfs_propagation);
  if (prop == 0 || (prop & MS_SHARED)) {
    prop = MS_SLAVE | MS_REC;
  }
  if (::mount(nullptr, "/", nullptr, prop, nullptr) < 0) {
    return sys_error(errno, "make / " + std::string(prop & MS_PRIVATE ? "private" : "slave"));
  }
  // pivot_root needs the new root to be a mount point.
  if (::mount(ctx.rootfs.c_str(), ctx.rootfs.c_str(), nullptr, MS_BIND | MS_REC, nullptr) < 0) {
    return sys_error(errno, "bind rootfs `" + ctx.rootfs + "`");
  }
  for (const auto& m : spec.mounts) {
    BERTH_TRY(mount_entry(m, ctx));
  }
  return create_devices(spec, ctx.rootfs, ctx.in_userns);
}

Result<void> switch_root(const std::string& rootfs, bool use_chroot) {
  if (use_chroot) {
    // --no-pivot (rootfs on a ramfs, where pivot_root fails): move the rootfs mount over "/"
    // first, so that no chroot escape reaches the host's tree (runc's msMoveRoot).
    if (::chdir(rootfs.c_str()) < 0) {
      return sys_error(errno, "chdir `" + rootfs + "`");
    }
    if (::mount(rootfs.c_str(), "/", nullptr, MS_MOVE, nullptr) < 0) {
      return sys_error(errno, "move rootfs `" + rootfs + "` to /");
    }
    if (::chroot(".") < 0) {
      return sys_error(errno, "chroot `" + rootfs + "`");
    }
    if (::chdir("/") < 0) {
      return sys_error(errno, "chdir /");
    }
    return {};
  }
  // pivot_root(".", ".") stacks the old root on top of the new one; unmounting "." afterwards
  // detaches it without needing a directory for it inside the rootfs (runc, lxc).
  UniqueFd oldroot(::open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC));
  UniqueFd newroot(::open(rootfs.c_str(), O_DIRECTORY | O_RDONLY | O_CLOEXEC));
  if (!oldroot || !newroot) {
    return sys_error(errno, "open rootfs `" + rootfs + "`");
  }
  if (::fchdir(newroot.get()) < 0) {
    return sys_error(errno, "chdir to rootfs");
  }
  if (::syscall(SYS_pivot_root, ".", ".") < 0) {
    return sys_error(errno, "pivot_root `" + rootfs + "`");
  }
  if (::fchdir(oldroot.get()) < 0) {
    return sys_error(errno, "chdir to old root");
  }
  if (::mount(nullptr, ".", nullptr, MS_SLAVE | MS_REC, nullptr) < 0) {
    return sys_error(errno, "make old root slave");
  }
  if (::umount2(".", MNT_DETACH) < 0) {
    return sys_error(errno, "detach old root");
  }
  if (::chdir("/") < 0) {
    return sys_error(errno, "chdir /");
  }
  return {};
}

namespace {

Result<void> mask_path(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) < 0) {
    return {};  // nothing to hide
  }
  if (S_ISDIR(st.st_mode)) {
    if (::mount("tmpfs", path.c_str(), "tmpfs", MS_RDONLY, nullptr) < 0) {
      return sys_error(errno, "mask `" + path + "`");
    }
  } else if (::mount("/dev/null", path.c_str(), nullptr, MS_BIND, nullptr) < 0 && errno != ENOENT) {
    return sys_error(errno, "mask `" + path + "`");
  }
  return {};
}

Result<void> readonly_path(const std::string& path) {
  if (::mount(path.c_str(), path.c_str(), nullptr, MS_BIND | MS_REC, nullptr) < 0) {
    if (errno == ENOENT) {
      return {};
    }
    return sys_error(errno, "bind read-only path `" + path + "`");
  }
  return remount_bind(path, MS_BIND | MS_RDONLY, "remount `" + path + "` read-only");
}

}  // namespace

Result<void> finalize_rootfs(const spec::Spec& spec, const std::string& console_path) {
  if (!console_path.empty()) {
    // /dev/console is the terminal's slave (runc setupConsole).
    UniqueFd f(::open("/dev/console", O_CREAT | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (f || errno == EEXIST) {
      f.reset();
      if (::mount(console_path.c_str(), "/dev/console", nullptr, MS_BIND, nullptr) < 0) {
        return sys_error(errno, "bind /dev/console");
      }
    }
  }
  for (const auto& p : spec.linux.readonly_paths) {
    BERTH_TRY(readonly_path(p));
  }
  for (const auto& p : spec.linux.masked_paths) {
    BERTH_TRY(mask_path(p));
  }
  if (spec.root_readonly) {
    BERTH_TRY(remount_bind("/", MS_BIND | MS_RDONLY, "remount root read-only"));
  }
  unsigned long prop = propagation_flags(spec.linux.rootfs_propagation);
  if (prop != 0 && ::mount(nullptr, "/", nullptr, prop, nullptr) < 0) {
    return sys_error(errno, "set rootfsPropagation `" + spec.linux.rootfs_propagation + "`");
  }
  return {};
}

}  // namespace berth::runtime::os
