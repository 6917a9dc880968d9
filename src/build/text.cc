#include "build/text.h"

#include "common/strings.h"

#include <algorithm>
#include <cstdio>

namespace berth::build {

std::string go_quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned char>(c));
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

namespace {

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

}  // namespace

std::string with_suggestion(std::string message, std::string_view value,
                            const std::vector<std::string>& options, bool case_sensitive) {
  std::string v = case_sensitive ? std::string(value) : str::to_lower(value);
  std::string match;
  size_t best = 3;
  for (const std::string& option : options) {
    std::string o = case_sensitive ? option : str::to_lower(option);
    if (o == v) return message;  // an exact match: the error is about something else
    size_t d = edit_distance(v, o);
    if (d < best) {
      best = d;
      match = o;
    }
  }
  if (match.empty()) return message;
  if (!case_sensitive && value != str::to_lower(value) && value == str::to_upper(value)) {
    match = str::to_upper(match);
  }
  return message + " (did you mean " + match + "?)";
}

}  // namespace berth::build
