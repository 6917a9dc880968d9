// Expected values from compose-spec 12-interpolation.md and compose-go template/template_test.go
// (same variables: FOO=first, BAR="" and everything else unset).
#include "compose/interpolation.h"

#include <gtest/gtest.h>

#include <map>

namespace berth::compose {
namespace {

const std::map<std::string, std::string> kVars = {{"FOO", "first"}, {"BAR", ""}};

std::optional<std::string> vars(std::string_view name) {
  auto it = kVars.find(std::string(name));
  if (it == kVars.end()) return std::nullopt;
  return it->second;
}

std::string sub(std::string_view text) {
  auto r = interpolate(text, vars);
  EXPECT_TRUE(r) << text << ": " << r.error().message;
  return r ? *r : "<error>";
}

std::string sub_error(std::string_view text) {
  auto r = interpolate(text, vars);
  if (r) return "no error: " + *r;
  EXPECT_EQ(r.error().code, Errc::kInvalidArgument);
  return r.error().message;
}

TEST(ComposeInterpolation, PlainAndBracedVariables) {
  EXPECT_EQ(sub("This $FOO var"), "This first var");
  EXPECT_EQ(sub("This ${FOO} var"), "This first var");
  EXPECT_EQ(sub("${FOO}${FOO}"), "firstfirst");
  EXPECT_EQ(sub("$FOO-suffix"), "first-suffix");  // '-' ends a name
}

TEST(ComposeInterpolation, UnsetVariableIsEmpty) {
  EXPECT_EQ(sub("This ${missing} var"), "This  var");
  EXPECT_EQ(sub("This $missing var"), "This  var");
  EXPECT_EQ(sub("This ${BAR} var"), "This  var");
}

TEST(ComposeInterpolation, DoubleDollarIsALiteralDollar) {
  EXPECT_EQ(sub("$${foo}"), "${foo}");
  EXPECT_EQ(sub("$$VAR_NOT_INTERPOLATED_BY_COMPOSE"), "$VAR_NOT_INTERPOLATED_BY_COMPOSE");
  EXPECT_EQ(sub("a$$$FOO"), "a$first");
}

TEST(ComposeInterpolation, DollarWithoutANameStays) {
  for (const char* t : {"a $ string", "^REGEX$", "$}", "$", "cost: $5"}) EXPECT_EQ(sub(t), t);
}

TEST(ComposeInterpolation, DefaultWhenUnsetOrEmpty) {
  EXPECT_EQ(sub("ok ${missing:-def}"), "ok def");
  EXPECT_EQ(sub("ok ${BAR:-def}"), "ok def");  // empty counts as unset with ':'
  EXPECT_EQ(sub("ok ${FOO:-def}"), "ok first");
  EXPECT_EQ(sub("ok ${BAR:-/non:-alphanumeric}"), "ok /non:-alphanumeric");
}

TEST(ComposeInterpolation, DefaultOnlyWhenUnset) {
  EXPECT_EQ(sub("ok ${missing-def}"), "ok def");
  EXPECT_EQ(sub("ok ${BAR-def}"), "ok ");
}

TEST(ComposeInterpolation, AlternativeValue) {
  EXPECT_EQ(sub("ok ${FOO:+presence_value}"), "ok presence_value");
  EXPECT_EQ(sub("ok ${BAR:+presence_value}"), "ok ");
  EXPECT_EQ(sub("ok ${BAR+presence_value}"), "ok presence_value");
  EXPECT_EQ(sub("ok ${UNSET_VAR:+presence_value}"), "ok ");
  EXPECT_EQ(sub("ok ${UNSET_VAR+presence_value}"), "ok ");
}

TEST(ComposeInterpolation, NestedDefaults) {
  EXPECT_EQ(sub("ok ${UNSET_VAR-$FOO}"), "ok first");
  EXPECT_EQ(sub("ok ${UNSET_VAR-${FOO} ${FOO}}"), "ok first first");
  EXPECT_EQ(sub("ok ${BAR:-${FOO}}"), "ok first");
  EXPECT_EQ(sub("ok ${BAR+$FOO ${FOO:+second}}"), "ok first second");
  EXPECT_EQ(sub("${A:-${B:-default}}"), "default");  // 12-interpolation.md
  EXPECT_EQ(sub("+ok ${UNSET:-${BAR-defaultValue}}"), "+ok ");
}

TEST(ComposeInterpolation, RequiredVariables) {
  EXPECT_EQ(sub("${FOO:?must be set}"), "first");
  EXPECT_EQ(sub("${BAR?must be set}"), "");  // set, though empty
  EXPECT_EQ(sub_error("${X:?must be set}"), "required variable X is missing a value: must be set");
  EXPECT_EQ(sub_error("not ok ${BAR:?Mandatory Variable Empty}"),
            "required variable BAR is missing a value: Mandatory Variable Empty");
  EXPECT_EQ(sub_error("${UNSET_VAR?}"), "required variable UNSET_VAR is missing a value");
  // The message is interpolated too.
  EXPECT_EQ(sub_error("${UNSET_VAR:?$FOO is needed}"),
            "required variable UNSET_VAR is missing a value: first is needed");
}

TEST(ComposeInterpolation, InvalidTemplates) {
  for (const char* t : {"${", "${}", "${ }", "${ foo}", "${foo }", "${foo!}", "${FOO/a/b}"}) {
    EXPECT_EQ(sub_error(t), "invalid interpolation format for \"" + std::string(t) +
                                "\": you may need to escape any $ with another $");
  }
}

}  // namespace
}  // namespace berth::compose
