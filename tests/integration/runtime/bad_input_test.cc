// Bad input gets one clear line naming the field, a non-zero exit, and nothing left behind
// (the fixture compares mounts, cgroups, state dirs and processes before and after).
#include <signal.h>
#include <sys/wait.h>

#include <fstream>

#include "integration/runtime/fixture.h"

namespace berth::test {
namespace {

// The one line berth printed, without "berth: " and the newline.
std::string error_line(const Output& o) {
  EXPECT_NE(o.status, 0);
  EXPECT_EQ(std::count(o.err.begin(), o.err.end(), '\n'), 1) << o.err;
  EXPECT_EQ(o.err.rfind("berth: ", 0), 0u) << o.err;
  return o.err.size() > 8 ? o.err.substr(7, o.err.size() - 8) : o.err;
}

TEST_F(RuntimeTest, MalformedConfigJson) {
  Bundle b({"true"});
  std::ofstream(b.dir() + "/config.json") << "{\"ociVersion\": \"1.0.2\", \"root\": ";
  auto line = error_line(rt({"create", "--bundle", b.dir(), id("bad")}));
  EXPECT_EQ(line.rfind("config.json: invalid JSON", 0), 0u) << line;
}

TEST_F(RuntimeTest, MissingRootfs) {
  Bundle b({"true"});
  b.config()["root"]["path"] = "no-such-rootfs";
  b.save();
  auto line = error_line(rt({"run", "--bundle", b.dir(), id("bad")}));
  EXPECT_EQ(line, "root.path: rootfs \"" + b.dir() + "/no-such-rootfs\" does not exist or is "
                  "not a directory");
}

TEST_F(RuntimeTest, UnknownNamespaceType) {
  Bundle b({"true"});
  b.config()["linux"]["namespaces"].push_back({{"type", "galaxy"}});
  b.save();
  auto line = error_line(rt({"create", "--bundle", b.dir(), id("bad")}));
  EXPECT_EQ(line, "linux.namespaces[6].type: unknown namespace type \"galaxy\"");
}

TEST_F(RuntimeTest, BadUidMappingIsRejectedBeforeAnythingIsCreated) {
  Bundle b({"true"});
  b.config()["linux"]["namespaces"].push_back({{"type", "user"}});
  b.config()["linux"]["uidMappings"] = {
      {{"containerID", 0}, {"hostID", 4294967000u}, {"size", 65536}}};
  b.config()["linux"]["gidMappings"] = {{{"containerID", 0}, {"hostID", 100000}, {"size", 10}}};
  b.save();
  auto line = error_line(rt({"create", "--bundle", b.dir(), id("bad")}));
  EXPECT_EQ(line, "linux.uidMappings[0]: mapping overflows the 32-bit id range");
}

TEST_F(RuntimeTest, OverlappingUidMappingsRejectedByTheKernel) {
  Bundle b({"true"});
  b.config()["linux"]["namespaces"].push_back({{"type", "user"}});
  b.config()["linux"]["uidMappings"] = {{{"containerID", 0}, {"hostID", 100000}, {"size", 100}},
                                       {{"containerID", 50}, {"hostID", 300000}, {"size", 100}}};
  b.config()["linux"]["gidMappings"] = {{{"containerID", 0}, {"hostID", 100000}, {"size", 100}}};
  b.save();
  auto line = error_line(rt({"create", "--bundle", b.dir(), id("bad")}));
  EXPECT_EQ(line.rfind("linux.uidMappings: the kernel rejected the mapping", 0), 0u) << line;
}

TEST_F(RuntimeTest, ExistingContainerIdIsRefusedAndTheFirstIsUntouched) {
  Bundle b({"sleep", marker_});
  const std::string c = id("dup");
  ASSERT_EQ(rt({"create", "--bundle", b.dir(), c}).status, 0);
  auto line = error_line(rt({"create", "--bundle", b.dir(), c}));
  EXPECT_EQ(line, "container with id exists: " + c);
  auto st = rt({"state", c});
  EXPECT_NE(st.out.find("\"status\": \"created\""), std::string::npos) << st.out;
  ASSERT_EQ(rt({"delete", c}).status, 0);
}

TEST_F(RuntimeTest, MissingExecutableFailsCreate) {
  Bundle b({"no-such-program"});
  auto line = error_line(rt({"create", "--bundle", b.dir(), id("bad")}));
  EXPECT_EQ(line, "exec: \"no-such-program\": executable file not found in $PATH");
}

TEST_F(RuntimeTest, BindMountOfMissingSourceNamesTheDestination) {
  Bundle b({"true"});
  b.config()["mounts"].push_back(
      {{"destination", "/data"}, {"type", "bind"}, {"source", "/no/such/dir"},
       {"options", {"rbind"}}});
  b.save();
  auto line = error_line(rt({"run", "--bundle", b.dir(), id("bad")}));
  EXPECT_EQ(line, "mount `/data`: source `/no/such/dir`: No such file or directory");
}

TEST_F(RuntimeTest, ImpossibleCgroupValueFailsCleanly) {
  Bundle b({"true"});
  b.config()["linux"]["resources"]["cpu"] = {{"cpus", "999"}};
  b.save();
  auto line = error_line(rt({"run", "--bundle", b.dir(), id("bad")}));
  EXPECT_EQ(line.rfind("linux.resources: write `999` to", 0), 0u) << line;
}

TEST_F(RuntimeTest, InvalidIdAndUnknownContainer) {
  Bundle b({"true"});
  auto bad_id = error_line(rt({"create", "--bundle", b.dir(), "a/b"}));
  EXPECT_EQ(bad_id, "invalid container id \"a/b\": only [A-Za-z0-9_+.-] allowed");
  auto newline = error_line(rt({"create", "--bundle", b.dir(), "a\nb"}));
  EXPECT_EQ(newline, "invalid container id \"a\\nb\": only [A-Za-z0-9_+.-] allowed");
  EXPECT_EQ(error_line(rt({"kill", "ghost"})), "container does not exist: ghost");
  EXPECT_EQ(error_line(rt({"delete", "ghost"})), "container does not exist: ghost");
}

}  // namespace
}  // namespace berth::test

namespace berth::test {
namespace {

TEST_F(RuntimeTest, SymlinkedDevCannotMakeUsWriteOnTheHost) {
  Bundle b({"true"});
  std::string host_dir = make_temp_dir("berth-hostdir");
  sh("rm -rf " + b.dir() + "/rootfs/dev && ln -s " + host_dir + " " + b.dir() + "/rootfs/dev");
  rt({"run", "--bundle", b.dir(), id("devlink")});
  EXPECT_EQ(sh("ls -A " + host_dir).out, "");  // nothing created through the link
  sh("rm -rf " + host_dir);
}

TEST_F(RuntimeTest, ExecWhosePidFileCannotBeWrittenLeavesNoProcess) {
  Bundle b({"sleep", marker_});
  const std::string c = id("execpid");
  ASSERT_EQ(rt({"run", "--detach", "--bundle", b.dir(), c}).status, 0);
  auto line = error_line(rt({"exec", "--detach", "--pid-file", "/no/such/dir/pid", c, "sleep",
                             marker_ + "1"}));
  EXPECT_NE(line.find("/no/such/dir/pid"), std::string::npos) << line;
  EXPECT_EQ(sh("pgrep -f '[s]leep " + marker_ + "1'").out, "");
  ASSERT_EQ(rt({"delete", "--force", c}).status, 0);
}

TEST_F(RuntimeTest, HookTimeoutKillsWhatTheHookStarted) {
  Bundle b({"true"});
  std::ofstream(b.dir() + "/hook.sh") << "#!/bin/sh\nsleep " << marker_ << "2 &\nsleep 30\n";
  sh("chmod +x " + b.dir() + "/hook.sh");
  b.config()["hooks"] = {{"createRuntime", {{{"path", b.dir() + "/hook.sh"}, {"timeout", 1}}}}};
  b.save();
  auto line = error_line(rt({"run", "--bundle", b.dir(), id("hooktimeout")}));
  EXPECT_EQ(line, "createRuntime hook `" + b.dir() + "/hook.sh` timed out after 1s");
  EXPECT_EQ(sh("pgrep -f '[s]leep " + marker_ + "2'").out, "");
}

TEST_F(RuntimeTest, HookOutputIsPartOfTheOneErrorLine) {
  Bundle b({"true"});
  b.config()["hooks"] = {{"prestart", {{{"path", "/bin/sh"},
                                        {"args", {"sh", "-c", "echo first >&2; echo second; exit 3"}}}}}};
  b.save();
  auto line = error_line(rt({"run", "--bundle", b.dir(), id("hookout")}));
  EXPECT_EQ(line, "prestart hook `/bin/sh` failed: exit status 3: first second");
}

TEST_F(RuntimeTest, FailuresAfterStartAreOneLineErrorsOfRun) {
  Bundle b({"true"});
  b.config()["hooks"] = {{"startContainer", {{{"path", "/no/such/hook"}}}}};
  b.save();
  EXPECT_EQ(error_line(rt({"run", "--bundle", b.dir(), id("late")})),
            "startContainer hook `/no/such/hook` failed: exit status 127");
  Bundle big({"echo", std::string(200000, 'x')});
  EXPECT_EQ(error_line(rt({"run", "--bundle", big.dir(), id("e2big")})),
            "exec `/bin/echo`: Argument list too long");
}

TEST_F(RuntimeTest, ForceDeleteClearsAContainerWithCorruptState) {
  Bundle b({"sleep", marker_});
  const std::string c = id("corrupt");
  ASSERT_EQ(rt({"run", "--detach", "--bundle", b.dir(), c}).status, 0);
  std::ofstream(root_ + "/" + c + "/state.json") << "garbage";
  EXPECT_NE(rt({"delete", c}).status, 0);
  auto del = rt({"delete", "--force", c});
  EXPECT_EQ(del.status, 0) << del.err;
  EXPECT_EQ(sh("pgrep -f '[s]leep " + marker_ + "'").out, "");
}

TEST_F(RuntimeTest, UnopenableLogFileIsAnError) {
  auto line = error_line(rt({"--log", "/no/such/dir/log", "list"}));
  EXPECT_EQ(line.rfind("--log: open `/no/such/dir/log`", 0), 0u) << line;
}

TEST_F(RuntimeTest, ExecEnvAndCapFlagsTakeOneValueEach) {
  Bundle b({"sleep", marker_});
  const std::string c = id("execenv");
  ASSERT_EQ(rt({"run", "--detach", "--bundle", b.dir(), c}).status, 0);
  auto o = rt({"exec", "-e", "FOO=bar", "-e", "BAZ=qux", c, "sh", "-c", "echo $FOO $BAZ"});
  EXPECT_EQ(o.status, 0) << o.err;
  EXPECT_EQ(o.out, "bar qux\n");
  ASSERT_EQ(rt({"delete", "--force", c}).status, 0);
}

}  // namespace
}  // namespace berth::test

namespace berth::test {
namespace {

TEST_F(RuntimeTest, ACgroupHoldingOtherProcessesIsRefusedNotKilled) {
  const std::string victim = "/sys/fs/cgroup/pids/berth-victim" + id("");
  if (sh("test -d /sys/fs/cgroup/pids").status != 0) {
    GTEST_SKIP() << "needs the v1 pids hierarchy";
  }
  ASSERT_EQ(sh("mkdir -p " + victim).status, 0);
  pid_t sleeper = fork();
  if (sleeper == 0) {
    std::ofstream(victim + "/cgroup.procs") << getpid();
    execlp("sleep", "sleep", "30", nullptr);
    _exit(1);
  }
  usleep(100000);
  Bundle b({"no-such-program"});  // create fails after the cgroup step
  b.config()["linux"]["cgroupsPath"] = "/berth-victim" + id("");
  b.save();
  auto line = error_line(rt({"create", "--bundle", b.dir(), id("victim")}));
  EXPECT_NE(line.find("is in use by other processes"), std::string::npos) << line;
  EXPECT_EQ(::kill(sleeper, 0), 0) << "the other process was killed";
  ::kill(sleeper, SIGKILL);
  waitpid(sleeper, nullptr, 0);
  usleep(50000);
  sh("rmdir /sys/fs/cgroup/*/berth-victim" + id("") + " 2>/dev/null");
}

TEST_F(RuntimeTest, BindMountWithAnOptionWeCannotHonourIsRefused) {
  Bundle b({"true"});
  b.config()["mounts"].push_back({{"destination", "/data"}, {"type", "bind"}, {"source", "/tmp"},
                                  {"options", {"rbind", "rro"}}});
  b.save();
  EXPECT_EQ(error_line(rt({"run", "--bundle", b.dir(), id("rro")})),
            "mount `/data`: mount option(s) `rro` not supported on a bind mount");
}

}  // namespace
}  // namespace berth::test

namespace berth::test {
namespace {

TEST_F(RuntimeTest, UnifiedResourcesOnAV1HostAreRefused) {
  auto layout = sh("stat -fc %T /sys/fs/cgroup").out;
  if (layout == "cgroup2fs\n") {
    GTEST_SKIP() << "pure v2 host: unified resources are allowed here";
  }
  Bundle b({"true"});
  b.config()["linux"]["resources"]["unified"] = {{"cgroup.procs", "1"}};
  b.save();
  EXPECT_EQ(error_line(rt({"run", "--bundle", b.dir(), id("unified")})),
            "linux.resources: linux.resources.unified: needs a cgroup v2 host (this one is "
            "v1/hybrid)");
  EXPECT_EQ(sh("grep -c '^0::/$' /proc/1/cgroup").out, "1\n");  // pid 1 stayed where it was
}

}  // namespace
}  // namespace berth::test
