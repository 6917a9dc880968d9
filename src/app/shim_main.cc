// build/berth-shim: the per-container shim (shim/shim.h) as its own small binary, linking only
// what the runtime needs, since one runs for every container.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "shim/shim.h"

int main(int argc, char** argv) {
  berth::shim::Options o;
  for (int i = 1; i < argc; i += 2) {
    std::string k = argv[i];
    if (k == "--tty" || k == "--stdin" || k == "--stdin-once") {
      (k == "--tty" ? o.tty : k == "--stdin" ? o.open_stdin : o.stdin_once) = true;
      --i;  // a flag without a value
      continue;
    }
    if (i + 1 >= argc) {
      std::fprintf(stderr, "berth-shim: %s needs a value\n", k.c_str());
      return 2;
    }
    std::string v = argv[i + 1];
    if (k == "--id") o.id = v;
    else if (k == "--bundle") o.bundle = v;
    else if (k == "--runtime-root") o.runtime_root = v;
    else if (k == "--state-dir") o.state_dir = v;
    else if (k == "--log") o.log_path = v;
    else if (k == "--log-max-size") o.log_max_bytes = std::atoll(v.c_str());
    else if (k == "--log-max-file") o.log_max_files = std::atoi(v.c_str());
    else if (k == "--report-fd") o.report_fd = std::atoi(v.c_str());
    else {
      std::fprintf(stderr, "berth-shim: unknown option %s\n", k.c_str());
      return 2;
    }
  }
  if (o.id.empty() || o.bundle.empty() || o.state_dir.empty() || o.log_path.empty()) {
    std::fprintf(stderr,
                 "usage: berth-shim --id ID --bundle DIR --runtime-root DIR --state-dir DIR "
                 "--log FILE [--log-max-size BYTES --log-max-file N] [--report-fd FD] [--tty] [--stdin]"
                 " [--stdin-once]\n");
    return 2;
  }
  return berth::shim::run(o);
}
