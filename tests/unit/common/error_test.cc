#include "common/error.h"

#include <gtest/gtest.h>

#include <cerrno>

namespace berth {
namespace {

TEST(SysError, MapsErrnoToCodeAndKeepsIt) {
  struct Case {
    int err;
    Errc want;
  } cases[] = {{ENOENT, Errc::kNotFound},         {EEXIST, Errc::kAlreadyExists},
               {EPERM, Errc::kPermissionDenied},  {EACCES, Errc::kPermissionDenied},
               {EINVAL, Errc::kInvalidArgument},  {EBUSY, Errc::kConflict},
               {ENOSPC, Errc::kResourceExhausted}, {EIO, Errc::kInternal}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.err);
    Error e = sys_error(c.err, "open `x`").value();
    EXPECT_EQ(e.code, c.want);
    EXPECT_EQ(e.sys_errno, c.err);
    EXPECT_EQ(e.message.rfind("open `x`: ", 0), 0u);
  }
}

TEST(Wrap, PrefixesContextAndKeepsCode) {
  Error e = wrap(Error{Errc::kNotFound, "no such file", ENOENT}, "load bundle");
  EXPECT_EQ(e.message, "load bundle: no such file");
  EXPECT_EQ(e.code, Errc::kNotFound);
}

Result<int> half(int x) {
  if (x % 2 != 0) {
    return make_error(Errc::kInvalidArgument, "odd");
  }
  return x / 2;
}

Result<int> quarter(int x) {
  BERTH_ASSIGN_OR_RETURN(int h, half(x));
  BERTH_ASSIGN_OR_RETURN(int q, half(h));
  return q;
}

TEST(Macros, AssignOrReturnPropagatesTheFirstError) {
  EXPECT_EQ(*quarter(8), 2);
  auto r = quarter(6);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "odd");
}

}  // namespace
}  // namespace berth
