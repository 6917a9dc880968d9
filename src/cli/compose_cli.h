// `berth compose ...`: docker compose's commands (up, down, ps, logs, config, start, stop,
// restart, exec, build, pull, top, ls) with its flags and output, over the berth daemon's
// Engine API. Loading is compose/project.h, converging compose/runner.h; this file is the
// front end (flags, progress lines, tables, log prefixes).
#pragma once

namespace berth::cli {

// argv[0] is "berth"; global -H/--host may come before "compose"; compose's own global flags
// (-f, -p, --project-directory, --env-file, --profile) before its verb. Returns the exit
// status: 0, 1 after an error (one line on stderr), or exec's command's status.
int compose_main(int argc, char** argv);

}  // namespace berth::cli
