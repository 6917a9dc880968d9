#include "runtime/linux/mounts.h"

#include <gtest/gtest.h>
#include <sys/mount.h>
#include <unistd.h>

#include "common/fs.h"
#include "support/process.h"

namespace berth::runtime::os {
namespace {

TEST(ParseMountOptions, SplitsFlagsPropagationAndData) {
  auto o = parse_mount_options({"nosuid", "noexec", "ro", "mode=755", "size=65536k", "rslave",
                                "rbind"});
  ASSERT_TRUE(o);
  EXPECT_EQ(o->flags, static_cast<unsigned long>(MS_NOSUID | MS_NOEXEC | MS_RDONLY | MS_BIND |
                                                 MS_REC));
  EXPECT_TRUE(o->bind);
  ASSERT_EQ(o->propagation.size(), 1u);
  EXPECT_EQ(o->propagation[0], static_cast<unsigned long>(MS_SLAVE | MS_REC));
  EXPECT_EQ(o->data, "mode=755,size=65536k");
}

TEST(ParseMountOptions, LaterOptionWinsAndIdmapIsRefused) {
  auto o = parse_mount_options({"ro", "rw"});
  ASSERT_TRUE(o);
  EXPECT_EQ(o->flags & MS_RDONLY, 0u);
  auto idmap = parse_mount_options({"idmap"});
  ASSERT_FALSE(idmap);
  EXPECT_EQ(idmap.error().code, Errc::kInvalidArgument);
}

TEST(SecureJoin, SymlinksCannotLeaveTheRoot) {
  std::string root = test::make_temp_dir("berth-sj");
  ASSERT_TRUE(fs::mkdir_all(root + "/etc"));
  ASSERT_EQ(symlink("/etc/../../../../../etc", (root + "/escape").c_str()), 0);
  ASSERT_EQ(symlink("../..", (root + "/etc/up").c_str()), 0);
  ASSERT_EQ(symlink("etc", (root + "/rel").c_str()), 0);
  EXPECT_EQ(*secure_join(root, "/escape/passwd"), root + "/etc/passwd");
  EXPECT_EQ(*secure_join(root, "/etc/up/x"), root + "/x");
  EXPECT_EQ(*secure_join(root, "/../../x"), root + "/x");
  EXPECT_EQ(*secure_join(root, "/rel/hosts"), root + "/etc/hosts");
  EXPECT_EQ(*secure_join(root, "/new/dir"), root + "/new/dir");
  ASSERT_EQ(symlink("loop", (root + "/loop").c_str()), 0);
  EXPECT_FALSE(secure_join(root, "/loop/x"));
  (void)fs::remove_all(root);
}

}  // namespace
}  // namespace berth::runtime::os
