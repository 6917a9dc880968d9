// Node -> typed instruction (internal to build/): BuildKit's instructions/parse.go, bflag.go
// and the RUN flag hooks (commands_runmount.go, commands_runnetwork.go,
// commands_runsecurity.go).
#pragma once

#include "build/dockerfile.h"
#include "build/parser.h"

namespace berth::build::detail {

// Any instruction but FROM. Errors: kInvalidArgument with BuildKit's message, not located
// (the caller adds node.location).
Result<Instruction> make_instruction(const Node& node, char escape);

// A FROM line: base, "AS name", --platform. Errors as make_instruction.
Result<Stage> make_stage(const Node& node);

}  // namespace berth::build::detail
