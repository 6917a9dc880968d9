// `berth runtime ...` / `berth-runc ...`: runc's command line over the runtime library, with the
// global flags conmon and containerd pass (--root, --log, --log-format, --systemd-cgroup).
#pragma once

namespace berth::cli {

// argv[0] is the program name; returns the process exit status (the container's for `run`
// and `exec` in the foreground, 1 on any error after printing one line to stderr).
int runtime_main(int argc, char** argv);

}  // namespace berth::cli
