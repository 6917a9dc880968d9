// Snapshots (image/snapshots.h): the init layer of mount points shared by an image's containers.
#include "image/snapshots.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace berth::image {
namespace {

namespace stdfs = std::filesystem;

class InitLayerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/berth-snap-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    root_ = tmpl;
  }
  void TearDown() override { stdfs::remove_all(root_); }
  // A committed layer of 64 `n`s: its chain ID (its files go under fs_of(id)).
  std::string layer(char n) {
    std::string id = "sha256:" + std::string(64, n);
    stdfs::create_directories(root_ + "/" + std::string(64, n) + "/fs");
    return id;
  }
  std::string fs_of(const std::string& id) { return root_ + "/" + id.substr(7) + "/fs"; }
  std::string root_;
};

TEST_F(InitLayerTest, HoldsTheEntriesTheChainLacksWithItsParentsAttributes) {
  std::string bottom = layer('a'), top = layer('b');
  stdfs::create_directories(fs_of(bottom) + "/etc");
  stdfs::create_directories(fs_of(bottom) + "/proc");
  std::ofstream(fs_of(bottom) + "/etc/hosts") << "127.0.0.1 localhost\n";
  ::chmod((fs_of(bottom) + "/etc").c_str(), 0750);
  stdfs::create_directory_symlink("/tmp", fs_of(bottom) + "/dev");
  std::ofstream(fs_of(top) + "/.wh.proc");  // the top layer deletes /proc
  Snapshots s(root_);
  std::vector<std::string> entries = {".dockerenv", "proc/",       "sys/",     "dev/",
                                      "dev/pts/",   "etc/hostname", "etc/hosts"};
  auto id = s.init_layer({bottom, top}, entries);
  ASSERT_TRUE(id.has_value()) << id.error().message;
  std::string fs = s.dir(*id);
  EXPECT_TRUE(stdfs::is_regular_file(fs + "/.dockerenv"));
  EXPECT_TRUE(stdfs::is_directory(fs + "/proc"));  // whited out above, so missing
  EXPECT_TRUE(stdfs::is_directory(fs + "/sys"));
  EXPECT_FALSE(stdfs::exists(fs + "/dev"));   // the chain's /dev is a symlink: left alone
  EXPECT_TRUE(stdfs::is_regular_file(fs + "/etc/hostname"));
  EXPECT_FALSE(stdfs::exists(fs + "/etc/hosts"));  // the image's own stays visible
  struct stat st {};
  ASSERT_EQ(::stat((fs + "/etc").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0750u);  // the merged /etc keeps the image's mode
  // One per chain: asked again, the same; another chain, another; both ordinary snapshots.
  EXPECT_EQ(s.init_layer({bottom, top}, entries).value_or(""), *id);
  auto other = s.init_layer({bottom}, entries);
  ASSERT_TRUE(other.has_value());
  EXPECT_NE(*other, *id);
  EXPECT_TRUE(stdfs::exists(s.dir(*other) + "/etc/hostname"));
  auto all = s.list();
  EXPECT_NE(std::find(all.begin(), all.end(), *id), all.end());
  ASSERT_TRUE(s.remove(*id).has_value());
  EXPECT_FALSE(s.has(*id));
}

TEST_F(InitLayerTest, AMissingLayerIsAnError) {
  Snapshots s(root_);
  auto id = s.init_layer({"sha256:" + std::string(64, 'c')}, {"proc/"});
  ASSERT_FALSE(id.has_value());
  EXPECT_EQ(id.error().code, Errc::kNotFound);
}

}  // namespace
}  // namespace berth::image
