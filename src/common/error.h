// Errors as values: every fallible berth function returns Result<T>.
// Follows ../../docs/ARCHITECTURE.md "Errors" (crun's error wrapping, containerd's errdefs).
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include <tl/expected.hpp>

namespace berth {

enum class Errc {
  kNotFound,
  kAlreadyExists,
  kConflict,
  kInvalidArgument,
  kFailedPrecondition,
  kPermissionDenied,
  kUnauthenticated,
  kResourceExhausted,
  kUnavailable,
  kNotImplemented,
  kCanceled,
  kDeadlineExceeded,
  kDataLoss,
  kInternal,
};

struct Error {
  Errc code = Errc::kInternal;
  std::string message;  // one line: "<what failed> `<object>`: <why>"
  int sys_errno = 0;    // errno when a syscall is the cause, else 0
};

template <class T = void>
using Result = tl::expected<T, Error>;

// An error with `code` and `message`.
tl::unexpected<Error> make_error(Errc code, std::string message);

// An error for a failed syscall: "<what>: <strerror(err)>". The code follows errno:
// ENOENT→kNotFound, EEXIST→kAlreadyExists, EPERM/EACCES→kPermissionDenied,
// EINVAL→kInvalidArgument, EBUSY→kConflict, ENOMEM/ENOSPC/EAGAIN→kResourceExhausted,
// ENOSYS/EOPNOTSUPP→kNotImplemented, anything else kInternal.
tl::unexpected<Error> sys_error(int err, std::string_view what);

// `e` with "context: " put in front of its message; the code is kept (crun_error_wrap).
Error wrap(Error e, std::string_view context);

// Name of an Errc ("NotFound", ...) for logs.
std::string_view errc_name(Errc code);

}  // namespace berth

#define BERTH_CONCAT_INNER(a, b) a##b
#define BERTH_CONCAT(a, b) BERTH_CONCAT_INNER(a, b)

// Returns the error of a Result<void>-like expression from the enclosing function.
#define BERTH_TRY(expr)                                          \
  do {                                                           \
    auto berth_try_result_ = (expr);                             \
    if (!berth_try_result_) {                                    \
      return tl::unexpected(std::move(berth_try_result_.error())); \
    }                                                            \
  } while (0)

// `lhs = *expr` or return its error. `lhs` may be a declaration (`auto x`).
#define BERTH_ASSIGN_OR_RETURN(lhs, expr) \
  BERTH_ASSIGN_OR_RETURN_IMPL(BERTH_CONCAT(berth_aor_, __LINE__), lhs, expr)
#define BERTH_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                \
  if (!tmp) {                                       \
    return tl::unexpected(std::move(tmp.error()));  \
  }                                                 \
  lhs = std::move(*tmp)
