// Fixture for tests that run real containers as root: a private --root, a busybox bundle, and a
// leak check of mounts, cgroups, state and processes around every test, even a failed one.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "support/bundle.h"
#include "support/leak_check.h"

namespace berth::test {

class RuntimeTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // A container id unique to this test process.
  std::string id(const std::string& name) const;
  // `berth runtime --root <ours> args...`
  Output rt(const std::vector<std::string>& args, const std::string& input = "") const {
    return berth_runtime(root_, args, input);
  }
  // runs `args` in a fresh default container (`run`, foreground) and returns its output.
  Output run_in_container(const std::vector<std::string>& args);

  std::string root_;
  std::string marker_;  // appears in long-running container commands, for the process check
  HostSnapshot before_;
};

}  // namespace berth::test
