// docker's image filters (`docker images -f`, GET /images/json?filters=, image prune):
// dangling=true|false, reference=<glob>, label=<key>[=<value>]; before/since/until are
// accepted and not applied yet. Follows moby daemon/images/images.go.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "image/service.h"

namespace berth::image {

using Filters = std::map<std::string, std::vector<std::string>>;

// The API's JSON form: {"key": {"value": true}} or {"key": ["value"]}. Errors: kInvalidArgument.
Result<Filters> parse_filters_json(std::string_view text);
// The CLI's `-f key=value` flags.
Filters parse_filter_flags(const std::vector<std::string>& flags);
// Errors: kInvalidArgument for an unknown key or a bad dangling value ("invalid filter '...'").
Result<bool> matches(const Image& img, const Filters& filters);
// Shell-style glob as Go's path.Match: `*` and `?` never match '/'.
bool glob_match(std::string_view pattern, std::string_view s);

}  // namespace berth::image
