// `berth daemon` driven by the clients docker users have: the docker CLI (DOCKER_HOST) and
// Debian's python3-docker SDK. One daemon per test, on its own data root and socket.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "common/cleanup.h"
#include "common/json.h"
#include "support/berth_daemon.h"
#include "support/bundle.h"
#include "support/process.h"
#include "support/registry.h"

namespace berth::test {
namespace {

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root";
    ASSERT_TRUE(d_.start("berth-engine", /*busybox=*/false)) << d_.error;
    ASSERT_EQ(docker("version --format '{{.Server.APIVersion}}'").out, "1.43\n")
        << sh("cat " + d_.dir() + "/daemon.log").out;
    // DIR/rootfs and DIR/rootfs.tar, imported by the tests under the names they want.
    ASSERT_TRUE(d_.make_busybox_rootfs("echo 'nobody:x:65534:65534:nobody:/:/bin/false' >> etc/passwd"))
        << d_.error;
  }
  void busybox() {
    ASSERT_EQ(docker("import -c 'CMD [\"sh\"]' " + d_.dir() + "/rootfs.tar busybox").status, 0);
  }
  // Nothing of container `id` is left on the host: mount, cgroup, runtime state, files.
  void expect_gone(const std::string& id) {
    EXPECT_EQ(sh("grep -c " + id + " /proc/mounts").out, "0\n");
    EXPECT_EQ(sh("ls -d /sys/fs/cgroup/*/berth/" + id + " /sys/fs/cgroup/berth/" + id +
                 " 2>/dev/null").out, "");
    EXPECT_FALSE(std::ifstream("/run/berth/runtime/" + id + "/state.json").good());
    EXPECT_FALSE(std::ifstream(d_.dir() + "/root/containers/" + id + "/hosts").good());
  }
  void TearDown() override {
    if (d_.running()) {
      docker("rm -f $(docker ps -aq) >/dev/null 2>&1");
      docker("network prune -f >/dev/null 2>&1");  // their Linux bridges go with them
    }
    d_.stop();
  }
  Output docker(const std::string& args) { return d_.docker(args); }
  BerthDaemon d_;
};

TEST_F(EngineTest, UserNetworksAreIsolatedFromEachOtherAndFromTheDefaultBridge) {
  busybox();
  ASSERT_EQ(docker("network create isoa").status, 0);
  ASSERT_EQ(docker("network create isob").status, 0);
  ASSERT_EQ(docker("run -d --name srv --network isoa busybox sh -c 'echo hi > /tmp/index.html; exec httpd -f -p 80 -h /tmp'").status, 0);
  std::string ip = docker("inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' srv").out;
  ip.pop_back();
  auto fetch = [&](const std::string& net) {
    // nc -w bounds the connect (a dropped SYN would otherwise wait minutes); the body's last line.
    return docker("run --rm --network " + net + " busybox sh -c \"printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 2 " + ip +
                  " 80 | tail -n 1\"");
  };
  EXPECT_EQ(fetch("isoa").out, "hi\n");
  EXPECT_EQ(fetch("isob").out, "");    // dropped between bridges, as docker's isolation does
  EXPECT_EQ(fetch("bridge").out, "");
  // A container on both networks still reaches it (the traffic stays on one bridge).
  ASSERT_EQ(docker("create --name both --network isob busybox sh -c \"printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 2 " + ip +
                   " 80 | tail -n 1\"").status, 0);
  ASSERT_EQ(docker("network connect isoa both").status, 0);
  EXPECT_EQ(docker("start -a both").out, "hi\n");
  ASSERT_EQ(docker("rm -f srv both").status, 0);
  ASSERT_EQ(docker("network rm isoa isob").status, 0);
  EXPECT_EQ(sh("iptables -S | grep -c BERTH-ISOLATION").out, "0\n");  // no user network, no rules
}

TEST_F(EngineTest, ContainersReachOtherHostsMasqueradedAsTheHost) {
  // Another host: a network namespace of this test's behind a veth pair, 10.211.0.0/24, with
  // no route back to the containers' subnets. It answers with the address it was reached
  // from, which is the host's (10.211.0.1) only if the network's masquerade rule applied.
  busybox();
  std::string ns = "berth-masq-" + std::to_string(getpid());
  Cleanup undo;
  undo.push([&] {
    sh("ip netns pids " + ns + " 2>/dev/null | xargs -r kill -9; ip link del bmq0 2>/dev/null; "
       "ip netns del " + ns + " 2>/dev/null");
  });
  ASSERT_EQ(sh("ip netns add " + ns + " && ip link add bmq0 type veth peer name bmq1 netns " + ns +
               " && ip addr add 10.211.0.1/24 dev bmq0 && ip link set bmq0 up && ip -n " + ns +
               " addr add 10.211.0.2/24 dev bmq1 && ip -n " + ns + " link set bmq1 up")
                .status, 0);
  auto serve = [&] {
    sh("ip netns exec " + ns + " timeout 20 /usr/bin/python3 -c \"import socket\n"
       "s = socket.socket()\ns.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
       "s.bind(('10.211.0.2', 8080))\ns.listen()\nc, a = s.accept()\n"
       "c.sendall((a[0] + '\\n').encode())\nc.close()\" >/dev/null 2>&1 &");
  };
  std::string ask = "busybox sh -c 'sleep 0.5; nc -w 3 10.211.0.2 8080'";
  serve();
  EXPECT_EQ(docker("run --rm " + ask).out, "10.211.0.1\n");
  // A user network's containers too; an internal network has no way out at all.
  ASSERT_EQ(docker("network create masqnet").status, 0);
  ASSERT_EQ(docker("network create --internal --subnet 10.212.0.0/24 closednet").status, 0);
  serve();
  EXPECT_EQ(docker("run --rm --network masqnet " + ask).out, "10.211.0.1\n");
  EXPECT_EQ(sh("iptables -t nat -S BERTH-POSTROUTING | grep -c 10.212.0.0").out, "0\n");
  ASSERT_EQ(docker("network rm masqnet closednet").status, 0);
  // The rule goes with its network; the default bridge's stays.
  EXPECT_EQ(sh("iptables -t nat -S BERTH-POSTROUTING | grep -c MASQUERADE").out, "1\n");
}

TEST_F(EngineTest, AHostPortGoesToOneContainerEvenWhenTwoStartAtOnce) {
  // Two runs publishing the same host port at the same moment: one runs, the other gets
  // docker's error; once the winner is gone the port is free again.
  busybox();
  int port = 20000 + static_cast<int>(getpid() % 20000);
  std::string p = std::to_string(port);
  auto both = sh("export DOCKER_HOST=unix://" + d_.socket() + "; (docker run -d --name pa -p " + p +
                 ":80 busybox sleep 100 2>&1 & docker run -d --name pb -p " + p + ":80 busybox sleep 100 2>&1 & wait)");
  EXPECT_NE(both.out.find("Bind for 0.0.0.0:" + p + " failed: port is already allocated"), std::string::npos) << both.out;
  EXPECT_EQ(docker("ps -q | wc -l").out, "1\n");
  ASSERT_EQ(docker("rm -f pa pb").status, 0);
  EXPECT_EQ(docker("run -d --name pc -p " + p + ":80 busybox sleep 100").status, 0);
  docker("rm -f pc");
}

TEST_F(EngineTest, AHostPortRangePublishesOnItsFirstFreePort) {
  // -p 8000-8002:80: each container gets the first port of the range nobody holds; when all
  // are taken the next one is refused; -p 8000-8001:80-81 maps the ranges pairwise.
  busybox();
  int base = 30000 + static_cast<int>(getpid() % 10000) * 3;
  std::string range = std::to_string(base) + "-" + std::to_string(base + 1);
  for (auto* name : {"ra", "rb"}) {
    auto r = docker(std::string("run -d --name ") + name + " -p " + range + ":80 busybox httpd -f -p 80");
    ASSERT_EQ(r.status, 0) << r.err;
  }
  EXPECT_EQ(docker("port ra 80").out, "0.0.0.0:" + std::to_string(base) + "\n");
  EXPECT_EQ(docker("port rb 80").out, "0.0.0.0:" + std::to_string(base + 1) + "\n");
  auto full = docker("run -d --name rc -p " + range + ":80 busybox sleep 100");
  EXPECT_NE(full.err.find("every port in the range is already allocated"), std::string::npos) << full.err;
  // The published port serves (httpd answers 404 for a missing index: the route works).
  auto got = sh("curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:" + std::to_string(base + 1) + "/");
  EXPECT_EQ(got.out, "404");
  ASSERT_EQ(docker("rm -f ra rb rc").status, 0);
  auto pairs = docker("run -d --name rd -p " + range + ":80-81 busybox sleep 100");
  ASSERT_EQ(pairs.status, 0) << pairs.err;
  EXPECT_EQ(docker("port rd").out, "80/tcp -> 0.0.0.0:" + std::to_string(base) + "\n81/tcp -> 0.0.0.0:" +
                                       std::to_string(base + 1) + "\n");
  EXPECT_NE(docker("run -d --name re -p 9-3:80 busybox true").status, 0);
  docker("rm -f rd re");
}

TEST_F(EngineTest, PingVersionAndInfoAsDockerShowsThem) {
  EXPECT_EQ(docker("info --format '{{.Driver}} {{.OSType}}'").out, "overlay2 linux\n");
  auto ping = sh("curl -s --unix-socket " + d_.socket() + " http://x/_ping");
  EXPECT_EQ(ping.out, "OK");
  // The socket is root's, mode 0660, as dockerd's.
  EXPECT_EQ(sh("stat -c '%a %U' " + d_.socket()).out, "660 root\n");
  // Unknown paths get docker's 404 body.
  EXPECT_EQ(sh("curl -s --unix-socket " + d_.socket() + " http://x/v1.43/nowhere").out,
            "{\"message\":\"page not found\"}\n");
}

TEST_F(EngineTest, ImageCommandsThroughTheDockerCli) {
  auto imported = docker("import -c 'CMD [\"sh\"]' " + d_.dir() + "/rootfs.tar bb:1");
  ASSERT_EQ(imported.status, 0) << imported.err;
  std::string id = imported.out.substr(0, imported.out.size() - 1);
  EXPECT_EQ(docker("images --format '{{.Repository}}:{{.Tag}} {{.ID}}'").out,
            "bb:1 " + id.substr(7, 12) + "\n");
  EXPECT_EQ(docker("image inspect --format '{{.Id}} {{json .Config.Cmd}}' bb:1").out,
            id + " [\"sh\"]\n");
  EXPECT_EQ(docker("tag bb:1 bb:2").status, 0);
  EXPECT_EQ(docker("history -q bb:2").out, id.substr(7, 12) + "\n");
  // save / load round trip
  ASSERT_EQ(docker("save -o " + d_.dir() + "/bb.tar bb:1").status, 0);
  EXPECT_EQ(docker("rmi bb:1 bb:2").out, "Untagged: bb:1\nUntagged: bb:2\nDeleted: " + id + "\n");
  EXPECT_EQ(docker("load -i " + d_.dir() + "/bb.tar").out, "Loaded image: bb:1\n");
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
  ASSERT_EQ(docker("import " + d_.dir() + "/rootfs.tar " + name).status, 0);
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
  ASSERT_EQ(docker("import " + d_.dir() + "/rootfs.tar sdk:1").status, 0);
  std::ofstream(d_.dir() + "/sdk.py") << R"(import docker, sys
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
  auto o = sh(py + " " + d_.dir() + "/sdk.py " + d_.socket());
  EXPECT_EQ(o.status, 0) << o.err;
  EXPECT_EQ(o.out, "['sdk:1', 'sdk:2']\n1\nnot found: No such image: nope:1\n");
}

TEST_F(EngineTest, RunPrintsOutputAndExitsWithTheContainersCode) {
  busybox();
  auto hi = docker("run --rm busybox echo hi");
  EXPECT_EQ(hi.status, 0) << hi.err;
  EXPECT_EQ(hi.out, "hi\n");
  auto streams = docker("run --rm busybox sh -c 'echo out; echo err >&2; exit 3'");
  EXPECT_EQ(streams.status, 3);
  EXPECT_EQ(streams.out, "out\n");
  EXPECT_EQ(streams.err, "err\n");
  auto missing = docker("run --rm busybox no-such-program");
  EXPECT_EQ(missing.status, 127) << missing.err;
  EXPECT_NE(missing.err.find("no-such-program"), std::string::npos) << missing.err;
  // The image's config reaches the process: env, user, working dir; and the hostname is the
  // container's short id, as docker sets it.
  auto env = docker("run --rm -e A=1 -w /tmp -u nobody busybox sh -c 'echo $A $(pwd) $(id -u) $(hostname | wc -c)'");
  EXPECT_EQ(env.out, "1 /tmp 65534 13\n") << env.err;
  EXPECT_EQ(docker("ps -aq").out, "");  // --rm removed them all
}

TEST_F(EngineTest, DetachedContainerLogsStopAndRemove) {
  busybox();
  auto run = docker("run -d --name ticker busybox sh -c 'echo start; while true; do sleep 0.1; done'");
  ASSERT_EQ(run.status, 0) << run.err;
  std::string id = run.out.substr(0, 64);
  EXPECT_EQ(docker("ps --format '{{.Names}} {{.Image}}'").out, "ticker busybox\n");
  EXPECT_EQ(docker("inspect -f '{{.State.Status}} {{.State.Running}}' ticker").out, "running true\n");
  for (int i = 0; i < 50 && docker("logs ticker").out.empty(); ++i) usleep(20000);
  EXPECT_EQ(docker("logs ticker").out, "start\n");
  auto busy = docker("rm ticker");
  EXPECT_EQ(busy.status, 1);
  EXPECT_NE(busy.err.find("container is running"), std::string::npos) << busy.err;
  // sh as pid 1 ignores SIGTERM: stop waits its timeout, then SIGKILL (137).
  ASSERT_EQ(docker("stop -t 1 ticker").status, 0);
  EXPECT_EQ(docker("inspect -f '{{.State.Status}} {{.State.ExitCode}}' ticker").out, "exited 137\n");
  EXPECT_EQ(docker("ps -a --filter status=exited --format '{{.Names}}'").out, "ticker\n");
  ASSERT_EQ(docker("rm ticker").status, 0);
  expect_gone(id);
}

TEST_F(EngineTest, ExecRunsInTheRunningContainer) {
  busybox();
  ASSERT_EQ(docker("run -d --name box --network none busybox sleep 1000").status, 0);
  auto e = docker("exec box sh -c 'echo out; echo err >&2; exit 4'");
  EXPECT_EQ(e.status, 4);
  EXPECT_EQ(e.out, "out\n");
  EXPECT_EQ(e.err, "err\n");
  // User, working dir and env of the exec; the container's own env is inherited.
  EXPECT_EQ(docker("exec -u nobody -w /etc -e X=5 box sh -c 'echo $(id -u) $(pwd) $X $HOSTNAME'").out,
            "65534 /etc 5 " + docker("inspect -f '{{.Config.Hostname}}' box").out);
  // In the container's namespaces: it sees the container's processes, not the host's.
  EXPECT_EQ(docker("exec box sh -c 'ps -o comm | grep -c sleep'").out, "1\n");
  ASSERT_EQ(docker("exec -d box sh -c 'echo bg > /bg'").status, 0);
  std::string bg;
  for (int i = 0; i < 50 && bg.empty(); ++i) {
    bg = docker("exec box cat /bg 2>/dev/null").out;
    if (bg.empty()) usleep(20000);
  }
  EXPECT_EQ(bg, "bg\n");
  EXPECT_NE(docker("exec box no-such-program").status, 0);
  ASSERT_EQ(docker("stop -t 0 box").status, 0);
  auto stopped = docker("exec box true");
  EXPECT_NE(stopped.status, 0);
  EXPECT_NE(stopped.err.find("is not running"), std::string::npos) << stopped.err;
  ASSERT_EQ(docker("rm box").status, 0);
}

TEST_F(EngineTest, ExecWithStdinTerminalAndDockersExitCodes) {
  busybox();
  ASSERT_EQ(docker("run -d --name box --network none busybox sleep 100").status, 0);
  // -i: the client's input is the process's stdin, its end closes it.
  EXPECT_EQ(sh("echo 'piped in' | DOCKER_HOST=unix://" + d_.socket() + " docker exec -i box sh -c 'cat; echo end'").out,
            "piped in\nend\n");
  // -t: a terminal inside the container; output arrives raw with CR LF.
  auto tty = sh("script -qec \"DOCKER_HOST=unix://" + d_.socket() + " docker exec -t box sh -c 'tty; exit 5'\" /dev/null");
  EXPECT_NE(tty.out.find("/dev/pts/"), std::string::npos) << tty.out;
  EXPECT_EQ(tty.status, 5);
  // -it: an interactive shell reads what is typed.
  auto it = sh("printf 'echo typed-$((6*7))\\nexit 3\\n' | script -qec \"DOCKER_HOST=unix://" + d_.socket() +
               " docker exec -it box sh\" /dev/null");
  EXPECT_NE(it.out.find("typed-42"), std::string::npos) << it.out;
  // The terminal has the client's size from the start (ConsoleSize), through docker and berth.
  for (const std::string& cli : {std::string("docker"), berth_binary()}) {
    auto size = sh("script -qec \"stty rows 25 cols 90; DOCKER_HOST=unix://" + d_.socket() + " BERTH_HOST=unix://" +
                   d_.socket() + " " + cli + " exec -t box stty size; DOCKER_HOST=unix://" + d_.socket() +
                   " BERTH_HOST=unix://" + d_.socket() + " " + cli + " run --rm -t --network none busybox stty size\" /dev/null | tr -d '\\r'");
    EXPECT_EQ(size.out, "25 90\n25 90\n") << cli << ": " << size.out;
  }
  // A program that is missing or cannot run: docker's 127 and 126.
  EXPECT_EQ(docker("exec box nosuchcmd").status, 127);
  EXPECT_EQ(docker("exec box /etc/passwd").status, 126);
}

TEST_F(EngineTest, EventsStreamAndReplayWithFilters) {
  busybox();
  // A live subscriber sees what happens after it connects.
  sh("(DOCKER_HOST=unix://" + d_.socket() + " timeout 5 docker events --filter type=container --filter container=evt "
     "--format '{{.Action}} {{.Actor.Attributes.name}}' > " + d_.dir() + "/live &)");
  usleep(300000);
  ASSERT_EQ(docker("run --name evt --network none busybox sh -c 'exit 3'").status, 3);
  ASSERT_EQ(docker("rm evt").status, 0);
  ASSERT_EQ(docker("volume create evvol").status, 0);
  // Replayed from memory with since/until (whole seconds, so `until` is the next one), filtered
  // by container, event and type.
  EXPECT_EQ(docker("events --since 1m --until $(($(date +%s)+1)) --filter container=evt --format '{{.Action}}'").out,
            "create\nstart\ndie\ndestroy\n");
  EXPECT_EQ(docker("events --since 1m --until $(($(date +%s)+1)) --filter event=die --format '{{.Actor.Attributes.exitCode}}'").out,
            "3\n");
  EXPECT_EQ(docker("events --since 1m --until $(($(date +%s)+1)) --filter type=volume --format '{{.Action}} {{.Actor.ID}}'").out,
            "create evvol\n");
  // Images: tag, untag; and an image a container uses is not deleted (docker's 409).
  ASSERT_EQ(docker("tag busybox evimage:1").status, 0);
  ASSERT_EQ(docker("rmi evimage:1").status, 0);
  EXPECT_EQ(docker("events --since 1m --until $(($(date +%s)+1)) --filter type=image "
                   "--filter event=tag --filter event=untag --format '{{.Action}}'").out,
            "tag\nuntag\n");
  ASSERT_EQ(docker("create --name user --network none busybox true").status, 0);
  std::string id = docker("images -q busybox").out;
  auto refused = docker("rmi busybox");
  EXPECT_NE(refused.err.find("is being used by a container"), std::string::npos) << refused.err;
  // Forced: the name goes, the image the container needs stays.
  ASSERT_EQ(docker("rmi -f busybox").status, 0);
  EXPECT_EQ(docker("images -q").out, id);
  ASSERT_EQ(docker("rm user").status, 0);
  for (int i = 0; i < 60 && sh("grep -c destroy " + d_.dir() + "/live").out != "1\n"; ++i) usleep(100000);
  EXPECT_EQ(sh("cat " + d_.dir() + "/live").out, "create evt\nstart evt\ndie evt\ndestroy evt\n");
}

// docker update: new limits reach the running container's cgroups and its inspect; a bad value
// is refused and changes nothing.
TEST_F(EngineTest, UpdateChangesLimitsOfARunningContainer) {
  busybox();
  ASSERT_EQ(docker("run -d --name lim --network none --memory 64m busybox sleep 100").status, 0);
  auto limit = [&] {
    return docker("exec lim sh -c 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || "
                  "cat /sys/fs/cgroup/memory.max'").out;
  };
  EXPECT_EQ(limit(), "67108864\n");
  auto u = docker("update --memory 96m --memory-swap 192m --pids-limit 50 --restart on-failure:2 lim");
  ASSERT_EQ(u.status, 0) << u.err;
  EXPECT_EQ(limit(), "100663296\n");
  EXPECT_EQ(docker("inspect -f '{{.HostConfig.Memory}} {{.HostConfig.PidsLimit}} "
                   "{{.HostConfig.RestartPolicy.Name}}' lim").out,
            "100663296 50 on-failure\n");
  auto bad = docker("update --cpuset-cpus 64-65 lim");
  EXPECT_NE(bad.status, 0);
  EXPECT_NE(bad.err.find("Requested CPUs are not available"), std::string::npos) << bad.err;
  EXPECT_EQ(limit(), "100663296\n");
}

TEST_F(EngineTest, VolumesKeepDataAndAreSeededFromTheImage) {
  // An image that declares VOLUME /seed and ships a file there.
  ASSERT_EQ(sh("mkdir -p " + d_.dir() + "/rootfs/seed && echo from-image > " + d_.dir() +
               "/rootfs/seed/hello && tar -C " + d_.dir() + "/rootfs -cf " + d_.dir() + "/seeded.tar .")
                .status,
            0);
  ASSERT_EQ(docker("import -c 'VOLUME /seed' -c 'CMD [\"sh\"]' " + d_.dir() + "/seeded.tar seeded").status, 0);
  // A new named volume gets the image's content on first use, then keeps what is written.
  EXPECT_EQ(docker("run --rm --network none -v vol1:/seed seeded cat /seed/hello").out, "from-image\n");
  ASSERT_EQ(docker("run --rm --network none -v vol1:/seed seeded sh -c 'echo kept > /seed/mine'").status, 0);
  EXPECT_EQ(docker("run --rm --network none -v vol1:/data seeded cat /data/mine").out, "kept\n");
  auto ro = docker("run --rm --network none -v vol1:/data:ro seeded sh -c 'echo x > /data/y'");
  EXPECT_NE(ro.status, 0);
  EXPECT_NE(ro.err.find("Read-only file system"), std::string::npos) << ro.err;
  // The image's VOLUME without -v: an anonymous volume, listed in Mounts, gone with rm -v.
  ASSERT_EQ(docker("run --name anon --network none seeded cat /seed/hello").status, 0);
  std::string anon = docker("inspect -f '{{range .Mounts}}{{.Name}}{{end}}' anon").out;
  ASSERT_EQ(anon.size(), 65u) << anon;
  anon.pop_back();
  EXPECT_EQ(docker("volume ls -q").out.find(anon) != std::string::npos, true);
  // In use: refused; after rm -v: gone. Named volumes outlive their containers.
  auto busy = docker("volume rm " + anon);
  EXPECT_NE(busy.status, 0);
  EXPECT_NE(busy.err.find("volume is in use"), std::string::npos) << busy.err;
  ASSERT_EQ(docker("rm -v anon").status, 0);
  EXPECT_EQ(docker("volume ls -q").out, "vol1\n");
  // tmpfs with a size; a bad volume name creates nothing.
  auto df = docker("run --rm --network none --mount type=tmpfs,target=/t,tmpfs-size=1m seeded "
                   "df -k /t");
  EXPECT_NE(df.out.find(" 1024 "), std::string::npos) << df.out << df.err;
  auto bad = docker("run --rm --network none -v fine:/a -v bad/name:/b seeded true");
  EXPECT_NE(bad.status, 0);
  EXPECT_EQ(docker("volume ls -q").out, "vol1\n");
  ASSERT_EQ(docker("volume rm vol1").status, 0);
  EXPECT_EQ(sh("ls " + d_.dir() + "/root/volumes").out, "");
}

TEST_F(EngineTest, RestartPolicyBringsACrashingContainerBack) {
  busybox();
  ASSERT_EQ(docker("run -d --name flaky --network none --restart on-failure:2 busybox sh -c 'exit 3'").status, 0);
  std::string state;
  for (int i = 0; i < 100; ++i) {
    state = docker("inspect -f '{{.State.Status}} {{.RestartCount}} {{.State.ExitCode}}' flaky").out;
    if (state == "exited 2 3\n") break;
    usleep(50000);
  }
  EXPECT_EQ(state, "exited 2 3\n");  // the first run and two restarts, then it stays down
  ASSERT_EQ(docker("run -d --name always --network none --restart always busybox sh -c 'echo up; sleep 0.2; exit 1'").status, 0);
  std::string count;
  for (int i = 0; i < 100; ++i) {
    count = docker("inspect -f '{{.RestartCount}}' always").out;
    if (count != "0\n" && count != "1\n") break;
    usleep(50000);
  }
  EXPECT_NE(count, "0\n");
  EXPECT_NE(count, "1\n");
  // docker stop wins over `always`.
  ASSERT_EQ(docker("stop -t 1 always").status, 0);
  usleep(600000);
  EXPECT_EQ(docker("inspect -f '{{.State.Status}}' always").out, "exited\n");
  ASSERT_EQ(docker("rm -f flaky always").status, 0);
}

TEST_F(EngineTest, HealthcheckTurnsUnhealthyAndBackHealthy) {
  busybox();
  ASSERT_EQ(docker("run -d --name hc --network none --health-cmd 'test -f /ok' "
                   "--health-interval 100ms --health-retries 2 busybox sleep 1000").status, 0);
  auto health = [&] { return docker("inspect -f '{{.State.Health.Status}}' hc").out; };
  std::string h;
  for (int i = 0; i < 100 && (h = health()) != "unhealthy\n"; ++i) usleep(50000);
  EXPECT_EQ(h, "unhealthy\n");
  EXPECT_NE(docker("ps --format '{{.Status}}'").out.find("(unhealthy)"), std::string::npos);
  ASSERT_EQ(docker("exec hc touch /ok").status, 0);
  for (int i = 0; i < 100 && (h = health()) != "healthy\n"; ++i) usleep(50000);
  EXPECT_EQ(h, "healthy\n");
  EXPECT_EQ(docker("inspect -f '{{.State.Health.FailingStreak}}' hc").out, "0\n");
  ASSERT_EQ(docker("rm -f hc").status, 0);
}

TEST_F(EngineTest, StdinAndTerminal) {
  busybox();
  // -i: stdin reaches the container and its end ends the program's input.
  auto piped = run({"sh", "-c", "DOCKER_HOST=unix://" + d_.socket() +
                                    " docker run -i --rm --network none busybox sh -c 'cat; echo done'"},
                   "hello stdin\n");
  EXPECT_EQ(piped.status, 0) << piped.err;
  EXPECT_EQ(piped.out, "hello stdin\ndone\n");
  // -it: a terminal of its own, its size from the client, and the exit code back.
  auto o = run({"script", "-qec",
                "DOCKER_HOST=unix://" + d_.socket() +
                    " docker run --rm -it --network none busybox sh -c 'tty; exit 5'",
                "/dev/null"},
               "", /*hold_stdin=*/true);
  EXPECT_EQ(o.status, 5) << o.out << o.err;
  EXPECT_NE(o.out.find("/dev/pts/0"), std::string::npos) << o.out;
  ASSERT_EQ(docker("run -dt --name term --network none busybox sh -c 'sleep 0.5; stty size; sleep 100'").status, 0);
  EXPECT_EQ(sh("curl -s -o /dev/null -w '%{http_code}' -X POST --unix-socket " + d_.socket() +
               " 'http://x/v1.43/containers/term/resize?h=33&w=111'").out, "200");
  std::string logs;
  for (int i = 0; i < 60 && logs.empty(); ++i) {
    logs = docker("logs term").out;
    if (logs.empty()) usleep(50000);
  }
  EXPECT_EQ(logs, "33 111\r\n");
  ASSERT_EQ(docker("rm -f term").status, 0);
}

TEST_F(EngineTest, TopPauseUnpauseAndRename) {
  busybox();
  ASSERT_EQ(docker("run -d --name p1 --network none busybox sh -c 'while true; do sleep 0.1; done'").status, 0);
  auto top = docker("top p1");
  EXPECT_EQ(top.out.rfind("UID", 0), 0u) << top.out;
  EXPECT_NE(top.out.find("sh -c while true"), std::string::npos) << top.out;
  ASSERT_EQ(docker("pause p1").status, 0);
  EXPECT_EQ(docker("inspect -f '{{.State.Status}} {{.State.Paused}}' p1").out, "paused true\n");
  EXPECT_NE(docker("pause p1").status, 0);  // already paused
  ASSERT_EQ(docker("unpause p1").status, 0);
  EXPECT_EQ(docker("inspect -f '{{.State.Status}}' p1").out, "running\n");
  ASSERT_EQ(docker("rename p1 p2").status, 0);
  EXPECT_EQ(docker("ps --format '{{.Names}}'").out, "p2\n");
  ASSERT_EQ(docker("rm -f p2").status, 0);
}

TEST_F(EngineTest, ContainersKeepRunningWhileTheDaemonIsKilled) {
  busybox();
  ASSERT_EQ(docker("run -d --name long busybox sh -c 'echo one; sleep 2; echo two; sleep 1000'").status, 0);
  ASSERT_EQ(docker("run -d --name short busybox sh -c 'sleep 1; exit 7'").status, 0);
  d_.kill();
  sleep(3);  // meanwhile `short` exits and `long` writes its second line
  ASSERT_TRUE(d_.restart()) << d_.error;
  EXPECT_EQ(docker("inspect -f '{{.State.Status}}' long").out, "running\n");
  EXPECT_EQ(docker("inspect -f '{{.State.Status}} {{.State.ExitCode}}' short").out, "exited 7\n");
  EXPECT_EQ(docker("logs long").out, "one\ntwo\n");
  ASSERT_EQ(docker("rm -f long short").status, 0);
}

// The issue's reliability bar: 20 containers outlive a SIGKILLed daemon with their logs
// whole; 50 parallel `docker run -d` leave nothing behind after `docker rm -f`.
TEST_F(EngineTest, ADaemonStartRemovesSandboxesLeftByOneThatDied) {
  // A --rm container's network is torn down after its removal; a daemon killed in between
  // leaves the namespace and the attachment record. Made here for a container id that no
  // longer exists, beside a running container whose sandbox must stay.
  busybox();
  ASSERT_EQ(docker("run -d --name keep busybox sleep 1000").status, 0);
  std::string keep = docker("inspect -f '{{.Id}}' keep").out.substr(0, 64);
  std::string gone(64, 'e');
  std::string cni = d_.dir() + "/root/network/cni/";
  d_.kill();
  Cleanup undo;
  undo.push([&] {
    sh("umount /run/berth/netns/" + gone + " 2>/dev/null; rm -f /run/berth/netns/" + gone + " " +
       cni + gone + ".*");
  });
  ASSERT_EQ(sh("touch /run/berth/netns/" + gone + " && unshare --net=/run/berth/netns/" + gone +
               " true && for f in " + cni + keep + ".*; do cp \"$f\" \"" + cni + gone +
               "${f#" + cni + keep + "}\"; done")
                .status, 0);
  ASSERT_EQ(sh("ls " + cni + " | grep -c " + gone).out, "1\n");
  ASSERT_TRUE(d_.restart()) << d_.error;
  EXPECT_EQ(sh("ls /run/berth/netns | grep -c " + gone).out, "0\n");
  EXPECT_EQ(sh("grep -c /run/berth/netns/" + gone + " /proc/mounts").out, "0\n");
  EXPECT_EQ(sh("ls " + cni + " | grep -c " + gone).out, "0\n");
  // The running container keeps its network.
  EXPECT_EQ(sh("ls /run/berth/netns | grep -c " + keep).out, "1\n");
  EXPECT_EQ(docker("exec keep cat /sys/class/net/eth0/operstate").out, "up\n");
  ASSERT_EQ(docker("rm -f keep").status, 0);
}

TEST_F(EngineTest, TwentyContainersSurviveADaemonKillAndFiftyParallelRunsLeaveNothing) {
  busybox();
  std::string host_before = container_host_state();
  struct Scaffolding {
    ~Scaffolding() { sh(BERTH_SOURCE_DIR "/tests/support/cleanup-bridge.sh"); }
  } scaffolding;
  // Each prints a counter every 50 ms: a gap in the log would show as a missing number.
  std::string loop = "'i=0; while [ $i -lt 100000 ]; do echo $i; i=$((i+1)); usleep 50000; done'";
  std::string starts;
  for (int i = 0; i < 20; ++i) {
    starts += "DOCKER_HOST=unix://" + d_.socket() + " docker run -d --name c" + std::to_string(i) +
              " busybox sh -c " + loop + " >/dev/null & ";
  }
  ASSERT_EQ(sh(starts + "wait").status, 0);
  ASSERT_EQ(docker("run -d --name ends busybox sh -c 'sleep 1; exit 42'").status, 0);
  EXPECT_EQ(docker("ps -q | wc -l").out, "21\n");
  d_.kill();
  sleep(2);
  ASSERT_TRUE(d_.restart()) << d_.error;
  EXPECT_EQ(docker("ps -q | wc -l").out, "20\n");
  EXPECT_EQ(docker("inspect -f '{{.State.Status}} {{.State.ExitCode}}' ends").out, "exited 42\n");
  usleep(300000);
  for (int i = 0; i < 20; ++i) {
    std::string name = "c" + std::to_string(i);
    EXPECT_EQ(docker("inspect -f '{{.State.Status}}' " + name).out, "running\n");
    // 0, 1, 2, ... without a gap across the daemon's absence.
    auto lines = docker("logs " + name + " | awk 'NR-1 != $1 {bad=1} END {print (bad ? \"gap\" : NR > 40 ? \"whole\" : \"short\")}'").out;
    EXPECT_EQ(lines, "whole\n") << name;
  }
  ASSERT_EQ(docker("rm -f $(docker ps -aq) >/dev/null").status, 0);

  std::string runs;
  for (int i = 0; i < 50; ++i) {
    runs += "DOCKER_HOST=unix://" + d_.socket() + " docker run -d busybox sleep 100 >> " + d_.dir() + "/ids || echo fail & ";
  }
  EXPECT_EQ(sh(runs + "wait").out, "");
  EXPECT_EQ(sh("wc -l < " + d_.dir() + "/ids").out, "50\n");
  EXPECT_EQ(docker("ps -q | wc -l").out, "50\n");
  ASSERT_EQ(docker("rm -f $(docker ps -aq) >/dev/null").status, 0);
  EXPECT_EQ(sh("grep -c " + d_.dir() + " /proc/mounts").out, "0\n");
  EXPECT_EQ(container_host_state(host_before), host_before);
}

TEST_F(EngineTest, BadInputGetsDockersStatusAndLeavesNothing) {
  busybox();
  // --pull never: the CLI would otherwise try Docker Hub, and tests talk to loopback only.
  auto unknown = docker("run --pull never --rm nosuchimage:1 true");
  EXPECT_EQ(unknown.status, 125);
  EXPECT_NE(unknown.err.find("No such image: nosuchimage:1"), std::string::npos) << unknown.err;
  ASSERT_EQ(docker("create --name taken busybox true").status, 0);
  auto conflict = docker("create --name taken busybox true");
  EXPECT_NE(conflict.status, 0);
  EXPECT_NE(conflict.err.find("is already in use by container"), std::string::npos) << conflict.err;
  auto code = [&](const std::string& args) {
    return sh("curl -s -o /dev/null -w '%{http_code}' --unix-socket " + d_.socket() + " " + args).out;
  };
  EXPECT_EQ(code("-X POST -H 'Content-Type: application/json' -d '{not json' http://x/v1.43/containers/create"), "400");
  EXPECT_EQ(code("-X POST -H 'Content-Type: application/json' -d '{\"Image\":\"busybox\",\"HostConfig\":{\"NetworkMode\":\"nonet\"}}' http://x/v1.43/containers/create"), "404");
  EXPECT_EQ(code("http://x/v1.43/containers/nothere/json"), "404");
  // A body over the API's 16 MiB is refused before it is read (its Content-Length), and
  // nothing is created from it.
  std::string big = d_.dir() + "/big.json";
  ASSERT_EQ(sh("{ printf '{\"Image\":\"busybox\",\"Labels\":{\"big\":\"'; head -c 17000000 /dev/zero | "
               "tr '\\0' x; printf '\"}}'; } > " + big).status, 0);
  EXPECT_EQ(sh("curl -s --unix-socket " + d_.socket() + " -H 'Content-Type: application/json' "
               "--data-binary @" + big + " http://x/v1.43/containers/create").out,
            "{\"message\":\"request body larger than 16777216 bytes\"}\n");
  EXPECT_EQ(docker("ps -aq --filter label=big").out, "");
  auto bind = docker("run --rm -v /no/such/dir:/x busybox true");
  EXPECT_NE(bind.status, 0);
  EXPECT_NE(bind.err.find("bind source path does not exist"), std::string::npos) << bind.err;
  // Only `taken` and the failed bind container's record exist; nothing is mounted.
  EXPECT_EQ(sh("grep -c " + d_.dir() + " /proc/mounts").out, "0\n");
}

// berth0 and CNI's base chains go once the last container is (tests/support/cleanup-bridge.sh).
void remove_bridge_scaffolding() { sh(BERTH_SOURCE_DIR "/tests/support/cleanup-bridge.sh"); }

TEST_F(EngineTest, PublishedPortReachesTheContainerAndIsRemovedWithIt) {
  busybox();
  struct Scaffolding {
    ~Scaffolding() { remove_bridge_scaffolding(); }
  } scaffolding;
  int port = free_port();
  auto run = docker("run -d --name web -p " + std::to_string(port) +
                    ":80 busybox sh -c 'mkdir -p /www && echo hello from berth > /www/index.html"
                    " && httpd -f -p 80 -h /www'");
  ASSERT_EQ(run.status, 0) << run.err;
  std::string id = run.out.substr(0, 64);
  std::string body;
  for (int i = 0; i < 50 && body.empty(); ++i) {
    body = sh("curl -s -m 2 http://127.0.0.1:" + std::to_string(port) + "/").out;
    if (body.empty()) usleep(50000);
  }
  EXPECT_EQ(body, "hello from berth\n");
  EXPECT_EQ(docker("port web").out, "80/tcp -> 0.0.0.0:" + std::to_string(port) + "\n");
  std::string ip = docker("inspect -f '{{.NetworkSettings.IPAddress}}' web").out;
  ASSERT_FALSE(ip.empty());
  ip.pop_back();
  EXPECT_EQ(ip.rfind("172.17.", 0), 0u) << ip;
  // Another container reaches it on the bridge; its own loopback is up.
  EXPECT_EQ(docker("run --rm busybox wget -q -O - http://" + ip + "/").out, "hello from berth\n");
  EXPECT_EQ(docker("run --rm --network none busybox cat /sys/class/net/lo/operstate").out,
            "unknown\n");
  // A port already in use fails the start, and the container is left without a network.
  auto dup = docker("run -d --name web2 -p " + std::to_string(port) + ":80 busybox sleep 100");
  ASSERT_EQ(docker("rm -f web web2").status, 0);
  // Everything of the containers is gone: rules, namespace, lease.
  EXPECT_EQ(sh("iptables-save | grep -c " + id.substr(0, 12)).out, "0\n");
  EXPECT_EQ(sh("ls /run/berth/netns | grep -c " + id).out, "0\n");
  EXPECT_EQ(sh("ls " + d_.dir() + "/root/network/ipam/bridge | grep -c 172.17").out, "0\n");
  (void)dup;
}

TEST_F(EngineTest, UserNetworkResolvesContainersByNameAndAlias) {
  busybox();
  std::string host_before = container_host_state();
  struct Scaffolding {
    ~Scaffolding() { remove_bridge_scaffolding(); }
  } scaffolding;
  ASSERT_EQ(docker("network create appnet").status, 0);
  ASSERT_EQ(docker("network create --subnet 10.213.0.0/24 --gateway 10.213.0.254 backnet").status, 0);
  auto dup = docker("network create appnet");
  EXPECT_NE(dup.err.find("network with name appnet already exists"), std::string::npos) << dup.err;
  auto overlap = docker("network create --subnet 10.213.0.128/25 clash");
  EXPECT_NE(overlap.err.find("overlaps"), std::string::npos) << overlap.err;
  EXPECT_EQ(docker("network ls --format '{{.Name}} {{.Driver}}' --filter type=custom").out,
            "appnet bridge\nbacknet bridge\n");
  ASSERT_EQ(docker("run -d --name web --network appnet --network-alias api busybox sh -c "
                   "'mkdir -p /www && echo hi from web > /www/index.html && httpd -f -p 80 -h /www'")
                .status, 0);
  // By name and by alias, through our DNS server at 127.0.0.11.
  EXPECT_EQ(docker("run --rm --network appnet busybox wget -q -O - http://web/").out, "hi from web\n");
  EXPECT_EQ(docker("run --rm --network appnet busybox wget -q -O - http://api/").out, "hi from web\n");
  EXPECT_EQ(docker("run --rm --network appnet busybox head -1 /etc/resolv.conf").out,
            "nameserver 127.0.0.11\n");
  // Not from another network, and not by the default bridge (docker's behaviour).
  EXPECT_NE(docker("run --rm --network backnet busybox nslookup web").status, 0);
  // connect: a second interface and name on backnet; a static address there.
  ASSERT_EQ(docker("network connect --alias webback backnet web").status, 0);
  EXPECT_EQ(docker("run --rm --network backnet --ip 10.213.0.77 busybox sh -c "
                   "'ip -4 -o addr show eth0 | grep -o 10.213.0.77/24; wget -q -O - http://webback/'").out,
            "10.213.0.77/24\nhi from web\n");
  std::string ips = docker("inspect -f '{{range $k, $v := .NetworkSettings.Networks}}{{$k}}={{$v.IPAddress}} {{end}}' web").out;
  EXPECT_NE(ips.find("appnet=172."), std::string::npos) << ips;
  EXPECT_NE(ips.find("backnet=10.213.0."), std::string::npos) << ips;
  // A network in use cannot go; its inspect lists the container.
  auto in_use = docker("network rm backnet");
  EXPECT_NE(in_use.err.find("has active endpoints"), std::string::npos) << in_use.err;
  EXPECT_NE(docker("network inspect -f '{{json .Containers}}' backnet").out.find("\"Name\":\"web\""),
            std::string::npos);
  ASSERT_EQ(docker("network disconnect backnet web").status, 0);
  EXPECT_EQ(docker("exec web sh -c 'ls /sys/class/net | grep -c eth'").out, "1\n");
  // --network container:web shares its namespace.
  EXPECT_EQ(docker("run --rm --network container:web busybox wget -q -O - http://127.0.0.1/").out,
            "hi from web\n");
  auto missing = docker("run --pull never --rm --network nosuchnet busybox true");
  EXPECT_NE(missing.err.find("network nosuchnet not found"), std::string::npos) << missing.err;
  std::string bridge = "br-" + docker("network inspect -f '{{.Id}}' appnet").out.substr(0, 12);
  ASSERT_EQ(docker("rm -f web").status, 0);
  ASSERT_EQ(docker("network rm appnet backnet").status, 0);
  EXPECT_EQ(sh("ip link show " + bridge + " 2>&1 >/dev/null | grep -c 'does not exist'").out, "1\n");
  EXPECT_EQ(container_host_state(host_before), host_before);
}

TEST_F(EngineTest, CopyDiffExportAndStats) {
  busybox();
  ASSERT_EQ(sh("mkdir -p " + d_.dir() + "/src/sub && echo hello > " + d_.dir() + "/src/a.txt && echo deep > " +
               d_.dir() + "/src/sub/b.txt").status, 0);
  ASSERT_EQ(docker("run -d --name box --memory 64m -v boxvol:/data busybox sh -c "
                   "'mkdir -p /tmp && ln -s /etc /tmp/evil; while :; do :; done'").status, 0);
  // docker cp in: a directory, a file into a volume, a file through a symlink that points at
  // the container's /etc (and never the host's).
  for (int i = 0; i < 50 && docker("exec box test -L /tmp/evil").status != 0; ++i) usleep(20000);
  ASSERT_EQ(docker("cp " + d_.dir() + "/src box:/tmp/").status, 0);
  EXPECT_EQ(docker("exec box cat /tmp/src/a.txt /tmp/src/sub/b.txt").out, "hello\ndeep\n");
  ASSERT_EQ(docker("cp " + d_.dir() + "/src/a.txt box:/data/").status, 0);
  EXPECT_EQ(docker("run --rm -v boxvol:/v busybox cat /v/a.txt").out, "hello\n");
  ASSERT_EQ(docker("cp " + d_.dir() + "/src/sub/b.txt box:/tmp/evil/").status, 0);
  EXPECT_EQ(docker("exec box cat /etc/b.txt").out, "deep\n");
  EXPECT_FALSE(std::ifstream("/etc/b.txt").good());
  // docker cp out: a directory, the engine's /etc/hostname, a missing path.
  ASSERT_EQ(docker("cp box:/tmp/src " + d_.dir() + "/back").status, 0);
  EXPECT_EQ(sh("cat " + d_.dir() + "/back/sub/b.txt").out, "deep\n");
  std::string id = docker("inspect -f '{{.Id}}' box").out.substr(0, 12);
  EXPECT_EQ(docker("cp box:/etc/hostname -").status, 0);
  EXPECT_EQ(docker("cp box:/etc/hostname - | tar -xO").out, id + "\n");
  auto missing = docker("cp box:/no/such " + d_.dir() + "/x");
  EXPECT_NE(missing.err.find("Could not find the file /no/such"), std::string::npos) << missing.err;
  // docker diff and export.
  std::string diff = docker("diff box").out;
  EXPECT_NE(diff.find("A /tmp/src/sub/b.txt\n"), std::string::npos) << diff;
  EXPECT_NE(diff.find("A /etc/b.txt\n"), std::string::npos) << diff;
  EXPECT_EQ(diff.find("/etc/hostname"), std::string::npos) << diff;
  EXPECT_EQ(docker("export box | tar -t | grep -c '^tmp/src/a.txt$'").out, "1\n");
  // docker stats: the busy loop shows as CPU, the limit as the memory limit.
  auto stats = docker("stats --no-stream --format '{{.CPUPerc}} {{.MemUsage}} {{.PIDs}}' box");
  ASSERT_EQ(stats.status, 0) << stats.err;
  EXPECT_GT(std::stod(stats.out), 20.0) << stats.out;
  EXPECT_NE(stats.out.find(" / 64MiB 1\n"), std::string::npos) << stats.out;
  // A stopped container's files are reachable too.
  ASSERT_EQ(docker("stop -t 0 box").status, 0);
  ASSERT_EQ(docker("cp " + d_.dir() + "/src/a.txt box:/a2.txt").status, 0);
  EXPECT_EQ(docker("cp box:/a2.txt - | tar -xO").out, "hello\n");
  EXPECT_EQ(sh("grep -c " + d_.dir() + " /proc/mounts").out, "0\n");
  ASSERT_EQ(docker("rm -v box").status, 0);
  ASSERT_EQ(docker("volume rm boxvol").status, 0);
}

TEST_F(EngineTest, PythonSdkRunsContainers) {
  std::string py = system_python3();
  if (py.empty() || sh(py + " -c 'import docker'").status != 0) {
    GTEST_SKIP() << "python3-docker is not installed";
  }
  busybox();
  std::ofstream(d_.dir() + "/run.py") << R"(import docker, sys
c = docker.DockerClient(base_url="unix://" + sys.argv[1])
print(c.containers.run("busybox", ["echo", "from sdk"], remove=True).decode(), end="")
ct = c.containers.run("busybox", ["sh", "-c", "echo bg; sleep 100"], detach=True, name="sdkbg")
print(ct.wait(timeout=0.1) if False else c.containers.get("sdkbg").status)
ct.kill()
print(ct.wait()["StatusCode"])
ct.remove()
)";
  auto o = sh(py + " " + d_.dir() + "/run.py " + d_.socket());
  EXPECT_EQ(o.status, 0) << o.err;
  EXPECT_EQ(o.out, "from sdk\nrunning\n137\n");
}

}  // namespace
}  // namespace berth::test
