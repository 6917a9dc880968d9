// Internal: key paths into a compose model (JSON), for error messages and for the rules that
// apply at given places (compose-go tree.Path).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "common/json.h"

namespace berth::compose {

// Map keys, or "[N]" for the N-th item of a sequence.
using Path = std::vector<std::string>;

// "services.web.ports[0]".
std::string path_string(const Path& path);

Path operator/(const Path& path, std::string key);
Path operator/(const Path& path, size_t index);

// `pattern` is dot-separated: "*" matches any one key, "[]" any one index, anything else that
// key: path_matches({"services","web","ports","[0]"}, "services.*.ports.[]").
bool path_matches(const Path& path, std::string_view pattern);

// kInvalidArgument "<path>: <what>" ("<what>" for the root).
tl::unexpected<Error> path_error(const Path& path, std::string_view what);

// The node at `path` below `root`, nullptr when a key or index is missing.
Json* find_path(Json& root, const Path& path);

// Removes the map entry at `path` (a sequence item is left in place, as compose-go does).
void erase_path(Json& root, const Path& path);

// A scalar as the text compose would use where a string is expected: strings as they are,
// numbers as Go prints them (1, 1.5), booleans as true/false; nullopt for null, maps and
// sequences.
std::optional<std::string> scalar_text(const Json& v);

}  // namespace berth::compose
