// Process capabilities through libcap (runtime-spec config.md "Capabilities", capabilities(7)).
#pragma once

#include "common/error.h"
#include "runtime/spec/spec.h"

namespace berth::runtime::security {

// Drops every capability the kernel knows (cap_last_cap) that is not in `bounding` from the
// bounding set (PR_CAPBSET_DROP). Errors: kPermissionDenied (no CAP_SETPCAP).
Result<void> drop_bounding(const std::vector<int>& bounding);

// Sets the effective, permitted and inheritable sets, then raises the ambient ones.
// Call after the uid switch (with PR_SET_KEEPCAPS held). Errors: kPermissionDenied.
Result<void> apply_capabilities(const spec::Capabilities& caps);

}  // namespace berth::runtime::security
