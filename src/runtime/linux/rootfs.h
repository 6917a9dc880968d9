// The container's root file system: propagation, spec mounts, /dev, pivot_root, masked and
// read-only paths (runtime-spec config.md "Root", config-linux.md "Masked/Readonly Paths",
// "Devices", "Default Devices"; runc libcontainer/rootfs_linux.go). Runs in the container init.
#pragma once

#include <string>

#include "common/error.h"
#include "runtime/linux/mounts.h"
#include "runtime/spec/spec.h"

namespace berth::runtime::os {

// Everything before the root switch: rootfs propagation, rootfs bind, every spec mount,
// default and spec devices, /dev symlinks. Errors: those of mount_entry, and kPermissionDenied /
// kInternal for the propagation change and the rootfs bind.
Result<void> prepare_rootfs(const spec::Spec& spec, const MountContext& ctx);

// Makes rootfs "/" with pivot_root(2), detaching the old root; with `use_chroot` (--no-pivot)
// the rootfs mount is moved over "/" and chroot(2)ed into. Errors: kInvalidArgument (rootfs not
// a mount point / on a ramfs), kPermissionDenied.
Result<void> switch_root(const std::string& rootfs, bool use_chroot);

// After the root switch: masked and read-only paths, a read-only root, /dev/console for a
// terminal, rootfsPropagation. `console_path` is the pty slave path or "". Missing masked or
// read-only paths are skipped. Errors: kPermissionDenied, kInternal.
Result<void> finalize_rootfs(const spec::Spec& spec, const std::string& console_path);

// Devices (devices.cc): the six default devices when /dev is not bound from the host, the
// spec's linux.devices, and the /dev/fd, stdin, stdout, stderr, ptmx, core symlinks.
// In a user namespace device nodes are bind-mounted from the host instead of created.
Result<void> create_devices(const spec::Spec& spec, const std::string& rootfs, bool in_userns);

// The cgroup device rules that runc always adds after the spec's (null, zero, full, tty,
// random, urandom, ptmx, pts, tun, mknod of any), plus allow rules for linux.devices.
std::vector<spec::DeviceRule> default_device_rules(const spec::Spec& spec);

}  // namespace berth::runtime::os
