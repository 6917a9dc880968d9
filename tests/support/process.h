// Test helpers: run a command and capture its output and exit status.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace berth::test {

struct Output {
  int status = -1;  // exit code, or 128+signal
  std::string out, err;
};

// Runs argv (argv[0] looked up in PATH) with optional stdin text; waits for it. With
// `hold_stdin`, stdin stays open (no EOF) until the command exits, as a terminal's would.
Output run(const std::vector<std::string>& argv, const std::string& input = "",
           bool hold_stdin = false);

// Runs a shell command line (sh -c).
Output sh(const std::string& cmd);

// Non-empty lines of `text`.
std::vector<std::string> str_lines(const std::string& text);

// A fresh directory under /tmp (or `base`), removed by the caller.
std::string make_temp_dir(const std::string& prefix);

// What containers hold on the host, one item per line, sorted: network namespaces under
// /run/berth/netns, veth interfaces, berth cgroups, per-container CNI iptables rules. Tests
// compare it before and after, so that containers of others (a running main job) do not count.
// `settled_from`: waits up to 3 s for the state to return to it (a removed container's veth
// goes when the kernel frees its network namespace, a few milliseconds after the remove).
std::string container_host_state(const std::optional<std::string>& settled_from = {});

// A TCP port on 127.0.0.1 free at the time of the call (bound to port 0 and released), for a
// server a test starts.
int free_tcp_port();

}  // namespace berth::test
