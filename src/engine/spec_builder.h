// The OCI bundle config for a container: Docker's defaults (runtime default_spec_json) with
// the image's and the user's settings applied as moby's daemon/oci_linux.go does: args from
// Entrypoint + Cmd, Env, WorkingDir, User resolved in the container's /etc/passwd and
// /etc/group, hostname, /etc/hosts|hostname|resolv.conf bind mounts, read-only root,
// resources (Memory, MemorySwap, NanoCpus, CpuShares, PidsLimit), capabilities, privileged.
#pragma once

#include <string>

#include "common/error.h"
#include "common/json.h"
#include "engine/engine.h"

namespace berth::engine {

// config.json for `c`, whose root file system is mounted at `rootfs`.
// Errors: kInvalidArgument (no command; unknown user or group; bad option value).
Result<OrderedJson> build_spec(const Container& c, const std::string& rootfs);

// runtime-spec process.user for docker's user spec ("name", "uid", "uid:gid", "name:group"),
// looked up in the container's /etc/passwd and /etc/group under `rootfs`.
// Errors: kInvalidArgument ("unable to find user x: no matching entries in passwd file").
Result<OrderedJson> resolve_user(const std::string& spec, const std::string& rootfs);

}  // namespace berth::engine
