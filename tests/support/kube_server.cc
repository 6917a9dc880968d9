#include "support/kube_server.h"

#include "support/bundle.h"

#include <unistd.h>

namespace berth::test {

bool KubeServer::start(const std::string& dir, int port, const std::vector<std::string>& extra_args) {
  dir_ = dir;
  std::vector<std::string> argv = {berth_binary(), "server", "--data-dir", dir + "/server", "--https-listen-port",
                                   std::to_string(port), "--write-kubeconfig", dir + "/kubeconfig"};
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  if (!daemon_.start(argv, dir + "/server.log")) return false;
  for (int i = 0; i < 250; ++i) {
    if (kubectl("get --raw /healthz >/dev/null 2>&1").status == 0) return true;
    usleep(20000);
  }
  return false;
}

std::string KubeServer::kubectl_command(const std::string& args) const {
  return "kubectl --kubeconfig " + dir_ + "/kubeconfig --cache-dir " + dir_ + "/cache " + args;
}

void KubectlTest::SetUp() {
  if (sh("command -v kubectl").status != 0) GTEST_SKIP() << "kubectl is not installed";
  dir_ = make_temp_dir(prefix_);
  ASSERT_TRUE(server_.start(dir_, free_tcp_port()));
}

void KubectlTest::TearDown() {
  server_.stop();
  if (!dir_.empty()) sh("rm -rf " + dir_);
}

}  // namespace berth::test
