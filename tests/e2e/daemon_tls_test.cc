// The Engine API on TCP: only with --tlsverify, and then only for clients whose certificate
// the CA signed (docker's "Protect the Docker daemon socket"). The docker CLI with its
// --tlsverify flags runs, attaches and execs over it; a client without a certificate, or with
// one from another CA, is refused in the handshake.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "support/bundle.h"
#include "support/process.h"
#include "support/registry.h"

namespace berth::test {
namespace {

class DaemonTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root";
    dir_ = make_temp_dir("berth-tls");
    // A CA, a server certificate for 127.0.0.1, a client certificate from that CA and one
    // from another CA.
    auto certs = sh(
        "cd " + dir_ + " && set -e && "
        "mk_ca() { openssl req -x509 -newkey rsa:2048 -nodes -keyout $1-key.pem -out $1.pem -days 2 -subj /CN=$1; } && "
        "mk_ca ca && mk_ca other-ca && "
        "openssl req -newkey rsa:2048 -nodes -keyout server-key.pem -out server.csr -subj /CN=localhost && "
        "printf 'subjectAltName=IP:127.0.0.1\\nextendedKeyUsage=serverAuth\\n' > server.ext && "
        "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -out server-cert.pem "
        "-days 2 -extfile server.ext && "
        "printf 'extendedKeyUsage=clientAuth\\n' > client.ext && "
        "for who in client:ca stranger:other-ca; do n=${who%:*}; c=${who#*:}; "
        "openssl req -newkey rsa:2048 -nodes -keyout $n-key.pem -out $n.csr -subj /CN=$n && "
        "openssl x509 -req -in $n.csr -CA $c.pem -CAkey $c-key.pem -CAcreateserial -out $n-cert.pem "
        "-days 2 -extfile client.ext; done 2>/dev/null");
    ASSERT_EQ(certs.status, 0) << certs.err;
    port_ = free_tcp_port();
    tcp_ = "tcp://127.0.0.1:" + std::to_string(port_);
    ASSERT_TRUE(daemon_.start({berth_binary(), "daemon", "--data-root", dir_ + "/root", "-H",
                               "unix://" + dir_ + "/berth.sock", "-H", tcp_, "--tlsverify",
                               "--tlscacert", dir_ + "/ca.pem", "--tlscert", dir_ + "/server-cert.pem",
                               "--tlskey", dir_ + "/server-key.pem"},
                              dir_ + "/daemon.log"));
    for (int i = 0; i < 250 && docker("version >/dev/null 2>&1").status != 0; ++i) usleep(20000);
    ASSERT_EQ(sh("mkdir -p " + dir_ + "/rootfs/bin && cp /bin/busybox " + dir_ + "/rootfs/bin/ && chroot " +
                 dir_ + "/rootfs /bin/busybox --install -s /bin && tar -C " + dir_ + "/rootfs -c . | " +
                 docker_cmd() + " import - busybox >/dev/null")
                  .status,
              0);
  }
  void TearDown() override {
    if (!dir_.empty() && daemon_.running()) docker("rm -f $(" + docker_cmd() + " ps -aq) >/dev/null 2>&1");
    daemon_.stop();
    sh(BERTH_SOURCE_DIR "/tests/support/cleanup-bridge.sh");
    if (!dir_.empty()) sh("rm -rf " + dir_);
  }
  std::string docker_cmd(const std::string& who = "client") {
    return "docker -H " + tcp_ + " --tlsverify --tlscacert " + dir_ + "/ca.pem --tlscert " + dir_ + "/" +
           who + "-cert.pem --tlskey " + dir_ + "/" + who + "-key.pem";
  }
  Output docker(const std::string& args) { return sh(docker_cmd() + " " + args); }

  std::string dir_, tcp_;
  int port_ = 0;
  Daemon daemon_;
};

TEST_F(DaemonTlsTest, ClientCertificatesRunAttachAndExecOverTls) {
  EXPECT_EQ(docker("run --rm busybox echo over tls").out, "over tls\n");
  EXPECT_EQ(sh("echo typed | " + docker_cmd() + " run --rm -i busybox cat").out, "typed\n");
  auto started = docker("run -d --name tls1 busybox sleep 100");
  ASSERT_EQ(started.status, 0) << started.err;
  EXPECT_EQ(docker("exec tls1 sh -c 'echo exec $((6*7))'").out, "exec 42\n");
  auto logs = sh(docker_cmd() + " run -d busybox sh -c 'echo from-log' | xargs " + docker_cmd() + " wait");
  EXPECT_EQ(logs.status, 0);
}

TEST_F(DaemonTlsTest, ClientsWithoutAValidCertificateAreRefused) {
  auto none = sh("docker -H " + tcp_ + " --tls --tlscacert " + dir_ + "/ca.pem version");
  EXPECT_NE(none.status, 0);
  EXPECT_NE(none.err.find("certificate required"), std::string::npos) << none.err;
  auto stranger = sh(docker_cmd("stranger") + " version");
  EXPECT_NE(stranger.status, 0);
  // Go does not offer a certificate the server's CA list does not name: refused all the same.
  EXPECT_NE(stranger.err.find("remote error: tls:"), std::string::npos) << stranger.err;
  // Plain HTTP on the TLS port gets no answer from the API.
  EXPECT_NE(sh("curl -sf --max-time 5 http://127.0.0.1:" + std::to_string(port_) + "/_ping").status, 0);
  // The daemon still answers its own clients afterwards.
  EXPECT_EQ(docker("version --format '{{.Server.Os}}'").out, "linux\n");
}

TEST_F(DaemonTlsTest, TcpWithoutTlsverifyIsRefusedAtStart) {
  auto r = run({berth_binary(), "daemon", "--data-root", dir_ + "/root2", "-H",
                "tcp://127.0.0.1:" + std::to_string(free_tcp_port())});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("needs --tlsverify"), std::string::npos) << r.err;
  EXPECT_EQ(str_lines(r.err).size(), 1u) << r.err;
}

}  // namespace
}  // namespace berth::test
