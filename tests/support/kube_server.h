// A private `berth server` for e2e tests: its data, kubeconfig and kubectl cache under a
// directory of the test's, a free loopback port, and kubectl pointed at it.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "support/process.h"
#include "support/registry.h"

namespace berth::test {

class KubeServer {
 public:
  KubeServer() = default;
  ~KubeServer() { stop(); }
  KubeServer(const KubeServer&) = delete;
  KubeServer& operator=(const KubeServer&) = delete;

  // Starts `berth server --data-dir DIR/server --https-listen-port PORT --write-kubeconfig
  // DIR/kubeconfig EXTRA...` (log in DIR/server.log) and waits until it answers /healthz
  // (up to 5 s). False when it does not start.
  bool start(const std::string& dir, int port, const std::vector<std::string>& extra_args = {});
  // SIGTERM, then SIGKILL; the directory stays.
  void stop() { daemon_.stop(); }
  pid_t pid() const { return daemon_.pid(); }
  // The kubectl command line for `args` with this server's kubeconfig and cache.
  std::string kubectl_command(const std::string& args) const;
  Output kubectl(const std::string& args) const { return sh(kubectl_command(args)); }

 private:
  std::string dir_;
  Daemon daemon_;
};

// A fixture with a server of its own per test, under a fresh directory named after `prefix`
// (skipped where kubectl is not installed); the directory goes at the end.
class KubectlTest : public ::testing::Test {
 protected:
  explicit KubectlTest(std::string prefix) : prefix_(std::move(prefix)) {}
  void SetUp() override;
  void TearDown() override;
  Output kubectl(const std::string& args) { return server_.kubectl(args); }
  std::string dir_;
  KubeServer server_;

 private:
  std::string prefix_;
};

}  // namespace berth::test
