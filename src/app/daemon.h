// `berth daemon ...`: see daemon.cc.
#pragma once

namespace berth::app {

// argv[0] is "daemon"; returns the exit status (1 after one error line on stderr).
int daemon_main(int argc, char** argv);

}  // namespace berth::app
