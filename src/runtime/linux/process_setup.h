// The last steps before execve in the container: rlimits, umask, user and groups, capabilities,
// no_new_privs, seccomp, cwd and the executable's path (runtime-spec config.md "Process";
// runc libcontainer/init_linux.go finalizeNamespace, standard_init_linux.go).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "runtime/security/seccomp.h"
#include "runtime/spec/spec.h"

namespace berth::runtime::os {

// Sets each rlimit. A hard limit above what we may raise to (no CAP_SYS_RESOURCE) is clamped to
// the current hard limit, with a warning appended to `warnings`. Errors: kPermissionDenied.
Result<void> apply_rlimits(const std::vector<spec::Rlimit>& rlimits,
                           std::vector<std::string>& warnings);

// Switches to the process user and capabilities and sets no_new_privs, in the order that keeps
// each step allowed, then changes to cwd. `filter` (compiled by the runtime before the clone;
// may be null) is loaded here without no_new_privs, before the capability drop (loading needs
// CAP_SYS_ADMIN then); with no_new_privs it is returned for the caller to load right before
// execve (nullptr when there is nothing left to load). `setgroups_allowed` is false in a user
// namespace with setgroups denied. Errors: kPermissionDenied, kNotFound (cwd).
Result<const security::SeccompFilter*> finalize_process(const spec::Process& p,
                                                        const security::SeccompFilter* filter,
                                                        bool setgroups_allowed);

// The program to exec: args[0] itself when it holds a '/', else the first executable match in
// PATH from `env` (default PATH otherwise). Errors: kNotFound ("exec: \"x\": executable file not
// found in $PATH", as runc and podman word it), kPermissionDenied.
Result<std::string> find_executable(const std::string& arg0, const std::vector<std::string>& env);

// `env` plus HOME from /etc/passwd when it lacks one (runc does the same).
std::vector<std::string> with_home(std::vector<std::string> env, uint32_t uid);

// Marks fds >= 3 + preserve close-on-exec and clears it on 3 .. 3+preserve-1 (--preserve-fds).
void prepare_fds_for_exec(int preserve);

}  // namespace berth::runtime::os
