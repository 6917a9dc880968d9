#include "integration/runtime/fixture.h"

#include "common/json.h"

namespace berth::test {

void RuntimeTest::SetUp() {
  if (geteuid() != 0) {
    GTEST_SKIP() << "needs root (namespaces, mounts, cgroups)";
  }
  root_ = make_temp_dir("berth-root");
  marker_ = std::to_string(100000 + getpid());
  before_ = snapshot(root_, "sleep " + marker_, id(""));
}

void RuntimeTest::TearDown() {
  if (root_.empty()) {
    return;
  }
  HostSnapshot after = snapshot(root_, "sleep " + marker_, id(""));
  std::string leaks = diff(before_, after);
  // Clean up whatever the test left, so one failure does not cascade.
  auto listed = rt({"list", "-q"});
  for (const auto& line : str_lines(listed.out)) {
    rt({"delete", "--force", line});
  }
  sh("rm -rf " + root_);
  EXPECT_EQ(leaks, "") << "the test left these behind";
}

std::string RuntimeTest::id(const std::string& name) const {
  return name + "-" + std::to_string(getpid());
}

Output RuntimeTest::run_in_container(const std::vector<std::string>& args) {
  Bundle b(args);
  return rt({"run", "--bundle", b.dir(), id("run")});
}

}  // namespace berth::test
