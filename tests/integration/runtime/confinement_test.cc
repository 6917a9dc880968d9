// A default container (`berth runtime spec`: Docker's defaults) is as confined as a default
// docker one.
#include <unistd.h>

#include "integration/runtime/fixture.h"

namespace berth::test {
namespace {

TEST_F(RuntimeTest, DefaultContainerCannotSeeHostProcesses) {
  auto o = run_in_container({"sh", "-c", "ls /proc | grep -c '^[0-9]'; cat /proc/1/cmdline"});
  ASSERT_EQ(o.status, 0) << o.err;
  // sh (pid 1), ls and grep: nothing of the host.
  EXPECT_LE(std::stoi(o.out), 3) << o.out;
}

TEST_F(RuntimeTest, DefaultContainerIsRefusedPrivilegedOperations) {
  struct Case {
    const char* verb;
    const char* want;
  } cases[] = {
      {"mount", "mount: Operation not permitted"},
      {"sysctl-write", "sysctl-write: Read-only file system"},
      {"modload", "modload: Operation not permitted"},
      {"unshare", "unshare: Operation not permitted"},
      {"keyctl", "keyctl: Operation not permitted"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.verb);
    auto o = run_in_container({"probe", c.verb});
    EXPECT_EQ(o.status, 1);
    EXPECT_EQ(o.out, std::string(c.want) + "\n");
  }
}

TEST_F(RuntimeTest, PtraceOfAnOutsideProcessFails) {
  // Share the host pid namespace so an outside process is visible at all.
  Bundle b({"probe", "ptrace", std::to_string(getpid())});
  auto& ns = b.config()["linux"]["namespaces"];
  for (size_t i = 0; i < ns.size(); ++i) {
    if (ns[i]["type"] == "pid") {
      ns.erase(i);
      break;
    }
  }
  b.save();
  auto o = rt({"run", "--bundle", b.dir(), id("ptrace")});
  EXPECT_EQ(o.status, 1) << o.err;
  EXPECT_EQ(o.out, "ptrace: Operation not permitted\n");
}

TEST_F(RuntimeTest, CapabilitiesAreDockersDefaultSet) {
  auto o = run_in_container({"sh", "-c", "grep -E '^Cap(Eff|Bnd|Prm|Inh|Amb)' /proc/self/status"});
  ASSERT_EQ(o.status, 0) << o.err;
  // CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID SETPCAP NET_BIND_SERVICE NET_RAW
  // SYS_CHROOT MKNOD AUDIT_WRITE SETFCAP
  EXPECT_NE(o.out.find("CapEff:\t00000000a80425fb"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("CapBnd:\t00000000a80425fb"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("CapInh:\t0000000000000000"), std::string::npos) << o.out;
}

TEST_F(RuntimeTest, MaskedPathsReadEmptyAndReadonlyPathsAreReadOnly) {
  // Only paths this kernel has prove anything: the host must show content there.
  ASSERT_GT(sh("cat /proc/keys /proc/timer_list | wc -c").out, "0");
  auto o = run_in_container(
      {"sh", "-c",
       "cat /proc/keys /proc/timer_list | wc -c; ls /sys/firmware | wc -l; "
       "echo 1 > /proc/sysrq-trigger 2>/dev/null || echo ro; "
       "touch /rootfs-is-ro 2>/dev/null || echo ro"});
  ASSERT_EQ(o.status, 0) << o.err;
  EXPECT_EQ(o.out, "0\n0\nro\nro\n");
}

TEST_F(RuntimeTest, SeccompAndNoNewPrivsAreOn) {
  auto o = run_in_container({"sh", "-c", "grep -E '^(Seccomp|NoNewPrivs):' /proc/self/status"});
  ASSERT_EQ(o.status, 0) << o.err;
  EXPECT_EQ(o.out, "NoNewPrivs:\t1\nSeccomp:\t2\n");
}

}  // namespace
}  // namespace berth::test
