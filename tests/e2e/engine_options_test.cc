// `docker run`'s container options that become the OCI spec (moby daemon/oci_linux.go):
// capabilities, --privileged, --security-opt, --ulimit, --shm-size, --init, --device,
// --sysctl, --group-add, --oom-score-adj, --cpuset-cpus, checked from inside the container.
// Every container runs with --network none: no bridge, so these are fast and independent.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "common/json.h"
#include "support/berth_daemon.h"
#include "support/bundle.h"
#include "support/process.h"
#include "support/registry.h"

namespace berth::test {
namespace {

class EngineOptionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root";
    ASSERT_TRUE(d_.start("berth-options", /*busybox=*/false)) << d_.error;
    ASSERT_EQ(docker("version --format '{{.Server.APIVersion}}'").out, "1.43\n")
        << sh("cat " + d_.dir() + "/daemon.log").out;
    // busybox with root, nobody and a `staff` group (for --group-add by name).
    ASSERT_TRUE(d_.import_busybox("echo 'nobody:x:65534:65534::/:/bin/false' >> etc/passwd && "
                                  "printf 'root:x:0:\\nstaff:x:50:\\n' > etc/group"))
        << d_.error;
  }
  void TearDown() override { d_.stop(); }
  Output docker(const std::string& args) { return d_.docker(args); }
  // `docker run --rm` of `script` (no single quotes in it) with `options`.
  Output run(const std::string& options, const std::string& script) {
    return docker("run --rm --pull never --network none " + options + " busybox sh -c '" +
                  script + "'");
  }
  // The value of a /proc/self/status field inside a container run with `options`.
  std::string status_field(const std::string& options, const std::string& field) {
    auto o = run(options, "grep ^" + field + ": /proc/self/status | cut -f2");
    EXPECT_EQ(o.status, 0) << o.err;
    return o.out;
  }
  // A refused run: docker's message, and nothing running or mounted afterwards.
  void expect_refused(const Output& o, const std::string& message) {
    EXPECT_NE(o.status, 0);
    EXPECT_NE(o.err.find(message), std::string::npos) << o.err;
    EXPECT_EQ(docker("ps -q").out, "");
    EXPECT_EQ(sh("grep -c " + d_.dir() + " /proc/mounts").out, "0\n");
  }
  // Creates a container through the API (a body the docker CLI would not send) and starts it.
  // A create the daemon refuses (docker's create-time checks) gives its message as stderr,
  // and no container exists then.
  Output create_and_start(const std::string& body) {
    auto created = sh("curl -s -X POST -H 'Content-Type: application/json' -d '" + body +
                      "' --unix-socket " + d_.socket() + " http://x/v1.43/containers/create");
    auto id = created.out.find("\"Id\":\"");
    if (id == std::string::npos) {
      EXPECT_EQ(docker("ps -aq").out, "");
      auto j = parse_json(created.out, "create answer").value_or(Json::object());
      return Output{1, "", j.is_object() ? j.value("message", created.out) : created.out};
    }
    return docker("start -a " + created.out.substr(id + 6, 64));
  }
  BerthDaemon d_;
};

// This process's /proc/self/status field (the daemon, our child, has the same).
std::string own_status(const std::string& field) {
  return sh("grep ^" + field + ": /proc/self/status | cut -f2").out;
}

// docker's create refuses bad options: no container record is left to remove.
TEST_F(EngineOptionsTest, BadOptionsAreRefusedAtCreate) {
  auto caps = docker("create --network none --cap-add FOO busybox true");
  EXPECT_NE(caps.status, 0);
  EXPECT_NE(caps.err.find("unknown capability: \"CAP_FOO\""), std::string::npos) << caps.err;
  auto dev = docker("create --network none --device /dev/no-such-device busybox true");
  EXPECT_NE(dev.err.find("error gathering device information"), std::string::npos) << dev.err;
  auto oom = docker("create --network none --oom-score-adj 5000 busybox true");
  EXPECT_NE(oom.status, 0);
  EXPECT_EQ(docker("ps -aq").out, "");
}

TEST_F(EngineOptionsTest, CapAddAndCapDropShapeTheCapabilitySets) {
  // docker's default set: chown dac_override fowner fsetid kill setgid setuid setpcap
  // net_bind_service net_raw sys_chroot mknod audit_write setfcap; never inheritable.
  EXPECT_EQ(status_field("", "CapEff"), "00000000a80425fb\n");
  EXPECT_EQ(status_field("", "CapInh"), "0000000000000000\n");
  EXPECT_EQ(status_field("--cap-drop ALL --cap-add NET_BIND_SERVICE", "CapEff"),
            "0000000000000400\n");
  EXPECT_EQ(status_field("--cap-drop all --cap-add cap_net_bind_service", "CapBnd"),
            "0000000000000400\n");
  EXPECT_EQ(status_field("--cap-drop CHOWN", "CapEff"), "00000000a80425fa\n");
  // The default seccomp profile follows the capabilities: SYS_ADMIN lets mount(2) through.
  auto mount = run("--cap-add SYS_ADMIN", "mkdir -p /mnt && mount -t tmpfs none /mnt && echo ok");
  EXPECT_EQ(mount.out, "ok\n") << mount.err;
  EXPECT_NE(run("", "mkdir -p /mnt && mount -t tmpfs none /mnt").status, 0);
  expect_refused(run("--cap-add FOO", "true"), "unknown capability: \"CAP_FOO\"");
}

TEST_F(EngineOptionsTest, PrivilegedLiftsTheConfinement) {
  EXPECT_EQ(status_field("--privileged", "CapEff"), own_status("CapEff"));
  EXPECT_EQ(status_field("--privileged", "Seccomp"), "0\n");
  auto inside = run("--privileged",
                    "mkdir -p /mnt && mount -t tmpfs none /mnt && echo mounted; "
                    "grep \" /sys \" /proc/mounts | cut -d\" \" -f4 | cut -d, -f1; "
                    "grep -c /proc/keys /proc/mounts");
  EXPECT_EQ(inside.out, "mounted\nrw\n0\n") << inside.err;  // /sys rw, nothing masked
  EXPECT_EQ(run("", "grep \" /sys \" /proc/mounts | cut -d\" \" -f4 | cut -d, -f1").out, "ro\n");
  // The host's devices are there, and usable.
  if (access("/dev/kmsg", F_OK) == 0) {
    EXPECT_EQ(run("--privileged", "test -c /dev/kmsg && echo yes").out, "yes\n");
    EXPECT_NE(run("", "test -c /dev/kmsg").status, 0);
  }
}

TEST_F(EngineOptionsTest, SecurityOptNoNewPrivilegesAndSeccomp) {
  EXPECT_EQ(status_field("", "NoNewPrivs"), "0\n");  // docker's default
  EXPECT_EQ(status_field("", "Seccomp"), "2\n");
  EXPECT_EQ(status_field("--security-opt no-new-privileges", "NoNewPrivs"), "1\n");
  EXPECT_EQ(status_field("--security-opt no-new-privileges:true", "NoNewPrivs"), "1\n");
  EXPECT_EQ(status_field("--security-opt no-new-privileges=false", "NoNewPrivs"), "0\n");
  EXPECT_EQ(status_field("--security-opt seccomp=unconfined", "Seccomp"), "0\n");
  EXPECT_EQ(run("--security-opt apparmor=unconfined --security-opt label=disable", "echo ok").out,
            "ok\n");
  // A profile in docker's format: archMap, and a rule kept only with CAP_SYS_ADMIN.
  const std::string profile = d_.dir() + "/no-mkdir.json";
  std::ofstream(profile) << R"({
  "defaultAction": "SCMP_ACT_ALLOW",
  "archMap": [{"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86"]},
              {"architecture": "SCMP_ARCH_AARCH64", "subArchitectures": ["SCMP_ARCH_ARM"]}],
  "syscalls": [
    {"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1},
    {"names": ["chdir"], "action": "SCMP_ACT_ERRNO", "includes": {"caps": ["CAP_SYS_ADMIN"]}}
  ]
})";
  auto denied = run("--security-opt seccomp=" + profile, "cd /etc && echo in; mkdir /x");
  EXPECT_NE(denied.status, 0);
  EXPECT_EQ(denied.out, "in\n");
  EXPECT_NE(denied.err.find("Operation not permitted"), std::string::npos) << denied.err;
  // A path, read by the daemon (the docker CLI sends the file's content instead).
  auto by_path = create_and_start(
      R"({"Image":"busybox","Cmd":["mkdir","/x"],"HostConfig":{"NetworkMode":"none",)"
      R"("SecurityOpt":["seccomp=)" + profile + R"("]}})");
  EXPECT_NE(by_path.status, 0);
  EXPECT_NE(by_path.err.find("Operation not permitted"), std::string::npos) << by_path.err;
  expect_refused(run("--security-opt foo=bar", "true"), "invalid --security-opt 2: \"foo=bar\"");
  expect_refused(run("--security-opt no-new-privileges=maybe", "true"),
                 "invalid --security-opt 2: \"no-new-privileges=maybe\"");
}

TEST_F(EngineOptionsTest, UlimitsAreSetAndClampedToTheDaemonsHardLimit) {
  auto o = run("--ulimit nofile=1024:2048", "ulimit -n; ulimit -Hn");
  EXPECT_EQ(o.out, "1024\n2048\n") << o.err;
  // No --ulimit: the daemon's own limits, as docker's containers inherit containerd's.
  std::string hard = sh("ulimit -Hn").out;
  EXPECT_EQ(run("", "ulimit -Hn").out, hard);
  // Above the daemon's hard limit, which it cannot raise without CAP_SYS_RESOURCE: clamped.
  bool can_raise = (std::stoull(own_status("CapEff"), nullptr, 16) >> 24) & 1;
  uint64_t want = 1048576, host = std::stoull(hard);
  std::string expect = std::to_string(can_raise || host >= want ? want : host) + "\n";
  auto big = run("--ulimit nofile=1048576:1048576", "ulimit -n; ulimit -Hn");
  EXPECT_EQ(big.status, 0) << big.err;
  EXPECT_EQ(big.out, expect + expect);
  if (!can_raise && host < want) {
    EXPECT_NE(sh("cat " + d_.dir() + "/daemon.log").out.find("ulimit nofile: hard limit 1048576"),
              std::string::npos);
  }
}

TEST_F(EngineOptionsTest, ShmSizeSizesDevShm) {
  EXPECT_NE(run("--shm-size 16m", "df -k /dev/shm").out.find(" 16384 "), std::string::npos);
  EXPECT_NE(run("", "df -k /dev/shm").out.find(" 65536 "), std::string::npos);
}

TEST_F(EngineOptionsTest, InitRunsTiniAsPidOne) {
  if (access("/usr/bin/tini-static", X_OK) != 0 && access("/usr/bin/docker-init", X_OK) != 0) {
    GTEST_SKIP() << "tini is not installed";
  }
  auto cmdline = run("--init", "tr \"\\0\" \" \" < /proc/1/cmdline");
  EXPECT_EQ(cmdline.out.rfind("/sbin/docker-init -- sh -c ", 0), 0u) << cmdline.out << cmdline.err;
  // tini exits with its child's code and leaves no one behind.
  EXPECT_EQ(run("--init", "sleep 100 & exit 3").status, 3);
  EXPECT_EQ(docker("ps -aq").out, "");
}

TEST_F(EngineOptionsTest, DeviceMappingsAndTheirErrors) {
  auto o = run("--device /dev/null:/dev/mynull", "echo x > /dev/mynull && stat -c \"%t:%T\" /dev/mynull");
  EXPECT_EQ(o.out, "1:3\n") << o.err;
  expect_refused(run("--device /dev/nosuch", "true"),
                 "error gathering device information while adding custom device \"/dev/nosuch\": "
                 "no such file or directory");
}

TEST_F(EngineOptionsTest, SysctlsOfTheContainersNamespaces) {
  auto o = run("--sysctl net.ipv4.ip_forward=1 --sysctl kernel.shm_rmid_forced=1",
               "cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shm_rmid_forced");
  EXPECT_EQ(o.out, "1\n1\n") << o.err;
  // docker's defaults for a network namespace of the container's own.
  EXPECT_EQ(run("", "cat /proc/sys/net/ipv4/ip_unprivileged_port_start").out, "0\n");
  // The docker CLI refuses kernel.hostname itself; the daemon refuses it for other clients.
  expect_refused(run("--sysctl kernel.hostname=x", "true"), "is not allowed");
  expect_refused(create_and_start(R"({"Image":"busybox","Cmd":["true"],"HostConfig":)"
                                  R"({"NetworkMode":"none","Sysctls":{"kernel.domainname":"x"}}})"),
                 "sysctl \"kernel.domainname\" is not allowed");
  expect_refused(docker("run --rm --pull never --network host --sysctl net.ipv4.ip_forward=1 "
                        "busybox true"),
                 "sysctl \"net.ipv4.ip_forward\" not allowed in host network namespace");
}

TEST_F(EngineOptionsTest, GroupAddOomScoreAdjAndCpuset) {
  EXPECT_EQ(run("--group-add staff --group-add 1234", "id -G").out, "0 50 1234\n");
  expect_refused(run("--group-add nosuch", "true"),
                 "unable to find group nosuch: no matching entries in group file");
  EXPECT_EQ(run("--oom-score-adj 500", "cat /proc/self/oom_score_adj").out, "500\n");
  EXPECT_EQ(status_field("--cpuset-cpus 0", "Cpus_allowed_list"), "0\n");
  expect_refused(run("--cpuset-cpus 4096", "true"),
                 "Requested CPUs are not available - requested 4096, available: ");
  auto reservation = run("--memory-reservation 32m", "echo ok");
  EXPECT_EQ(reservation.out, "ok\n") << reservation.err;
}

}  // namespace
}  // namespace berth::test
