// Character and string helpers shared by the Dockerfile frontend's files (internal).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace berth::build {

// ASCII whitespace, what Go's unicode.IsSpace says for ASCII input.
inline bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

// Bytes in the UTF-8 sequence that starts with `c` (1 for a stray continuation byte), so that
// `?` and stepping over text go by characters as Go's runes do.
inline size_t utf8_len(unsigned char c) {
  if (c < 0xc0) return 1;
  if (c < 0xe0) return 2;
  if (c < 0xf0) return 3;
  return 4;
}

// `s` quoted as Go's %q does for the messages copied from BuildKit: "a\"b\\c".
std::string go_quote(std::string_view s);

// `message` plus " (did you mean X?)" when one of `options` is within edit distance 2 of
// `value` (BuildKit util/suggest.WrapError); X takes the case of `value` when not
// `case_sensitive`.
std::string with_suggestion(std::string message, std::string_view value,
                            const std::vector<std::string>& options, bool case_sensitive);

}  // namespace berth::build
