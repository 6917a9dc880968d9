// A private `berth daemon` for an end-to-end test: its own data root and socket under a temp
// directory, a busybox image imported from the host's busybox-static, and a clean-up that
// removes its containers, the bridge rules and the directory (even after a failed test).
#pragma once

#include <string>

#include "support/process.h"
#include "support/registry.h"

namespace berth::test {

class BerthDaemon {
 public:
  BerthDaemon() = default;
  ~BerthDaemon() { stop(); }
  BerthDaemon(const BerthDaemon&) = delete;
  BerthDaemon& operator=(const BerthDaemon&) = delete;

  // Starts the daemon in a fresh directory (prefix for its name) and waits for its socket;
  // with `busybox`, imports busybox:latest. False (with the reason in `error`) on failure.
  bool start(const std::string& prefix, bool busybox = true);
  // Stops and starts the daemon again on the same data root (containers are kept).
  bool restart();
  // Removes every container, stops the daemon, removes bridge leftovers and the directory.
  void stop();

  // start() in two steps, for a fixture that fills the data root (DIR/root) before the
  // daemon runs: create() makes the directory, launch() starts the daemon as start() does.
  void create(const std::string& prefix);
  bool launch(bool busybox = true);
  // SIGKILLs the daemon, as a crash would, and reaps it; restart() brings it back.
  void kill();
  // The daemon is alive.
  bool running() { return daemon_.running(); }

  // DIR/rootfs, busybox as start() imports it with `setup` (shell commands) then run inside
  // it, e.g. to add users; packed into DIR/rootfs.tar. Both are left to the caller.
  bool make_busybox_rootfs(const std::string& setup = "");
  // Imports busybox:latest as start() does, with `setup` run in its rootfs first.
  bool import_busybox(const std::string& setup = "");

  // A shell command with DOCKER_HOST and BERTH_HOST pointing at this daemon, run in `cwd`
  // ("" = the daemon's directory).
  Output shell(const std::string& cmd, const std::string& cwd = "") const;
  // `docker ARGS` / `berth ARGS` against this daemon.
  Output docker(const std::string& args, const std::string& cwd = "") const;
  Output berth(const std::string& args, const std::string& cwd = "") const;

  const std::string& dir() const { return dir_; }
  const std::string& socket() const { return socket_; }
  std::string error;

 private:
  bool spawn();
  Output pack_busybox(const std::string& setup) const;
  bool wait_ready();

  std::string dir_, socket_;
  Daemon daemon_;
};

}  // namespace berth::test
