#include "runtime/cgroup/manager.h"

#include <gtest/gtest.h>

#include "common/fs.h"
#include "support/process.h"

namespace berth::runtime::cgroup {
namespace {

constexpr const char* kHybrid =
    "25 1 0:21 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "26 25 0:22 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
    "27 25 0:23 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "28 25 0:24 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct\n"
    "29 25 0:25 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd\n"
    "30 25 0:26 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw,nsdelegate\n";

TEST(ParseLayout, HybridHasV1HierarchiesAndUnified) {
  auto l = parse_layout(kHybrid);
  ASSERT_TRUE(l);
  EXPECT_EQ(l->unified, "/sys/fs/cgroup/unified");
  EXPECT_FALSE(l->pure_v2());
  ASSERT_NE(l->find_v1("memory"), nullptr);
  EXPECT_EQ(l->find_v1("memory")->mountpoint, "/sys/fs/cgroup/memory");
  EXPECT_EQ(l->find_v1("cpuacct")->mountpoint, "/sys/fs/cgroup/cpu,cpuacct");
  EXPECT_NE(l->find_v1("name=systemd"), nullptr);
  EXPECT_EQ(l->find_v1("hugetlb"), nullptr);
}

TEST(ParseLayout, PureV2AndNone) {
  auto v2 = parse_layout("30 1 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n");
  ASSERT_TRUE(v2);
  EXPECT_TRUE(v2->pure_v2());
  auto none = parse_layout("1 0 8:1 / / rw - ext4 /dev/vda rw\n");
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, Errc::kNotFound);
}

TEST(ResolvePath, FollowsRuncAndSystemdConventions) {
  EXPECT_EQ(*resolve_path("", "abc", false), "/berth/abc");
  EXPECT_EQ(*resolve_path("/a/b", "abc", false), "/a/b");
  EXPECT_EQ(*resolve_path("a//b/", "abc", false), "/a/b");
  EXPECT_EQ(*resolve_path("machine.slice:libpod:abc", "abc", true),
            "/machine.slice/libpod-abc.scope");
  EXPECT_EQ(*resolve_path("machine-foo.slice:libpod:abc", "abc", false),
            "/machine.slice/machine-foo.slice/libpod-abc.scope");
  EXPECT_FALSE(resolve_path("/a/../../etc", "abc", false));
  EXPECT_FALSE(resolve_path("/", "abc", false));
  EXPECT_FALSE(resolve_path("/plain/path", "abc", true));
}

TEST(SharesToWeight, MatchesRunc) {
  EXPECT_EQ(internal::shares_to_weight(2), 1u);
  EXPECT_EQ(internal::shares_to_weight(1024), 39u);
  EXPECT_EQ(internal::shares_to_weight(262144), 10000u);
}

// Resource writers on a temp dir that stands in for the cgroup fs (roots are parameters).
class CgroupFilesTest : public ::testing::Test {
 protected:
  void SetUp() override { root_ = test::make_temp_dir("berth-cgroup"); }
  void TearDown() override { (void)fs::remove_all(root_); }
  void touch(const std::string& rel) { ASSERT_TRUE(fs::atomic_write(root_ + "/" + rel, "")); }
  std::string read(const std::string& rel) { return fs::read_file(root_ + "/" + rel).value_or("?"); }
  std::string root_;
};

spec::Resources sample() {
  spec::Resources r;
  r.memory = spec::MemoryResources{};
  r.memory->limit_bytes = 64 << 20;
  r.memory->swap_bytes = 128 << 20;
  r.memory->reservation_bytes = 32 << 20;
  r.cpu = spec::CpuResources{};
  r.cpu->shares = 1024;
  r.cpu->quota_us = 50000;
  r.cpu->period_us = 100000;
  r.cpu->cpus = "0";
  r.pids_limit = 64;
  r.block_io = spec::BlockIoResources{500};
  return r;
}

TEST_F(CgroupFilesTest, V2WritesUnifiedKnobs) {
  for (const char* f : {"memory.max", "memory.swap.max", "memory.low", "cpu.weight", "cpu.max",
                        "cpuset.cpus", "pids.max", "io.weight"}) {
    touch(f);
  }
  std::vector<std::string> warnings;
  ASSERT_TRUE(internal::apply_v2(root_, sample(), warnings));
  EXPECT_EQ(read("memory.max"), "67108864");
  EXPECT_EQ(read("memory.swap.max"), "67108864");  // v2 swap excludes memory
  EXPECT_EQ(read("memory.low"), "33554432");
  EXPECT_EQ(read("cpu.weight"), "39");
  EXPECT_EQ(read("cpu.max"), "50000 100000");
  EXPECT_EQ(read("cpuset.cpus"), "0");
  EXPECT_EQ(read("pids.max"), "64");
  EXPECT_EQ(read("io.weight"), "default 4950");  // 500 on blkio's scale
  EXPECT_TRUE(warnings.empty());
}

TEST_F(CgroupFilesTest, V2MissingKnobBecomesAWarning) {
  touch("memory.max");
  spec::Resources r;
  r.memory = spec::MemoryResources{};
  r.memory->limit_bytes = -1;
  r.pids_limit = 10;
  std::vector<std::string> warnings;
  ASSERT_TRUE(internal::apply_v2(root_, r, warnings));
  EXPECT_EQ(read("memory.max"), "max");
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("pids.max"), std::string::npos);
}

TEST_F(CgroupFilesTest, V1WritesPerControllerDirs) {
  Layout l;
  for (const char* c : {"memory", "cpu", "cpuset", "pids", "blkio"}) {
    l.v1.push_back({root_ + "/" + c, {c}});
  }
  for (const char* f : {"memory/x/memory.limit_in_bytes", "memory/x/memory.memsw.limit_in_bytes",
                        "memory/x/memory.soft_limit_in_bytes", "cpu/x/cpu.shares",
                        "cpu/x/cpu.cfs_quota_us", "cpu/x/cpu.cfs_period_us",
                        "cpuset/x/cpuset.cpus", "pids/x/pids.max", "blkio/x/blkio.weight"}) {
    ASSERT_TRUE(fs::mkdir_all(root_ + "/" + std::string(f).substr(0, std::string(f).rfind('/'))));
    touch(f);
  }
  std::vector<std::string> warnings;
  ASSERT_TRUE(internal::apply_v1(l, "/x", sample(), warnings));
  EXPECT_EQ(read("memory/x/memory.limit_in_bytes"), "67108864");
  EXPECT_EQ(read("memory/x/memory.memsw.limit_in_bytes"), "134217728");
  EXPECT_EQ(read("cpu/x/cpu.cfs_quota_us"), "50000");
  EXPECT_EQ(read("cpu/x/cpu.shares"), "1024");
  EXPECT_EQ(read("pids/x/pids.max"), "64");
  EXPECT_EQ(read("blkio/x/blkio.weight"), "500");
  EXPECT_TRUE(warnings.empty());
}

}  // namespace
}  // namespace berth::runtime::cgroup
