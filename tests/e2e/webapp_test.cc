// The main job's flow (issue 6) on a daemon of the test's own: examples/webapp built from its
// Dockerfile (gcc from Debian in the build stage, busybox in the final one), run with a
// published port and a named volume, healthy, answering; its data outlives the container; an
// edit of the source reuses the toolchain layer. The build stage's apt-get reaches Debian's
// mirror (the one registry this machine may use), and debian:bookworm comes from
// scripts/base-images (debootstrap, cached in /var/cache/berth): without the mirror it skips.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "support/berth_daemon.h"
#include "support/bundle.h"
#include "support/process.h"
#include "support/registry.h"

namespace berth::test {
namespace {

class WebappTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root";
    // The base images go into the data root before the daemon starts.
    d_.create("berth-webapp");
    auto images = sh(BERTH_SOURCE_DIR "/scripts/base-images --data-root " + d_.dir() + "/root 2>&1");
    if (images.status != 0) GTEST_SKIP() << "no base images (Debian mirror unreachable?): " << images.out;
    ASSERT_TRUE(d_.launch(/*busybox=*/false)) << d_.error;
    ASSERT_EQ(sh("cp -r " BERTH_SOURCE_DIR "/examples/webapp " + d_.dir() + "/webapp").status, 0);
  }
  void TearDown() override { d_.stop(); }
  Output docker(const std::string& args) {
    return d_.shell("DOCKER_BUILDKIT=0 docker " + args, d_.dir() + "/webapp");
  }
  std::string wait_healthy(const std::string& name) {
    std::string health;
    for (int i = 0; i < 120 && health != "healthy\n"; ++i) {
      usleep(250000);
      health = docker("inspect -f '{{.State.Health.Status}}' " + name).out;
    }
    return health;
  }
  BerthDaemon d_;
};

TEST_F(WebappTest, BuildRunReachAndRebuild) {
  auto build = docker("build -t webapp:latest .");
  ASSERT_EQ(build.status, 0) << build.out << build.err;
  // The final stage: the static binary, no compiler, a non-root user.
  EXPECT_NE(docker("run --rm --entrypoint sh webapp -c 'command -v gcc cc'").status, 0);
  EXPECT_EQ(docker("run --rm --entrypoint id webapp").out, "uid=10001(app) gid=10001(app)\n");
  int port = free_port();
  std::string p = std::to_string(port);
  ASSERT_EQ(docker("run -d --name web -p " + p + ":8080 -v notes:/data webapp").status, 0);
  EXPECT_EQ(wait_healthy("web"), "healthy\n") << sh("cat " + d_.dir() + "/daemon.log").out;
  EXPECT_EQ(sh("curl -sf http://127.0.0.1:" + p + "/health").out, "{\"status\":\"ok\"}");
  EXPECT_EQ(sh("curl -sf -d 'kept across containers' http://127.0.0.1:" + p + "/notes").out, "{\"count\":1}");
  // The note lives in the volume: a new container on it still has it.
  ASSERT_EQ(docker("rm -f web").status, 0);
  ASSERT_EQ(docker("run -d --name web2 -p " + p + ":8080 -v notes:/data webapp").status, 0);
  EXPECT_EQ(wait_healthy("web2"), "healthy\n");
  EXPECT_EQ(sh("curl -sf http://127.0.0.1:" + p + "/notes").out, "{\"notes\":[\"kept across containers\"]}");
  // An edit of the source: the apt-get layer comes from the cache, the compile runs again.
  std::ofstream(d_.dir() + "/webapp/src/server.c", std::ios::app) << "/* edited */\n";
  auto again = docker("build -t webapp:latest .");
  ASSERT_EQ(again.status, 0) << again.err;
  auto step2 = again.out.find("Step 2/");
  ASSERT_NE(step2, std::string::npos);
  EXPECT_EQ(again.out.compare(again.out.find('\n', step2) + 1, 18, " ---> Using cache\n"), 0) << again.out;
  auto compile = again.out.find("gcc -O2");
  ASSERT_NE(compile, std::string::npos);
  EXPECT_NE(again.out.compare(again.out.find('\n', compile) + 1, 18, " ---> Using cache\n"), 0) << again.out;
  ASSERT_EQ(docker("rm -f web2").status, 0);
  ASSERT_EQ(docker("volume rm notes").status, 0);
}

}  // namespace
}  // namespace berth::test
