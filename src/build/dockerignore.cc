#include "build/dockerignore.h"

#include <algorithm>

#include "build/text.h"
#include "common/fs.h"
#include "common/strings.h"

// moby/patternmatcher turns a pattern into a Go regexp; here the same pieces are matched by a
// small matcher over characters (code points), keeping its fast paths (exact, prefix "dir/**",
// suffix "**/x") because they match slightly differently from the regexp they replace.

namespace berth::build {

namespace {

enum class Tok {
  kChar,     // one literal character
  kStar,     // *   [^/]*
  kOne,      // ?   [^/]
  kClass,    // [..]
  kAnyDirs,  // **/ (.*/)?
  kAnyTail,  // a final ** not at the start of the pattern: .*
};

struct Range {
  char32_t lo, hi;
};

struct Token {
  Tok kind = Tok::kChar;
  char32_t ch = 0;
  std::vector<Range> ranges;  // kClass
  bool negated = false;       // kClass
};

Token token(Tok kind, char32_t ch = 0) {
  Token t;
  t.kind = kind;
  t.ch = ch;
  return t;
}

std::u32string decode_utf8(std::string_view s) {
  std::u32string out;
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t n = std::min(utf8_len(c), s.size() - i);
    char32_t cp = n == 1 ? c : c & (0x7f >> n);
    for (size_t k = 1; k < n; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3f);
    out += cp;
    i += n;
  }
  return out;
}

// One class item character at p[i] (Go's path.Match getEsc): '\' escapes; an unescaped '-' or
// ']' is malformed here.
bool class_char(const std::u32string& p, size_t& i, char32_t& out) {
  if (i >= p.size() || p[i] == U'-' || p[i] == U']') return false;
  if (p[i] == U'\\' && ++i >= p.size()) return false;
  out = p[i++];
  return true;
}

// "[...]" starting at p[i] == '['; i ends after ']'. False when malformed.
bool parse_class(const std::u32string& p, size_t& i, Token& tok) {
  tok.kind = Tok::kClass;
  ++i;
  if (i < p.size() && p[i] == U'^') {
    tok.negated = true;
    ++i;
  }
  for (;;) {
    if (i >= p.size()) return false;
    if (p[i] == U']' && !tok.ranges.empty()) {
      ++i;
      return true;
    }
    Range r{};
    if (!class_char(p, i, r.lo)) return false;
    r.hi = r.lo;
    if (i < p.size() && p[i] == U'-') {
      ++i;
      if (!class_char(p, i, r.hi)) return false;
    }
    if (r.lo > r.hi) return false;  // the regexp moby builds would not compile
    tok.ranges.push_back(r);
  }
}

bool in_class(const Token& t, char32_t c) {
  bool in = std::any_of(t.ranges.begin(), t.ranges.end(),
                        [&](const Range& r) { return r.lo <= c && c <= r.hi; });
  return in != t.negated;
}

// Whether tokens[t..] match all of s[j..]; memo caches (t, j) results (0 unknown, 1 no, 2 yes).
bool match_from(const std::vector<Token>& toks, size_t t, const std::u32string& s, size_t j,
                std::vector<char>& memo) {
  char& m = memo[t * (s.size() + 1) + j];
  if (m != 0) return m == 2;
  bool ok = false;
  if (t == toks.size()) {
    ok = j == s.size();
  } else {
    const Token& tok = toks[t];
    switch (tok.kind) {
      case Tok::kChar:
        ok = j < s.size() && s[j] == tok.ch && match_from(toks, t + 1, s, j + 1, memo);
        break;
      case Tok::kOne:
        ok = j < s.size() && s[j] != U'/' && match_from(toks, t + 1, s, j + 1, memo);
        break;
      case Tok::kClass:
        ok = j < s.size() && in_class(tok, s[j]) && match_from(toks, t + 1, s, j + 1, memo);
        break;
      case Tok::kStar:
        for (size_t k = j;; ++k) {
          if (match_from(toks, t + 1, s, k, memo)) {
            ok = true;
            break;
          }
          if (k >= s.size() || s[k] == U'/') break;
        }
        break;
      case Tok::kAnyDirs:
        // Nothing, or anything up to and including a '/'.
        ok = match_from(toks, t + 1, s, j, memo);
        for (size_t k = j; !ok && k < s.size(); ++k) {
          if (s[k] == U'/') ok = match_from(toks, t + 1, s, k + 1, memo);
        }
        break;
      case Tok::kAnyTail:
        for (size_t k = j; !ok && k <= s.size(); ++k) ok = match_from(toks, t + 1, s, k, memo);
        break;
    }
  }
  m = ok ? 2 : 1;
  return ok;
}

}  // namespace

struct IgnoreMatcher::Pattern {
  enum Kind { kExact, kPrefix, kSuffix, kGlob };
  std::string text;  // cleaned, without the '!'
  bool exception = false;
  Kind kind = kExact;
  std::vector<Token> tokens;  // kGlob

  // patternmatcher's compile(): the kind of match and, for globs, the tokens. False when the
  // pattern is malformed (what filepath.Match would reject).
  bool compile() {
    std::u32string p = decode_utf8(text);
    for (size_t i = 0, n = 0; i < p.size(); ++n) {
      char32_t c = p[i++];
      if (c == U'*' && i < p.size() && p[i] == U'*') {
        ++i;
        if (i < p.size() && p[i] == U'/') ++i;  // "**/" is "**"
        if (i == p.size()) {
          // A trailing "**" takes everything, like .gitignore.
          if (kind == kExact) {
            kind = kPrefix;
          } else {
            tokens.push_back(token(Tok::kAnyTail));
            kind = kGlob;
          }
        } else {
          tokens.push_back(token(Tok::kAnyDirs));
          kind = kGlob;
        }
        if (n == 0) kind = kSuffix;
      } else if (c == U'*' || c == U'?') {
        tokens.push_back(token(c == U'*' ? Tok::kStar : Tok::kOne));
        kind = kGlob;
      } else if (c == U'\\') {
        if (i == p.size()) return false;  // a trailing '\'
        tokens.push_back(token(Tok::kChar, p[i++]));
        kind = kGlob;
      } else if (c == U'[') {
        Token tok = token(Tok::kClass);
        --i;
        if (!parse_class(p, i, tok)) return false;
        tokens.push_back(std::move(tok));
        kind = kGlob;
      } else {
        tokens.push_back(token(Tok::kChar, c));
      }
    }
    return true;
  }

  bool matches(std::string_view path) const {
    switch (kind) {
      case kExact:
        return path == text;
      case kPrefix:  // "dir/**": strip the "**"
        return path.substr(0, text.size() - 2) == std::string_view(text).substr(0, text.size() - 2);
      case kSuffix: {  // "**/name" or "**name": strip the "**"
        std::string_view suffix = std::string_view(text).substr(2);
        if (path.size() >= suffix.size() && path.substr(path.size() - suffix.size()) == suffix) {
          return true;
        }
        return !suffix.empty() && suffix[0] == '/' && path == suffix.substr(1);  // "**/x" ~ "x"
      }
      case kGlob: {
        std::u32string s = decode_utf8(path);
        std::vector<char> memo((tokens.size() + 1) * (s.size() + 1), 0);
        return match_from(tokens, 0, s, 0, memo);
      }
    }
    return false;
  }

  // MatchesOrParentMatches for one pattern: `path` or one of its parent directories.
  bool matches_or_parent(std::string_view path) const {
    if (matches(path)) return true;
    for (size_t slash = path.find('/'); slash != std::string_view::npos;
         slash = path.find('/', slash + 1)) {
      if (matches(path.substr(0, slash))) return true;
    }
    return false;
  }
};

IgnoreMatcher::IgnoreMatcher() = default;
IgnoreMatcher::~IgnoreMatcher() = default;
IgnoreMatcher::IgnoreMatcher(const IgnoreMatcher&) = default;
IgnoreMatcher::IgnoreMatcher(IgnoreMatcher&&) noexcept = default;
IgnoreMatcher& IgnoreMatcher::operator=(const IgnoreMatcher&) = default;
IgnoreMatcher& IgnoreMatcher::operator=(IgnoreMatcher&&) noexcept = default;

std::vector<std::string> parse_dockerignore(std::string_view text) {
  constexpr std::string_view kBom = "\xEF\xBB\xBF";
  if (text.substr(0, kBom.size()) == kBom) text.remove_prefix(kBom.size());
  std::vector<std::string> out;
  for (const std::string& line : str::split(text, '\n')) {
    if (!line.empty() && line[0] == '#') continue;
    std::string_view p = str::trim(line);
    if (p.empty()) continue;
    bool invert = p[0] == '!';
    if (invert) p = str::trim(p.substr(1));
    std::string pattern(p);
    if (!pattern.empty()) {
      pattern = fs::clean_path(pattern);
      if (pattern.size() > 1 && pattern[0] == '/') pattern.erase(0, 1);
    }
    out.push_back(invert ? "!" + pattern : pattern);
  }
  return out;
}

Result<IgnoreMatcher> IgnoreMatcher::create(const std::vector<std::string>& patterns) {
  IgnoreMatcher m;
  for (const std::string& raw : patterns) {
    std::string_view t = str::trim(raw);
    if (t.empty()) continue;
    Pattern p;
    p.text = fs::clean_path(t);
    if (p.text[0] == '!') {
      if (p.text.size() == 1) {
        return make_error(Errc::kInvalidArgument, "illegal exclusion pattern: \"!\"");
      }
      p.exception = true;
      p.text.erase(0, 1);
      m.has_exceptions_ = true;
    }
    if (!p.compile()) {
      return make_error(Errc::kInvalidArgument, "syntax error in pattern " + go_quote(p.text));
    }
    m.patterns_.push_back(std::move(p));
  }
  return m;
}

bool IgnoreMatcher::excluded(std::string_view path) const {
  std::string p = fs::clean_path(path);
  if (p.size() > 1 && p[0] == '/') p.erase(0, 1);
  if (p == "." || p == "/") return false;
  bool matched = false;
  for (const Pattern& pat : patterns_) {
    // Only a pattern that could change the answer is evaluated, as patternmatcher does.
    if (pat.exception != matched) continue;
    if (pat.matches_or_parent(p)) matched = !pat.exception;
  }
  return matched;
}

bool IgnoreMatcher::can_skip_dir(std::string_view dir) const {
  if (!excluded(dir)) return false;
  std::string dir_slash = fs::clean_path(dir) + "/";
  if (dir_slash[0] == '/') dir_slash.erase(0, 1);
  for (const Pattern& pat : patterns_) {
    if (!pat.exception) continue;
    // fsutil's patternWithoutTrailingGlob: "keep/**" and "keep/*" re-include below "keep".
    std::string_view prefix = pat.text;
    for (std::string_view tail : {"/**", "/*"}) {
      if (prefix.size() >= tail.size() && prefix.substr(prefix.size() - tail.size()) == tail) {
        prefix.remove_suffix(tail.size());
        break;
      }
    }
    if (prefix.find_first_of("*[]?^\\") != std::string_view::npos) return false;
    if (std::string(prefix).append("/").rfind(dir_slash, 0) == 0) return false;
  }
  return true;
}

std::string find_ignore_file(const std::string& context_dir, const std::string& dockerfile) {
  if (!dockerfile.empty()) {
    std::string beside = dockerfile + ".dockerignore";
    if (fs::exists(beside) && !fs::is_dir(beside)) return beside;
  }
  std::string root = fs::join(context_dir, ".dockerignore");
  if (fs::exists(root) && !fs::is_dir(root)) return root;
  return "";
}

Result<IgnoreMatcher> load_ignore_matcher(const std::string& context_dir,
                                          const std::string& dockerfile) {
  std::string path = find_ignore_file(context_dir, dockerfile);
  if (path.empty()) return IgnoreMatcher();
  auto text = fs::read_file(path);
  if (!text) return tl::unexpected(wrap(text.error(), path));
  auto m = IgnoreMatcher::create(parse_dockerignore(*text));
  if (!m) return tl::unexpected(wrap(m.error(), path));
  return m;
}

}  // namespace berth::build
