// Docker's default seccomp profile (moby profiles/seccomp/default.json), resolved for
// linux/amd64 and a given capability set the way dockerd resolves it before handing it to
// the runtime: rules "included" by a capability appear only when that capability is held.
#pragma once

#include <vector>

#include "common/json.h"

namespace berth::runtime::security {

// The `linux.seccomp` object (runtime-spec config-linux.md#seccomp) for `caps` (CAP_* numbers).
OrderedJson default_seccomp_profile(const std::vector<int>& caps);

// Docker's default capability set (moby oci/caps/defaults.go), as CAP_* names.
const std::vector<const char*>& default_capability_names();

}  // namespace berth::runtime::security
