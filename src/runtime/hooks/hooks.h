// OCI hooks (runtime-spec config.md "POSIX-platform Hooks", runtime.md "Lifecycle"): each hook
// is run with the container state JSON on its stdin; a non-zero exit or a timeout fails it.
#pragma once

#include <string>
#include <vector>

#include "common/error.h"
#include "runtime/spec/spec.h"

namespace berth::runtime::hooks {

// Runs `hooks` in order, each with `state_json` on stdin; stops at the first failure.
// `stage` names the hook list in errors ("prestart"). Errors: kInternal
// ("<stage> hook `path` failed: exit status 1"), kDeadlineExceeded (timeout).
Result<void> run(const std::vector<spec::Hook>& hooks, const std::string& stage,
                 const std::string& state_json);

}  // namespace berth::runtime::hooks
