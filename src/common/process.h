// Starting helper programs (CNI plugins, iptables, cp, the shim) from a large, threaded
// process. posix_spawn clones with CLONE_VM|CLONE_VFORK (glibc), so the parent's page tables
// are not copied: a fork of the daemon costs milliseconds, a spawn tens of microseconds.
#pragma once

#include <sys/types.h>

#include <string>
#include <utility>
#include <vector>

#include "common/error.h"

namespace berth::proc {

struct SpawnOptions {
  // The child's whole environment; empty: a PATH of /usr/sbin:/usr/bin:/sbin:/bin alone.
  std::vector<std::string> env;
  bool inherit_env = false;   // ours instead of `env`
  // The child's stdin, stdout and stderr: fds of ours, -1 for /dev/null.
  int stdin_fd = -1, stdout_fd = -1, stderr_fd = -1;
  // More fds the child gets: (ours, its number), numbers above 2. Every other fd is closed.
  std::vector<std::pair<int, int>> fds;
  bool new_session = false;   // setsid(): no controlling terminal, no signals of our group
  bool search_path = false;   // argv[0] looked up in the child's PATH (posix_spawnp)
};

// Starts argv with an empty signal mask and default dispositions. The caller waits for it.
// Errors: kNotFound (no such program), kPermissionDenied, kInternal (spawn's other errors).
Result<pid_t> spawn(const std::vector<std::string>& argv, const SpawnOptions& opts = {});

// Waits for `pid` (retrying EINTR): its exit code, or 128 + the signal that killed it.
int wait_exit(pid_t pid);

struct Output {
  int status = 0;    // as wait_exit
  std::string out;   // everything it wrote to stdout
};

// Runs argv to its end with `input` on stdin, stdout captured and stderr discarded (CNI's
// calling convention). `env` as SpawnOptions::env; an argv[0] without a slash is looked up
// in its PATH. Errors: those of spawn, kInternal (pipes).
Result<Output> run(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                   const std::string& input = "");

}  // namespace berth::proc
