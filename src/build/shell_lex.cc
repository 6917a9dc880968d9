#include "build/shell_lex.h"

#include <algorithm>

#include "build/text.h"

// The scanner mirrors lex.go's structure (processStopOn, processDollar, the quote functions)
// so that its corner cases — what is kept raw, when an error fires — can be checked against
// it line by line; it works on bytes, which is the same for the ASCII characters that matter.

namespace berth::build {
namespace {

constexpr int kEof = -1;

tl::unexpected<Error> lex_error(std::string message) {
  return make_error(Errc::kInvalidArgument, std::move(message));
}

// The words of ProcessWords: whitespace from the text splits, quoted text never does.
class Words {
 public:
  void add_char(char c) {
    if (is_space(c)) {
      if (in_word_ && !buf_.empty()) flush();
    } else {
      add_raw(c);
    }
  }
  void add_raw(char c) {
    buf_ += c;
    in_word_ = true;
  }
  void add_string(std::string_view s) {
    for (char c : s) add_char(c);
  }
  void add_raw_string(std::string_view s) {
    buf_ += s;
    in_word_ = true;
  }
  std::vector<std::string> take() {
    if (!buf_.empty()) flush();
    return std::move(words_);
  }

 private:
  void flush() {
    words_.push_back(std::move(buf_));
    buf_.clear();
    in_word_ = false;
  }
  std::string buf_;
  std::vector<std::string> words_;
  bool in_word_ = false;
};

// ${v#p}, ${v%p} and ${v/p/r} patterns: literal characters, `*` and `?`
// (lex.go convertShellPatternToRegex, matched here without a regex engine).
class Glob {
 public:
  static Result<Glob> compile(std::string_view p) {
    Glob g;
    for (size_t i = 0; i < p.size();) {
      char c = p[i];
      if (c == '*' || c == '?') {
        g.toks_.push_back({c == '*' ? kStar : kOne, {}});
        ++i;
        continue;
      }
      if (c == '\\') {
        // "\}" and "\/" only kept '}' and '/' from closing the ${...}; the escape is not
        // part of the pattern.
        if (i + 1 < p.size() && (p[i + 1] == '}' || p[i + 1] == '/')) {
          ++i;
          continue;
        }
        if (i + 1 >= p.size() || (p[i + 1] != '*' && p[i + 1] != '?' && p[i + 1] != '\\')) {
          std::string_view bad = i + 1 < p.size() ? p.substr(i + 1, 1) : "";
          return lex_error("invalid pattern (" + std::string(p) +
                           ") in substitution: " + "invalid escape '\\" + std::string(bad) + "'");
        }
        g.toks_.push_back({kChar, std::string(1, p[i + 1])});
        i += 2;
        continue;
      }
      size_t n = std::min(utf8_len(static_cast<unsigned char>(c)), p.size() - i);
      g.toks_.push_back({kChar, std::string(p.substr(i, n))});
      i += n;
    }
    return g;
  }

  // Whether the whole of `s` matches: the classic one-star backtracking walk, by characters.
  bool matches(std::string_view s) const {
    size_t t = 0, j = 0;
    size_t star_t = std::string::npos, star_j = 0;
    while (j < s.size()) {
      size_t n = char_len(s, j);
      if (t < toks_.size() && toks_[t].kind == kStar) {
        star_t = t++;
        star_j = j;
      } else if (t < toks_.size() && (toks_[t].kind == kOne || s.substr(j, n) == toks_[t].ch)) {
        ++t;
        j += n;
      } else if (star_t != std::string::npos) {
        t = star_t + 1;
        star_j += char_len(s, star_j);
        j = star_j;
      } else {
        return false;
      }
    }
    while (t < toks_.size() && toks_[t].kind == kStar) ++t;
    return t == toks_.size();
  }

  // End of the longest match starting at `from`, or npos.
  size_t longest_at(std::string_view s, size_t from) const {
    for (size_t end = s.size() + 1; end-- > from;) {
      if (boundary(s, end) && matches(s.substr(from, end - from))) return end;
    }
    return std::string::npos;
  }

  static size_t char_len(std::string_view s, size_t i) {
    return std::min(utf8_len(static_cast<unsigned char>(s[i])), s.size() - i);
  }
  // Whether `i` starts a character (or is the end), so cuts never split a UTF-8 sequence.
  static bool boundary(std::string_view s, size_t i) {
    return i >= s.size() || (static_cast<unsigned char>(s[i]) & 0xc0) != 0x80;
  }

 private:
  enum Kind { kChar, kStar, kOne };
  struct Tok {
    Kind kind;
    std::string ch;
  };
  std::vector<Tok> toks_;
};

// ${v#p} (prefix) and ${v%p} (suffix): the shortest match, or the longest when `greedy`.
std::string trim_match(const Glob& g, std::string_view value, bool prefix, bool greedy) {
  size_t n = value.size();
  for (size_t k = 0; k <= n; ++k) {
    // k counts from the shortest cut to the longest, or the other way when greedy.
    size_t len = greedy ? n - k : k;
    if (prefix) {
      if (Glob::boundary(value, len) && g.matches(value.substr(0, len))) {
        return std::string(value.substr(len));
      }
    } else if (Glob::boundary(value, n - len) && g.matches(value.substr(n - len))) {
      return std::string(value.substr(0, n - len));
    }
  }
  return std::string(value);
}

// ${v/p/r} and ${v//p/r}: leftmost-longest matches, as Go's ReplaceAllString finds them with
// greedy stars (an empty match right after a match is skipped).
std::string replace_match(const Glob& g, std::string_view value, std::string_view repl, bool all) {
  std::string out;
  size_t i = 0;
  size_t last_end = std::string::npos;
  for (;;) {
    size_t end = g.longest_at(value, i);
    if (end != std::string::npos && !(end == i && last_end == i)) {
      out += repl;
      last_end = end;
      if (!all) return out + std::string(value.substr(end));
      if (end > i) {
        i = end;
        continue;
      }
    }
    if (i >= value.size()) return out;
    size_t n = Glob::char_len(value, i);
    out += value.substr(i, n);
    i += n;
  }
}

bool is_special_param(int c) {
  return c == '@' || c == '*' || c == '#' || c == '?' || c == '-' || c == '$' || c == '!' ||
         c == '0';
}
bool is_digit(int c) { return c >= '0' && c <= '9'; }
bool is_name_char(int c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '_' || c >= 0x80;
}

struct Processed {
  std::string result;
  std::vector<std::string> words;
};

class Processor {
 public:
  Processor(std::string_view src, const Vars& vars, char escape, ShellLexer::Options options)
      : src_(src),
        vars_(vars),
        escape_(escape),
        opt_(options),
        raw_escapes_(options.keep_escapes) {}

  Result<Processed> run() { return stop_on(kEof, opt_.keep_escapes); }

 private:
  int peek() const { return pos_ < src_.size() ? static_cast<unsigned char>(src_[pos_]) : kEof; }
  int next() { return pos_ < src_.size() ? static_cast<unsigned char>(src_[pos_++]) : kEof; }

  // Reads up to `stop` (consumed) or the end; kEof never stops early.
  Result<Processed> stop_on(int stop, bool raw_escapes) {
    bool saved = raw_escapes_;
    raw_escapes_ = raw_escapes;
    auto r = stop_on_inner(stop);
    raw_escapes_ = saved;
    return r;
  }

  Result<Processed> stop_on_inner(int stop) {
    std::string result;
    Words words;
    while (peek() != kEof) {
      int c = peek();
      if (stop != kEof && c == stop) {
        next();
        return Processed{std::move(result), words.take()};
      }
      if (c == '$' || c == '<' || (!opt_.no_quotes && (c == '\'' || c == '"'))) {
        Result<std::string> part = c == '$'    ? dollar()
                                   : c == '<'  ? possible_heredoc()
                                   : c == '\'' ? single_quote()
                                               : double_quote();
        if (!part) return tl::unexpected(part.error());
        result += *part;
        // A variable's value splits into words; quoted text and heredoc markers do not.
        if (c == '$') {
          words.add_string(*part);
        } else {
          words.add_raw_string(*part);
        }
        continue;
      }
      c = next();
      if (c == escape_) {
        if (raw_escapes_) {
          words.add_raw(static_cast<char>(c));
          result += static_cast<char>(c);
        }
        c = next();
        if (c == kEof) break;  // a trailing escape character is dropped
        words.add_raw(static_cast<char>(c));
      } else {
        words.add_char(static_cast<char>(c));
      }
      result += static_cast<char>(c);
    }
    if (stop != kEof) {
      return lex_error("unexpected end of statement while looking for matching " +
                       std::string(1, static_cast<char>(stop)));
    }
    return Processed{std::move(result), words.take()};
  }

  Result<std::string> single_quote() {
    std::string result;
    int c = next();
    if (opt_.keep_quotes) result += static_cast<char>(c);
    for (;;) {
      c = next();
      if (c == kEof) {
        return lex_error("unexpected end of statement while looking for matching single-quote");
      }
      if (c == '\'') {
        if (opt_.keep_quotes) result += '\'';
        return result;
      }
      result += static_cast<char>(c);
    }
  }

  Result<std::string> double_quote() {
    std::string result;
    int c = next();
    if (opt_.keep_quotes) result += static_cast<char>(c);
    for (;;) {
      c = peek();
      if (c == kEof) {
        return lex_error("unexpected end of statement while looking for matching double-quote");
      }
      if (c == '"') {
        next();
        if (opt_.keep_quotes) result += '"';
        return result;
      }
      if (c == '$') {
        auto value = dollar();
        if (!value) return value;
        result += *value;
        continue;
      }
      c = next();
      if (c == escape_) {
        int after = peek();
        if (after == kEof) continue;  // dropped; the loop then reports the missing quote
        // Only ", $ and the escape character itself can be escaped inside double quotes.
        if (after == '"' || after == '$' || after == escape_) {
          if (raw_escapes_) result += static_cast<char>(c);
          c = next();
        }
      }
      result += static_cast<char>(c);
    }
  }

  // "<<" plus the blanks after it stay together, so that "<< EOF" reads as one heredoc word.
  Result<std::string> possible_heredoc() {
    next();
    if (peek() != '<') return std::string("<");
    next();
    std::string result = "<<";
    while (peek() == ' ' || peek() == '\t' || peek() == '\r') result += static_cast<char>(next());
    return result;
  }

  std::string name() {
    std::string n;
    while (peek() != kEof) {
      int c = peek();
      if (n.empty() && is_digit(c)) {
        while (is_digit(peek())) n += static_cast<char>(next());
        return n;
      }
      if (n.empty() && is_special_param(c)) return std::string(1, static_cast<char>(next()));
      if (!is_name_char(c)) break;
      n += static_cast<char>(next());
    }
    return n;
  }

  const std::string* lookup(const std::string& n) const { return vars_.get(n); }

  Result<std::string> dollar() {
    next();  // '$'
    if (peek() != '{') {
      std::string n = name();
      if (n.empty()) return std::string("$");
      const std::string* v = lookup(n);
      if (!v) return opt_.keep_unset ? "$" + n : std::string();
      return *v;
    }
    next();  // '{'
    int c = peek();
    if (c == kEof) return lex_error("syntax error: missing '}'");
    if (c == '{' || c == '}' || c == ':') return lex_error("syntax error: bad substitution");
    std::string n = name();
    c = next();
    if (c == kEof) return lex_error("syntax error: missing '}'");
    if (c == '}') {
      const std::string* v = lookup(n);
      if (!v) return opt_.keep_unset ? "${" + n + "}" : std::string();
      return *v;
    }
    if (c == '/') return substitute(n);

    std::string modifier(1, static_cast<char>(c));
    bool null_is_unset = false;
    if (c == ':') {
      null_is_unset = true;
      c = next();
      if (c != kEof) modifier += static_cast<char>(c);
    }
    bool pattern = c == '#' || c == '%';
    bool known = c == '-' || c == '+' || c == '?' || pattern;
    if (!known || (null_is_unset && pattern)) {
      if (c == kEof) return lex_error("syntax error: missing '}'");
      return lex_error("unsupported modifier (" + modifier + ") in substitution");
    }
    auto word = stop_on('}', pattern);
    if (!word) {
      if (peek() == kEof) return lex_error("syntax error: missing '}'");
      return tl::unexpected(word.error());
    }
    std::string w = std::move(word->result);
    const std::string* v = lookup(n);
    if (!v && opt_.keep_unset) return "${" + n + modifier + w + "}";
    bool empty = !v || (null_is_unset && v->empty());
    switch (c) {
      case '-':
        return empty ? w : *v;
      case '+':
        return empty ? std::string() : w;
      case '?':
        if (!v) return lex_error(n + ": " + (w.empty() ? "is not allowed to be unset" : w));
        if (empty) return lex_error(n + ": " + (w.empty() ? "is not allowed to be empty" : w));
        return *v;
      default: {  // '#' or '%'; doubled means longest
        bool greedy = !w.empty() && w[0] == c;
        if (greedy) w.erase(0, 1);
        auto g = Glob::compile(w);
        if (!g) return tl::unexpected(g.error());
        return trim_match(*g, v ? *v : std::string(), c == '#', greedy);
      }
    }
  }

  // After "${name/": [/]pattern/replacement}
  Result<std::string> substitute(const std::string& n) {
    bool all = peek() == '/';
    if (all) next();
    auto pat = stop_on('/', true);
    if (!pat) {
      if (peek() == kEof) return lex_error("syntax error: missing '/' in ${}");
      return tl::unexpected(pat.error());
    }
    auto repl = stop_on('}', true);
    if (!repl) {
      if (peek() == kEof) return lex_error("syntax error: missing '}'");
      return tl::unexpected(repl.error());
    }
    const std::string* v = lookup(n);
    if (!v && opt_.keep_unset) {
      return "${" + n + "/" + pat->result + "/" + repl->result + "}";
    }
    auto g = Glob::compile(pat->result);
    if (!g) return tl::unexpected(g.error());
    return replace_match(*g, v ? *v : std::string(), repl->result, all);
  }

  std::string_view src_;
  size_t pos_ = 0;
  const Vars& vars_;
  char escape_;
  ShellLexer::Options opt_;
  bool raw_escapes_;
};

Result<Processed> process(std::string_view word, const Vars& vars, char escape,
                          ShellLexer::Options options) {
  auto r = Processor(word, vars, escape, options).run();
  if (!r) {
    return make_error(Errc::kInvalidArgument,
                      "failed to process " + go_quote(word) + ": " + r.error().message);
  }
  return r;
}

}  // namespace

Vars::Vars(std::initializer_list<std::pair<std::string, std::string>> items) {
  for (const auto& [k, v] : items) set(k, v);
}

Vars Vars::from_env(const std::vector<std::string>& env) {
  Vars vars;
  for (const std::string& e : env) {
    size_t eq = e.find('=');
    if (eq == std::string::npos) {
      vars.set(e, "");
    } else {
      vars.set(std::string_view(e).substr(0, eq), e.substr(eq + 1));
    }
  }
  return vars;
}

void Vars::set(std::string_view name, std::string value) {
  for (auto& [k, v] : items_) {
    if (k == name) {
      v = std::move(value);
      return;
    }
  }
  items_.emplace_back(std::string(name), std::move(value));
}

const std::string* Vars::get(std::string_view name) const {
  for (const auto& [k, v] : items_) {
    if (k == name) return &v;
  }
  return nullptr;
}

Result<std::string> ShellLexer::expand(std::string_view word, const Vars& vars) const {
  BERTH_ASSIGN_OR_RETURN(Processed p, process(word, vars, escape_, options_));
  return std::move(p.result);
}

Result<std::vector<std::string>> ShellLexer::expand_words(std::string_view word,
                                                          const Vars& vars) const {
  BERTH_ASSIGN_OR_RETURN(Processed p, process(word, vars, escape_, options_));
  return std::move(p.words);
}

Result<std::string> expand_heredoc(std::string_view content, const Vars& vars) {
  ShellLexer::Options raw;
  raw.no_quotes = true;
  return ShellLexer('\\', raw).expand(content, vars);
}

}  // namespace berth::build
