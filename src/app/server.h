// `berth server`: the Kubernetes API server in the foreground (k3s's flag names).
#pragma once

namespace berth::app {

// argv[0] is "server". Returns the exit status (1 with one line on stderr for bad flags, an
// unreadable data dir, an unreachable datastore or a busy port).
int server_main(int argc, char** argv);

}  // namespace berth::app
