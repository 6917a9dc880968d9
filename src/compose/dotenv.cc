#include "compose/dotenv.h"

#include "common/fs.h"

namespace berth::compose {
namespace {

// Blanks that are not line ends (compose-go dotenv isSpace).
bool blank(char c) { return c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r'; }
bool space(char c) { return blank(c) || c == '\n'; }
bool key_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '-' || c == '[' || c == ']' ||
         static_cast<unsigned char>(c) >= 0x80;  // letters of other scripts
}

tl::unexpected<Error> line_error(int line, const std::string& what) {
  return make_error(Errc::kInvalidArgument, "line " + std::to_string(line) + ": " + what);
}

// Shell escapes of a double-quoted value (compose-go expandEscapes). `\$` becomes `$$`, so
// that interpolation leaves a literal `$`.
std::string expand_escapes(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\' || i + 1 == s.size()) {
      out += s[i];
      continue;
    }
    char c = s[i + 1];
    const char* simple = nullptr;
    switch (c) {
      case 'a':
        simple = "\a";
        break;
      case 'b':
        simple = "\b";
        break;
      case 'f':
        simple = "\f";
        break;
      case 'n':
        simple = "\n";
        break;
      case 'r':
        simple = "\r";
        break;
      case 't':
        simple = "\t";
        break;
      case 'v':
        simple = "\v";
        break;
      case '"':
        simple = "\"";
        break;
      case '\\':
        simple = "\\";
        break;
      case '$':
        simple = "$$";
        break;
      default:
        break;
    }
    if (simple) {
      out += simple;
      ++i;
    } else if (c == '0') {
      // \0 followed by up to three octal digits.
      size_t j = i + 2;
      unsigned v = 0;
      while (j < s.size() && j < i + 5 && s[j] >= '0' && s[j] <= '7')
        v = v * 8 + unsigned(s[j++] - '0');
      out += static_cast<char>(v & 0xff);
      i = j - 1;
    } else {
      out += '\\';  // not an escape: kept as written
    }
  }
  return out;
}

class Parser {
 public:
  Parser(std::string_view src, const Lookup& lookup) : src_(src), lookup_(lookup) {}

  Result<std::map<std::string, std::string>> run() {
    while (true) {
      skip_to_statement();
      if (src_.empty()) break;
      BERTH_ASSIGN_OR_RETURN(auto key, read_key());
      if (key.first.find(' ') != std::string::npos) {
        return line_error(line_, "key cannot contain a space");
      }
      if (key.second) {  // "KEY" alone: inherited from the environment
        if (auto v = lookup_(key.first)) out_[key.first] = *v;
        continue;
      }
      BERTH_ASSIGN_OR_RETURN(std::string value, read_value());
      out_[key.first] = std::move(value);
    }
    return std::move(out_);
  }

 private:
  void skip_to_statement() {
    while (true) {
      while (!src_.empty() && space(src_[0])) {
        if (src_[0] == '\n') ++line_;
        src_.remove_prefix(1);
      }
      if (src_.empty() || src_[0] != '#') return;
      size_t nl = src_.find('\n');
      src_ = nl == std::string_view::npos ? std::string_view{} : src_.substr(nl);
    }
  }

  // The key and whether it stands alone on its line.
  Result<std::pair<std::string, bool>> read_key() {
    if (src_.starts_with("export") && src_.size() > 6 && space(src_[6])) {
      src_.remove_prefix(6);
      while (!src_.empty() && blank(src_[0])) src_.remove_prefix(1);
    }
    size_t i = 0;
    bool alone = true;  // also when the file ends after the key
    for (; i < src_.size(); ++i) {
      char c = src_[i];
      if (blank(c)) continue;
      if (c == '=' || c == ':' || c == '\n') {
        alone = c == '\n';
        break;
      }
      if (!key_char(c)) {
        std::string_view first_line = src_.substr(0, src_.find('\n'));
        return line_error(line_, "unexpected character \"" + std::string(1, c) +
                                     "\" in variable name \"" + std::string(first_line) + "\"");
      }
    }
    std::string key(str_trim_right(src_.substr(0, i)));
    src_ = i < src_.size() ? src_.substr(i + 1) : std::string_view{};
    if (alone) {
      ++line_;
    } else {
      while (!src_.empty() && blank(src_[0])) src_.remove_prefix(1);
    }
    return std::make_pair(std::move(key), alone);
  }

  Result<std::string> read_value() {
    if (src_.empty() || (src_[0] != '"' && src_[0] != '\'')) {
      size_t nl = src_.find('\n');
      std::string_view value = src_.substr(0, nl);
      src_ = nl == std::string_view::npos ? std::string_view{} : src_.substr(nl + 1);
      ++line_;
      if (size_t c = value.find(" #"); c != std::string_view::npos) value = value.substr(0, c);
      return expand(str_trim_right(value));
    }
    char quote = src_[0];
    int start_line = line_;
    std::string chars;
    bool escaped = false;
    for (size_t i = 1; i < src_.size(); ++i) {
      char c = src_[i];
      if (c == '\n') ++line_;
      if (c != quote) {
        if (!escaped && c == '\\') {
          escaped = true;
          continue;
        }
        if (escaped) {
          escaped = false;
          chars += '\\';
        }
        chars += c;
        continue;
      }
      if (escaped) {  // \" or \' : the quote itself
        escaped = false;
        chars += c;
        continue;
      }
      src_ = src_.substr(i + 1);
      if (quote == '\'') return chars;
      return expand(expand_escapes(chars));
    }
    std::string_view rest = src_.substr(0, src_.find('\n'));
    return line_error(start_line, "unterminated quoted value " + std::string(rest));
  }

  Result<std::string> expand(std::string_view value) {
    return interpolate(value, [this](std::string_view name) -> std::optional<std::string> {
      if (auto v = lookup_(name)) return v;
      if (auto it = out_.find(std::string(name)); it != out_.end()) return it->second;
      return std::nullopt;
    });
  }

  static std::string_view str_trim_right(std::string_view s) {
    while (!s.empty() && space(s.back())) s.remove_suffix(1);
    return s;
  }

  std::string_view src_;
  const Lookup& lookup_;
  std::map<std::string, std::string> out_;
  int line_ = 1;
};

}  // namespace

Result<std::map<std::string, std::string>> parse_dotenv(std::string_view text,
                                                        const Lookup& lookup) {
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  return Parser(text, lookup).run();
}

Result<std::map<std::string, std::string>> read_dotenv(const std::string& path,
                                                       const Lookup& lookup) {
  BERTH_ASSIGN_OR_RETURN(std::string text, fs::read_file(path));
  auto vars = parse_dotenv(text, lookup);
  if (!vars) return tl::unexpected(wrap(vars.error(), "failed to read " + path));
  return vars;
}

}  // namespace berth::compose
