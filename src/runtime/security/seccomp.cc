#include "runtime/security/seccomp.h"

#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <set>

#include "common/fs.h"
#include "common/unique_fd.h"

namespace berth::runtime::security {
namespace {

Result<uint32_t> action_of(const std::string& a, std::optional<uint32_t> errno_ret) {
  const uint32_t e = errno_ret.value_or(EPERM);
  if (a == "SCMP_ACT_KILL" || a == "SCMP_ACT_KILL_THREAD") return SCMP_ACT_KILL_THREAD;
  if (a == "SCMP_ACT_KILL_PROCESS") return SCMP_ACT_KILL_PROCESS;
  if (a == "SCMP_ACT_TRAP") return SCMP_ACT_TRAP;
  if (a == "SCMP_ACT_ERRNO") return SCMP_ACT_ERRNO(e);
  if (a == "SCMP_ACT_TRACE") return SCMP_ACT_TRACE(e);
  if (a == "SCMP_ACT_ALLOW") return SCMP_ACT_ALLOW;
  if (a == "SCMP_ACT_LOG") return SCMP_ACT_LOG;
  return make_error(Errc::kInvalidArgument, "linux.seccomp: action `" + a + "` is not supported");
}

scmp_compare op_of(spec::SeccompOp op) {
  switch (op) {
    case spec::SeccompOp::kNotEqual: return SCMP_CMP_NE;
    case spec::SeccompOp::kLessThan: return SCMP_CMP_LT;
    case spec::SeccompOp::kLessEqual: return SCMP_CMP_LE;
    case spec::SeccompOp::kEqualTo: return SCMP_CMP_EQ;
    case spec::SeccompOp::kGreaterEqual: return SCMP_CMP_GE;
    case spec::SeccompOp::kGreaterThan: return SCMP_CMP_GT;
    case spec::SeccompOp::kMaskedEqual: return SCMP_CMP_MASKED_EQ;
  }
  return SCMP_CMP_EQ;
}

}  // namespace

SeccompFilter::~SeccompFilter() {
  if (ctx_ != nullptr) seccomp_release(static_cast<scmp_filter_ctx>(ctx_));
}

Result<void> SeccompFilter::load() const {
  if (ctx_ == nullptr) {
    sock_fprog prog{static_cast<unsigned short>(bpf_.size() / sizeof(sock_filter)),
                    reinterpret_cast<sock_filter*>(const_cast<char*>(bpf_.data()))};
    if (::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags_, &prog) < 0) {
      return sys_error(errno, "load seccomp filter");
    }
    return {};
  }
  int rc = seccomp_load(static_cast<scmp_filter_ctx>(ctx_));
  if (rc < 0) {
    return sys_error(-rc, "load seccomp filter");
  }
  return {};
}

Result<std::string> SeccompFilter::export_bpf() const {
  if (ctx_ == nullptr) return bpf_;
  // libseccomp 2.5 exports to a file descriptor only.
  UniqueFd fd(::memfd_create("seccomp-bpf", MFD_CLOEXEC));
  if (!fd) return sys_error(errno, "memfd_create");
  int rc = seccomp_export_bpf(static_cast<scmp_filter_ctx>(ctx_), fd.get());
  if (rc < 0) return sys_error(-rc, "export seccomp filter");
  struct stat st {};
  ::fstat(fd.get(), &st);
  std::string out(static_cast<size_t>(st.st_size), '\0');
  if (::pread(fd.get(), out.data(), out.size(), 0) != static_cast<ssize_t>(out.size())) {
    return sys_error(errno, "read exported seccomp filter");
  }
  return out;
}

Result<std::unique_ptr<SeccompFilter>> compile_seccomp(const spec::Seccomp& sc) {
  BERTH_ASSIGN_OR_RETURN(uint32_t def, action_of(sc.default_action, sc.default_errno_ret));
  scmp_filter_ctx ctx = seccomp_init(def);
  if (ctx == nullptr) {
    return make_error(Errc::kInternal, "linux.seccomp: seccomp_init failed");
  }
  auto filter = std::make_unique<SeccompFilter>(ctx);  // owns ctx from here on
  // We set no_new_privs ourselves, from process.noNewPrivileges.
  seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
  for (const auto& flag : sc.flags) {
    if (flag == "SECCOMP_FILTER_FLAG_LOG") {
      seccomp_attr_set(ctx, SCMP_FLTATR_CTL_LOG, 1);
    } else if (flag == "SECCOMP_FILTER_FLAG_SPEC_ALLOW") {
      seccomp_attr_set(ctx, SCMP_FLTATR_CTL_SSB, 1);
    } else if (flag != "SECCOMP_FILTER_FLAG_TSYNC") {
      return make_error(Errc::kInvalidArgument, "linux.seccomp.flags: unknown flag `" + flag + "`");
    }
  }
  for (const auto& arch : sc.architectures) {
    std::string name = arch.rfind("SCMP_ARCH_", 0) == 0 ? arch.substr(10) : arch;
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
    uint32_t token = seccomp_arch_resolve_name(name.c_str());
    if (token == 0) {
      return make_error(Errc::kInvalidArgument,
                        "linux.seccomp.architectures: unknown architecture `" + arch + "`");
    }
    int rc = seccomp_arch_add(ctx, token);
    if (rc < 0 && rc != -EEXIST) {
      return sys_error(-rc, "linux.seccomp.architectures: add `" + arch + "`");
    }
  }
  for (size_t i = 0; i < sc.syscalls.size(); ++i) {
    const auto& rule = sc.syscalls[i];
    BERTH_ASSIGN_OR_RETURN(uint32_t act, action_of(rule.action, rule.errno_ret));
    if (act == def) {
      continue;  // libseccomp refuses rules equal to the default action
    }
    // Conditions on distinct arguments are ANDed in one rule; several on the same argument
    // become one rule each (libseccomp cannot AND them), as runc does.
    std::set<uint32_t> seen;
    bool repeated = false;
    for (const auto& a : rule.args) {
      repeated = repeated || !seen.insert(a.index).second;
    }
    auto to_cmp = [](const spec::SeccompArg& a) {
      return scmp_arg_cmp{a.index, op_of(a.op), a.value, a.value_two};
    };
    for (const auto& name : rule.names) {
      int nr = seccomp_syscall_resolve_name(name.c_str());
      if (nr == __NR_SCMP_ERROR) {
        continue;  // not a syscall on this architecture / libseccomp version
      }
      int rc = 0;
      if (rule.args.empty()) {
        rc = seccomp_rule_add(ctx, act, nr, 0);
      } else if (!repeated) {
        std::vector<scmp_arg_cmp> cmps;
        for (const auto& a : rule.args) {
          cmps.push_back(to_cmp(a));
        }
        rc = seccomp_rule_add_array(ctx, act, nr, static_cast<unsigned>(cmps.size()),
                                    cmps.data());
      } else {
        for (const auto& a : rule.args) {
          scmp_arg_cmp c = to_cmp(a);
          rc = seccomp_rule_add_array(ctx, act, nr, 1, &c);
          if (rc < 0) {
            break;
          }
        }
      }
      if (rc < 0) {
        return sys_error(-rc, "linux.seccomp.syscalls[" + std::to_string(i) + "]: add rule for `" +
                                  name + "`");
      }
    }
  }
  return filter;
}

namespace {

// Everything of the profile that shapes the program, as text: the cache key.
std::string cache_key(const spec::Seccomp& sc) {
  const scmp_version* v = seccomp_version();
  std::string k = "libseccomp " + std::to_string(v->major) + "." + std::to_string(v->minor) +
                  "." + std::to_string(v->micro) + "\n" + sc.default_action + " " +
                  std::to_string(sc.default_errno_ret.value_or(~0u)) + "\n";
  for (auto& a : sc.architectures) k += "arch " + a + "\n";
  for (auto& f : sc.flags) k += "flag " + f + "\n";
  for (auto& r : sc.syscalls) {
    k += "rule " + r.action + " " + std::to_string(r.errno_ret.value_or(~0u));
    for (auto& n : r.names) k += " " + n;
    for (auto& a : r.args) {
      k += " [" + std::to_string(a.index) + " " + std::to_string(static_cast<int>(a.op)) + " " +
           std::to_string(a.value) + " " + std::to_string(a.value_two) + "]";
    }
    k += "\n";
  }
  return k;
}

uint64_t fnv1a(std::string_view s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

unsigned filter_flags(const spec::Seccomp& sc) {
  unsigned flags = 0;
  for (auto& f : sc.flags) {
    if (f == "SECCOMP_FILTER_FLAG_LOG") flags |= SECCOMP_FILTER_FLAG_LOG;
    if (f == "SECCOMP_FILTER_FLAG_SPEC_ALLOW") flags |= SECCOMP_FILTER_FLAG_SPEC_ALLOW;
  }
  return flags;
}

}  // namespace

Result<std::unique_ptr<SeccompFilter>> compile_seccomp_cached(const spec::Seccomp& sc,
                                                              const std::string& cache_dir) {
  std::string key = cache_key(sc);
  char name[32];
  std::snprintf(name, sizeof name, "%016llx", static_cast<unsigned long long>(fnv1a(key)));
  std::string path = cache_dir + "/" + name;
  if (auto cached = fs::read_file(path)) {
    // key '\0' bpf; anything else (a collision, a torn file) is a miss.
    if (cached->size() > key.size() && cached->compare(0, key.size(), key) == 0 &&
        (*cached)[key.size()] == '\0' && (cached->size() - key.size() - 1) % 8 == 0) {
      return std::make_unique<SeccompFilter>(cached->substr(key.size() + 1), filter_flags(sc));
    }
  }
  BERTH_ASSIGN_OR_RETURN(auto filter, compile_seccomp(sc));
  BERTH_ASSIGN_OR_RETURN(std::string bpf, filter->export_bpf());
  if (fs::mkdir_all(cache_dir, 0700)) {
    (void)fs::atomic_write(path, key + '\0' + bpf, 0600);
  }
  return std::make_unique<SeccompFilter>(std::move(bpf), filter_flags(sc));
}

}  // namespace berth::runtime::security
