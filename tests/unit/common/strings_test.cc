#include "common/strings.h"

#include <gtest/gtest.h>

namespace berth::str {
namespace {

TEST(Split, KeepsEmptyFields) {
  EXPECT_EQ(split("a,,b", ','), (std::vector<std::string>{"a", "", "b"}));
  EXPECT_EQ(split("", ','), (std::vector<std::string>{""}));
}

TEST(ParseInt, RejectsJunkAndOverflow) {
  EXPECT_EQ(parse_int("-12"), -12);
  EXPECT_FALSE(parse_int("12x"));
  EXPECT_FALSE(parse_int(""));
  EXPECT_FALSE(parse_uint("99999999999999999999999"));
  EXPECT_EQ(parse_uint("18446744073709551615"), UINT64_MAX);
}

TEST(Trim, StripsWhitespaceBothSides) { EXPECT_EQ(trim(" \tx y\n"), "x y"); }

}  // namespace
}  // namespace berth::str
