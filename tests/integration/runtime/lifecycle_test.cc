// The runc lifecycle through the real CLI: run, create/start/state/kill/delete, exec, hooks,
// terminals, user namespaces.
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <thread>

#include "common/json.h"
#include "integration/runtime/fixture.h"

namespace berth::test {
namespace {

using namespace std::chrono_literals;

// Polls `pred` until it holds or ~5 s pass.
template <class F>
bool eventually(F pred) {
  for (int i = 0; i < 500; ++i) {
    if (pred()) {
      return true;
    }
    std::this_thread::sleep_for(10ms);
  }
  return false;
}

Json state_of(const RuntimeTest& t, const std::string& root, const std::string& id) {
  (void)t;
  auto o = berth_runtime(root, {"state", id});
  return Json::parse(o.out, nullptr, false);
}

TEST_F(RuntimeTest, RunPrintsOutputAndReturnsTheExitStatus) {
  auto o = run_in_container({"sh", "-c", "echo hello; echo oops >&2; exit 3"});
  EXPECT_EQ(o.status, 3);
  EXPECT_EQ(o.out, "hello\n");
  EXPECT_EQ(o.err, "oops\n");
}

TEST_F(RuntimeTest, CreateStartStateKillDelete) {
  Bundle b({"sleep", marker_});
  const std::string c = id("life");
  const std::string pid_file = b.dir() + "/pid";
  auto created = rt({"create", "--bundle", b.dir(), "--pid-file", pid_file, c});
  ASSERT_EQ(created.status, 0) << created.err;
  Json st = state_of(*this, root_, c);
  EXPECT_EQ(st["status"], "created");
  EXPECT_EQ(st["id"], c);
  EXPECT_EQ(st["bundle"], b.dir());
  EXPECT_EQ(st["rootfs"], b.dir() + "/rootfs");
  int pid = st["pid"];
  ASSERT_GT(pid, 0);
  EXPECT_EQ(sh("cat " + pid_file).out, std::to_string(pid));
  // Before start the program has not been exec'd: the init still runs berth.
  EXPECT_EQ(sh("readlink /proc/" + std::to_string(pid) + "/exe").out.find("busybox"),
            std::string::npos);

  ASSERT_EQ(rt({"start", c}).status, 0);
  EXPECT_EQ(state_of(*this, root_, c)["status"], "running");
  EXPECT_TRUE(eventually([&] {
    return sh("readlink /proc/" + std::to_string(pid) + "/exe").out.find("busybox") !=
           std::string::npos;
  }));
  auto again = rt({"start", c});
  EXPECT_NE(again.status, 0);
  EXPECT_NE(again.err.find("not created"), std::string::npos) << again.err;

  auto listed = rt({"list", "--format", "json"});
  Json arr = Json::parse(listed.out);
  ASSERT_EQ(arr.size(), 1u);
  EXPECT_EQ(arr[0]["id"], c);
  auto ps = rt({"ps", "--format", "json", c});
  EXPECT_EQ(Json::parse(ps.out), Json::array({pid}));

  ASSERT_EQ(rt({"kill", c, "KILL"}).status, 0);
  EXPECT_TRUE(eventually([&] { return state_of(*this, root_, c)["status"] == "stopped"; }));
  auto del = rt({"delete", c});
  ASSERT_EQ(del.status, 0) << del.err;
  auto gone = rt({"state", c});
  EXPECT_NE(gone.status, 0);
  EXPECT_EQ(gone.err, "berth: container does not exist: " + c + "\n");
}

TEST_F(RuntimeTest, DeleteForceRemovesARunningContainer) {
  Bundle b({"sleep", marker_});
  const std::string c = id("force");
  ASSERT_EQ(rt({"run", "--detach", "--bundle", b.dir(), c}).status, 0);
  Json st = state_of(*this, root_, c);
  ASSERT_EQ(st["status"], "running");
  int pid = st["pid"];
  auto refused = rt({"delete", c});
  EXPECT_NE(refused.status, 0);
  EXPECT_NE(refused.err.find("that is not stopped: running"), std::string::npos) << refused.err;
  auto del = rt({"delete", "--force", c});
  ASSERT_EQ(del.status, 0) << del.err;
  EXPECT_TRUE(eventually([&] { return ::kill(pid, 0) != 0 || sh("grep -q Z /proc/" +
      std::to_string(pid) + "/stat").status == 0; }));
  EXPECT_FALSE(sh("ls -d /sys/fs/cgroup/*/berth/" + c + " 2>/dev/null").out.size() > 0);
}

TEST_F(RuntimeTest, ExecRunsInTheContainersNamespacesAndCgroup) {
  Bundle b({"sleep", marker_});
  const std::string c = id("exec");
  ASSERT_EQ(rt({"run", "--detach", "--bundle", b.dir(), c}).status, 0);
  auto o = rt({"exec", c, "sh", "-c", "hostname; cat /proc/1/cmdline | tr '\\0' ' '; echo"});
  EXPECT_EQ(o.status, 0) << o.err;
  EXPECT_EQ(o.out, "berth\nsleep " + marker_ + " \n");
  auto cg = rt({"exec", c, "cat", "/proc/self/cgroup"});
  EXPECT_NE(cg.out.find("memory:/"), std::string::npos) << cg.out;
  EXPECT_EQ(rt({"exec", c, "sh", "-c", "exit 7"}).status, 7);
  auto user = rt({"exec", "--user", "65534:65534", c, "id", "-u"});
  EXPECT_EQ(user.out, "65534\n");

  Json proc = {{"args", {"sh", "-c", "echo $FOO; pwd"}}, {"cwd", "/tmp"},
               {"env", {"FOO=from-process-json", "PATH=/bin"}}};
  std::ofstream(b.dir() + "/process.json") << proc.dump();
  auto pj = rt({"exec", "--process", b.dir() + "/process.json", c});
  EXPECT_EQ(pj.out, "from-process-json\n/tmp\n");

  auto missing = rt({"exec", c, "no-such-program"});
  EXPECT_NE(missing.status, 0);
  EXPECT_NE(missing.err.find("executable file not found in $PATH"), std::string::npos);
  ASSERT_EQ(rt({"delete", "--force", c}).status, 0);
}

TEST_F(RuntimeTest, HooksRunAtTheirLifecyclePoints) {
  Bundle b({"true"});
  const std::string log = b.dir() + "/hooks.log";
  auto hook = [&](const std::string& name) {
    return Json{{"path", "/bin/sh"},
                {"args", {"sh", "-c", "cat > /dev/null; echo " + name + " >> " + log}}};
  };
  b.config()["hooks"] = {{"prestart", {hook("prestart")}},
                         {"createRuntime", {hook("createRuntime")}},
                         {"poststart", {hook("poststart")}},
                         {"poststop", {hook("poststop")}}};
  // A hook that reads the state from stdin.
  b.config()["hooks"]["prestart"].push_back(
      {{"path", "/bin/sh"}, {"args", {"sh", "-c", "grep -o '\"status\":\"creating\"' >> " + log}}});
  b.save();
  auto o = rt({"run", "--bundle", b.dir(), id("hooks")});
  ASSERT_EQ(o.status, 0) << o.err;
  EXPECT_EQ(sh("cat " + log).out,
            "prestart\n\"status\":\"creating\"\ncreateRuntime\npoststart\npoststop\n");
}

TEST_F(RuntimeTest, FailingPrestartHookFailsCreateAndLeavesNothing) {
  Bundle b({"true"});
  b.config()["hooks"] = {{"prestart", {{{"path", "/bin/false"}}}}};
  b.save();
  auto o = rt({"create", "--bundle", b.dir(), id("badhook")});
  EXPECT_NE(o.status, 0);
  EXPECT_EQ(o.err, "berth: prestart hook `/bin/false` failed: exit status 1\n");
}

TEST_F(RuntimeTest, TerminalMasterIsSentToTheConsoleSocket) {
  Bundle b({"sh", "-c", "tty; echo tty-ok"});
  b.config()["process"]["terminal"] = true;
  b.save();
  const std::string sock_path = b.dir() + "/console.sock";
  int srv = socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strcpy(addr.sun_path, sock_path.c_str());
  ASSERT_EQ(bind(srv, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(listen(srv, 1), 0);
  const std::string c = id("tty");
  std::thread creator([&] {
    auto o = rt({"create", "--bundle", b.dir(), "--console-socket", sock_path, c});
    EXPECT_EQ(o.status, 0) << o.err;
  });
  int conn = accept(srv, nullptr, nullptr);
  ASSERT_GE(conn, 0);
  char body[64];
  iovec iov{body, sizeof body};
  alignas(cmsghdr) char ctrl[CMSG_SPACE(sizeof(int))];
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = ctrl;
  msg.msg_controllen = sizeof ctrl;
  ASSERT_GT(recvmsg(conn, &msg, 0), 0);
  cmsghdr* cm = CMSG_FIRSTHDR(&msg);
  ASSERT_NE(cm, nullptr);
  int master;
  std::memcpy(&master, CMSG_DATA(cm), sizeof master);
  creator.join();
  ASSERT_EQ(rt({"start", c}).status, 0);
  std::string out;
  char buf[256];
  for (ssize_t n; (n = read(master, buf, sizeof buf)) > 0;) {
    out.append(buf, static_cast<size_t>(n));
  }
  EXPECT_NE(out.find("/dev/pts/0"), std::string::npos) << out;
  EXPECT_NE(out.find("tty-ok"), std::string::npos) << out;
  close(master);
  close(conn);
  close(srv);
  rt({"delete", "--force", c});
}

TEST_F(RuntimeTest, UserNamespaceMapsRootToAnUnprivilegedHostId) {
  Bundle b({"sh", "-c", "cat /proc/self/uid_map; id -u"});
  // As podman does: the rootfs belongs to the user that container root maps to.
  sh("chmod 755 " + b.dir() + " && chown -R 200000:200000 " + b.dir() + "/rootfs");
  b.config()["linux"]["namespaces"].push_back({{"type", "user"}});
  b.config()["linux"]["uidMappings"] = {{{"containerID", 0}, {"hostID", 200000}, {"size", 65536}}};
  b.config()["linux"]["gidMappings"] = {{{"containerID", 0}, {"hostID", 200000}, {"size", 65536}}};
  b.save();
  auto o = rt({"run", "--bundle", b.dir(), id("userns")});
  ASSERT_EQ(o.status, 0) << o.err;
  EXPECT_NE(o.out.find("200000"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("\n0\n"), std::string::npos) << o.out;
}

TEST_F(RuntimeTest, SysctlHostnameAndEnvAreApplied) {
  Bundle b({"sh", "-c", "cat /proc/sys/net/ipv4/ip_forward; hostname; echo $GREETING"});
  b.config()["linux"]["sysctl"] = {{"net.ipv4.ip_forward", "1"}};
  b.config()["hostname"] = "web-1";
  b.config()["process"]["env"].push_back("GREETING=hi");
  b.save();
  auto o = rt({"run", "--bundle", b.dir(), id("sysctl")});
  ASSERT_EQ(o.status, 0) << o.err;
  EXPECT_EQ(o.out, "1\nweb-1\nhi\n");
}

TEST_F(RuntimeTest, RlimitAboveTheHostHardLimitIsClampedWithAWarning) {
  Bundle b({"sh", "-c", "ulimit -Hn"});
  b.config()["process"]["rlimits"] = {
      {{"type", "RLIMIT_NOFILE"}, {"hard", 1048576}, {"soft", 1048576}}};
  b.save();
  auto o = rt({"run", "--bundle", b.dir(), id("rlimit")});
  ASSERT_EQ(o.status, 0) << o.err;
  std::string host_hard = sh("ulimit -Hn").out;
  if (host_hard == "1048576\n" || host_hard == "unlimited\n") {
    EXPECT_EQ(o.out, "1048576\n");
  } else {
    EXPECT_EQ(o.out, host_hard);
    EXPECT_NE(o.err.find("RLIMIT_NOFILE: hard limit 1048576 is above what this host allows"),
              std::string::npos) << o.err;
  }
}

}  // namespace
}  // namespace berth::test

namespace berth::test {
namespace {

TEST_F(RuntimeTest, NewTimeAndCgroupNamespaces) {
  Bundle b({"sh", "-c", "readlink /proc/self/ns/time; grep -c ':/$' /proc/self/cgroup"});
  b.config()["linux"]["namespaces"].push_back({{"type", "time"}});
  b.save();
  auto o = rt({"run", "--bundle", b.dir(), id("timens")});
  ASSERT_EQ(o.status, 0) << o.err;
  auto lines = str_lines(o.out);
  ASSERT_EQ(lines.size(), 2u) << o.out;
  EXPECT_NE(lines[0], sh("readlink /proc/self/ns/time").out.substr(0, lines[0].size()));
  // In its own cgroup namespace the container sees each of its cgroups as "/".
  EXPECT_GT(std::stoi(lines[1]), 0) << o.out;
}

}  // namespace
}  // namespace berth::test

namespace berth::test {
namespace {

TEST_F(RuntimeTest, PauseFreezesAndResumeThaws) {
  // The container counts in a file; frozen, the count stands still.
  Bundle b({"sh", "-c", "i=0; while true; do i=$((i+1)); echo $i >> /tmp/count; done"});
  b.config()["root"]["readonly"] = false;
  b.save();
  const std::string c = id("pause");
  ASSERT_EQ(rt({"run", "--detach", "--bundle", b.dir(), c}).status, 0);
  ASSERT_EQ(rt({"pause", c}).status, 0);
  EXPECT_NE(rt({"state", c}).out.find("\"status\": \"paused\""), std::string::npos);
  const std::string count = b.dir() + "/rootfs/tmp/count";
  std::string before = sh("wc -c < " + count).out;
  usleep(100000);
  EXPECT_EQ(sh("wc -c < " + count).out, before);
  auto again = rt({"pause", c});
  EXPECT_NE(again.status, 0);
  EXPECT_NE(again.err.find("it is paused"), std::string::npos) << again.err;
  ASSERT_EQ(rt({"resume", c}).status, 0);
  EXPECT_NE(rt({"state", c}).out.find("\"status\": \"running\""), std::string::npos);
  usleep(100000);
  EXPECT_NE(sh("wc -c < " + count).out, before);
  ASSERT_EQ(rt({"pause", c}).status, 0);
  ASSERT_EQ(rt({"delete", "--force", c}).status, 0);  // a paused container can be removed
}

}  // namespace
}  // namespace berth::test

namespace berth::test {
namespace {

TEST_F(RuntimeTest, NoPivotMovesTheRootSoExecSeesOnlyTheContainer) {
  Bundle b({"sleep", marker_});
  const std::string c = id("nopivot");
  ASSERT_EQ(rt({"run", "--detach", "--no-pivot", "--bundle", b.dir(), c}).status, 0);
  // The rootfs has no /work, /usr or /var: a host view would show them.
  auto o = rt({"exec", c, "ls", "/"});
  EXPECT_EQ(o.status, 0) << o.err;
  EXPECT_EQ(o.out.find("usr"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("bin"), std::string::npos) << o.out;
  ASSERT_EQ(rt({"delete", "--force", c}).status, 0);
}

TEST_F(RuntimeTest, DeleteRemovesCgroupsTheContainerMadeBelowItsOwn) {
  Bundle b({"sleep", marker_});
  const std::string c = id("nested");
  ASSERT_EQ(rt({"run", "--detach", "--bundle", b.dir(), c}).status, 0);
  // As a container manager inside would: a child cgroup holding a process.
  ASSERT_EQ(sh("mkdir /sys/fs/cgroup/pids/berth/" + c + "/sub").status, 0);
  int pid = Json::parse(rt({"state", c}).out)["pid"].get<int>();
  sh("echo " + std::to_string(pid) + " > /sys/fs/cgroup/pids/berth/" + c + "/sub/cgroup.procs");
  auto del = rt({"delete", "--force", c});
  EXPECT_EQ(del.status, 0) << del.err;
  EXPECT_NE(sh("test -d /sys/fs/cgroup/pids/berth/" + c).status, 0);
}

}  // namespace
}  // namespace berth::test

namespace berth::test {
namespace {

TEST_F(RuntimeTest, ForegroundTerminalIsProxiedWithOurWindowSize) {
  Bundle b({"sh", "-c", "tty; stty size"});
  b.config()["process"]["terminal"] = true;
  b.save();
  // script(1) gives us a terminal; we set its size and run the container in it.
  auto o = run({"script", "-qec",
                "stty rows 41 cols 101; " + berth_binary() + " runtime --root " + root_ +
                    " run --bundle " + b.dir() + " " + id("fgtty"),
                "/dev/null"},
               "", /*hold_stdin=*/true);
  EXPECT_EQ(o.status, 0) << o.out << o.err;
  EXPECT_NE(o.out.find("/dev/pts/0"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("41 101"), std::string::npos) << o.out;
}

}  // namespace
}  // namespace berth::test
