// cgroup limits take effect: memory (OOM kill), pids, cpu quota.
#include "integration/runtime/fixture.h"

namespace berth::test {
namespace {

TEST_F(RuntimeTest, ProcessOverItsMemoryLimitIsOomKilled) {
  Bundle b({"probe", "memhog", "200"});
  b.config()["linux"]["resources"]["memory"] = {{"limit", 32 << 20}, {"swap", 32 << 20}};
  b.save();
  auto o = rt({"run", "--bundle", b.dir(), id("oom")});
  EXPECT_EQ(o.status, 137) << o.out << o.err;
}

TEST_F(RuntimeTest, ForkBombStopsAtThePidsLimit) {
  Bundle b({"probe", "forkbomb", "200"});
  b.config()["linux"]["resources"]["pids"] = {{"limit", 20}};
  b.save();
  auto o = rt({"run", "--bundle", b.dir(), id("pids")});
  // The probe is killed with its children by its own kill(0): made < 20 proves the limit.
  int made = -1;
  std::sscanf(o.out.c_str(), "forkbomb: made %d", &made);
  EXPECT_GE(made, 1) << o.out << o.err;
  EXPECT_LT(made, 20) << o.out;
}

TEST_F(RuntimeTest, HalfACpuQuotaShowsThrottling) {
  Bundle b({"sh", "-c",
            "probe spin 500 >/dev/null; cat /sys/fs/cgroup/cpu/cpu.stat 2>/dev/null || "
            "cat /sys/fs/cgroup/cpu.stat"});
  b.config()["linux"]["resources"]["cpu"] = {{"quota", 50000}, {"period", 100000}};
  b.save();
  auto o = rt({"run", "--bundle", b.dir(), id("cpu")});
  ASSERT_EQ(o.status, 0) << o.err;
  auto pos = o.out.find("nr_throttled ");
  ASSERT_NE(pos, std::string::npos) << o.out;
  EXPECT_GT(std::stoi(o.out.substr(pos + 13)), 0) << o.out;
}

}  // namespace
}  // namespace berth::test

namespace berth::test {
namespace {

// The runtime never sits in the container's cgroups, so a limit of one process fits the init.
TEST_F(RuntimeTest, PidsLimitOfOneRunsASingleProcessAndExec) {
  Bundle b({"sleep", marker_});
  b.config()["linux"]["resources"]["pids"] = {{"limit", 2}};
  b.save();
  const std::string c = id("pids1");
  auto r = rt({"run", "--detach", "--bundle", b.dir(), c});
  ASSERT_EQ(r.status, 0) << r.err;
  auto e = rt({"exec", c, "true"});
  EXPECT_EQ(e.status, 0) << e.err;
  ASSERT_EQ(rt({"delete", "--force", c}).status, 0);
  Bundle one({"true"});
  one.config()["linux"]["resources"]["pids"] = {{"limit", 1}};
  one.save();
  auto o = rt({"run", "--bundle", one.dir(), id("pidsone")});
  EXPECT_EQ(o.status, 0) << o.err;
}

}  // namespace
}  // namespace berth::test
