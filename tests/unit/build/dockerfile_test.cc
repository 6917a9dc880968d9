// Expected values come from moby/buildkit's frontend/dockerfile tests unless a comment says
// otherwise: shell/envVarTest, shell/wordsTest and shell/lex_test.go for expansion;
// parser/testfiles/*, parser/parser_test.go and parser/parser_heredoc_test.go for the text
// parser; instructions/parse_test.go and parse_heredoc_test.go for instructions and their
// error texts. Some cases come from the Dockerfile reference (docs.docker.com/reference/
// dockerfile/), as marked.
#include "build/dockerfile.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace berth::build {
namespace {

using Strings = std::vector<std::string>;

Dockerfile parse_ok(std::string_view text, std::string_view file = "Dockerfile") {
  auto df = parse_dockerfile(text, file);
  EXPECT_TRUE(df) << df.error().message;
  return df ? *df : Dockerfile{};
}

// The error message of a parse that must fail (always kInvalidArgument).
std::string parse_err(std::string_view text) {
  auto df = parse_dockerfile(text);
  if (df) return "parsed";
  EXPECT_EQ(df.error().code, Errc::kInvalidArgument) << df.error().message;
  return df.error().message;
}

// The instructions of the only stage of `text`.
std::vector<Instruction> instructions(std::string_view text) {
  Dockerfile df = parse_ok(text);
  EXPECT_EQ(df.stages.size(), 1u);
  return df.stages.empty() ? std::vector<Instruction>{} : df.stages[0].instructions;
}

// The body of the first instruction of `text` after a "FROM scratch" line.
template <class T>
T first(std::string_view text) {
  auto insts = instructions("FROM scratch\n" + std::string(text));
  if (insts.empty() || !insts[0].as<T>()) {
    ADD_FAILURE() << "no such instruction in: " << text;
    return T{};
  }
  return *insts[0].as<T>();
}

std::string expand(std::string_view word, const Vars& vars, char escape = '\\') {
  auto r = ShellLexer(escape).expand(word, vars);
  return r ? *r : "error: " + r.error().message;
}

Strings expand_words(std::string_view word, const Vars& vars) {
  auto r = ShellLexer().expand_words(word, vars);
  return r ? *r : Strings{"error"};
}

// ---- Variable expansion (shell_lex.h) ----

TEST(DockerfileLexer, EnvVarTable) {
  // shell/envVarTest, the "A" and "U" rows; TestShellParser4EnvVars's environment.
  const Vars env{{"PWD", "/home"}, {"SHELL", "bash"}, {"KOREAN", "한국어"}, {"NULL", ""}};
  struct Case {
    const char* in;
    const char* out;  // nullptr: an error
  };
  const Case cases[] = {
      {"hello", "hello"},
      {"he'll'o", "hello"},
      {"he'llo", nullptr},
      {"he\\'llo", "he'llo"},
      {"he\\\\'llo", nullptr},
      {"abc\\tdef", "abctdef"},
      {"\"abc\\tdef\"", "abc\\tdef"},
      {"\"abc\\\\tdef\"", "abc\\tdef"},
      {"'abc\\tdef'", "abc\\tdef"},
      {"hello\\", "hello"},
      {"hello\\\\", "hello\\"},
      {"\"hello", nullptr},
      {"\"hello\\\"", nullptr},
      {"\"hel'lo\"", "hel'lo"},
      {"'hello", nullptr},
      {"'hello\\'", "hello\\"},
      {"'hello\\there'", "hello\\there"},
      {"\"''\"", "''"},
      {"$.", "$."},
      {"he$1x", "hex"},
      {"he$.x", "he$.x"},
      {"he$pwd.", "he."},
      {"he$PWD", "he/home"},
      {"he\\$PWD", "he$PWD"},
      {"he\\\\$PWD", "he\\/home"},
      {"\"he\\$PWD\"", "he$PWD"},
      {"\"he\\\\$PWD\"", "he\\/home"},
      {"\\${}", "${}"},
      {"he\\${}xx", "he${}xx"},
      {"${}", nullptr},
      {"he${}xx", nullptr},
      {"he${hi}xx", "hexx"},
      {"he${PWD}", "he/home"},
      {"he${.}", nullptr},
      {"he${XXX:-000}xx", "he000xx"},
      {"he${PWD:-000}xx", "he/homexx"},
      {"he${XXX:-$PWD}xx", "he/homexx"},
      {"he${XXX:-${PWD:-yyy}}xx", "he/homexx"},
      {"he${XXX:-${YYY:-yyy}}xx", "heyyyxx"},
      {"he${XXX:YYY}", nullptr},
      {"he${XXX?}", nullptr},
      {"he${XXX:?}", nullptr},
      {"he${PWD?}", "he/home"},
      {"he${PWD:?}", "he/home"},
      {"he${NULL?}", "he"},
      {"he${NULL:?}", nullptr},
      {"he${XXX:+${PWD}}xx", "hexx"},
      {"he${PWD:+${XXX}}xx", "hexx"},
      {"he${PWD:+${SHELL}}xx", "hebashxx"},
      {"he${XXX:+000}xx", "hexx"},
      {"he${PWD:+000}xx", "he000xx"},
      {"'he${XX}'", "he${XX}"},
      {"\"he${PWD}\"", "he/home"},
      {"\"he'$PWD'\"", "he'/home'"},
      {"'$PWD'", "$PWD"},
      {"'\\$PWD'", "\\$PWD"},
      {"'\"hello\"'", "\"hello\""},
      {"he${PWD", nullptr},
      {"he${PWD:=000}xx", nullptr},
      {"he${PWD:+${PWD}:}xx", "he/home:xx"},
      {"he${XXX:-\\$PWD:}xx", "he$PWD:xx"},
      {"he${XXX:-\\${PWD}z}xx", "he${PWDz}xx"},
      {"안녕하세요", "안녕하세요"},
      {"안'녕'하세요", "안녕하세요"},
      {"안녕\\'하세요", "안녕'하세요"},
      {"안녕$PWD", "안녕/home"},
      {"$KOREAN", "한국어"},
      {"안녕$KOREAN", "안녕한국어"},
      {"${{aaa}", nullptr},
      {"${aaa}}", "}"},
      {"${aaa:-bbb}}", "bbb}"},
      {"${aaa:-bbb", nullptr},
      {"${aaa:-${bbb:-ccc}}", "ccc"},
      {"${aaa:-bbb ${foo}", nullptr},
      {"${aaa:-bbb {foo}", "bbb {foo"},
      {"${:}", nullptr},
      {"${:-bbb}", nullptr},
  };
  for (const Case& c : cases) {
    auto r = ShellLexer().expand(c.in, env);
    if (!c.out) {
      EXPECT_FALSE(r) << c.in << " gave " << *r;
      continue;
    }
    ASSERT_TRUE(r) << c.in << ": " << r.error().message;
    EXPECT_EQ(*r, c.out) << c.in;
  }
}

TEST(DockerfileLexer, PositionalAndSpecialParametersAreNeverSet) {
  // shell/envVarTest: "$1" ... "$0" and friends.
  const Vars env{{"PWD", "/home"}};
  for (const char* p : {"1", "9", "999", "001", "@", "*", "#", "?", "-", "$", "!", "0"}) {
    std::string name(p);
    EXPECT_EQ(expand("$" + name, env), "") << p;
    EXPECT_EQ(expand("${" + name + "}", env), "") << p;
    EXPECT_EQ(expand("${" + name + ":+bbb}", env), "") << p;
    EXPECT_EQ(expand("${" + name + ":-bbb}", env), "bbb") << p;
  }
  EXPECT_EQ(expand("$999aaa", env), "aaa");
  EXPECT_EQ(expand("${001:-bbb}aaa", env), "bbbaaa");
  EXPECT_EQ(expand("$@@@", env), "@@");
}

TEST(DockerfileLexer, WordSplitting) {
  // shell/wordsTest (modeNormal); "," separates the expected words there.
  Vars env;
  EXPECT_EQ(expand_words("hello", env), (Strings{"hello"}));
  EXPECT_EQ(expand_words("hello${hi}bye", env), (Strings{"hellobye"}));
  env.set("hi", "hi");
  EXPECT_EQ(expand_words("hello${hi}bye", env), (Strings{"hellohibye"}));
  env.set("space", "abc  def");
  EXPECT_EQ(expand_words("hello${space}bye", env), (Strings{"helloabc", "defbye"}));
  EXPECT_EQ(expand_words("hello\"${space}\"bye", env), (Strings{"helloabc  defbye"}));
  EXPECT_EQ(expand_words("hello \"${space}\"bye", env), (Strings{"hello", "abc  defbye"}));
  env.set("leading", "  ab c");
  EXPECT_EQ(expand_words("hello${leading}def", env), (Strings{"hello", "ab", "cdef"}));
  EXPECT_EQ(expand_words("hello\"${leading}\" def", env), (Strings{"hello  ab c", "def"}));
  env.set("trailing", "ab c   ");
  EXPECT_EQ(expand_words("hello${trailing}d", env), (Strings{"helloab", "c", "d"}));
  EXPECT_EQ(expand_words("hel\"lo${trailing}\"", env), (Strings{"helloab c   "}));
  EXPECT_EQ(expand_words("hello\" there  \"", env), (Strings{"hello there  "}));
  EXPECT_EQ(expand_words("hello there", env), (Strings{"hello", "there"}));
  EXPECT_EQ(expand_words("hello\\ there", env), (Strings{"hello there"}));
  EXPECT_EQ(expand_words("hello\" there", env), (Strings{"error"}));
  EXPECT_EQ(expand_words("hello\\\" there", env), (Strings{"hello\"", "there"}));
  EXPECT_EQ(expand_words("hello\"\\\\there\"", env), (Strings{"hello\\there"}));
  EXPECT_EQ(expand_words("hello'\\\\there'", env), (Strings{"hello\\\\there"}));
  EXPECT_EQ(expand_words("hello'$there'", env), (Strings{"hello$there"}));
}

TEST(DockerfileLexer, MandatoryVariables) {
  // lex_test.go TestShellParserMandatoryEnvVars.
  const std::string no_empty = "${VAR:?message here$ARG}";
  const std::string no_unset = "${VAR?message here$ARG}";
  const Vars set{{"VAR", "plain"}, {"ARG", "x"}};
  const Vars empty{{"VAR", ""}, {"ARG", "x"}};
  const Vars unset{{"ARG", "x"}};
  EXPECT_EQ(expand(no_empty, set), "plain");
  EXPECT_EQ(expand(no_empty, empty),
            "error: failed to process \"${VAR:?message here$ARG}\": VAR: message herex");
  EXPECT_EQ(expand(no_empty, unset),
            "error: failed to process \"${VAR:?message here$ARG}\": VAR: message herex");
  EXPECT_EQ(expand(no_unset, set), "plain");
  EXPECT_EQ(expand(no_unset, empty), "");
  EXPECT_EQ(expand(no_unset, unset),
            "error: failed to process \"${VAR?message here$ARG}\": VAR: message herex");
  EXPECT_EQ(expand("${X:?}", Vars{}),
            "error: failed to process \"${X:?}\": X: is not allowed to be unset");
  EXPECT_EQ(expand("${X:?}", Vars{{"X", ""}}),
            "error: failed to process \"${X:?}\": X: is not allowed to be empty");
}

TEST(DockerfileLexer, SetUnsetAndEmptyModifiers) {
  // lex_test.go TestProcessWithMatches.
  const Vars env{{"FOO", "xxx"}, {"BAR", ""}};
  EXPECT_EQ(expand("${FOO-aaa} ${BAR-bbb} ${BAZ-ccc}", env), "xxx  ccc");
  EXPECT_EQ(expand("${FOO:-aaa} ${BAR:-bbb} ${BAZ:-ccc}", env), "xxx bbb ccc");
  EXPECT_EQ(expand("${FOO+aaa} ${BAR+bbb} ${BAZ+ccc}", env), "aaa bbb ");
  EXPECT_EQ(expand("${FOO:+aaa} ${BAR:+bbb} ${BAZ:+ccc}", env), "aaa  ");
  EXPECT_EQ(expand("${BAR?bbb}", env), "");
  EXPECT_EQ(expand("${FOO=aaa}", env),
            "error: failed to process \"${FOO=aaa}\": unsupported modifier (=) in substitution");
  EXPECT_EQ(expand("${FOO:#}", env),
            "error: failed to process \"${FOO:#}\": unsupported modifier (:#) in substitution");
}

TEST(DockerfileLexer, PatternRemovalAndReplacement) {
  // lex_test.go TestProcessWithMatches, the #, %, / cases.
  struct Case {
    const char* in;
    Vars env;
    const char* out;
  };
  const Case cases[] = {
      {"${FOO#()[]{\\}^$.\\*\\?|\\\\}", {{"FOO", "()[]{}^$.*?|\\x"}}, "x"},
      {"${FOO%%\\**}", {{"FOO", "xx**"}}, "xx"},
      {"${FOO#*x*y}", {{"FOO", "xxyy"}}, "y"},
      {"${FOO#*}", {{"FOO", "xxyy"}}, "xxyy"},
      {"${FOO#$BAR}", {{"FOO", "xxyy"}, {"BAR", "x"}}, "xyy"},
      {"${FOO#$BAR}", {{"FOO", "xxyy"}, {"BAR", ""}}, "xxyy"},
      {"${FOO##*x}", {{"FOO", "xxyy"}}, "yy"},
      {"${FOO#?\\?}", {{"FOO", "???y"}}, "?y"},
      {"${ABC:-.}${FOO%x}${ABC:-.}", {{"FOO", "xxyy"}}, ".xxyy."},
      {"${FOO%%\\**\\*}", {{"FOO", "a***yy*"}}, "a"},
      {"${FOO%}", {{"FOO", "xxyy"}}, "xxyy"},
      {"${FOO/$NEEDLE/.} - ${FOO//$NEEDLE/.}",
       {{"FOO", "/foo*/*/*.txt"}, {"NEEDLE", "\\*/"}},
       "/foo.*/*.txt - /foo..*.txt"},
      {"${FOO/$NEEDLE/} - ${FOO//$NEEDLE/}",
       {{"FOO", "/tmp/tmp/bar.txt"}, {"NEEDLE", "/tmp"}},
       "/tmp/bar.txt - /bar.txt"},
      {"${FOO/$NEEDLE/$REPLACEMENT} - ${FOO//$NEEDLE/$REPLACEMENT}",
       {{"FOO", "/a/foo/b/c.txt"}, {"NEEDLE", "/?/"}, {"REPLACEMENT", "/"}},
       "/foo/b/c.txt - /foo/c.txt"},
      {"${FOO/$NEEDLE/$REPLACEMENT}",
       {{"FOO", "http://google.de"}, {"NEEDLE", "http://"}, {"REPLACEMENT", "https://"}},
       "https://google.de"},
      {"${FOO//\\//\\/}", {{"FOO", "/tmp/foo.txt"}}, "\\/tmp\\/foo.txt"},
      {"${FOO/$BAR/ww}", {{"FOO", "xxyy"}, {"BAR", ""}}, "wwxxyy"},
      {"${FOO///}", {{"FOO", "xxyy"}}, "xxyy"},
      {"${FOO///}", {}, ""},
  };
  for (const Case& c : cases) EXPECT_EQ(expand(c.in, c.env), c.out) << c.in;
  EXPECT_EQ(expand("${FOO//ww}", Vars{{"FOO", "xxyy"}}),
            "error: failed to process \"${FOO//ww}\": syntax error: missing '/' in ${}");
  EXPECT_NE(expand("${FOO#\\x}", Vars{{"FOO", "x"}}).find("invalid escape '\\x'"),
            std::string::npos);
}

TEST(DockerfileLexer, ReleaseFileNameExample) {
  // lex_test.go TestProcessWithMatchesPlatform.
  const char* release =
      "something-${VERSION}.${TARGETOS}-${TARGETARCH}${TARGETVARIANT:+-${TARGETVARIANT}}.tar.gz";
  EXPECT_EQ(expand(release, Vars{{"VERSION", "v1.2.3"},
                                 {"TARGETOS", "linux"},
                                 {"TARGETARCH", "arm"},
                                 {"TARGETVARIANT", "v7"}}),
            "something-v1.2.3.linux-arm-v7.tar.gz");
  EXPECT_EQ(
      expand(release, Vars{{"VERSION", "v1.2.3"}, {"TARGETOS", "linux"}, {"TARGETARCH", "arm64"}}),
      "something-v1.2.3.linux-arm64.tar.gz");
}

TEST(DockerfileLexer, BacktickEscapeAndOptions) {
  const Vars env{{"A", "x"}};
  // With "# escape=`" a backslash is an ordinary character (reference, "escape").
  EXPECT_EQ(expand("C:\\dir\\$A", env, '`'), "C:\\dir\\x");
  EXPECT_EQ(expand("`$A and \"`\"q`\"\"", env, '`'), "$A and \"q\"");
  // SkipUnsetEnv + RawQuotes (wordsTest modeOnlySetEnv): unset references and quotes stay.
  ShellLexer::Options raw;
  raw.keep_unset = raw.keep_quotes = true;
  auto r = ShellLexer('\\', raw).expand("'a' \"$A\" $B ${C:-d}", env);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(*r, "'a' \"x\" $B ${C:-d}");
  // Heredoc bodies (ExpandRaw): quotes are text.
  auto body = expand_heredoc("echo \"$A\" '$A' \\$A\n", env);
  ASSERT_TRUE(body) << body.error().message;
  EXPECT_EQ(*body, "echo \"x\" 'x' $A\n");
}

TEST(DockerfileLexer, VarsKeepOrderAndLastWins) {
  // lex_test.go TestGetEnv: the last of repeated names wins.
  Vars v = Vars::from_env({"foo=bar", "car=hat", "car=bike", "bare"});
  ASSERT_NE(v.get("car"), nullptr);
  EXPECT_EQ(*v.get("car"), "bike");
  EXPECT_EQ(*v.get("bare"), "");
  EXPECT_EQ(v.get("nope"), nullptr);
  ASSERT_EQ(v.items().size(), 3u);
  EXPECT_EQ(v.items()[1].first, "car");
}

// ---- Text: directives, continuations, comments, locations ----

TEST(DockerfileParse, ParserDirectives) {
  Dockerfile df = parse_ok(
      "# syntax = docker/dockerfile:1.7\n# escape = `\n# check=skip=all\n"
      "\nFROM `\n    image\nENV GOPATH `\n\\go\n");
  EXPECT_EQ(df.syntax, "docker/dockerfile:1.7");
  EXPECT_EQ(df.check, "skip=all");
  EXPECT_EQ(df.escape, '`');
  ASSERT_EQ(df.stages.size(), 1u);
  EXPECT_EQ(df.stages[0].base, "image");  // testfiles/escape-with-syntax
  auto env = df.stages[0].instructions.at(0).as<EnvInstruction>();
  ASSERT_NE(env, nullptr);
  EXPECT_EQ(env->vars.at(0).value, "\\go");  // testfiles/escape-nonewline
}

TEST(DockerfileParse, DirectivesOnlyBeforeAnythingElse) {
  // testfiles/escape-after-comment: a comment first, so "# escape = `" is just a comment and
  // '\' continues lines.
  Dockerfile df = parse_ok(
      "# Comment here. Should not be looking for the following parser directive.\n"
      "# escape = `\n\nFROM image\nLABEL maintainer foo@bar.com\nENV GOPATH \\\n\\go");
  EXPECT_EQ(df.escape, '\\');
  const auto& insts = df.stages.at(0).instructions;
  ASSERT_EQ(insts.size(), 2u);
  EXPECT_EQ(insts[0].as<LabelInstruction>()->labels.at(0).value, "foo@bar.com");
  EXPECT_EQ(insts[1].as<EnvInstruction>()->vars.at(0).value, "\\go");
  // After a blank line directives are comments too (reference, "Parser directives").
  EXPECT_EQ(parse_ok("\n# escape=`\nFROM a").escape, '\\');
}

TEST(DockerfileParse, DirectiveErrors) {
  EXPECT_EQ(parse_err("# escape=`\n# escape=\\\nFROM a"),
            "Dockerfile:2:1: only one escape parser directive can be used");
  EXPECT_EQ(parse_err("# escape=x\nFROM a"),
            "Dockerfile:1:1: invalid escape token 'x' does not match ` or \\");
}

TEST(DockerfileParse, ContinuationLines) {
  // testfiles/continueIndent: indentation of continuation lines is kept; comment and blank
  // lines inside a continuation are skipped.
  auto insts = instructions(
      "FROM ubuntu:14.04\n\nRUN echo hello\\\n  world\\\n  goodnight  \\\n  moon\\\n  light\\\n"
      "ning\nRUN echo hello  \\\n  world\nRUN echo hello  \\\nworld\nRUN echo hello \\\ngoodbye\\\n"
      "frog\nRUN echo hello  \\  \nworld\nRUN echo hi \\\n \\\n world \\\n\\\n good\\\n\\\nnight\n"
      "RUN echo goodbye\\\nfrog\nRUN echo good\\\nbye\\\nfrog\n\nRUN echo hello \\\n"
      "# this is a comment\n\n# this is a comment with a blank line surrounding it\n\n"
      "this is some more useful stuff\n");
  Strings got;
  for (const auto& i : insts) got.push_back(i.as<RunInstruction>()->command.args.at(0));
  EXPECT_EQ(got, (Strings{"echo hello  world  goodnight    moon  lightning", "echo hello    world",
                          "echo hello  world", "echo hello goodbyefrog", "echo hello  world",
                          "echo hi   world  goodnight", "echo goodbyefrog", "echo goodbyefrog",
                          "echo hello this is some more useful stuff"}));
  // testfiles/continue-at-eof.
  EXPECT_EQ(
      instructions("FROM alpine:3.5\n\nRUN something \\").at(0).as<RunInstruction>()->command.args,
      (Strings{"something"}));
}

TEST(DockerfileParse, EmptyContinuationLinesWarn) {
  // parser_test.go TestParseWarnsOnEmptyContinutationLine.
  Dockerfile df = parse_ok(
      "\nFROM alpine:3.6\n\nRUN valid \\\n    continuation\n\nRUN something \\\n\n    following "
      "\\\n"
      "\n    more\n\nRUN another \\\n\n    thing\n\nRUN non-indented \\\n# this is a comment\n"
      "   after-comment\n\nRUN indented \\\n    # this is an indented comment\n    comment\n\t");
  ASSERT_EQ(df.warnings.size(), 2u);
  EXPECT_EQ(df.warnings[0].message,
            "Empty continuation line found in: RUN something     following     more");
  EXPECT_EQ(df.warnings[1].message, "Empty continuation line found in: RUN another     thing");
  const auto& insts = df.stages.at(0).instructions;
  ASSERT_EQ(insts.size(), 5u);
  EXPECT_EQ(insts[3].as<RunInstruction>()->command.args.at(0), "non-indented    after-comment");
}

TEST(DockerfileParse, LocationsSpanContinuationsAndName) {
  // testfile-line/Dockerfile and TestParseIncludesLineNumbers: {5,5}, {11,12}, {17,31}.
  Dockerfile df = parse_ok(
      "# ESCAPE=\\\n\n\n\nFROM brimstone/ubuntu:14.04\n\n\n# TORUN -v /var/run/docker.sock\n\n\n"
      "ENV GOPATH \\\n/go\n\n\n\n# Install the packages we need\nRUN apt-get update \\\n"
      "\t&& dpkg -l > /tmp/dpkg.clean \\\n\n\n    && apt-get install -y git \\\n"
      "    && apt-get clean \\\n    && rm -rf /var/lib/apt/lists \\\n\n"
      "\t&& go get -v github.com/brimstone/consuldock \\\n    && mv a b \\\n\n"
      "\t&& dpkg -l > /tmp/dpkg.dirty \\\n\t&& apt-get remove --purge -y x \\\n"
      "\t&& rm /tmp/dpkg.* \\\n\t&& rm -rf $GOPATH\n\n\n\n",
      "app.Dockerfile");
  const Stage& st = df.stages.at(0);
  EXPECT_EQ(st.location.line, 5);
  EXPECT_EQ(st.location.end_line, 5);
  ASSERT_EQ(st.instructions.size(), 2u);
  EXPECT_EQ(st.instructions[0].location.line, 11);
  EXPECT_EQ(st.instructions[0].location.end_line, 12);
  EXPECT_EQ(st.instructions[1].location.line, 17);
  EXPECT_EQ(st.instructions[1].location.end_line, 31);
  EXPECT_EQ(df.file, "app.Dockerfile");
}

TEST(DockerfileParse, CommentsBlankLinesCaseAndBom) {
  Dockerfile df = parse_ok(
      "\xEF\xBB\xBF# comment\n\n  from busybox AS Base\n\t# indented comment\n"
      "  run echo hi # not a comment\nCmd [\"sh\"]\n");
  const Stage& st = df.stages.at(0);
  EXPECT_EQ(st.base, "busybox");
  EXPECT_EQ(st.name, "base");  // stage names are lower-cased
  EXPECT_EQ(st.location.column, 3);
  ASSERT_EQ(st.instructions.size(), 2u);
  EXPECT_EQ(st.instructions[0].name, "RUN");
  EXPECT_EQ(st.instructions[0].source, "run echo hi # not a comment");
  EXPECT_EQ(st.instructions[0].as<RunInstruction>()->command.args,
            (Strings{"echo hi # not a comment"}));
  EXPECT_EQ(st.instructions[1].name, "CMD");
}

// ---- Instructions ----

TEST(DockerfileParse, ExecFormAndShellForm) {
  auto exec = first<CmdInstruction>("CMD [\"echo\", \"hi there\"]");
  EXPECT_TRUE(exec.command.exec_form);
  EXPECT_EQ(exec.command.args, (Strings{"echo", "hi there"}));
  auto shell = first<CmdInstruction>("CMD echo   $HOME \"x\"");
  EXPECT_FALSE(shell.command.exec_form);
  EXPECT_EQ(shell.command.args, (Strings{"echo   $HOME \"x\""}));  // never expanded
  // Not valid JSON: shell form, as written.
  EXPECT_EQ(first<RunInstruction>("RUN [\"a\", ]").command.args, (Strings{"[\"a\", ]"}));
  EXPECT_TRUE(first<EntrypointInstruction>("ENTRYPOINT []").command.exec_form);
  EXPECT_TRUE(first<EntrypointInstruction>("ENTRYPOINT []").command.args.empty());
  // testfiles-negative/shykes-nested-json.
  EXPECT_EQ(parse_err("FROM a\nCMD [ \"echo\", [ \"nested json\" ] ]"),
            "Dockerfile:2:1: when using JSON array syntax, arrays must be comprised of strings "
            "only");
}

TEST(DockerfileParse, EnvForms) {
  // testfiles/env: the words keep their quotes and escapes until expansion.
  auto insts = instructions(
      "FROM ubuntu\nENV name value\nENV name=value\nENV name=value name2=value2\n"
      "ENV name=\"value value1\"\nENV name=value\\ value2\nENV name=\"value'quote space'value2\"\n"
      "ENV name='value\"double quote\"value2'\nENV name=\"a\\\"b\"\nENV name='a\\'b'\n"
      "ENV name=value \\\n    name1=value1 \\\n    name2=\"value2a \\\n           value2b\" \\\n"
      "    name3=\"value3a\\n\\\"value3b\\\"\" \\\n\tname4=\"value4a\\\\nvalue4b\" \\\n");
  ASSERT_EQ(insts.size(), 10u);
  auto pairs = [&](size_t i) {
    Strings out;
    for (const KeyValue& kv : insts[i].as<EnvInstruction>()->vars) {
      out.push_back(kv.key + (kv.legacy ? " " : "=") + kv.value);
    }
    return out;
  };
  EXPECT_EQ(pairs(0), (Strings{"name value"}));
  EXPECT_EQ(pairs(1), (Strings{"name=value"}));
  EXPECT_EQ(pairs(2), (Strings{"name=value", "name2=value2"}));
  EXPECT_EQ(pairs(3), (Strings{"name=\"value value1\""}));
  EXPECT_EQ(pairs(4), (Strings{"name=value\\ value2"}));
  EXPECT_EQ(pairs(5), (Strings{"name=\"value'quote space'value2\""}));
  EXPECT_EQ(pairs(6), (Strings{"name='value\"double quote\"value2'"}));
  EXPECT_EQ(pairs(7), (Strings{"name=\"a\\\"b\""}));
  EXPECT_EQ(pairs(8), (Strings{"name='a\\'b'"}));
  EXPECT_EQ(pairs(9),
            (Strings{"name=value", "name1=value1", "name2=\"value2a            value2b\"",
                     "name3=\"value3a\\n\\\"value3b\\\"\"", "name4=\"value4a\\\\nvalue4b\""}));
}

TEST(DockerfileParse, EnvAndLabelErrors) {
  EXPECT_EQ(parse_err("FROM busybox\n\nENV PATH"), "Dockerfile:3:1: ENV must have two arguments");
  EXPECT_EQ(parse_err("FROM a\nLABEL a=b c"),
            "Dockerfile:2:1: Syntax error - can't find = in \"c\". Must be of the form: "
            "name=value");
  EXPECT_EQ(parse_err("FROM a\nENV =x"), "Dockerfile:2:1: ENV names can not be blank");
  EXPECT_EQ(parse_err("FROM a\nLABEL"), "Dockerfile:2:1: LABEL requires at least one argument");
}

TEST(DockerfileParse, LabelPairs) {
  // Reference, "LABEL".
  auto l = first<LabelInstruction>(
      "LABEL \"com.example.vendor\"=\"ACME Incorporated\" version=1.0 \\\n"
      "      description=\"This text illustrates \\\nthat label-values can span multiple lines.\"");
  ASSERT_EQ(l.labels.size(), 3u);
  EXPECT_EQ(l.labels[0].key, "\"com.example.vendor\"");
  auto key = ShellLexer().expand(l.labels[0].key, Vars{});
  auto value = ShellLexer().expand(l.labels[2].value, Vars{});
  ASSERT_TRUE(key && value);
  EXPECT_EQ(*key, "com.example.vendor");
  EXPECT_EQ(*value, "This text illustrates that label-values can span multiple lines.");
}

TEST(DockerfileParse, ArgDeclarations) {
  // testfiles/args.
  Dockerfile df = parse_ok("ARG foo bar=baz\nFROM ubuntu\nARG abc=\"123 456\" def\n");
  ASSERT_EQ(df.global_args.size(), 1u);
  const auto& global = df.global_args[0].as<ArgInstruction>()->args;
  ASSERT_EQ(global.size(), 2u);
  EXPECT_EQ(global[0].name, "foo");
  EXPECT_FALSE(global[0].default_value);
  EXPECT_EQ(global[1].name, "bar");
  EXPECT_EQ(global[1].default_value, "baz");
  const auto& local = df.stages.at(0).instructions.at(0).as<ArgInstruction>()->args;
  ASSERT_EQ(local.size(), 2u);
  EXPECT_EQ(local[0].name, "abc");
  EXPECT_EQ(local[0].default_value, "\"123 456\"");
  EXPECT_EQ(local[1].name, "def");
  EXPECT_EQ(parse_err("FROM a\nARG =x"), "Dockerfile:2:1: ARG names can not be blank");
}

TEST(DockerfileParse, FromStages) {
  Dockerfile df = parse_ok(
      "FROM --platform=$BUILDPLATFORM golang:1.22 AS Build\nRUN go build\n"
      "FROM scratch\nCOPY --from=build /out /app\n");
  ASSERT_EQ(df.stages.size(), 2u);
  EXPECT_EQ(df.stages[0].base, "golang:1.22");
  EXPECT_EQ(df.stages[0].name, "build");
  EXPECT_EQ(df.stages[0].platform, "$BUILDPLATFORM");
  EXPECT_EQ(df.stages[0].source, "FROM --platform=$BUILDPLATFORM golang:1.22 AS Build");
  EXPECT_EQ(df.stages[1].name, "");
  EXPECT_EQ(df.find_stage("BUILD"), 0);
  EXPECT_EQ(df.find_stage("1"), 1);
  EXPECT_EQ(df.find_stage("2"), -1);
  EXPECT_EQ(df.find_stage("alpine"), -1);
  EXPECT_EQ(parse_err("FROM a b"), "Dockerfile:1:1: FROM requires either one or three arguments");
  EXPECT_EQ(parse_err("FROM a AS 1x"),
            "Dockerfile:1:1: invalid name for build stage: \"1x\", name can't start with a "
            "number or contain symbols");
  // instructions/parse.go: stage names are lint-checked for duplicates.
  Dockerfile dup = parse_ok("FROM a AS x\nFROM b AS X\n");
  ASSERT_EQ(dup.warnings.size(), 1u);
  EXPECT_EQ(dup.warnings[0].message, "Duplicate stage name \"x\", stage names should be unique");
}

TEST(DockerfileParse, CopyAndAddFlags) {
  auto c = first<CopyInstruction>(
      "COPY --from=build --chown=1000:1000 --chmod=0755 --link --parents --exclude=*.md "
      "--exclude=*.txt src/ lib/*.so /dst/");
  EXPECT_EQ(c.from, "build");
  EXPECT_EQ(c.chown, "1000:1000");
  EXPECT_EQ(c.chmod, "0755");
  EXPECT_TRUE(c.link);
  EXPECT_TRUE(c.parents);
  EXPECT_EQ(c.excludes, (Strings{"*.md", "*.txt"}));
  EXPECT_EQ(c.sources, (Strings{"src/", "lib/*.so"}));
  EXPECT_EQ(c.dest, "/dst/");

  auto a = first<AddInstruction>(
      "ADD --checksum=sha256:24454f83 --keep-git-dir=true --link=false "
      "https://example.com/x.tar.gz /x/");
  EXPECT_EQ(a.checksum, "sha256:24454f83");
  EXPECT_EQ(a.keep_git_dir, true);
  EXPECT_FALSE(a.unpack.has_value());
  EXPECT_FALSE(a.link);
  EXPECT_EQ(a.sources, (Strings{"https://example.com/x.tar.gz"}));

  // testfiles/ADD-COPY-with-JSON: names with spaces need the JSON form.
  auto j = first<CopyInstruction>("COPY\t[ \"test file\", \"/tmp\" ]");
  EXPECT_EQ(j.sources, (Strings{"test file"}));
  EXPECT_EQ(j.dest, "/tmp");
}

TEST(DockerfileParse, CopyErrors) {
  // parse_test.go TestCommandsNoDestinationArgument, TestErrorCases.
  EXPECT_EQ(parse_err("FROM a\nCOPY arg1"),
            "Dockerfile:2:1: COPY requires at least two arguments, but only one was provided. "
            "Destination could not be determined");
  EXPECT_EQ(parse_err("FROM a\nCOPY\t\n\t\tquux \\\n      bar"),
            "Dockerfile:2:1: COPY requires at least two arguments, but only one was provided. "
            "Destination could not be determined");
  EXPECT_EQ(parse_err("FROM a\nADD arg1"),
            "Dockerfile:2:1: ADD requires at least two arguments, but only one was provided. "
            "Destination could not be determined");
  // dockerfile2llb toCommand: --from is a name, never a variable.
  EXPECT_EQ(parse_err("FROM a\nCOPY --from=$STAGE /a /b"),
            "Dockerfile:2:1: variable expansion is not supported for --from, define a new stage "
            "with FROM using ARG from global scope as a workaround");
}

TEST(DockerfileParse, FlagErrors) {
  EXPECT_EQ(parse_err("FROM a\nMAINTAINER --boo joe@example.com"),
            "Dockerfile:2:1: unknown flag: --boo");
  EXPECT_EQ(parse_err("FROM a\nCOPY --form=x a b"),
            "Dockerfile:2:1: unknown flag: --form (did you mean from?)");
  EXPECT_EQ(parse_err("FROM a\nCOPY --chown=1 --chown=2 a b"),
            "Dockerfile:2:1: duplicate flag specified: --chown");
  EXPECT_EQ(parse_err("FROM a\nCOPY --chown a b"),
            "Dockerfile:2:1: missing a value on flag: --chown");
  EXPECT_EQ(parse_err("FROM a\nCOPY --link=maybe a b"),
            "Dockerfile:2:1: expecting boolean value for flag --link, not: maybe");
  // Words that look like flags are flags on every instruction: shell-form CMD cannot start
  // with one.
  EXPECT_EQ(parse_err("FROM a\nCMD --help"), "Dockerfile:2:1: unknown flag: --help");
  // "--" ends the flags (bflag.go Parse).
  EXPECT_EQ(first<RunInstruction>("RUN -- --version").command.args, (Strings{"--version"}));
  EXPECT_EQ(first<CopyInstruction>("COPY --from=\"x\" a b").from, "x");  // quotes go
}

TEST(DockerfileParse, Heredocs) {
  // parser_heredoc_test.go TestParseExtractsHeredoc.
  auto insts = instructions(
      "FROM alpine:3.6\n"
      "RUN <<EMPTY\nEMPTY\n"
      "RUN 3<<EMPTY2\nEMPTY2\n"
      "RUN \"<<NOHEREDOC\"\n"
      "RUN <<INDENT\n\tfoo\n\tbar\nINDENT\n"
      "RUN <<-UNINDENT\n\tbaz\n\tquux\n\tUNINDENT\n"
      "RUN <<-'NOEXPAND'\n\tdon't expand $NAME\nNOEXPAND\n"
      "RUN <<COMMENT\n# internal comment\necho hello world\nCOMMENT\n"
      "RUN <<COMPLEX python3\nprint('hello world')\nCOMPLEX\n"
      "RUN <<eo'f'\necho foo\neof\n"
      "RUN <<eo\\'f\necho foo\neo'f\n"
      "RUN <<'one two'\necho bar\none two\n"
      "RUN <<$EOF\n$EOF\n"
      "RUN <<  EOF  > foo\nEOF\n");
  ASSERT_EQ(insts.size(), 13u);
  auto doc = [&](size_t i) { return insts[i].as<RunInstruction>()->command.heredocs; };
  ASSERT_EQ(doc(0).size(), 1u);
  EXPECT_EQ(doc(0)[0].name, "EMPTY");
  EXPECT_EQ(doc(0)[0].content, "");
  EXPECT_TRUE(doc(0)[0].expand);
  EXPECT_EQ(doc(1).at(0).fd, 3);
  EXPECT_TRUE(doc(2).empty());
  EXPECT_EQ(doc(3).at(0).content, "\tfoo\n\tbar\n");
  EXPECT_FALSE(doc(3).at(0).chomp);
  EXPECT_EQ(doc(4).at(0).content, "\tbaz\n\tquux\n");
  EXPECT_TRUE(doc(4).at(0).chomp);
  EXPECT_EQ(doc(4).at(0).data(), "baz\nquux\n");
  EXPECT_EQ(doc(5).at(0).name, "NOEXPAND");
  EXPECT_FALSE(doc(5).at(0).expand);
  EXPECT_EQ(doc(6).at(0).content, "# internal comment\necho hello world\n");
  EXPECT_EQ(doc(7).at(0).name, "COMPLEX");
  EXPECT_EQ(insts[7].as<RunInstruction>()->command.args, (Strings{"<<COMPLEX python3"}));
  EXPECT_EQ(doc(8).at(0).name, "eof");
  EXPECT_FALSE(doc(8).at(0).expand);
  EXPECT_EQ(doc(9).at(0).name, "eo'f");
  EXPECT_TRUE(doc(9).at(0).expand);
  EXPECT_EQ(doc(10).at(0).name, "one two");
  EXPECT_FALSE(doc(10).at(0).expand);
  EXPECT_EQ(doc(11).at(0).name, "$EOF");  // unset variables stay as written
  EXPECT_EQ(insts[11].location.end_line, insts[11].location.line + 1);
  EXPECT_EQ(doc(12).at(0).name, "EOF");
}

TEST(DockerfileParse, HeredocsInCopy) {
  // parser_heredoc_test.go and instructions/parse_heredoc_test.go TestCopyHeredoc.
  auto two =
      first<CopyInstruction>("COPY <<FILE1 <<FILE2 /dest\ncontent 1\nFILE1\ncontent 2\nFILE2");
  ASSERT_EQ(two.inline_files.size(), 2u);
  EXPECT_EQ(two.inline_files[0].name, "FILE1");
  EXPECT_EQ(two.inline_files[0].data(), "content 1\n");
  EXPECT_EQ(two.inline_files[1].data(), "content 2\n");
  EXPECT_TRUE(two.sources.empty());
  EXPECT_EQ(two.dest, "/dest");
  auto crossed = first<CopyInstruction>("COPY <<X <<Y /dest\nY\nX\nX\nY\n");
  EXPECT_EQ(crossed.inline_files.at(0).data(), "Y\n");
  EXPECT_EQ(crossed.inline_files.at(1).data(), "X\n");
  auto mixed = first<CopyInstruction>("COPY <<EOF foo.txt /bar\nthis is inline\nEOF");
  EXPECT_EQ(mixed.sources, (Strings{"foo.txt"}));
  EXPECT_EQ(mixed.inline_files.at(0).data(), "this is inline\n");
  auto chomped = first<CopyInstruction>("COPY <<-EOF /bar\n\tTESTING\nEOF");
  EXPECT_EQ(chomped.inline_files.at(0).data(), "TESTING\n");
  auto add = first<AddInstruction>("ADD <<EOF /etc/motd\nhello\nEOF\n");
  EXPECT_EQ(add.inline_files.at(0).name, "EOF");
  EXPECT_EQ(add.inline_files.at(0).data(), "hello\n");
  EXPECT_EQ(add.dest, "/etc/motd");
  auto quoted = first<CopyInstruction>("COPY <<'EOF' /bar\nTESTING\nEOF");
  EXPECT_FALSE(quoted.inline_files.at(0).expand);
  EXPECT_EQ(parse_err("FROM a\nCOPY /foo <<EOF\nEOF"),
            "Dockerfile:2:1: COPY cannot accept a heredoc as a destination");
}

TEST(DockerfileParse, HeredocErrorsAndNonHeredocs) {
  EXPECT_EQ(parse_err("FROM a\nRUN <<EOF\necho hi\n"), "Dockerfile:2:1: unterminated heredoc");
  // TestParseJSONHeredoc: exec form reads no heredoc.
  EXPECT_TRUE(first<RunInstruction>("RUN [\"<<EOF\"]").command.heredocs.empty());
  // USER takes no heredoc, so its body line is read as an instruction.
  EXPECT_EQ(parse_err("FROM a\nUSER <<INVALID\nINVALID"),
            "Dockerfile:3:1: unknown instruction: INVALID");
}

TEST(DockerfileParse, RunMounts) {
  // Reference, "RUN --mount".
  auto r = first<RunInstruction>(
      "RUN --mount=type=cache,target=/root/.cache/go-build,id=gobuild,sharing=locked,"
      "mode=0755,uid=1000,gid=1000 \\\n"
      "    --mount=type=secret,id=npmrc,target=/root/.npmrc,required \\\n"
      "    --mount=type=bind,from=build,source=/out,target=/in,rw \\\n"
      "    --mount=type=tmpfs,target=/tmp,size=64m \\\n"
      "    --mount=type=ssh \\\n"
      "    --mount=target=/src \\\n"
      "    go build ./...");
  ASSERT_EQ(r.mounts.size(), 6u);
  const Mount& cache = r.mounts[0];
  EXPECT_EQ(cache.type, MountType::kCache);
  EXPECT_EQ(cache.target, "/root/.cache/go-build");
  EXPECT_EQ(cache.id, "gobuild");
  EXPECT_EQ(cache.sharing, MountSharing::kLocked);
  EXPECT_EQ(cache.mode, 0755u);
  EXPECT_EQ(cache.uid, 1000u);
  EXPECT_EQ(cache.gid, 1000u);
  EXPECT_FALSE(cache.readonly);
  const Mount& secret = r.mounts[1];
  EXPECT_EQ(secret.type, MountType::kSecret);
  EXPECT_TRUE(secret.required);
  EXPECT_TRUE(secret.readonly);
  const Mount& bind = r.mounts[2];
  EXPECT_EQ(bind.from, "build");
  EXPECT_EQ(bind.source, "/out");
  EXPECT_FALSE(bind.readonly);
  EXPECT_EQ(r.mounts[3].type, MountType::kTmpfs);
  EXPECT_EQ(r.mounts[3].size, 64 * 1024 * 1024);
  EXPECT_EQ(r.mounts[4].type, MountType::kSsh);
  EXPECT_EQ(r.mounts[5].type, MountType::kBind);  // the default type, read-only by default
  EXPECT_TRUE(r.mounts[5].readonly);
  EXPECT_EQ(r.mount_specs.at(5), "target=/src");
  EXPECT_EQ(r.command.args, (Strings{"go build ./..."}));
}

TEST(DockerfileParse, RunMountErrors) {
  auto err = [](const char* spec) {
    auto m = parse_mount(spec, nullptr);
    return m ? std::string("parsed") : m.error().message;
  };
  // commands_runmount.go parseMount messages.
  EXPECT_EQ(err("type=cahce,target=/x"), "unsupported mount type \"cahce\" (did you mean cache?)");
  EXPECT_EQ(err("type=bind,mode=0700,target=/x"), "mode not allowed for \"bind\" type mounts");
  EXPECT_EQ(err("type=secret"), "invalid secret mount. one of source, target required");
  EXPECT_EQ(err("type=secret,id=a,src=b"), "both source and id can't be set");
  EXPECT_EQ(err("type=secret,id=a,from=x"), "secret mount should not have a from");
  EXPECT_EQ(err("type=bind,sharing=locked"), "invalid cache sharing set for bind mount");
  EXPECT_EQ(err("type=cache,sharing=maybe"), "unsupported sharing value \"maybe\"");
  EXPECT_EQ(err("required,type=secret,id=a"), "unexpected key 'required' for mount type 'bind'");
  EXPECT_EQ(err("type=cache,uid=x"), "invalid value x for uid");
  EXPECT_EQ(err("type=cache,mode=9"), "invalid value 9 for mode");
  EXPECT_EQ(err("type=tmpfs,size=lots"), "invalid value for size: lots");
  EXPECT_EQ(err("type=cache,tagret=/x"),
            "unexpected key 'tagret' in 'tagret=/x' (did you mean target?)");
  EXPECT_EQ(err("type=cache,bogus"), "invalid field 'bogus' must be a key=value pair");
  EXPECT_EQ(err("type=bind,from=$X,target=/x"),
            "'from' doesn't support variable expansion, define alias stage instead");
  EXPECT_EQ(err("\"type=cache,target=/x"),
            "failed to parse csv mounts: extraneous or missing \" in quoted-field");
  auto quoted = parse_mount("\"type=bind\",\"target=/a,b\"", nullptr);
  ASSERT_TRUE(quoted) << quoted.error().message;
  EXPECT_EQ(quoted->target, "/a,b");
  // Errors are located when they come from a Dockerfile.
  EXPECT_EQ(parse_err("FROM a\n\nRUN --mount=type=nope,target=/x true"),
            "Dockerfile:3:1: unsupported mount type \"nope\"");
}

TEST(DockerfileParse, RunMountValuesExpandLater) {
  Dockerfile df =
      parse_ok("FROM a\nARG UID=1000\nRUN --mount=type=cache,target=$DIR,uid=$UID true");
  const Instruction& run = df.stages.at(0).instructions.at(1);
  const Mount& parsed = run.as<RunInstruction>()->mounts.at(0);
  EXPECT_TRUE(parsed.needs_expansion);
  EXPECT_EQ(parsed.target, "$DIR");
  EXPECT_FALSE(parsed.uid.has_value());
  auto expanded = expand_instruction(df, run, Vars{{"UID", "33"}, {"DIR", "/cache"}});
  ASSERT_TRUE(expanded) << expanded.error().message;
  const Mount& m = expanded->as<RunInstruction>()->mounts.at(0);
  EXPECT_FALSE(m.needs_expansion);
  EXPECT_EQ(m.target, "/cache");
  EXPECT_EQ(m.uid, 33u);
  auto bad = expand_instruction(df, run, Vars{{"UID", "x"}, {"DIR", "/c"}});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "Dockerfile:3:1: invalid value x for uid");
}

TEST(DockerfileParse, RunNetworkAndSecurity) {
  EXPECT_EQ(first<RunInstruction>("RUN --network=none true").network, Network::kNone);
  EXPECT_EQ(first<RunInstruction>("RUN --network=host true").network, Network::kHost);
  EXPECT_EQ(first<RunInstruction>("RUN true").network, Network::kDefault);
  EXPECT_EQ(first<RunInstruction>("RUN --security=insecure true").security, Security::kInsecure);
  EXPECT_EQ(parse_err("FROM a\nRUN --network=bridge true"),
            "Dockerfile:2:1: invalid network mode \"bridge\"");
  EXPECT_EQ(parse_err("FROM a\nRUN --security=lax true"),
            "Dockerfile:2:1: security \"lax\" is not valid");
}

TEST(DockerfileParse, Healthcheck) {
  auto none = first<HealthcheckInstruction>("HEALTHCHECK NONE");
  EXPECT_EQ(none.test, (Strings{"NONE"}));
  // parse_test.go TestHealthCheckCmd: shell form is CMD-SHELL with the text joined.
  auto shell = first<HealthcheckInstruction>(
      "HEALTHCHECK --interval=1m30s --timeout=10s --start-period=1.5s --start-interval=250ms "
      "--retries=3 CMD curl -f http://localhost/ || exit 1");
  EXPECT_EQ(shell.test, (Strings{"CMD-SHELL", "curl -f http://localhost/ || exit 1"}));
  EXPECT_EQ(shell.interval, 90'000'000'000);
  EXPECT_EQ(shell.timeout, 10'000'000'000);
  EXPECT_EQ(shell.start_period, 1'500'000'000);
  EXPECT_EQ(shell.start_interval, 250'000'000);
  EXPECT_EQ(shell.retries, 3);
  auto exec = first<HealthcheckInstruction>("healthcheck cmd [\"/bin/check\", \"-q\"]");
  EXPECT_EQ(exec.test, (Strings{"CMD", "/bin/check", "-q"}));
  EXPECT_EQ(exec.interval, 0);
  EXPECT_EQ(first<HealthcheckInstruction>("HEALTHCHECK --interval=0s CMD true").interval, 0);
}

TEST(DockerfileParse, HealthcheckErrors) {
  auto err = [](const std::string& line) { return parse_err("FROM a\n" + line); };
  // parse_test.go TestParseOptInterval, and parseHealthcheck's messages.
  EXPECT_EQ(err("HEALTHCHECK --interval=50ns CMD true"),
            "Dockerfile:2:1: Interval \"interval\" cannot be less than 1ms");
  EXPECT_EQ(err("HEALTHCHECK --timeout=5 CMD true"),
            "Dockerfile:2:1: time: missing unit in duration \"5\"");
  EXPECT_EQ(err("HEALTHCHECK --timeout=5d CMD true"),
            "Dockerfile:2:1: time: unknown unit \"d\" in duration \"5d\"");
  EXPECT_EQ(err("HEALTHCHECK --retries=-1 CMD true"),
            "Dockerfile:2:1: --retries cannot be negative (-1)");
  EXPECT_EQ(err("HEALTHCHECK NONE true"), "Dockerfile:2:1: HEALTHCHECK NONE takes no arguments");
  EXPECT_EQ(err("HEALTHCHECK RUN true"),
            "Dockerfile:2:1: Unknown type \"RUN\" in HEALTHCHECK (try CMD)");
  EXPECT_EQ(err("HEALTHCHECK CMD"), "Dockerfile:2:1: Missing command after HEALTHCHECK CMD");
}

TEST(DockerfileParse, SimpleInstructions) {
  EXPECT_EQ(first<ShellInstruction>("SHELL [\"powershell\", \"-command\"]").shell,
            (Strings{"powershell", "-command"}));
  EXPECT_EQ(parse_err("FROM a\nSHELL powershell -command"),
            "Dockerfile:2:1: SHELL requires the arguments to be in JSON form");
  EXPECT_EQ(first<VolumeInstruction>("VOLUME [\"/data\", \"/logs\"]").paths,
            (Strings{"/data", "/logs"}));
  EXPECT_EQ(first<VolumeInstruction>("VOLUME /var/log /var/db").paths,
            (Strings{"/var/log", "/var/db"}));
  EXPECT_EQ(parse_err("FROM a\nVOLUME [\"\"]"),
            "Dockerfile:2:1: VOLUME specified can not be an empty string");
  // Ports are kept as written and sorted (instructions/parse.go parseExpose).
  EXPECT_EQ(first<ExposeInstruction>("EXPOSE 80/udp 443 $PORTS").ports,
            (Strings{"$PORTS", "443", "80/udp"}));
  EXPECT_EQ(first<UserInstruction>("USER app:app").user, "app:app");
  EXPECT_EQ(first<WorkdirInstruction>("WORKDIR /path with space").path, "/path with space");
  EXPECT_EQ(first<StopSignalInstruction>("STOPSIGNAL SIGKILL").signal, "SIGKILL");
  EXPECT_EQ(first<MaintainerInstruction>("MAINTAINER Jane <j@example.com>").name,
            "Jane <j@example.com>");
}

TEST(DockerfileParse, ArgumentCountErrors) {
  // parse_test.go TestCommandsExactlyOneArgument and TestCommandsAtLeastOneArgument.
  for (const char* cmd : {"MAINTAINER", "WORKDIR", "USER", "STOPSIGNAL"}) {
    EXPECT_EQ(parse_err(std::string("FROM a\n") + cmd),
              std::string("Dockerfile:2:1: ") + cmd + " requires exactly one argument");
  }
  for (const char* cmd :
       {"ENV", "LABEL", "ONBUILD", "HEALTHCHECK", "EXPOSE", "VOLUME", "ARG", "SHELL"}) {
    EXPECT_EQ(parse_err(std::string("FROM a\n") + cmd),
              std::string("Dockerfile:2:1: ") + cmd + " requires at least one argument");
  }
}

TEST(DockerfileParse, Onbuild) {
  auto o = first<OnbuildInstruction>("ONBUILD ADD . /app/src");
  EXPECT_EQ(o.expression, "ADD . /app/src");
  ASSERT_NE(o.trigger, nullptr);
  EXPECT_EQ(o.trigger->name, "ADD");
  EXPECT_EQ(o.trigger->as<AddInstruction>()->dest, "/app/src");
  auto doc = first<OnbuildInstruction>("onbuild RUN <<EOF\necho $X\nEOF");
  EXPECT_EQ(doc.expression, "RUN <<EOF\necho $X\nEOF");
  EXPECT_EQ(doc.trigger->as<RunInstruction>()->command.heredocs.at(0).content, "echo $X\n");
  // parse_test.go TestErrorCases.
  EXPECT_EQ(parse_err("FROM a\nONBUILD ONBUILD RUN touch foobar"),
            "Dockerfile:2:1: Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
  EXPECT_EQ(parse_err("FROM a\nONBUILD FROM scratch"),
            "Dockerfile:2:1: FROM isn't allowed as an ONBUILD trigger");
  EXPECT_EQ(parse_err("FROM a\nONBUILD MAINTAINER me"),
            "Dockerfile:2:1: MAINTAINER isn't allowed as an ONBUILD trigger");
}

TEST(DockerfileParse, UnknownInstructionsAndStructureErrors) {
  EXPECT_EQ(parse_err("FROM alpine\nRUN true\nFORM x"),
            "Dockerfile:3:1: unknown instruction: FORM (did you mean FROM?)");
  // parse_test.go TestErrorCases checks the prefix; util/suggest adds the closest name
  // (edit distance below 3) in the case of what was typed.
  EXPECT_EQ(parse_err("FROM a\nfoo bar"),
            "Dockerfile:2:1: unknown instruction: foo (did you mean from?)");
  EXPECT_EQ(parse_err("FROM a\nBOGUSLY bar"), "Dockerfile:2:1: unknown instruction: BOGUSLY");
  EXPECT_EQ(parse_err("FROM a\n   cpoy a b"),
            "Dockerfile:2:4: unknown instruction: cpoy (did you mean copy?)");
  EXPECT_EQ(parse_err("RUN true\nFROM a"), "Dockerfile:1:1: no build stage in current context");
  EXPECT_EQ(parse_err("ARG A=1\n"), "Dockerfile: dockerfile contains no stages to build");
  // testfiles-negative/empty_dockerfile, only_comments.
  EXPECT_EQ(parse_err(""), "Dockerfile: file with no instructions");
  EXPECT_EQ(parse_err("# comment\n\n#another\n"), "Dockerfile: file with no instructions");
  auto named = parse_dockerfile("FROM a\nNOPE", "ci/Dockerfile.prod");
  ASSERT_FALSE(named);
  EXPECT_EQ(named.error().message,
            "ci/Dockerfile.prod:2:1: unknown instruction: NOPE (did you mean COPY?)");
}

// ---- Expansion as the builder does it ----

TEST(DockerfileExpand, GlobalArgsAndStageBase) {
  Dockerfile df = parse_ok(
      "ARG VERSION=3.19\nARG BASE=alpine:${VERSION}\nARG UNSET\n"
      "FROM --platform=$BUILDPLATFORM ${BASE} AS build\nENV BASE=nope\nFROM $UNSET\n");
  auto globals = global_args(df, {}, Vars{{"BUILDPLATFORM", "linux/amd64"}});
  ASSERT_TRUE(globals) << globals.error().message;
  EXPECT_EQ(*globals->get("BASE"), "alpine:3.19");
  EXPECT_EQ(globals->get("UNSET"), nullptr);
  auto base = stage_base(df, df.stages[0], *globals);
  ASSERT_TRUE(base) << base.error().message;
  EXPECT_EQ(base->image, "alpine:3.19");
  EXPECT_EQ(base->platform, "linux/amd64");
  // A --build-arg replaces the default, and later defaults see it.
  auto overridden = global_args(df, {{"VERSION", "edge"}}, {});
  ASSERT_TRUE(overridden);
  EXPECT_EQ(*overridden->get("BASE"), "alpine:edge");
  // Build args that no global ARG declares stay out of the global scope.
  auto undeclared = global_args(df, {{"OTHER", "x"}}, {});
  ASSERT_TRUE(undeclared);
  EXPECT_EQ(undeclared->get("OTHER"), nullptr);
  auto blank = stage_base(df, df.stages[1], *globals);
  ASSERT_FALSE(blank);
  EXPECT_EQ(blank.error().message, "Dockerfile:6:1: base name ($UNSET) should not be blank");
}

TEST(DockerfileExpand, WhereTheReferenceExpands) {
  // Reference, "Environment replacement": ADD COPY ENV EXPOSE FROM LABEL STOPSIGNAL USER
  // VOLUME WORKDIR (and ONBUILD triggers when they run); RUN/CMD/ENTRYPOINT are the shell's.
  Dockerfile df = parse_ok(
      "FROM a\n"
      "ENV DIR=\"/srv/$APP\" ${APP}_HOME=/h\n"
      "LABEL \"$APP.version\"=${VER:-dev}\n"
      "WORKDIR $DIR\n"
      "USER ${APP}:${APP}\n"
      "COPY --chown=$APP --chmod=${MODE} $APP.conf ${DIR}/\n"
      "ADD --checksum=$SUM https://x/$APP.tgz /opt/\n"
      "VOLUME $DIR/data /logs\n"
      "STOPSIGNAL $SIG\n"
      "EXPOSE $PORTS 22\n"
      "ARG OUT=$DIR/out\n"
      "RUN echo $APP\n"
      "CMD echo $APP\n"
      "ENTRYPOINT [\"$APP\"]\n"
      "ONBUILD RUN echo $APP\n");
  const Vars vars{{"APP", "web"},       {"DIR", "/srv/web"}, {"MODE", "644"},
                  {"SUM", "sha256:ab"}, {"SIG", "SIGTERM"},  {"PORTS", "80/tcp 443/tcp"}};
  std::vector<Instruction> out;
  for (const Instruction& in : df.stages.at(0).instructions) {
    auto e = expand_instruction(df, in, vars);
    ASSERT_TRUE(e) << in.source << ": " << e.error().message;
    out.push_back(*e);
  }
  const auto& env = out[0].as<EnvInstruction>()->vars;
  EXPECT_EQ(env.at(0).value, "/srv/web");
  EXPECT_EQ(env.at(1).key, "web_HOME");
  EXPECT_EQ(out[1].as<LabelInstruction>()->labels.at(0).key, "web.version");
  EXPECT_EQ(out[1].as<LabelInstruction>()->labels.at(0).value, "dev");
  EXPECT_EQ(out[2].as<WorkdirInstruction>()->path, "/srv/web");
  EXPECT_EQ(out[3].as<UserInstruction>()->user, "web:web");
  const auto* copy = out[4].as<CopyInstruction>();
  EXPECT_EQ(copy->chown, "web");
  EXPECT_EQ(copy->chmod, "644");
  EXPECT_EQ(copy->sources, (Strings{"web.conf"}));
  EXPECT_EQ(copy->dest, "/srv/web/");
  EXPECT_EQ(out[5].as<AddInstruction>()->checksum, "sha256:ab");
  EXPECT_EQ(out[5].as<AddInstruction>()->sources, (Strings{"https://x/web.tgz"}));
  EXPECT_EQ(out[6].as<VolumeInstruction>()->paths, (Strings{"/srv/web/data", "/logs"}));
  EXPECT_EQ(out[7].as<StopSignalInstruction>()->signal, "SIGTERM");
  EXPECT_EQ(out[8].as<ExposeInstruction>()->ports, (Strings{"80/tcp", "443/tcp", "22"}));
  EXPECT_EQ(out[9].as<ArgInstruction>()->args.at(0).default_value, "/srv/web/out");
  EXPECT_EQ(out[10].as<RunInstruction>()->command.args, (Strings{"echo $APP"}));
  EXPECT_EQ(out[11].as<CmdInstruction>()->command.args, (Strings{"echo $APP"}));
  EXPECT_EQ(out[12].as<EntrypointInstruction>()->command.args, (Strings{"$APP"}));
  EXPECT_EQ(out[13].as<OnbuildInstruction>()->expression, "RUN echo $APP");
}

TEST(DockerfileExpand, HeredocBodiesAndErrors) {
  Dockerfile df = parse_ok(
      "FROM a\nCOPY <<EOF <<'RAW' /etc/\nname=$NAME \"q\"\nEOF\nname=$NAME\nRAW\n"
      "WORKDIR ${DIR:?set DIR}\n");
  const auto& insts = df.stages.at(0).instructions;
  auto copy = expand_instruction(df, insts.at(0), Vars{{"NAME", "x"}});
  ASSERT_TRUE(copy) << copy.error().message;
  EXPECT_EQ(copy->as<CopyInstruction>()->inline_files.at(0).data(), "name=x \"q\"\n");
  EXPECT_EQ(copy->as<CopyInstruction>()->inline_files.at(1).data(), "name=$NAME\n");
  auto workdir = expand_instruction(df, insts.at(1), Vars{});
  ASSERT_FALSE(workdir);
  EXPECT_EQ(workdir.error().message,
            "Dockerfile:7:1: failed to process \"${DIR:?set DIR}\": DIR: set DIR");
}

TEST(DockerfileExpand, BacktickEscapeFile) {
  // Reference, "escape": Windows paths with the backtick escape.
  Dockerfile df = parse_ok(
      "# escape=`\nFROM a\nCOPY testfile.txt c:\\ `\n  --chown=1 x\n"
      "WORKDIR c:\\$SUB\\dir\n");
  const auto& insts = df.stages.at(0).instructions;
  EXPECT_EQ(insts.at(0).as<CopyInstruction>()->sources,
            (Strings{"testfile.txt", "c:\\", "--chown=1"}));
  auto wd = expand_instruction(df, insts.at(1), Vars{{"SUB", "app"}});
  ASSERT_TRUE(wd) << wd.error().message;
  EXPECT_EQ(wd->as<WorkdirInstruction>()->path, "c:\\app\\dir");
}

}  // namespace
}  // namespace berth::build
