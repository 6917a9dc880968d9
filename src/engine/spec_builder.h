// The OCI bundle config for a container: Docker's defaults (runtime default_spec_json) with
// the image's and the user's settings applied as moby's daemon/oci_linux.go does: args from
// Entrypoint + Cmd, Env, WorkingDir, User resolved in the container's /etc/passwd and
// /etc/group (GroupAdd too), hostname, /etc/hosts|hostname|resolv.conf bind mounts, read-only
// root, ShmSize, Init (the host's tini at /sbin/docker-init), resources (Memory, MemorySwap,
// MemoryReservation, NanoCpus, CpuShares, CpusetCpus/Mems, PidsLimit, BlkioWeight), CapAdd/
// CapDrop, Privileged, SecurityOpt (no-new-privileges, seccomp profiles, apparmor/label
// ignored), Ulimits, OomScoreAdj, Devices and Sysctls, with docker's validation messages.
#pragma once

#include <string>

#include "common/error.h"
#include "common/json.h"
#include "engine/engine.h"

namespace berth::engine {

// config.json for `c`, whose root file system is mounted at `rootfs`.
// No rlimits but the Ulimits asked for (the rest is the daemon's, as docker's containers get
// containerd's); a hard limit above the daemon's own that it cannot raise (no CAP_SYS_RESOURCE)
// is clamped to it, with a warning on stderr. noNewPrivileges is off unless asked for.
// Errors: kInvalidArgument (no command; unknown user or group; unknown capability; bad
// --security-opt, ulimit, device, sysctl or resource value; --init without tini installed).
Result<OrderedJson> build_spec(const Container& c, const std::string& rootfs);

// The HostConfig options of `c` checked as build_spec would apply them, without a root file
// system (GroupAdd, which needs the image's /etc/group, waits for start): docker's create
// refuses these before anything exists. Errors: as build_spec's kInvalidArgument.
Result<void> validate_host_config(const Container& c);

// runtime-spec process.user for docker's user spec ("name", "uid", "uid:gid", "name:group"),
// looked up in the container's /etc/passwd and /etc/group under `rootfs`.
// Errors: kInvalidArgument ("unable to find user x: no matching entries in passwd file").
Result<OrderedJson> resolve_user(const std::string& spec, const std::string& rootfs);

}  // namespace berth::engine
