#include "runtime/security/capabilities.h"

#include <sys/capability.h>
#include <sys/prctl.h>

#include <algorithm>
#include <cerrno>

#include "common/fs.h"
#include "common/strings.h"

namespace berth::runtime::security {

Result<void> drop_bounding(const std::vector<int>& bounding) {
  // The running kernel may know more capabilities than our headers do.
  int last = CAP_LAST_CAP;
  if (auto text = fs::read_file("/proc/sys/kernel/cap_last_cap")) {
    last = static_cast<int>(str::parse_int(str::trim(*text)).value_or(CAP_LAST_CAP));
  }
  for (int c = 0; c <= last; ++c) {
    if (std::find(bounding.begin(), bounding.end(), c) != bounding.end()) {
      continue;
    }
    if (::prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL) {
      return sys_error(errno, "drop capability " + std::to_string(c) + " from bounding set");
    }
  }
  return {};
}

Result<void> apply_capabilities(const spec::Capabilities& caps) {
  cap_t c = cap_init();
  if (c == nullptr) {
    return sys_error(errno, "cap_init");
  }
  auto set = [&](cap_flag_t flag, const std::vector<int>& list) {
    if (!list.empty()) {
      std::vector<cap_value_t> v(list.begin(), list.end());
      cap_set_flag(c, flag, static_cast<int>(v.size()), v.data(), CAP_SET);
    }
  };
  set(CAP_EFFECTIVE, caps.effective);
  set(CAP_PERMITTED, caps.permitted);
  set(CAP_INHERITABLE, caps.inheritable);
  int rc = cap_set_proc(c);
  int err = errno;
  cap_free(c);
  if (rc < 0) {
    return sys_error(err, "set process capabilities");
  }
  if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL) {
    return sys_error(errno, "clear ambient capabilities");
  }
  for (int a : caps.ambient) {
    // An ambient capability must be permitted and inheritable; runc ignores the ones that are
    // not, without a word, and `runc spec`/`crun spec` configs list ambient caps that are not
    // inheritable, so a warning here would fire on every default container.
    (void)::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, a, 0, 0);
  }
  return {};
}

}  // namespace berth::runtime::security
