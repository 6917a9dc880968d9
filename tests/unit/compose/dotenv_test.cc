// Expected values from compose-go dotenv/godotenv_test.go and its fixtures (quoted.env,
// plain.env, exported.env, substitutions.env) unless a comment says otherwise.
#include "compose/dotenv.h"

#include <gtest/gtest.h>

namespace berth::compose {
namespace {

using Vars = std::map<std::string, std::string>;

std::optional<std::string> no_env(std::string_view) { return std::nullopt; }

Vars parse(std::string_view text, const Lookup& lookup = no_env) {
  auto r = parse_dotenv(text, lookup);
  EXPECT_TRUE(r) << r.error().message;
  return r ? *r : Vars{};
}

TEST(ComposeDotenv, PlainValuesBlanksAndInlineComments) {
  Vars v = parse(
      "OPTION_A=1\nOPTION_B=2\nOPTION_C= 3\nOPTION_D =4\nOPTION_E = 5\n456 = ABC\nOPTION_F = \n"
      "OPTION_G=\nOPTION_H = my string # Inline comment\n");
  EXPECT_EQ(v, (Vars{{"OPTION_A", "1"},
                     {"OPTION_B", "2"},
                     {"OPTION_C", "3"},
                     {"OPTION_D", "4"},
                     {"OPTION_E", "5"},
                     {"456", "ABC"},
                     {"OPTION_F", ""},
                     {"OPTION_G", ""},
                     {"OPTION_H", "my string"}}));
}

TEST(ComposeDotenv, QuotedValues) {
  Vars v = parse(
      "OPTION_A='1'\nOPTION_C=''\nOPTION_D='\\n'\nOPTION_E=\"1\"\nOPTION_G=\"\"\n"
      "OPTION_H=\"\\n\"\nOPTION_I = \"echo 'asd'\" # Inline comment\n"
      "OPTION_J = 'first line\nsecond line'\nOPTION_K='Let\\'s go!'\nOPTION_Z = \"last value\"\n");
  EXPECT_EQ(v["OPTION_A"], "1");
  EXPECT_EQ(v["OPTION_C"], "");
  EXPECT_EQ(v["OPTION_D"], "\\n");  // single quotes: no escapes
  EXPECT_EQ(v["OPTION_E"], "1");
  EXPECT_EQ(v["OPTION_G"], "");
  EXPECT_EQ(v["OPTION_H"], "\n");  // double quotes: escapes
  EXPECT_EQ(v["OPTION_I"], "echo 'asd'");
  EXPECT_EQ(v["OPTION_J"], "first line\nsecond line");
  EXPECT_EQ(v["OPTION_K"], "Let's go!");
  EXPECT_EQ(v["OPTION_Z"], "last value");
}

TEST(ComposeDotenv, DoubleQuotedEscapes) {
  Vars v = parse("A=\"tab\\there \\\"q\\\" back\\\\slash \\$HOME\"\n");
  EXPECT_EQ(v["A"], "tab\there \"q\" back\\slash $HOME");  // \$ is a literal $
}

TEST(ComposeDotenv, ExportPrefixCommentsAndBlankLines) {
  Vars v = parse("# a comment\n\n  export OPTION_A=2\nexport OPTION_B='\\n'\n   # indented\n");
  EXPECT_EQ(v, (Vars{{"OPTION_A", "2"}, {"OPTION_B", "\\n"}}));
}

TEST(ComposeDotenv, SubstitutionsFromEarlierLinesAndTheEnvironment) {
  Vars v = parse(
      "OPTION_A=1\nOPTION_B=${OPTION_A}\nOPTION_C=$OPTION_B\nOPTION_D=${OPTION_A}_${OPTION_B}\n"
      "OPTION_E=${OPTION_NOT_DEFINED}\nOPTION_F='$OPTION_A'\nOPTION_G=${HOST_VAR:-x}\n",
      [](std::string_view n) -> std::optional<std::string> {
        if (n == "HOST_VAR") return "from-env";
        return std::nullopt;
      });
  EXPECT_EQ(v["OPTION_B"], "1");
  EXPECT_EQ(v["OPTION_C"], "1");
  EXPECT_EQ(v["OPTION_D"], "1_1");
  EXPECT_EQ(v["OPTION_E"], "");
  EXPECT_EQ(v["OPTION_F"], "$OPTION_A");  // single quotes are literal
  EXPECT_EQ(v["OPTION_G"], "from-env");
}

TEST(ComposeDotenv, KeyAloneIsInheritedFromTheEnvironment) {
  // compose-go fixtures/inherited-*.env: a bare KEY takes the environment's value, if any.
  Vars v = parse("SET\nUNSET\nLAST", [](std::string_view n) -> std::optional<std::string> {
    if (n == "SET" || n == "LAST") return std::string("v-") + std::string(n);
    return std::nullopt;
  });
  EXPECT_EQ(v, (Vars{{"SET", "v-SET"}, {"LAST", "v-LAST"}}));
}

TEST(ComposeDotenv, BomIsSkipped) {
  EXPECT_EQ(parse("\xEF\xBB\xBFOPTION_A=1\n"), (Vars{{"OPTION_A", "1"}}));
}

TEST(ComposeDotenv, Errors) {
  auto err = [](std::string_view text) {
    auto r = parse_dotenv(text, no_env);
    return r ? std::string("parsed") : r.error().message;
  };
  EXPECT_EQ(err("A=1\nFOO BAR=1\n"), "line 2: key cannot contain a space");
  EXPECT_EQ(err("A=1\nB$=2\n"), "line 2: unexpected character \"$\" in variable name \"B$=2\"");
  EXPECT_EQ(err("A=\"open\nB=2\n"), "line 1: unterminated quoted value \"open");
}

}  // namespace
}  // namespace berth::compose
