// `berth daemon` driven by the clients docker users have: the docker CLI (DOCKER_HOST) and
// Debian's python3-docker SDK. One daemon per test, on its own data root and socket.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "common/json.h"
#include "support/bundle.h"
#include "support/process.h"
#include "support/registry.h"

namespace berth::test {
namespace {

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root";
    dir_ = make_temp_dir("berth-engine");
    socket_ = dir_ + "/berth.sock";
    ASSERT_TRUE(daemon_.start({berth_binary(), "daemon", "--data-root", dir_ + "/root", "-H",
                               "unix://" + socket_},
                              dir_ + "/daemon.log"));
    for (int i = 0; i < 100 && access(socket_.c_str(), F_OK) != 0; ++i) usleep(20000);
    ASSERT_EQ(docker("version --format '{{.Server.APIVersion}}'").out, "1.43\n")
        << sh("cat " + dir_ + "/daemon.log").out;
    ASSERT_EQ(sh("mkdir -p " + dir_ + "/rootfs/bin && cp /bin/busybox " + dir_ +
                 "/rootfs/bin/ && tar -C " + dir_ + "/rootfs -cf " + dir_ + "/rootfs.tar .")
                  .status,
              0);
  }
  void TearDown() override {
    daemon_.stop();
    if (!dir_.empty()) sh("rm -rf " + dir_);
  }
  Output docker(const std::string& args) {
    return sh("DOCKER_HOST=unix://" + socket_ + " docker " + args);
  }
  std::string dir_, socket_;
  Daemon daemon_;
};

TEST_F(EngineTest, PingVersionAndInfoAsDockerShowsThem) {
  EXPECT_EQ(docker("info --format '{{.Driver}} {{.OSType}}'").out, "overlay2 linux\n");
  auto ping = sh("curl -s --unix-socket " + socket_ + " http://x/_ping");
  EXPECT_EQ(ping.out, "OK");
  // The socket is root's, mode 0660, as dockerd's.
  EXPECT_EQ(sh("stat -c '%a %U' " + socket_).out, "660 root\n");
  // Unknown paths get docker's 404 body.
  EXPECT_EQ(sh("curl -s --unix-socket " + socket_ + " http://x/v1.43/nowhere").out,
            "{\"message\":\"page not found\"}\n");
}

TEST_F(EngineTest, ImageCommandsThroughTheDockerCli) {
  auto imported = docker("import -c 'CMD [\"sh\"]' " + dir_ + "/rootfs.tar bb:1");
  ASSERT_EQ(imported.status, 0) << imported.err;
  std::string id = imported.out.substr(0, imported.out.size() - 1);
  EXPECT_EQ(docker("images --format '{{.Repository}}:{{.Tag}} {{.ID}}'").out,
            "bb:1 " + id.substr(7, 12) + "\n");
  EXPECT_EQ(docker("image inspect --format '{{.Id}} {{json .Config.Cmd}}' bb:1").out,
            id + " [\"sh\"]\n");
  EXPECT_EQ(docker("tag bb:1 bb:2").status, 0);
  EXPECT_EQ(docker("history -q bb:2").out, id.substr(7, 12) + "\n");
  // save / load round trip
  ASSERT_EQ(docker("save -o " + dir_ + "/bb.tar bb:1").status, 0);
  EXPECT_EQ(docker("rmi bb:1 bb:2").out, "Untagged: bb:1\nUntagged: bb:2\nDeleted: " + id + "\n");
  EXPECT_EQ(docker("load -i " + dir_ + "/bb.tar").out, "Loaded image: bb:1\n");
  EXPECT_EQ(docker("image inspect --format '{{.Id}}' bb:1").out, id + "\n");
  // Errors with docker's wording and a non-zero exit.
  auto missing = docker("rmi nothere:1");
  EXPECT_EQ(missing.status, 1);
  EXPECT_EQ(missing.err, "Error response from daemon: No such image: nothere:1\n");
  auto bad_filter = docker("images -f bogus=1");
  EXPECT_EQ(bad_filter.status, 1);
  EXPECT_NE(bad_filter.err.find("invalid filter 'bogus'"), std::string::npos) << bad_filter.err;
}

TEST_F(EngineTest, PushAndPullThroughTheDockerCli) {
  if (!Registry::available()) GTEST_SKIP() << "docker-registry is not installed";
  Registry reg;
  ASSERT_EQ(reg.start(), "");
  std::string name = reg.host() + "/e2e/bb:1";
  ASSERT_EQ(docker("import " + dir_ + "/rootfs.tar " + name).status, 0);
  auto pushed = docker("push " + name);
  ASSERT_EQ(pushed.status, 0) << pushed.err;
  EXPECT_NE(pushed.out.find("1: digest: sha256:"), std::string::npos) << pushed.out;
  ASSERT_EQ(docker("rmi " + name).status, 0);
  auto pulled = docker("pull " + name);
  ASSERT_EQ(pulled.status, 0) << pulled.err;
  EXPECT_NE(pulled.out.find("Status: Downloaded newer image for " + name), std::string::npos)
      << pulled.out;
  // The repo digest docker shows is the manifest the registry serves.
  std::string digest = sh("skopeo inspect --tls-verify=false --format '{{.Digest}}' docker://" +
                          name).out;
  EXPECT_EQ(docker("images --digests --format '{{.Digest}}' " + reg.host() + "/e2e/bb").out,
            digest);
  auto unknown = docker("pull " + reg.host() + "/e2e/nope:1");
  EXPECT_EQ(unknown.status, 1);
  EXPECT_NE(unknown.err.find("manifest unknown"), std::string::npos) << unknown.err;
}

TEST_F(EngineTest, PythonDockerSdk) {
  std::string py = system_python3();
  if (py.empty() || sh(py + " -c 'import docker'").status != 0) {
    GTEST_SKIP() << "python3-docker is not installed";
  }
  ASSERT_EQ(docker("import " + dir_ + "/rootfs.tar sdk:1").status, 0);
  std::ofstream(dir_ + "/sdk.py") << R"(import docker, sys
c = docker.DockerClient(base_url="unix://" + sys.argv[1])
assert c.ping()
img = c.images.get("sdk:1")
img.tag("sdk", "2")
print(sorted(c.images.get("sdk:2").tags))
print(len(c.images.list()))
c.images.remove("sdk:2")
try:
    c.images.get("nope:1")
except docker.errors.ImageNotFound as e:
    print("not found:", e.explanation)
)";
  auto o = sh(py + " " + dir_ + "/sdk.py " + socket_);
  EXPECT_EQ(o.status, 0) << o.err;
  EXPECT_EQ(o.out, "['sdk:1', 'sdk:2']\n1\nnot found: No such image: nope:1\n");
}

}  // namespace
}  // namespace berth::test
