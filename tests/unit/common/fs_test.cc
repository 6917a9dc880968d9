#include "common/fs.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "support/process.h"

namespace berth::fs {
namespace {

class FsTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = test::make_temp_dir("berth-fs"); }
  void TearDown() override { (void)remove_all(dir_); }
  std::string dir_;
};

TEST_F(FsTest, AtomicWriteReplacesWholeFileAndLeavesNoTemp) {
  const std::string p = join(dir_, "state.json");
  ASSERT_TRUE(atomic_write(p, "first"));
  ASSERT_TRUE(atomic_write(p, "second"));
  EXPECT_EQ(*read_file(p), "second");
  EXPECT_EQ(list_dir(dir_)->size(), 1u);
}

TEST_F(FsTest, AtomicWriteIntoMissingDirIsNotFound) {
  auto r = atomic_write(join(dir_, "no/such/file"), "x");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kNotFound);
}

TEST_F(FsTest, MkdirAllCreatesParentsAndAcceptsExisting) {
  const std::string p = join(dir_, "a/b/c");
  ASSERT_TRUE(mkdir_all(p));
  ASSERT_TRUE(mkdir_all(p));
  EXPECT_TRUE(is_dir(p));
}

TEST_F(FsTest, ReadMissingFileNamesThePath) {
  auto r = read_file(join(dir_, "missing"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kNotFound);
  EXPECT_NE(r.error().message.find("missing"), std::string::npos);
}

TEST(FsJoin, HasExactlyOneSlash) {
  EXPECT_EQ(join("/a/", "/b"), "/a/b");
  EXPECT_EQ(join("/a", "b/c"), "/a/b/c");
}

}  // namespace
}  // namespace berth::fs
