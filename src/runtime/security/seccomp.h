// Seccomp filters from the spec through libseccomp (runtime-spec config-linux.md "Seccomp").
#pragma once

#include <memory>

#include "common/error.h"
#include "runtime/spec/spec.h"

namespace berth::runtime::security {

// A compiled filter, not yet in force: compiled early (so a bad profile fails `create`), loaded
// as late as possible (with no_new_privs, right before execve, as runc does).
class SeccompFilter {
 public:
  explicit SeccompFilter(void* ctx) : ctx_(ctx) {}
  SeccompFilter(const SeccompFilter&) = delete;
  SeccompFilter& operator=(const SeccompFilter&) = delete;
  ~SeccompFilter();
  // Puts the filter in force for the calling process. Errors: kPermissionDenied (no
  // CAP_SYS_ADMIN and no no_new_privs), kInvalidArgument.
  Result<void> load() const;

 private:
  void* ctx_;  // scmp_filter_ctx
};

// Compiles `sc`. Unknown syscall names are skipped (as runc does), unknown architectures are
// errors. Does not set no_new_privs itself.
// Errors: kInvalidArgument (bad architecture, flag or rule), kInternal.
Result<std::unique_ptr<SeccompFilter>> compile_seccomp(const spec::Seccomp& sc);

}  // namespace berth::runtime::security
