// Seccomp filters from the spec through libseccomp (runtime-spec config-linux.md "Seccomp").
#pragma once

#include "common/error.h"
#include "runtime/spec/spec.h"

namespace berth::runtime::security {

// Compiles `sc` and loads it into the calling process. Unknown syscall names are skipped (as
// runc does), unknown architectures are errors. Does not set no_new_privs itself.
// Errors: kInvalidArgument (bad architecture, flag or rule), kPermissionDenied.
Result<void> load_seccomp(const spec::Seccomp& sc);

}  // namespace berth::runtime::security
