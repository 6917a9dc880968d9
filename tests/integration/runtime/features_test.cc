#include "common/json.h"
#include "integration/runtime/fixture.h"

namespace berth::test {
namespace {

TEST_F(RuntimeTest, FeaturesAndSpecPrintValidJson) {
  auto f = rt({"features"});
  ASSERT_EQ(f.status, 0);
  Json j = Json::parse(f.out);
  EXPECT_EQ(j["ociVersionMax"], "1.1.0");
  EXPECT_TRUE(j["linux"]["seccomp"]["enabled"].get<bool>());
  std::string dir = make_temp_dir("berth-spec");
  ASSERT_EQ(rt({"spec", "--bundle", dir}).status, 0);
  auto again = rt({"spec", "--bundle", dir});
  EXPECT_NE(again.status, 0);
  sh("rm -rf " + dir);
}

TEST_F(RuntimeTest, BerthRuncNameDispatchesToTheRuntime) {
  std::string link = root_ + "/berth-runc";
  sh("ln -s " + berth_binary() + " " + link);
  auto o = run({link, "--root", root_, "list", "-q"});
  EXPECT_EQ(o.status, 0) << o.err;
  EXPECT_EQ(o.out, "");
  sh("rm -f " + link);
}

}  // namespace
}  // namespace berth::test
