#include "common/error.h"

#include <cerrno>
#include <cstring>

namespace berth {

tl::unexpected<Error> make_error(Errc code, std::string message) {
  return tl::unexpected(Error{code, std::move(message), 0});
}

tl::unexpected<Error> sys_error(int err, std::string_view what) {
  Errc code = Errc::kInternal;
  switch (err) {
    case ENOENT: case ENOTDIR: code = Errc::kNotFound; break;
    case EEXIST: code = Errc::kAlreadyExists; break;
    case EPERM: case EACCES: case EROFS: code = Errc::kPermissionDenied; break;
    case EINVAL: code = Errc::kInvalidArgument; break;
    case EBUSY: code = Errc::kConflict; break;
    case ENOMEM: case ENOSPC: case EAGAIN: case EMFILE: code = Errc::kResourceExhausted; break;
    case ENOSYS: case EOPNOTSUPP: code = Errc::kNotImplemented; break;
    default: break;
  }
  std::string msg(what);
  msg += ": ";
  msg += std::strerror(err);
  return tl::unexpected(Error{code, std::move(msg), err});
}

Error wrap(Error e, std::string_view context) {
  std::string msg(context);
  msg += ": ";
  msg += e.message;
  e.message = std::move(msg);
  return e;
}

std::string_view errc_name(Errc code) {
  switch (code) {
    case Errc::kNotFound: return "NotFound";
    case Errc::kAlreadyExists: return "AlreadyExists";
    case Errc::kConflict: return "Conflict";
    case Errc::kInvalidArgument: return "InvalidArgument";
    case Errc::kFailedPrecondition: return "FailedPrecondition";
    case Errc::kPermissionDenied: return "PermissionDenied";
    case Errc::kUnauthenticated: return "Unauthenticated";
    case Errc::kResourceExhausted: return "ResourceExhausted";
    case Errc::kUnavailable: return "Unavailable";
    case Errc::kNotImplemented: return "NotImplemented";
    case Errc::kCanceled: return "Canceled";
    case Errc::kDeadlineExceeded: return "DeadlineExceeded";
    case Errc::kDataLoss: return "DataLoss";
    case Errc::kInternal: return "Internal";
  }
  return "Unknown";
}

}  // namespace berth
