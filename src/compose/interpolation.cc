#include "compose/interpolation.h"

namespace berth::compose {
namespace {

bool name_start(char c) { return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool name_char(char c) { return name_start(c) || (c >= '0' && c <= '9'); }

tl::unexpected<Error> invalid_format(std::string_view text) {
  return make_error(Errc::kInvalidArgument, "invalid interpolation format for \"" +
                                                std::string(text) +
                                                "\": you may need to escape any $ with another $");
}

// Index of the '}' closing the "${" at `open`, counting every brace in between as
// compose-go's getFirstBraceClosingIndex does; npos when there is none.
size_t closing_brace(std::string_view s, size_t open) {
  int depth = 0;
  for (size_t i = open; i < s.size(); ++i) {
    if (s[i] == '{') {
      ++depth;
    } else if (s[i] == '}' && --depth == 0) {
      return i;
    }
  }
  return std::string_view::npos;
}

// One ${...} body (between the braces).
Result<std::string> braced(std::string_view body, std::string_view text, const Lookup& lookup) {
  size_t n = 0;
  if (body.empty() || !name_start(body[0])) return invalid_format(text);
  while (n < body.size() && name_char(body[n])) ++n;
  std::string name(body.substr(0, n));
  std::string_view rest = body.substr(n);
  std::optional<std::string> value = lookup(name);
  if (rest.empty()) return value.value_or("");

  bool colon = rest[0] == ':';
  if (colon) rest.remove_prefix(1);
  if (rest.empty()) return invalid_format(text);
  char op = rest[0];
  std::string_view arg = rest.substr(1);
  // ':' makes an empty value count as unset.
  bool present = value && !(colon && value->empty());
  switch (op) {
    case '-':
      if (present) return *value;
      return interpolate(arg, lookup);
    case '+':
      if (!present) return value.value_or("");
      return interpolate(arg, lookup);
    case '?': {
      if (present) return *value;
      BERTH_ASSIGN_OR_RETURN(std::string reason, interpolate(arg, lookup));
      std::string msg = "required variable " + name + " is missing a value";
      if (!reason.empty()) msg += ": " + reason;
      return make_error(Errc::kInvalidArgument, std::move(msg));
    }
    default:
      return invalid_format(text);
  }
}

}  // namespace

Result<std::string> interpolate(std::string_view text, const Lookup& lookup) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (c != '$' || i + 1 == text.size()) {
      out += c;
      ++i;
      continue;
    }
    char next = text[i + 1];
    if (next == '$') {
      out += '$';
      i += 2;
    } else if (next == '{') {
      size_t close = closing_brace(text, i + 1);
      if (close == std::string_view::npos) return invalid_format(text);
      BERTH_ASSIGN_OR_RETURN(std::string v,
                             braced(text.substr(i + 2, close - i - 2), text, lookup));
      out += v;
      i = close + 1;
    } else if (name_start(next)) {
      size_t end = i + 1;
      while (end < text.size() && name_char(text[end])) ++end;
      out += lookup(text.substr(i + 1, end - i - 1)).value_or("");
      i = end;
    } else {
      out += c;  // "$1", "$ ", "$-": not a variable, kept as written
      ++i;
    }
  }
  return out;
}

}  // namespace berth::compose
