// Variable interpolation in compose files (compose-spec 12-interpolation.md; compose-go
// template/template.go). Used on every string value of a file and on .env values.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "common/error.h"

namespace berth::compose {

// A variable's value; nullopt when it is unset (set-but-empty is "").
using Lookup = std::function<std::optional<std::string>(std::string_view name)>;

// `text` with its variables substituted:
//   $VAR, ${VAR}         the value, "" when unset
//   ${VAR:-default}      default when VAR is unset or empty; ${VAR-default} only when unset
//   ${VAR:?err}          error when VAR is unset or empty; ${VAR?err} only when unset
//   ${VAR:+alt}          alt when VAR is set and not empty; ${VAR+alt} when set
//   $$                   a literal $
// Defaults, alternatives and messages are interpolated themselves (`${A:-${B:-x}}`), only when
// used. A name is [_a-zA-Z][_a-zA-Z0-9]*; a `$` not followed by one, `$` or `{` stays as is.
// Errors (kInvalidArgument):
//   "required variable X is missing a value: <err>" (": <err>" left out when err is empty);
//   "invalid interpolation format for \"<text>\": you may need to escape any $ with another $"
//   for `${` without a name, an unknown operator (${A/x/y}) or no closing brace.
Result<std::string> interpolate(std::string_view text, const Lookup& lookup);

}  // namespace berth::compose
