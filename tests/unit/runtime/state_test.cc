#include "runtime/state/state.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include "common/fs.h"
#include "runtime/container.h"
#include "support/process.h"

namespace berth::runtime {
namespace {

TEST(ValidateId, FollowsRuncRules) {
  EXPECT_TRUE(validate_id("web-1.a_b+c"));
  for (const char* bad : {"", ".", "..", "a/b", "a b", "x\n"}) {
    SCOPED_TRACE(bad);
    auto r = validate_id(bad);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::kInvalidArgument);
  }
}

class StateStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { root_ = test::make_temp_dir("berth-state"); }
  void TearDown() override { (void)fs::remove_all(root_); }
  std::string root_;
};

TEST_F(StateStoreTest, ReserveTwiceIsAlreadyExists) {
  StateStore s(root_ + "/r");
  ASSERT_TRUE(s.reserve("c1"));
  auto again = s.reserve("c1");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, Errc::kAlreadyExists);
  EXPECT_EQ(again.error().message, "container with id exists: c1");
}

TEST_F(StateStoreTest, SaveLoadRoundTripAndStatus) {
  StateStore s(root_);
  ASSERT_TRUE(s.reserve("c1"));
  ContainerState st;
  st.oci_version = "1.1.0";
  st.id = "c1";
  st.bundle = "/b";
  st.pid = getpid();
  st.pid_start_ticks = process_start_ticks(getpid());
  st.cgroup_path = "/berth/c1";
  st.annotations["k"] = "v";
  ASSERT_TRUE(s.save(st));
  auto back = s.load("c1");
  ASSERT_TRUE(back);
  EXPECT_EQ(back->cgroup_path, "/berth/c1");
  EXPECT_EQ(back->annotations.at("k"), "v");
  EXPECT_EQ(current_status(s, *back), Status::kRunning);
  ASSERT_TRUE(fs::atomic_write(s.fifo_path("c1"), ""));
  EXPECT_EQ(current_status(s, *back), Status::kCreated);
  back->pid_start_ticks += 1;  // same pid, different process: pid reuse
  EXPECT_EQ(current_status(s, *back), Status::kStopped);
  auto j = state_json(*back, Status::kStopped, "/b/rootfs");
  EXPECT_EQ(j["status"], "stopped");
  EXPECT_EQ(j["pid"], 0);
  EXPECT_EQ(j["rootfs"], "/b/rootfs");
  EXPECT_EQ(*s.list(), std::vector<std::string>{"c1"});
  ASSERT_TRUE(s.remove("c1"));
  EXPECT_EQ(s.load("c1").error().code, Errc::kNotFound);
}

TEST(ParseSignal, NamesNumbersAndErrors) {
  EXPECT_EQ(*parse_signal("KILL"), SIGKILL);
  EXPECT_EQ(*parse_signal("SIGTERM"), SIGTERM);
  EXPECT_EQ(*parse_signal("sigusr1"), SIGUSR1);
  EXPECT_EQ(*parse_signal("9"), 9);
  EXPECT_FALSE(parse_signal("SIGNOPE"));
  EXPECT_FALSE(parse_signal("0"));
  EXPECT_FALSE(parse_signal("999"));
}

}  // namespace
}  // namespace berth::runtime

namespace berth::runtime {
namespace {

// A state that would aim delete/kill at the host (root cgroup, pid 1) is corrupt, never obeyed.
TEST_F(StateStoreTest, StateThatPointsAtTheHostIsCorrupt) {
  StateStore s(root_);
  ASSERT_TRUE(s.reserve("x"));
  for (const char* text : {R"({"id":"x"})", "[]", "null", R"({"id":5})", R"({"id":"x","pid":"x"})",
                           R"({"id":"x","cgroupPath":"/","pid":5})",
                           R"({"id":"x","cgroupPath":"/berth/../..","pid":5})",
                           R"({"id":"x","cgroupPath":"/berth/x","pid":1})"}) {
    SCOPED_TRACE(text);
    ASSERT_TRUE(fs::atomic_write(s.dir("x") + "/state.json", text));
    auto st = s.load("x");
    ASSERT_FALSE(st);
    EXPECT_EQ(st.error().code, Errc::kDataLoss);
  }
}

}  // namespace
}  // namespace berth::runtime
