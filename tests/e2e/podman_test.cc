// Podman (Debian's) with berth as its OCI runtime: `podman --runtime build/berth-runc ...`.
// conmon drives create/start/state/kill/delete/exec with console sockets, pid files and --log.
#include <unistd.h>

#include "integration/runtime/fixture.h"

namespace berth::test {
namespace {

class PodmanTest : public RuntimeTest {
 protected:
  // The image is imported once per test program and removed with it: nothing stays in
  // podman's store.
  static void TearDownTestSuite() {
    if (sh("command -v podman").status == 0) sh("podman rmi -f " + kImage + " >/dev/null 2>&1");
  }
  void SetUp() override {
    RuntimeTest::SetUp();
    if (IsSkipped()) {
      return;
    }
    if (sh("command -v podman").status != 0) {
      GTEST_SKIP() << "podman is not installed (scripts/setup installs it)";
    }
    runtime_ = berth_binary() + "-runc";
    // An offline busybox image, imported once from busybox-static.
    if (sh("podman image exists " + kImage).status != 0) {
      Bundle b({"true"});
      auto o = sh("tar -C " + b.dir() + "/rootfs -c . | podman import - " + kImage);
      ASSERT_EQ(o.status, 0) << o.err;
    }
  }
  Output podman(const std::string& args) {
    return sh("podman --runtime " + runtime_ + " " + args);
  }
  static inline const std::string kImage = "localhost/berth-test-busybox:latest";
  std::string runtime_;
};

TEST_F(PodmanTest, RunRemovesAndPrints) {
  auto o = podman("run --rm " + kImage + " echo ok");
  EXPECT_EQ(o.status, 0) << o.err;
  EXPECT_EQ(o.out, "ok\n");
}

TEST_F(PodmanTest, ExitStatusAndMissingCommandAreReported) {
  EXPECT_EQ(podman("run --rm " + kImage + " sh -c 'exit 42'").status, 42);
  auto missing = podman("run --rm " + kImage + " no-such-program");
  EXPECT_EQ(missing.status, 127) << missing.err;
  EXPECT_NE(missing.err.find("executable file not found"), std::string::npos) << missing.err;
}

TEST_F(PodmanTest, InteractiveTerminal) {
  // script(1) gives podman a terminal, so -it allocates a pty through our console socket path.
  // Its stdin stays open (EOF on a terminal would end the session early).
  auto o = run({"script", "-qec",
                "podman --runtime " + runtime_ + " run --rm -it " + kImage +
                    " sh -c 'tty; echo tty-ok'",
                "/dev/null"},
               "", /*hold_stdin=*/true);
  EXPECT_EQ(o.status, 0) << o.out << o.err;
  EXPECT_NE(o.out.find("/dev/pts/0"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("tty-ok"), std::string::npos) << o.out;
}

TEST_F(PodmanTest, MemoryLimitReachesTheCgroup) {
  auto o = podman("run --rm --memory 64m " + kImage +
                  " sh -c 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || "
                  "cat /sys/fs/cgroup/memory.max'");
  EXPECT_EQ(o.status, 0) << o.err;
  EXPECT_EQ(o.out, "67108864\n");
}

TEST_F(PodmanTest, ExecAndStop) {
  const std::string name = "berth-e2e-" + std::to_string(getpid());
  struct RemoveContainer {
    std::string cmd;
    ~RemoveContainer() { sh(cmd); }  // on every path out of the test
  } remove{"podman rm -f " + name + " >/dev/null 2>&1"};
  auto started = podman("run -d --name " + name + " " + kImage + " sleep " + marker_);
  ASSERT_EQ(started.status, 0) << started.err;
  auto e = podman("exec " + name + " sh -c 'echo exec-ok; cat /proc/1/cmdline'");
  EXPECT_EQ(e.status, 0) << e.err;
  EXPECT_EQ(e.out.substr(0, 8), "exec-ok\n");
  auto stop = podman("stop -t 1 " + name);
  EXPECT_EQ(stop.status, 0) << stop.err;
  auto state = podman("inspect --format '{{.State.Status}}' " + name);
  EXPECT_EQ(state.out, "exited\n");
}

}  // namespace
}  // namespace berth::test
