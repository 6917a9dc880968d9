// `berth`'s container, network, volume and build verbs as clients of the daemon's Engine API:
// one private daemon per test (temp data root and socket), driven by `berth -H unix://...` and
// checked against what the docker CLI sees on the same daemon.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <regex>

#include "common/json.h"
#include "support/berth_daemon.h"
#include "support/bundle.h"
#include "support/process.h"
#include "support/registry.h"

namespace berth::test {
namespace {

// berth0 and CNI's base chains go once the last container is (tests/support/cleanup-bridge.sh).
void remove_bridge_scaffolding() { sh(BERTH_SOURCE_DIR "/tests/support/cleanup-bridge.sh"); }

std::string write_file(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
  return path;
}

class ClientCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root";
    ASSERT_TRUE(d_.start("berth-client", /*busybox=*/false)) << d_.error;
    ASSERT_EQ(docker("version --format '{{.Server.APIVersion}}'").out, "1.43\n")
        << sh("cat " + d_.dir() + "/daemon.log").out;
    ASSERT_TRUE(d_.import_busybox("echo 'nobody:x:65534:65534:nobody:/:/bin/false' >> etc/passwd"))
        << d_.error;
  }
  void TearDown() override {
    if (d_.running()) {
      docker("rm -f $(docker ps -aq) >/dev/null 2>&1");
      docker("network prune -f >/dev/null 2>&1");  // their Linux bridges go with them
      docker("volume prune -a -f >/dev/null 2>&1");
    }
    d_.stop();
  }
  Output docker(const std::string& args) { return d_.docker(args); }
  // `berth -H unix://SOCKET ARGS` (a shell command line: ARGS may hold quotes and pipes).
  std::string berth_cmd(const std::string& args) {
    return berth_binary() + " -H unix://" + d_.socket() + " " + args;
  }
  Output berth(const std::string& args) { return sh(berth_cmd(args)); }

  BerthDaemon d_;
};

TEST_F(ClientCliTest, RunPrintsOutputAndExitsWithTheContainersCode) {
  auto hi = berth("run --rm --network none busybox echo hi");
  EXPECT_EQ(hi.status, 0) << hi.err;
  EXPECT_EQ(hi.out, "hi\n");
  auto streams = berth("run --rm --network none busybox sh -c 'echo out; echo err >&2; exit 3'");
  EXPECT_EQ(streams.status, 3);
  EXPECT_EQ(streams.out, "out\n");
  EXPECT_EQ(streams.err, "err\n");
  // The flags after the image are the command's (docker's interspersed-off parsing).
  EXPECT_EQ(berth("run --rm --network none -e A=1 -w /tmp -u nobody busybox sh -c 'echo $A $(pwd) $(id -u)'").out,
            "1 /tmp 65534\n");
  // stdin with -i, the container's stdin closed at our EOF.
  EXPECT_EQ(sh("printf 'a\\nb\\n' | " + berth_cmd("run -i --rm --network none busybox wc -l")).out, "2\n");
  // A command that cannot start: docker's 127 and the daemon's message.
  auto missing = berth("run --rm --network none busybox no-such-program");
  EXPECT_EQ(missing.status, 127) << missing.err;
  EXPECT_NE(missing.err.find("Error response from daemon: "), std::string::npos) << missing.err;
  EXPECT_NE(missing.err.find("no-such-program"), std::string::npos) << missing.err;
  // berth run does not pull: docker's first line, then what to do; 125.
  auto noimage = berth("run --rm --network none nothere:1 true");
  EXPECT_EQ(noimage.status, 125);
  EXPECT_EQ(noimage.err, "Unable to find image 'nothere:1' locally\n"
                         "berth: pull it first with: berth pull nothere:1\n");
  auto badport = berth("run --rm -p 80:nope busybox true");
  EXPECT_EQ(badport.status, 125);
  EXPECT_NE(badport.err.find("invalid containerPort: nope"), std::string::npos) << badport.err;
  EXPECT_EQ(docker("ps -aq").out, "");  // --rm removed them all, the failed start's too
  // -d prints the full id; create/start/wait/logs.
  auto created = berth("create --name once --network none -l team=a busybox sh -c 'echo done; exit 2'");
  ASSERT_EQ(created.status, 0) << created.err;
  EXPECT_TRUE(std::regex_match(created.out, std::regex("[0-9a-f]{64}\n"))) << created.out;
  EXPECT_EQ(docker("inspect -f '{{.Id}} {{.State.Status}} {{.Config.Labels.team}}' once").out,
            created.out.substr(0, 64) + " created a\n");
  EXPECT_EQ(berth("start once").out, "once\n");
  EXPECT_EQ(berth("wait once").out, "2\n");
  EXPECT_EQ(berth("logs once").out, "done\n");
  EXPECT_EQ(berth("rm once").out, "once\n");
}

TEST_F(ClientCliTest, DetachedWebServerPsLogsExecStopRm) {
  struct Scaffolding {
    ~Scaffolding() { remove_bridge_scaffolding(); }
  } scaffolding;
  int port = free_port();
  auto run = berth("run -d --name web -p " + std::to_string(port) +
                   ":80 busybox sh -c 'echo starting; mkdir -p /www && echo hello from berth > "
                   "/www/index.html && exec httpd -f -p 80 -h /www'");
  ASSERT_EQ(run.status, 0) << run.err;
  ASSERT_TRUE(std::regex_match(run.out, std::regex("[0-9a-f]{64}\n"))) << run.out;
  std::string id = run.out.substr(0, 64);
  EXPECT_EQ(docker("inspect -f '{{.Id}}' web").out, id + "\n");
  std::string body;
  for (int i = 0; i < 50 && body.empty(); ++i) {
    body = sh("curl -s -m 2 http://127.0.0.1:" + std::to_string(port) + "/").out;
    if (body.empty()) usleep(50000);
  }
  EXPECT_EQ(body, "hello from berth\n");

  // ps: the table docker prints (taken back to back; retried across a second's change).
  std::string ours, theirs;
  for (int i = 0; i < 3; ++i) {
    ours = berth("ps").out;
    theirs = docker("ps").out;
    if (ours == theirs) break;
  }
  EXPECT_EQ(ours, theirs);
  EXPECT_NE(ours.find("0.0.0.0:" + std::to_string(port) + "->80/tcp"), std::string::npos) << ours;
  EXPECT_EQ(berth("ps -q").out, docker("ps -q").out);
  EXPECT_EQ(berth("ps -a --no-trunc --format '{{.ID}} {{.Names}} {{.Image}} {{.State}} {{.Ports}}'").out,
            docker("ps -a --no-trunc --format '{{.ID}} {{.Names}} {{.Image}} {{.State}} {{.Ports}}'").out);
  auto js = parse_json(berth("ps --format json").out, "ps");
  ASSERT_TRUE(js) << js.error().message;
  EXPECT_EQ((*js)["Names"], "web");
  EXPECT_EQ((*js)["ID"], id.substr(0, 12));

  EXPECT_EQ(berth("logs web").out, "starting\n");
  EXPECT_EQ(berth("logs web").out, docker("logs web").out);
  // exec: the container's hostname is its short id; exit codes and streams pass through.
  EXPECT_EQ(berth("exec web cat /etc/hostname").out, id.substr(0, 12) + "\n");
  auto e = berth("exec web sh -c 'echo out; echo err >&2; exit 4'");
  EXPECT_EQ(e.status, 4);
  EXPECT_EQ(e.out, "out\n");
  EXPECT_EQ(e.err, "err\n");
  EXPECT_EQ(berth("exec -u nobody -w /etc -e X=5 web sh -c 'echo $(id -u) $(pwd) $X'").out,
            "65534 /etc 5\n");
  EXPECT_EQ(berth("port web").out, docker("port web").out);
  EXPECT_EQ(berth("port web").out, "80/tcp -> 0.0.0.0:" + std::to_string(port) + "\n");
  EXPECT_EQ(berth("port web 80/tcp").out, "0.0.0.0:" + std::to_string(port) + "\n");
  EXPECT_NE(berth("top web").out.find("httpd -f -p 80"), std::string::npos);
  auto stats = berth("stats --no-stream web");
  ASSERT_EQ(stats.status, 0) << stats.err;
  auto lines = str_lines(stats.out);
  ASSERT_EQ(lines.size(), 2u) << stats.out;
  EXPECT_TRUE(std::regex_match(lines[0], std::regex("CONTAINER ID +NAME +CPU % +MEM USAGE / LIMIT +MEM % +NET I/O +BLOCK I/O +PIDS")))
      << lines[0];
  EXPECT_TRUE(std::regex_match(lines[1], std::regex(id.substr(0, 12) +
                                                    " +web +[0-9.]+% +[0-9.]+[KMG]?i?B / [0-9.]+[KMG]iB +[0-9.]+% +"
                                                    "[0-9.]+[kMG]?B / [0-9.]+[kMG]?B +[0-9.]+[kMG]?B / [0-9.]+[kMG]?B +1")))
      << lines[1];
  auto insp = parse_json(berth("container inspect web").out, "inspect");
  ASSERT_TRUE(insp && insp->is_array() && insp->size() == 1u);
  EXPECT_EQ((*insp)[0]["Id"], id);
  EXPECT_EQ(berth("container inspect -f '{{.State.Status}} {{.Config.Cmd}}' web").out,
            docker("inspect -f '{{.State.Status}} {{.Config.Cmd}}' web").out);

  auto busy = berth("rm web");
  EXPECT_EQ(busy.status, 1);
  EXPECT_NE(busy.err.find("Error response from daemon: "), std::string::npos) << busy.err;
  EXPECT_NE(busy.err.find("container is running"), std::string::npos) << busy.err;
  EXPECT_EQ(berth("stop -t 1 web").out, "web\n");
  EXPECT_EQ(docker("inspect -f '{{.State.Status}}' web").out, "exited\n");
  EXPECT_EQ(berth("rm web").out, "web\n");
  EXPECT_EQ(docker("ps -aq").out, "");
  EXPECT_EQ(sh("curl -s -m 1 http://127.0.0.1:" + std::to_string(port) + "/").out, "");
}

TEST_F(ClientCliTest, ErrorsAreDockersLines) {
  auto stop = berth("stop nope1 nope2");
  EXPECT_EQ(stop.status, 1);
  EXPECT_EQ(stop.err, "Error response from daemon: No such container: nope1\n"
                      "Error response from daemon: No such container: nope2\n");
  EXPECT_EQ(stop.err, docker("stop nope1 nope2").err);
  for (const char* verb : {"kill", "rm", "restart", "container inspect"}) {
    auto ours = berth(std::string(verb) + " nope");
    auto theirs = docker(std::string(verb) + " nope");
    EXPECT_EQ(ours.status, theirs.status) << verb;
    EXPECT_EQ(ours.out, theirs.out) << verb;
    EXPECT_EQ(ours.err, theirs.err) << verb;
  }
  auto logs = berth("logs nope");
  EXPECT_EQ(logs.status, 1);
  EXPECT_EQ(logs.err, "Error response from daemon: No such container: nope\n");
  auto exec = berth("exec nope true");
  EXPECT_EQ(exec.status, 1);
  EXPECT_EQ(exec.err, "Error response from daemon: No such container: nope\n");
}

TEST_F(ClientCliTest, UnreachableDaemonIsOneLine) {
  std::string gone = d_.dir() + "/nothing.sock";
  auto o = sh(berth_binary() + " -H unix://" + gone + " ps");
  EXPECT_EQ(o.status, 1);
  EXPECT_EQ(o.out, "");
  EXPECT_EQ(o.err, "berth: cannot reach the berth daemon at unix://" + gone +
                       ": connect: No such file or directory (start it with: berth daemon)\n");
  // The address from BERTH_HOST, else a unix:// DOCKER_HOST.
  auto env = sh("BERTH_HOST=unix://" + gone + " " + berth_binary() + " run --rm busybox true");
  EXPECT_EQ(env.status, 1);
  EXPECT_NE(env.err.find("cannot reach the berth daemon at unix://" + gone), std::string::npos)
      << env.err;
  EXPECT_EQ(sh("BERTH_HOST= DOCKER_HOST=unix://" + d_.socket() + " " + berth_binary() + " ps -q").status, 0);
  auto build = sh("mkdir -p " + d_.dir() + "/empty && echo 'FROM busybox' > " + d_.dir() +
                  "/empty/Dockerfile && " + berth_binary() + " -H unix://" + gone + " build " + d_.dir() +
                  "/empty");
  EXPECT_EQ(build.status, 1);
  EXPECT_EQ(str_lines(build.err).size(), 1u) << build.err;
  EXPECT_NE(build.err.find("cannot reach the berth daemon"), std::string::npos) << build.err;
}

TEST_F(ClientCliTest, BuildSendsTheFilteredContextAndUsesTheCache) {
  std::string ctx = d_.dir() + "/ctx";
  ASSERT_EQ(sh("mkdir -p " + ctx + "/sub " + ctx + "/cache").status, 0);
  write_file(ctx + "/Dockerfile",
             "FROM busybox\nCOPY . /ctx\nRUN echo building && ls /ctx > /list.txt\nCMD [\"cat\", \"/list.txt\"]\n");
  write_file(ctx + "/.dockerignore", "secret.txt\ncache\n");
  write_file(ctx + "/a.txt", "a\n");
  write_file(ctx + "/secret.txt", "do not send\n");
  write_file(ctx + "/sub/b.txt", "b\n");
  write_file(ctx + "/cache/big", "ignored\n");
  auto first = sh("cd " + ctx + " && " + berth_cmd("build --network none -t app ."));
  ASSERT_EQ(first.status, 0) << first.err << first.out;
  // The daemon reads the directory in place: nothing is uploaded.
  EXPECT_EQ(first.out.find("Sending build context"), std::string::npos) << first.out;
  EXPECT_NE(first.out.find("Step 1/4 : FROM busybox\n"), std::string::npos) << first.out;
  EXPECT_NE(first.out.find("\nbuilding\n"), std::string::npos) << first.out;
  EXPECT_NE(first.out.find("Successfully tagged app:latest\n"), std::string::npos) << first.out;
  EXPECT_EQ(first.out.find("Using cache"), std::string::npos) << first.out;
  // The copied files, without what .dockerignore excludes.
  EXPECT_EQ(berth("run --rm --network none app ls /ctx").out, "Dockerfile\na.txt\nsub\n");
  EXPECT_EQ(berth("run --rm --network none app").out, "Dockerfile\na.txt\nsub\n");
  // Nothing changed: every step from the cache.
  auto second = sh("cd " + ctx + " && " + berth_cmd("build --network none -t app ."));
  ASSERT_EQ(second.status, 0) << second.err;
  EXPECT_NE(second.out.find(" ---> Using cache\n"), std::string::npos) << second.out;
  EXPECT_EQ(second.out.find("\nbuilding\n"), std::string::npos) << second.out;
  // BERTH_BUILD_UPLOAD=1 sends the filtered context as a tar, as docker does: same cache.
  auto uploaded = sh("cd " + ctx + " && BERTH_BUILD_UPLOAD=1 " + berth_cmd("build --network none -t app ."));
  ASSERT_EQ(uploaded.status, 0) << uploaded.err;
  EXPECT_EQ(uploaded.out.rfind("Sending build context to berth daemon  ", 0), 0u) << uploaded.out;
  EXPECT_NE(uploaded.out.find(" ---> Using cache\n"), std::string::npos) << uploaded.out;
  // -q: the image ID alone, the one --iidfile gets and docker sees.
  auto quiet = berth("build -q --network none --iidfile " + d_.dir() + "/iid -t app " + ctx);
  ASSERT_EQ(quiet.status, 0) << quiet.err;
  EXPECT_TRUE(std::regex_match(quiet.out, std::regex("sha256:[0-9a-f]{64}\n"))) << quiet.out;
  EXPECT_EQ(docker("image inspect -f '{{.Id}}' app").out, quiet.out);
  std::ifstream iid(d_.dir() + "/iid");
  std::string iid_text((std::istreambuf_iterator<char>(iid)), std::istreambuf_iterator<char>());
  EXPECT_EQ(iid_text + "\n", quiet.out);
  // A Dockerfile from outside the context (sent under a random name), with --build-arg and
  // --label; a Dockerfile on stdin.
  write_file(d_.dir() + "/other.Dockerfile", "FROM busybox\nARG WHO=nobody\nRUN echo hello $WHO > /who\n");
  auto outside = berth("build -q --network none -f " + d_.dir() + "/other.Dockerfile --build-arg WHO=berth "
                       "--label team=x -t other " + ctx);
  ASSERT_EQ(outside.status, 0) << outside.err;
  EXPECT_EQ(berth("run --rm --network none other cat /who").out, "hello berth\n");
  EXPECT_EQ(docker("image inspect -f '{{.Config.Labels.team}}' other").out, "x\n");
  auto piped = sh("printf 'FROM busybox\\nCMD [\"echo\", \"piped\"]\\n' | " +
                  berth_cmd("build -q -t piped -"));
  ASSERT_EQ(piped.status, 0) << piped.err;
  EXPECT_EQ(berth("run --rm --network none piped").out, "piped\n");
  // <Dockerfile>.dockerignore beside a custom Dockerfile replaces the context's.
  write_file(ctx + "/app.Dockerfile", "FROM busybox\nCOPY . /ctx\n");
  write_file(ctx + "/app.Dockerfile.dockerignore", "a.txt\n*.Dockerfile*\n");
  ASSERT_EQ(berth("build -q -f " + ctx + "/app.Dockerfile -t custom " + ctx).status, 0);
  EXPECT_EQ(berth("run --rm --network none custom ls /ctx").out,
            "Dockerfile\napp.Dockerfile\ncache\nsecret.txt\nsub\n");
}

TEST_F(ClientCliTest, BuildErrorsExitOne) {
  std::string ctx = d_.dir() + "/bad";
  ASSERT_EQ(sh("mkdir -p " + ctx).status, 0);
  write_file(ctx + "/Dockerfile", "FROM busybox\nBOGUS nothing\n");
  auto bad = berth("build " + ctx);
  EXPECT_EQ(bad.status, 1);
  EXPECT_NE(bad.err.find("Dockerfile:2:1: unknown instruction"), std::string::npos) << bad.err;
  auto missing = berth("build " + d_.dir() + "/nothere");
  EXPECT_EQ(missing.status, 1);
  EXPECT_NE(missing.err.find("unable to prepare context"), std::string::npos) << missing.err;
  write_file(ctx + "/Dockerfile", "FROM busybox\nRUN exit 7\n");
  auto failing = berth("build --network none " + ctx);
  EXPECT_EQ(failing.status, 1);
  EXPECT_NE(failing.err.find("7"), std::string::npos) << failing.err;
}

TEST_F(ClientCliTest, NetworksAndVolumes) {
  struct Scaffolding {
    ~Scaffolding() { remove_bridge_scaffolding(); }
  } scaffolding;
  auto created = berth("network create --subnet 10.217.0.0/24 clinet");
  ASSERT_EQ(created.status, 0) << created.err;
  EXPECT_TRUE(std::regex_match(created.out, std::regex("[0-9a-f]{64}\n"))) << created.out;
  EXPECT_EQ(berth("network ls").out, docker("network ls").out);
  EXPECT_EQ(berth("network ls -q").out, docker("network ls -q").out);
  EXPECT_EQ(berth("network inspect -f '{{.Name}} {{.Driver}}' clinet").out, "clinet bridge\n");
  EXPECT_EQ(docker("network inspect -f '{{(index .IPAM.Config 0).Subnet}}' clinet").out,
            "10.217.0.0/24\n");
  EXPECT_EQ(berth("network rm clinet").out, "clinet\n");
  auto gone = berth("network rm clinet");
  EXPECT_EQ(gone.status, 1);
  EXPECT_EQ(gone.err, "Error response from daemon: network clinet not found\n");
  EXPECT_EQ(str_lines(docker("network rm clinet").err)[0] + "\n", gone.err);  // docker adds "exit status 1"

  EXPECT_EQ(berth("volume create --label a=b data").out, "data\n");
  EXPECT_EQ(berth("volume ls").out, docker("volume ls").out);
  EXPECT_EQ(berth("volume ls -q").out, "data\n");
  EXPECT_EQ(berth("volume inspect -f '{{.Name}} {{.Driver}} {{.Labels}}' data").out,
            docker("volume inspect -f '{{.Name}} {{.Driver}} {{.Labels}}' data").out);
  // A volume's data outlives its container; in use it cannot go.
  ASSERT_EQ(berth("run --rm --network none -v data:/data busybox sh -c 'echo kept > /data/f'").status, 0);
  EXPECT_EQ(berth("run --rm --network none -v data:/data busybox cat /data/f").out, "kept\n");
  ASSERT_EQ(berth("run -d --name holder --network none -v data:/data busybox sleep 100").status, 0);
  auto busy = berth("volume rm data");
  EXPECT_EQ(busy.status, 1);
  EXPECT_NE(busy.err.find("volume is in use"), std::string::npos) << busy.err;
  EXPECT_EQ(berth("rm -f holder").out, "holder\n");
  EXPECT_EQ(berth("volume rm data").out, "data\n");
  EXPECT_EQ(docker("volume ls -q").out, "");
}

}  // namespace
}  // namespace berth::test
