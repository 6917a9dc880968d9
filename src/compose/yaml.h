// Internal: compose files' YAML (yaml-cpp) to and from JSON values.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "common/json.h"
#include "compose/tree.h"

namespace berth::compose {

struct YamlDocument {
  Json tree;
  // 13-merge.md "Reset value" / "Replace value": where `!reset` stood (the node is left out of
  // `tree`) and where `!override` stood (the node stays). Only map entries are recorded.
  std::vector<Path> resets, overrides;
};

// Every document of `text`. Plain scalars are typed as go-yaml v3 types them (YAML 1.2 core
// schema, plus 0777 octals and '_' in numbers): null, true/false, integers, floats, else
// strings; quoted scalars are strings. `<<` merge keys are applied (keys written in the map
// win). Errors (kInvalidArgument), located 1-based: "<file>:<line>:<column>: <yaml-cpp's
// message>", "<file>:<line>:<column>: mapping key \"k\" already defined at line N",
// "<file>: document too deep or too large" (self-referencing or exploding aliases).
Result<std::vector<YamlDocument>> parse_yaml(std::string_view text, std::string_view file);

// `value` as block YAML; strings that a reader would take for another type are quoted.
std::string emit_yaml(const Json& value);

}  // namespace berth::compose
