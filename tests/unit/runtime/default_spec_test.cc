#include <gtest/gtest.h>
#include <linux/capability.h>

#include "runtime/security/seccomp_default.h"
#include "runtime/spec/spec.h"

namespace berth::runtime {
namespace {

bool allows(const OrderedJson& profile, const std::string& name) {
  for (const auto& r : profile["syscalls"]) {
    if (r["action"] != "SCMP_ACT_ALLOW") {
      continue;
    }
    for (const auto& n : r["names"]) {
      if (n == name) {
        return true;
      }
    }
  }
  return false;
}

TEST(DefaultSpec, IsDockersDefaultConfinement) {
  Json j = Json::parse(spec::default_spec_json().dump());
  auto s = spec::parse_spec(j, "/b");
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->process->capabilities->effective.size(), 14u);
  EXPECT_TRUE(s->process->no_new_privileges);
  EXPECT_TRUE(s->root_readonly);
  EXPECT_EQ(s->linux.masked_paths.size(), 11u);
  EXPECT_EQ(s->linux.readonly_paths.size(), 5u);
  ASSERT_TRUE(s->linux.seccomp);
  EXPECT_EQ(s->linux.seccomp->default_action, "SCMP_ACT_ERRNO");
  for (auto t : {spec::NamespaceType::kPid, spec::NamespaceType::kNetwork,
                 spec::NamespaceType::kIpc, spec::NamespaceType::kUts,
                 spec::NamespaceType::kMount}) {
    EXPECT_NE(s->linux.find_namespace(t), nullptr);
  }
}

TEST(DefaultSeccompProfile, CapabilityRulesFollowTheCapabilitySet) {
  auto plain = security::default_seccomp_profile({CAP_CHOWN, CAP_SYS_CHROOT});
  EXPECT_TRUE(allows(plain, "read"));
  EXPECT_TRUE(allows(plain, "chroot"));
  EXPECT_FALSE(allows(plain, "mount"));
  EXPECT_FALSE(allows(plain, "keyctl"));
  EXPECT_FALSE(allows(plain, "unshare"));
  EXPECT_FALSE(allows(plain, "init_module"));
  auto admin = security::default_seccomp_profile({CAP_SYS_ADMIN});
  EXPECT_TRUE(allows(admin, "mount"));
  EXPECT_TRUE(allows(admin, "unshare"));
  EXPECT_FALSE(allows(admin, "chroot"));
}

}  // namespace
}  // namespace berth::runtime
