// The per-container shim: the parent of one container's init. It creates and starts the
// container through the runtime library, holds its stdio, writes its output to a json-file
// log (docker's format: {"log","stream","time"} per line, rotated at max_size bytes keeping
// max_files), reaps it, records how it ended, deletes it from the runtime, and exits. It never
// talks to the daemon after the start report, so the daemon may die and come back meanwhile
// (live restore): everything it learns is in files of `state_dir`.
//
// Files in state_dir: exit.json ({"ExitCode": N, "FinishedAt": RFC 3339, "OOMKilled": bool,
// "Error": ""}) and the log. The pids are the daemon's: the shim's from its spawn, the init's
// from the report.
// With a terminal or open stdin, unix sockets in socket_dir(id) (short paths: sun_path holds
// 108 bytes): stdin.sock (bytes written to it go to the container's stdin or terminal; with
// `stdin_once`, the first writer's end closes stdin) and ctl.sock (lines {"h": rows,
// "w": cols} resize the terminal).
#pragma once

#include <cstdint>
#include <string>

#include "common/error.h"

namespace berth::shim {

struct Options {
  std::string id;
  std::string bundle;        // config.json + rootfs
  std::string runtime_root;  // the runtime's --root
  std::string state_dir;     // where exit.json lives
  std::string log_path;      // json-file log
  int64_t log_max_bytes = 0; // rotate above this size (0 = never)
  int log_max_files = 1;     // files kept, the live one included
  int report_fd = -1;        // "ok <pid>\n" or "error <message>\n" once the container runs
  bool tty = false;          // process.terminal: the shim holds the pty master
  bool open_stdin = false;   // docker's OpenStdin (-i)
  bool stdin_once = false;   // docker's StdinOnce: stdin closes when the first attach ends
};

// /run/berth/shim/<id>: the root-only directory of the shim's sockets.
std::string socket_dir(const std::string& id);

// Runs the shim to the container's end; returns the process exit status for main (0 when the
// container was started, whatever its own exit code; 1 when it could not be started).
int run(const Options& opts);

}  // namespace berth::shim
