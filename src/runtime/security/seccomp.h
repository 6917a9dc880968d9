// Seccomp filters from the spec through libseccomp (runtime-spec config-linux.md "Seccomp").
#pragma once

#include <memory>
#include <string>

#include "common/error.h"
#include "runtime/spec/spec.h"

namespace berth::runtime::security {

// A compiled filter, not yet in force: compiled early (so a bad profile fails `create`), loaded
// as late as possible (with no_new_privs, right before execve, as runc does).
class SeccompFilter {
 public:
  explicit SeccompFilter(void* ctx) : ctx_(ctx) {}
  // A filter already compiled to classic BPF (`bpf`: sock_filter entries, 8 bytes each), with
  // seccomp(2) flags (SECCOMP_FILTER_FLAG_LOG, _SPEC_ALLOW) as libseccomp would pass them.
  SeccompFilter(std::string bpf, unsigned flags) : ctx_(nullptr), bpf_(std::move(bpf)), flags_(flags) {}
  SeccompFilter(const SeccompFilter&) = delete;
  SeccompFilter& operator=(const SeccompFilter&) = delete;
  ~SeccompFilter();
  // Puts the filter in force for the calling process. Errors: kPermissionDenied (no
  // CAP_SYS_ADMIN and no no_new_privs), kInvalidArgument.
  Result<void> load() const;
  // The filter as classic BPF, ready for seccomp(2). Errors: kInternal.
  Result<std::string> export_bpf() const;
  unsigned flags() const { return flags_; }

 private:
  void* ctx_;  // scmp_filter_ctx, or nullptr for a precompiled program
  std::string bpf_;
  unsigned flags_ = 0;
};

// Compiles `sc`. Unknown syscall names are skipped (as runc does), unknown architectures are
// errors. Does not set no_new_privs itself.
// Errors: kInvalidArgument (bad architecture, flag or rule), kInternal.
Result<std::unique_ptr<SeccompFilter>> compile_seccomp(const spec::Seccomp& sc);

// compile_seccomp, then exported to BPF, through a cache in `cache_dir` (root-only; created):
// libseccomp needs several milliseconds for Docker's profile, the single largest cost of a
// container start, and nearly every container has the same profile. A cache entry holds the
// whole profile as its key and is used only when that key matches byte for byte. A cache that
// cannot be written is skipped. Errors: those of compile_seccomp.
Result<std::unique_ptr<SeccompFilter>> compile_seccomp_cached(const spec::Seccomp& sc,
                                                              const std::string& cache_dir);

}  // namespace berth::runtime::security
