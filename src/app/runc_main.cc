// berth-runc: the runtime CLI alone, a small binary for tools that exec a runtime per container.
#include "cli/runtime_cli.h"

int main(int argc, char** argv) { return berth::cli::runtime_main(argc, argv); }
