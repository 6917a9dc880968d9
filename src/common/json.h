// JSON through nlohmann-json, wrapped so that berth code never sees an exception.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/error.h"

namespace berth {

using Json = nlohmann::json;
using OrderedJson = nlohmann::ordered_json;

// Parses `text` (RFC 8259). Errors: kInvalidArgument with the parser's position and reason,
// prefixed by `what` (e.g. "config.json").
Result<Json> parse_json(std::string_view text, std::string_view what);

// Removes object members whose value is null, at every depth (array elements stay): Go's
// encoding/json decodes a null as the zero value, so for the Docker Engine API's bodies a
// null member means the same as an absent one — docker-compose 1.29 sends many.
void drop_null_members(Json& j);

// The string elements of a JSON array (anything else, and non-strings in it, are skipped):
// docker's Cmd, Env, Binds and the like.
std::vector<std::string> string_array(const Json& j);

// `j` as text; `indent` < 0 is compact. Strings that are not valid UTF-8 (paths and ids are
// bytes) have the bad sequences replaced with U+FFFD instead of throwing.
template <class J>
std::string dump_json(const J& j, int indent = -1) {
  return j.dump(indent, ' ', false, J::error_handler_t::replace);
}

}  // namespace berth
