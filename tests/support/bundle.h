// A busybox OCI bundle for runtime tests: rootfs from busybox-static plus berth-test-probe, and
// config.json from `berth runtime spec` (Docker's defaults) with terminal off.
#pragma once

#include <string>
#include <vector>

#include "common/json.h"
#include "support/process.h"

namespace berth::test {

// Paths of the binaries under test, set by CMake.
std::string berth_binary();
std::string probe_binary();

class Bundle {
 public:
  // Creates dir/rootfs and dir/config.json; args is the container's command.
  explicit Bundle(std::vector<std::string> args);
  ~Bundle();
  Bundle(const Bundle&) = delete;
  Bundle& operator=(const Bundle&) = delete;

  const std::string& dir() const { return dir_; }
  Json& config() { return config_; }
  // Writes config() to config.json (call after editing it).
  void save() const;

 private:
  std::string dir_;
  Json config_;
};

// `berth runtime --root ROOT <args...>`.
Output berth_runtime(const std::string& root, const std::vector<std::string>& args,
                     const std::string& input = "");

}  // namespace berth::test
