// The .env and env_file format as docker compose reads it (compose-spec 05-services.md
// "Env_file format"; compose-go dotenv/parser.go).
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "common/error.h"
#include "compose/interpolation.h"

namespace berth::compose {

// Parses `text` into variables, in order (a later definition of a key wins):
//   KEY=VALUE, KEY: VALUE     the value runs to the line's end; " #..." ends it (a comment);
//                             trailing blanks are dropped; $VAR and ${...} are interpolated
//   KEY="VALUE"               may span lines; \n \t \r \a \b \f \v \\ \" \$ \0NNN escapes,
//                             then interpolation
//   KEY='VALUE'               literal, may span lines
//   export KEY=VALUE          `export ` is ignored
//   KEY                       alone on its line: the value of KEY from `lookup`, else nothing
//   # comment, blank lines    skipped; a UTF-8 BOM at the start is skipped
// Interpolation looks a name up in `lookup` first, then in the variables defined above it.
// Errors (kInvalidArgument): "line N: unexpected character \"c\" in variable name \"...\"",
// "line N: key cannot contain a space", "line N: unterminated quoted value ...", and
// interpolation errors.
Result<std::map<std::string, std::string>> parse_dotenv(std::string_view text,
                                                        const Lookup& lookup);

// parse_dotenv of the file at `path`. Errors: the file's (kNotFound...), and parse errors as
// "failed to read <path>: line N: ...".
Result<std::map<std::string, std::string>> read_dotenv(const std::string& path,
                                                       const Lookup& lookup);

}  // namespace berth::compose
