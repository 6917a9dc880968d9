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

// setns(2) into the namespace at `path` of type `t`. Errors name the path.
Result<void> join_namespace(const std::string& path, spec::NamespaceType t);

// Writes /proc/PID/{uid_map,gid_map} (and "deny" to setgroups when unprivileged).
// Errors: kInvalidArgument when the kernel rejects a mapping.
Result<void> write_id_mappings(pid_t pid, const spec::Linux& lx);

// An open /proc/PID/ns/<name> for each namespace of `pid` that differs from ours, in the
// order exec must join them (user first, mount last).
struct NsHandle {
  spec::NamespaceType type;
  UniqueFd fd;
};
Result<std::vector<NsHandle>> open_namespaces_of(pid_t pid);

}  // namespace berth::runtime::os
