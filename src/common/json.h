// JSON through nlohmann-json, wrapped so that berth code never sees an exception.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/error.h"

namespace berth {

using Json = nlohmann::json;
using OrderedJson = nlohmann::ordered_json;

// Parses `text` (RFC 8259). Errors: kInvalidArgument with the parser's position and reason,
// prefixed by `what` (e.g. "config.json").
Result<Json> parse_json(std::string_view text, std::string_view what);

}  // namespace berth
