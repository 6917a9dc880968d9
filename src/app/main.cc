// berth: one binary, many front ends. Called as `berth-runc` or `runc` it is the OCI runtime
// CLI (so podman/containerd can be pointed at it); otherwise the first argument picks the part.
#include <cstdio>
#include <cstring>
#include <string_view>

#include "cli/runtime_cli.h"

int main(int argc, char** argv) {
  std::string_view self = argc > 0 ? argv[0] : "berth";
  if (auto slash = self.rfind('/'); slash != std::string_view::npos) {
    self.remove_prefix(slash + 1);
  }
  if (self == "berth-runc" || self == "runc") {
    return berth::cli::runtime_main(argc, argv);
  }
  if (argc >= 2 && std::strcmp(argv[1], "runtime") == 0) {
    return berth::cli::runtime_main(argc - 1, argv + 1);
  }
  if (argc >= 2 && (std::strcmp(argv[1], "--version") == 0 || std::strcmp(argv[1], "version") == 0)) {
    std::printf("berth 0.1.0\n");
    return 0;
  }
  std::fprintf(stderr,
               "usage: berth runtime <create|start|run|state|kill|delete|exec|list|ps|spec|"
               "features> ...\n"
               "       (the engine, builder, compose and cluster commands are not built yet)\n");
  return argc >= 2 && (std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0)
             ? 0
             : 2;
}
