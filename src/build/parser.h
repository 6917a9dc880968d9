// Dockerfile text -> one Node per instruction, untyped (internal to build/): BuildKit's
// parser/parser.go (lines, directives, continuations, heredocs), line_parsers.go (argument
// shapes) and split_command.go (flags). instructions.cc makes typed instructions of them.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "build/dockerfile.h"

namespace berth::build::detail {

struct Node {
  std::string keyword;             // as written: "RUN", "run"
  std::vector<std::string> flags;  // the leading "--name[=value]" words, quotes removed
  // Shaped by the keyword's line parser: a JSON array's strings (json = true); words split at
  // whitespace (ADD, COPY, VOLUME, EXPOSE, FROM); quote-aware words (ARG); the rest of the line
  // as one string (RUN/CMD/... shell form, USER, WORKDIR, ...); (key, value, "=" or "")
  // triples (ENV, LABEL); HEALTHCHECK's type then its command. Empty when none.
  std::vector<std::string> args;
  bool json = false;
  std::vector<Heredoc> heredocs;
  std::string original;         // the instruction's text, continuation lines joined
  std::shared_ptr<Node> child;  // ONBUILD's trigger
  Location location;
};

struct ParsedText {
  std::vector<Node> nodes;
  char escape = '\\';
  std::string syntax, check;
  std::vector<Warning> warnings;
};

// Errors: kInvalidArgument located in `file` (see dockerfile.h).
Result<ParsedText> parse_text(std::string_view text, std::string_view file);

// The heredoc that `word` opens ("<<EOF", "<<-'EOF'", "3<<EOF"), body not read; nullopt when
// `word` is not one (BuildKit ParseHeredoc). Errors: an unterminated quote in the name.
Result<std::optional<Heredoc>> parse_heredoc_word(std::string_view word);

}  // namespace berth::build::detail
