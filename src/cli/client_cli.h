// `berth run|create|ps|logs|exec|stop|start|restart|kill|rm|wait|port|top|stats|build`,
// `berth container <verb>` (also `container inspect`), `berth network ls|create|rm|inspect` and
// `berth volume ls|create|rm|inspect`: docker's container, network, volume and build commands
// (flags, output, exit codes), as a client of the berth daemon's Engine API (cli/client.h).
// The daemon's address: the global -H/--host unix://PATH, else $BERTH_HOST, else a unix://
// $DOCKER_HOST, else unix:///run/berth/berth.sock.
#pragma once

namespace berth::cli {

// argv[0] is "berth", global flags (-H/--host) come before the verb; returns the exit status
// (docker's: 1 after an error, 125 for run's own failures, the container's code for run/exec).
int client_main(int argc, char** argv);

// Whether `verb` is one of the commands above (so main can dispatch to client_main).
bool is_client_command(const char* verb);

}  // namespace berth::cli
