#include "build/parser.h"

#include <algorithm>
#include <cctype>
#include <set>
#include <tuple>
#include <utility>

#include "build/text.h"
#include "common/json.h"
#include "common/strings.h"

namespace berth::build::detail {
namespace {

constexpr std::string_view kBom = "\xEF\xBB\xBF";

// Lines with their line ends kept (BuildKit scanLines), since heredoc bodies keep them.
std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    size_t n = nl == std::string_view::npos ? text.size() : nl + 1;
    lines.push_back(text.substr(0, n));
    text.remove_prefix(n);
  }
  return lines;
}

std::string_view trim_newline(std::string_view s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

std::string_view trim_left_space(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  return s;
}

bool is_comment(std::string_view line) {
  line = trim_left_space(line);
  return !line.empty() && line.front() == '#';
}

// [\t\v\f\r ], BuildKit's reWhitespace (no '\n': lines have none by then).
bool is_blank(char c) { return c != '\n' && is_space(c); }

std::vector<std::string> split_blanks(std::string_view s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && is_blank(s[i])) ++i;
    size_t start = i;
    while (i < s.size() && !is_blank(s[i])) ++i;
    if (i > start) out.emplace_back(s.substr(start, i - start));
  }
  return out;
}

// Parser directives (BuildKit directives.go DirectiveParser): "# name=value" lines before
// anything else; the first other line (instruction, comment, blank) ends them.
class Directives {
 public:
  // Looks at one more line (without its line end). Errors: a repeated directive, a bad escape.
  Result<void> feed(std::string_view line) {
    if (done_) return {};
    if (line.empty() || line.front() != '#') return finish();
    line = trim_left_space(line.substr(1));
    size_t n = 0;
    while (n < line.size() && (std::isalnum(static_cast<unsigned char>(line[n])) != 0)) ++n;
    if (n == 0 || std::isalpha(static_cast<unsigned char>(line[0])) == 0) return finish();
    std::string key = str::to_lower(line.substr(0, n));
    std::string_view rest = trim_left_space(line.substr(n));
    if (rest.empty() || rest.front() != '=') return finish();
    rest.remove_prefix(1);
    // `\s*(.+?)\s*$`: trimmed, but an all-blank value keeps its last character.
    std::string_view value = str::trim(rest);
    if (value.empty()) {
      if (rest.empty()) return finish();
      value = rest.substr(rest.size() - 1);
    }
    if (key != "syntax" && key != "escape" && key != "check") return finish();
    if (!seen_.insert(key).second) {
      return make_error(Errc::kInvalidArgument,
                        "only one " + key + " parser directive can be used");
    }
    if (key == "escape") {
      if (value != "`" && value != "\\") {
        return make_error(Errc::kInvalidArgument, "invalid escape token '" + std::string(value) +
                                                      "' does not match ` or \\");
      }
      escape = value.front();
    } else if (key == "syntax") {
      syntax = value;
    } else {
      check = value;
    }
    return {};
  }

  char escape = '\\';
  std::string syntax, check;

 private:
  Result<void> finish() {
    done_ = true;
    return {};
  }
  bool done_ = false;
  std::set<std::string> seen_;
};

// The line without its continuation escape, and whether the instruction ends here (BuildKit
// lineContinuationRegex `([^\\])\\[ \t]*$|^\\[ \t]*$`: an escape that is the last non-blank
// character and is not itself escaped).
std::pair<std::string_view, bool> trim_continuation(std::string_view line, char escape) {
  size_t end = line.size();
  while (end > 0 && (line[end - 1] == ' ' || line[end - 1] == '\t')) --end;
  if (end == 0 || line[end - 1] != escape) return {line, true};
  if (end == 1) return {std::string_view(), false};
  if (line[end - 2] == escape) return {line, true};
  return {line.substr(0, end - 1), false};
}

// The leading "--flag" words of an instruction's arguments, and what follows them (BuildKit
// extractBuilderFlags). Quotes are removed and the escape char escapes; "--" ends the flags.
std::pair<std::string_view, std::vector<std::string>> extract_flags(std::string_view line,
                                                                    char escape) {
  enum { kSpaces, kWord, kQuote } phase = kSpaces;
  std::vector<std::string> words;
  std::string word;
  char quote = 0;
  bool blank_ok = false;
  for (size_t pos = 0; pos <= line.size(); ++pos) {
    char c = pos < line.size() ? line[pos] : '\0';
    if (phase == kSpaces) {
      if (pos == line.size()) break;
      if (is_space(c)) continue;
      if (c != '-' || pos + 1 == line.size() || line[pos + 1] != '-') {
        return {line.substr(pos), std::move(words)};
      }
      phase = kWord;
    }
    if (pos == line.size()) {
      if (word != "--" && (blank_ok || !word.empty())) words.push_back(std::move(word));
      break;
    }
    if (phase == kWord) {
      if (is_space(c)) {
        phase = kSpaces;
        if (word == "--") return {line.substr(pos), std::move(words)};
        if (blank_ok || !word.empty()) words.push_back(word);
        word.clear();
        blank_ok = false;
        continue;
      }
      if (c == '\'' || c == '"') {
        quote = c;
        blank_ok = true;
        phase = kQuote;
        continue;
      }
      if (c == escape) {
        if (pos + 1 == line.size()) continue;
        c = line[++pos];
      }
      word += c;
      continue;
    }
    if (c == quote) {
      phase = kWord;
      continue;
    }
    if (c == escape) {
      if (pos + 1 == line.size()) {
        phase = kWord;
        continue;
      }
      c = line[++pos];
    }
    word += c;
  }
  return {std::string_view(), std::move(words)};
}

// Words split at unquoted whitespace, quotes and escapes kept for the later expansion
// (BuildKit parseWords): ENV/LABEL "k=v" pairs, ARG.
std::vector<std::string> parse_words(std::string_view rest, char escape) {
  enum { kSpaces, kWord, kQuote } phase = kSpaces;
  std::vector<std::string> words;
  std::string word;
  char quote = 0;
  bool blank_ok = false;
  for (size_t pos = 0; pos <= rest.size(); ++pos) {
    char c = pos < rest.size() ? rest[pos] : '\0';
    if (phase == kSpaces) {
      if (pos == rest.size()) break;
      if (is_space(c)) continue;
      phase = kWord;
    }
    if (pos == rest.size()) {
      if (blank_ok || !word.empty()) words.push_back(std::move(word));
      break;
    }
    if (phase == kWord) {
      if (is_space(c)) {
        phase = kSpaces;
        if (blank_ok || !word.empty()) words.push_back(word);
        word.clear();
        blank_ok = false;
        continue;
      }
      if (c == '\'' || c == '"') {
        quote = c;
        blank_ok = true;
        phase = kQuote;
      }
      if (c == escape) {
        if (pos + 1 == rest.size()) continue;  // a trailing escape is dropped
        word += c;
        c = rest[++pos];
      }
      word += c;
      continue;
    }
    if (c == quote) phase = kWord;
    if (c == escape && quote != '\'') {  // nothing escapes inside '...'
      if (pos + 1 == rest.size()) {
        phase = kWord;
        continue;
      }
      word += c;
      c = rest[++pos];
    }
    word += c;
  }
  return words;
}

// A JSON array of strings, nullopt when `rest` is not a JSON array (BuildKit parseJSON).
// Errors: a JSON array holding anything but strings.
Result<std::optional<std::vector<std::string>>> parse_json_array(std::string_view rest) {
  rest = trim_left_space(rest);
  if (rest.empty() || rest.front() != '[') return std::nullopt;
  auto j = parse_json(rest, "JSON array");
  if (!j || !j->is_array()) return std::nullopt;
  std::vector<std::string> out;
  for (const Json& e : *j) {
    if (!e.is_string()) {
      return make_error(Errc::kInvalidArgument,
                        "when using JSON array syntax, arrays must be comprised of strings only");
    }
    out.push_back(e.get<std::string>());
  }
  return out;
}

// Exec form when JSON, else the whole text as one argument (BuildKit parseMaybeJSON).
Result<void> parse_maybe_json(std::string_view rest, Node& n) {
  if (rest.empty()) return {};
  BERTH_ASSIGN_OR_RETURN(auto json, parse_json_array(rest));
  if (json) {
    n.args = std::move(*json);
    n.json = true;
  } else {
    n.args = {std::string(rest)};
  }
  return {};
}

// Exec form when JSON, else whitespace-split words (BuildKit parseMaybeJSONToList).
Result<void> parse_maybe_json_to_list(std::string_view rest, Node& n) {
  BERTH_ASSIGN_OR_RETURN(auto json, parse_json_array(rest));
  if (json) {
    n.args = std::move(*json);
    n.json = true;
  } else {
    n.args = split_blanks(rest);
  }
  return {};
}

// ENV and LABEL: "name value" (legacy) or name=value pairs (BuildKit parseNameVal).
Result<void> parse_name_val(std::string_view rest, std::string_view what, char escape, Node& n) {
  std::vector<std::string> words = parse_words(rest, escape);
  if (words.empty()) return {};
  if (words[0].find('=') == std::string::npos) {
    size_t i = 0;
    while (i < rest.size() && !is_blank(rest[i])) ++i;
    size_t j = i;
    while (j < rest.size() && is_blank(rest[j])) ++j;
    if (j == i) {
      return make_error(Errc::kInvalidArgument, std::string(what) + " must have two arguments");
    }
    n.args = {std::string(rest.substr(0, i)), std::string(rest.substr(j)), ""};
    return {};
  }
  for (const std::string& w : words) {
    size_t eq = w.find('=');
    if (eq == std::string::npos) {
      return make_error(Errc::kInvalidArgument, "Syntax error - can't find = in " + go_quote(w) +
                                                    ". Must be of the form: name=value");
    }
    n.args.push_back(w.substr(0, eq));
    n.args.push_back(w.substr(eq + 1));
    n.args.push_back("=");
  }
  return {};
}

// HEALTHCHECK: its type word, then the command as parse_maybe_json reads it.
Result<void> parse_health(std::string_view rest, Node& n) {
  size_t sep = 0;
  while (sep < rest.size() && !is_space(rest[sep])) ++sep;
  if (sep == 0) return {};
  Node cmd;
  BERTH_TRY(parse_maybe_json(trim_left_space(rest.substr(sep)), cmd));
  n.args = {std::string(rest.substr(0, sep))};
  n.args.insert(n.args.end(), cmd.args.begin(), cmd.args.end());
  n.json = cmd.json;
  return {};
}

// One instruction's text -> Node (BuildKit newNodeFromLine + splitCommand + its dispatch table).
// Unknown keywords get no arguments; instructions.cc reports them.
Result<Node> node_from_line(std::string_view line, char escape) {
  Node n;
  n.original = std::string(line);
  std::string_view text = str::trim(line);
  size_t k = 0;
  while (k < text.size() && !is_blank(text[k])) ++k;
  n.keyword = std::string(text.substr(0, k));
  std::string_view rest;
  if (k < text.size()) {
    auto [after, flags] = extract_flags(trim_left_space(text.substr(k)), escape);
    n.flags = std::move(flags);
    rest = str::trim(after);
  }

  std::string kw = str::to_lower(n.keyword);
  if (kw == "add" || kw == "copy" || kw == "volume") {
    BERTH_TRY(parse_maybe_json_to_list(rest, n));
  } else if (kw == "cmd" || kw == "entrypoint" || kw == "run" || kw == "shell") {
    BERTH_TRY(parse_maybe_json(rest, n));
  } else if (kw == "env" || kw == "label") {
    BERTH_TRY(parse_name_val(rest, kw == "env" ? "ENV" : "LABEL", escape, n));
  } else if (kw == "arg") {
    n.args = parse_words(rest, escape);
  } else if (kw == "expose" || kw == "from") {
    n.args = split_blanks(rest);
  } else if (kw == "healthcheck") {
    BERTH_TRY(parse_health(rest, n));
  } else if (kw == "maintainer" || kw == "stopsignal" || kw == "user" || kw == "workdir") {
    if (!rest.empty()) n.args = {std::string(rest)};
  } else if (kw == "onbuild") {
    if (!rest.empty()) {
      BERTH_ASSIGN_OR_RETURN(Node child, node_from_line(rest, escape));
      n.child = std::make_shared<Node>(std::move(child));
    }
  }
  return n;
}

// Whether the instruction reads heredoc bodies: RUN, COPY, ADD (also as ONBUILD triggers), not
// in exec form.
bool can_contain_heredoc(const Node& n) {
  const Node& target = str::to_lower(n.keyword) == "onbuild" && n.child ? *n.child : n;
  std::string kw = str::to_lower(target.keyword);
  return (kw == "run" || kw == "copy" || kw == "add") && !target.json;
}

// The heredocs an instruction line opens, in order (BuildKit heredocsFromLine): its words read
// with quotes and escapes kept, then each checked with parse_heredoc_word. A line the lexer
// cannot read (an unterminated quote) opens none.
Result<std::vector<Heredoc>> heredocs_from_line(std::string_view line) {
  ShellLexer::Options raw;
  raw.keep_quotes = raw.keep_escapes = raw.keep_unset = true;
  auto words = ShellLexer('\\', raw).expand_words(line, Vars{});
  std::vector<Heredoc> docs;
  if (!words) return docs;
  for (const std::string& w : *words) {
    BERTH_ASSIGN_OR_RETURN(auto doc, parse_heredoc_word(w));
    if (doc) docs.push_back(std::move(*doc));
  }
  return docs;
}

// Reads a heredoc's body: the lines from lines[next] up to its terminator line (which may be
// tab-indented for <<-), advancing `next` and `line_no`. False when the text ends first.
bool read_body(const std::vector<std::string_view>& lines, size_t& next, int& line_no,
               Heredoc& doc) {
  while (next < lines.size()) {
    std::string_view body = lines[next++];
    ++line_no;
    std::string_view end = trim_newline(body);
    if (doc.chomp) end.remove_prefix(std::min(end.find_first_not_of('\t'), end.size()));
    if (end == doc.name) return true;
    doc.content += body;
  }
  return false;
}

size_t count_quotes(std::string_view s) {
  size_t n = 0;
  for (char c : s) n += (c == '\'' || c == '"') ? 1 : 0;
  return n;
}

}  // namespace

Result<std::optional<Heredoc>> parse_heredoc_word(std::string_view word) {
  // ^(\d*)<<(-?)\s*([^<]*)$
  size_t p = 0;
  while (p < word.size() && word[p] >= '0' && word[p] <= '9') ++p;
  std::string_view fd = word.substr(0, p);
  if (word.substr(p, 2) != "<<") return std::nullopt;
  p += 2;
  Heredoc doc;
  if (p < word.size() && word[p] == '-') {
    doc.chomp = true;
    ++p;
  }
  while (p < word.size() && is_space(word[p]) && word[p] != '\v') ++p;
  std::string_view rest = word.substr(p);
  if (rest.empty() || rest.find('<') != std::string_view::npos) return std::nullopt;
  doc.fd = static_cast<int>(str::parse_int(fd).value_or(0));

  // Lexed without and with quotes: any quote that the lexer removes makes the body literal.
  ShellLexer::Options plain;
  plain.keep_unset = true;
  BERTH_ASSIGN_OR_RETURN(auto words, ShellLexer('\\', plain).expand_words(rest, Vars{}));
  if (words.size() != 1) return std::nullopt;
  ShellLexer::Options quoted = plain;
  quoted.keep_quotes = true;
  BERTH_ASSIGN_OR_RETURN(auto raw_words, ShellLexer('\\', quoted).expand_words(rest, Vars{}));
  if (raw_words.size() != 1) {
    return make_error(
        Errc::kInternal,
        "internal lexing of heredoc produced inconsistent results: " + std::string(rest));
  }
  doc.name = words[0];
  doc.expand = count_quotes(words[0]) == count_quotes(raw_words[0]);
  return doc;
}

Result<ParsedText> parse_text(std::string_view text, std::string_view file) {
  ParsedText out;
  Directives directives;
  std::vector<std::string_view> lines = split_lines(text);
  if (!lines.empty() && lines[0].substr(0, kBom.size()) == kBom)
    lines[0].remove_prefix(kBom.size());
  int line_no = 0;  // lines consumed
  size_t next = 0;
  auto fail = [&](const Location& loc, const Error& e) {
    return tl::unexpected(error_at(file, loc, e.message));
  };

  while (next < lines.size()) {
    std::string_view raw = trim_newline(lines[next++]);
    std::string_view tok = trim_left_space(raw);
    int column = static_cast<int>(raw.size() - tok.size()) + 1;
    if (auto d = directives.feed(tok); !d) return fail({line_no + 1, line_no + 1, 1}, d.error());
    if (is_comment(tok)) tok = {};
    int start = ++line_no;

    auto [piece, done] = trim_continuation(tok, directives.escape);
    if (done && piece.empty()) continue;
    std::string line(piece);
    bool empty_continuation = false;
    // BuildKit skips comment lines and blank lines inside a continuation (the latter with a
    // warning), and keeps the indentation of continuation lines.
    while (!done && next < lines.size()) {
      std::string_view cont = trim_newline(lines[next++]);
      if (auto d = directives.feed(cont); !d) return fail({line_no + 1, line_no + 1, 1}, d.error());
      ++line_no;
      if (is_comment(cont)) continue;
      if (trim_left_space(cont).empty()) {
        empty_continuation = true;
        continue;
      }
      std::tie(piece, done) = trim_continuation(cont, directives.escape);
      line += piece;
    }
    if (empty_continuation) {
      out.warnings.push_back({{line_no, line_no, 0}, "Empty continuation line found in: " + line});
    }

    Location loc{start, line_no, column};
    auto node = node_from_line(line, directives.escape);
    if (!node) return fail(loc, node.error());

    if (can_contain_heredoc(*node) && line.find("<<") != std::string::npos) {
      auto docs = heredocs_from_line(line);
      if (!docs) return fail(loc, docs.error());
      for (Heredoc& doc : *docs) {
        if (!read_body(lines, next, line_no, doc)) {
          return fail(loc, Error{Errc::kInvalidArgument, "unterminated heredoc", 0});
        }
        node->heredocs.push_back(std::move(doc));
      }
    }
    loc.end_line = line_no;
    node->location = loc;
    out.nodes.push_back(std::move(*node));
  }

  if (out.nodes.empty()) {
    return tl::unexpected(error_at(file, {}, "file with no instructions"));
  }
  out.escape = directives.escape;
  out.syntax = std::move(directives.syntax);
  out.check = std::move(directives.check);
  return out;
}

}  // namespace berth::build::detail
