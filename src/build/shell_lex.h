// Variable expansion in Dockerfile words, as BuildKit's shell lexer does it
// (moby/buildkit frontend/dockerfile/shell/lex.go), which the Dockerfile reference describes
// under "Environment replacement":
//   $v  ${v}             the value; "" when unset
//   ${v:-w}  ${v-w}      w when v is unset or empty (:-), or unset (-); else the value
//   ${v:+w}  ${v+w}      w when v is set and non-empty (:+), or set (+); else ""
//   ${v:?msg} ${v?msg}   error "v: msg" when v is unset or empty (:?), or unset (?)
//   ${v#p}  ${v##p}      the value without its shortest / longest prefix matching glob p
//   ${v%p}  ${v%%p}      the value without its shortest / longest suffix matching p
//   ${v/p/r} ${v//p/r}   the first / every longest match of p replaced with r
// w, msg, p and r are expanded too. Globs know `*`, `?` and `\` (escapes * ? \ } /).
// Quoting: '...' is literal; "..." expands $ forms and lets the escape character escape
// `"`, `$` and itself; elsewhere the escape character makes the next character literal (a
// trailing one is dropped). Quotes are removed from the result. Positional and special
// parameters ($1, $@, $*, $#, $?, $-, $$, $!, $0) are never set.
// Differences from BuildKit (Go runes): whitespace is ASCII whitespace, and a variable name
// is [A-Za-z0-9_] plus any non-ASCII byte (Go takes any Unicode letter or digit).
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/error.h"

namespace berth::build {

// The variables in scope for expansion: build args and the stage's ENV, in definition order.
class Vars {
 public:
  Vars() = default;
  Vars(std::initializer_list<std::pair<std::string, std::string>> items);
  // From "K=V" strings (an image config's Env); "K" alone sets K to "". Later entries win.
  static Vars from_env(const std::vector<std::string>& env);

  // Sets `name`; a name already set keeps its place in items() (llb.EnvList.AddOrReplace).
  void set(std::string_view name, std::string value);
  // The value of `name`, nullptr when unset (set-but-empty is ""). Names are case-sensitive.
  const std::string* get(std::string_view name) const;
  const std::vector<std::pair<std::string, std::string>>& items() const { return items_; }

 private:
  std::vector<std::pair<std::string, std::string>> items_;
};

class ShellLexer {
 public:
  // BuildKit's Lex switches; all off is how the builder expands instruction words.
  struct Options {
    bool keep_quotes = false;   // RawQuotes: quotes stay in the result
    bool keep_escapes = false;  // RawEscapes: escape characters stay in the result
    bool no_quotes = false;     // SkipProcessQuotes: ' and " are ordinary characters
    bool keep_unset = false;    // SkipUnsetEnv: references to unset variables stay as written
  };

  // `escape` is the Dockerfile's escape character, '\' or '`' (Dockerfile::escape).
  explicit ShellLexer(char escape = '\\') : ShellLexer(escape, Options{}) {}
  ShellLexer(char escape, Options options) : escape_(escape), options_(options) {}

  // `word` with its variables expanded and its quotes removed, spaces kept (Lex.ProcessWord):
  // ENV/LABEL keys and values, COPY/ADD paths, WORKDIR, USER, VOLUME, FROM, ...
  // Errors: kInvalidArgument "failed to process \"<word>\": <why>" (unterminated quote,
  // bad ${...} syntax, a ${v:?msg} that fires, a bad glob).
  Result<std::string> expand(std::string_view word, const Vars& vars) const;

  // Like expand(), then split at unquoted whitespace, also whitespace that a variable's value
  // brought in (Lex.ProcessWords): EXPOSE's ports. "" and `""` give no word.
  Result<std::vector<std::string>> expand_words(std::string_view word, const Vars& vars) const;

  char escape() const { return escape_; }

 private:
  char escape_;
  Options options_;
};

// A heredoc body expanded for COPY/ADD <<EOF (BuildKit's ExpandRaw: a Lex('\') with
// SkipProcessQuotes): $ forms are expanded, quotes are text. Errors as ShellLexer::expand.
Result<std::string> expand_heredoc(std::string_view content, const Vars& vars);

}  // namespace berth::build
