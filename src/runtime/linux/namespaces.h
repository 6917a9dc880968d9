// Namespace helpers (runtime-spec config-linux.md "Namespaces", "User namespace mappings").
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "common/error.h"
#include "common/unique_fd.h"
#include "runtime/spec/spec.h"

namespace berth::runtime::os {

// CLONE_NEW* flags for the namespaces the spec asks to create (path empty).
int new_namespace_flags(const spec::Linux& lx);

// setns(2) into the namespace at `path` of type `t`. Errors name the path: kNotFound,
// kInvalidArgument (not a namespace of that type), kPermissionDenied.
Result<void> join_namespace(const std::string& path, spec::NamespaceType t);

// Writes /proc/PID/uid_map and gid_map (we are privileged: setgroups stays allowed).
// Errors: kInvalidArgument when the kernel rejects a mapping (overlaps, unmapped host ids).
Result<void> write_id_mappings(pid_t pid, const spec::Linux& lx);

// An open /proc/PID/ns/<name> for each namespace of `pid` that differs from ours, in the
// order exec must join them (user first, mount last). Errors: kNotFound (the process is gone).
struct NsHandle {
  spec::NamespaceType type;
  UniqueFd fd;
};
Result<std::vector<NsHandle>> open_namespaces_of(pid_t pid);

}  // namespace berth::runtime::os
