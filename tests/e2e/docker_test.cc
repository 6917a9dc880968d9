// Debian's dockerd with berth as an extra OCI runtime ("runtimes" in daemon.json), driven by the
// docker CLI: `docker run --runtime berth ...`. containerd's runc shim calls berth-runc for
// create/start/state/exec/kill/delete with console sockets, pid files and --log json.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>

#include "support/bundle.h"

namespace berth::test {
namespace {

class DockerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (geteuid() != 0 || sh("command -v dockerd").status != 0) {
      return;  // each test skips with the reason
    }
    dir_ = make_temp_dir("berth-dockerd");
    std::ofstream(dir_ + "/daemon.json")
        << R"({"runtimes": {"berth": {"path": ")" << berth_binary() << R"(-runc"}}})";
    host_ = "unix://" + dir_ + "/docker.sock";
    pid_ = fork();
    if (pid_ == 0) {
      freopen((dir_ + "/dockerd.log").c_str(), "w", stdout);
      dup2(STDOUT_FILENO, STDERR_FILENO);
      // A private daemon: own data, exec root, socket and containerd namespace; no bridge or
      // iptables rules (networking is the engine issue's business).
      execlp("dockerd", "dockerd", "--config-file", (dir_ + "/daemon.json").c_str(),
             "--data-root", (dir_ + "/data").c_str(), "--exec-root", (dir_ + "/exec").c_str(),
             "--pidfile", (dir_ + "/docker.pid").c_str(), "-H", host_.c_str(), "--bridge", "none",
             "--iptables=false", "--ip-masq=false", "--containerd-namespace", "berth-test",
             "--containerd-plugins-namespace", "berth-test-plugins", nullptr);
      _exit(127);
    }
    for (int i = 0; i < 100 && !ready_; ++i) {
      ready_ = docker("version --format '{{.Server.Version}}'").status == 0;
      if (!ready_) {
        usleep(200000);
      }
    }
    if (ready_) {
      Bundle b({"true"});
      ready_ = sh("tar -C " + b.dir() + "/rootfs -c . | DOCKER_HOST=" + host_ +
                  " docker import - berth-test-busybox:latest").status == 0;
    }
  }

  static void TearDownTestSuite() {
    if (pid_ > 0) {
      docker("rm -f $(DOCKER_HOST=" + host_ + " docker ps -aq) 2>/dev/null");
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
      sh("rm -rf " + dir_);
    }
  }

  void SetUp() override {
    if (geteuid() != 0) {
      GTEST_SKIP() << "needs root";
    }
    if (pid_ <= 0) {
      GTEST_SKIP() << "dockerd is not installed (scripts/setup installs docker.io)";
    }
    ASSERT_TRUE(ready_) << "dockerd did not come up: " << sh("tail -5 " + dir_ + "/dockerd.log").out;
  }

  static Output docker(const std::string& args) {
    return sh("DOCKER_HOST=" + host_ + " docker " + args);
  }
  static std::string run_flags() { return "--runtime berth --network none "; }

  static inline std::string dir_, host_;
  static inline pid_t pid_ = -1;
  static inline bool ready_ = false;
  const std::string kImage = "berth-test-busybox:latest";
};

TEST_F(DockerTest, RunWithBerthAsTheRuntime) {
  auto o = docker("run --rm " + run_flags() + kImage +
                  " sh -c 'echo ok; grep CapEff /proc/self/status'");
  EXPECT_EQ(o.status, 0) << o.err;
  // docker's default confinement arrives through berth.
  EXPECT_EQ(o.out, "ok\nCapEff:\t00000000a80425fb\n");
  EXPECT_EQ(docker("run --rm " + run_flags() + kImage + " sh -c 'exit 3'").status, 3);
  auto missing = docker("run --rm " + run_flags() + kImage + " no-such-program");
  EXPECT_EQ(missing.status, 127);
  EXPECT_NE(missing.err.find("executable file not found"), std::string::npos) << missing.err;
}

TEST_F(DockerTest, DetachedExecLimitsAndStop) {
  const std::string name = "berth-e2e-" + std::to_string(getpid());
  struct RemoveContainer {
    std::string name;
    ~RemoveContainer() { docker("rm -f " + name + " >/dev/null 2>&1"); }  // on every path
  } remove{name};
  auto started = docker("run -d --name " + name + " --memory 64m " + run_flags() + kImage +
                        " sleep 1000");
  ASSERT_EQ(started.status, 0) << started.err;
  auto e = docker("exec " + name +
                  " sh -c 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || "
                  "cat /sys/fs/cgroup/memory.max'");
  EXPECT_EQ(e.out, "67108864\n") << e.err;
  EXPECT_EQ(docker("inspect --format '{{.HostConfig.Runtime}}' " + name).out, "berth\n");
  EXPECT_EQ(docker("stop -t 1 " + name).status, 0);
  EXPECT_EQ(docker("inspect --format '{{.State.Status}} {{.State.ExitCode}}' " + name).out,
            "exited 137\n");
}

TEST_F(DockerTest, InteractiveTerminal) {
  auto o = run({"script", "-qec",
                "docker -H " + host_ + " run --rm -it " + run_flags() + kImage +
                    " sh -c 'tty; exit 5'",
                "/dev/null"},
               "", /*hold_stdin=*/true);
  EXPECT_EQ(o.status, 5) << o.out << o.err;
  EXPECT_NE(o.out.find("/dev/pts/0"), std::string::npos) << o.out;
}

// `docker save` archives load in berth and berth's archives load in dockerd, with the same
// image IDs (both keep the config's bytes, and an image ID is the config's digest).
TEST_F(DockerTest, SaveAndLoadBothWays) {
  std::string tmp = make_temp_dir("berth-saveload");
  struct Remove {
    std::string dir;
    ~Remove() {
      docker("rmi -f berth-made:1 >/dev/null 2>&1");
      sh("rm -rf " + dir);
    }
  } remove{tmp};
  std::string berth = berth_binary() + " --data-root " + tmp + "/root ";

  // dockerd -> berth
  ASSERT_EQ(docker("save -o " + tmp + "/from-docker.tar " + kImage).status, 0);
  auto loaded = sh(berth + "load -i " + tmp + "/from-docker.tar");
  ASSERT_EQ(loaded.status, 0) << loaded.err;
  EXPECT_EQ(loaded.out, "Loaded image: " + kImage + "\n");
  std::string docker_id = docker("image inspect --format '{{.Id}}' " + kImage).out;
  EXPECT_EQ(sh(berth + "image inspect --format '{{.Id}}' " + kImage).out, docker_id);
  // The unpacked layer is a working root file system.
  std::string snapshot = sh("ls -d " + tmp + "/root/snapshots/*/fs | head -1").out;
  snapshot.pop_back();
  EXPECT_EQ(sh("chroot " + snapshot + " /bin/sh -c 'echo hi from the layer'").out,
            "hi from the layer\n");

  // berth -> dockerd, under a new name, and it runs.
  ASSERT_EQ(sh(berth + "tag " + kImage + " berth-made:1").status, 0);
  ASSERT_EQ(sh(berth + "save -o " + tmp + "/from-berth.tar berth-made:1").status, 0);
  auto dl = docker("load -i " + tmp + "/from-berth.tar");
  ASSERT_EQ(dl.status, 0) << dl.err;
  EXPECT_NE(dl.out.find("Loaded image: berth-made:1"), std::string::npos) << dl.out;
  EXPECT_EQ(docker("image inspect --format '{{.Id}}' berth-made:1").out, docker_id);
  auto ran = docker("run --rm " + run_flags() + "berth-made:1 echo ran");
  EXPECT_EQ(ran.out, "ran\n") << ran.err;
}

}  // namespace
}  // namespace berth::test
