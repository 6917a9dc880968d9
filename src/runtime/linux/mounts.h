// Mount helpers for the container's mount namespace (runtime-spec config.md "Mounts",
// runc libcontainer/rootfs_linux.go). Runs in the container init, before pivot_root.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "runtime/cgroup/manager.h"
#include "runtime/spec/spec.h"

namespace berth::runtime::os {

struct MountOptions {
  unsigned long flags = 0;                  // MS_* set on the mount
  std::vector<unsigned long> propagation;   // MS_PRIVATE/MS_SLAVE/... (| MS_REC) applied after
  std::string data;                         // fs-specific options, comma-joined
  bool bind = false;                        // "bind" or "rbind"
};

// Splits spec mount options into MS_* flags, propagation and data ("mode=755,size=64k").
// Errors: kInvalidArgument for options berth does not support (idmap, ridmap).
Result<MountOptions> parse_mount_options(const std::vector<std::string>& options);

// MS_* propagation flags for "private", "rslave", ... (runtime-spec rootfsPropagation and
// mount options); 0 for anything else.
unsigned long propagation_flags(std::string_view name);

// `rootfs` + `path` with every symlink resolved as if rootfs were "/", so the result never
// leaves rootfs (filepath-securejoin's SecureJoin). Missing components are kept as named.
Result<std::string> secure_join(const std::string& rootfs, const std::string& path);

// Applies `flags` (ro, nosuid, ...) to the bind mount at `dest` with a remount, adding back the
// flags the kernel keeps locked in a user namespace. Errors name `what`.
Result<void> remount_bind(const std::string& dest, unsigned long flags, const std::string& what);

struct MountContext {
  std::string rootfs;          // host path of the container rootfs (already a mount point)
  const cgroup::Layout* cgroup_layout = nullptr;
  std::string cgroup_path;     // the container's cgroup inside each hierarchy
  bool new_cgroupns = false;
  bool in_userns = false;
};

// Mounts one spec entry under ctx.rootfs, creating its mount point.
// Errors: kInvalidArgument/kPermissionDenied/kNotFound naming the destination.
Result<void> mount_entry(const spec::Mount& m, const MountContext& ctx);

}  // namespace berth::runtime::os
