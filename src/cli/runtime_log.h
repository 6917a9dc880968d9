// Where `berth runtime` reports warnings and errors: stderr, and the --log file in runc's
// formats (text, or json lines {"level","msg","time"} that conmon and containerd read back).
#pragma once

#include <string>
#include <string_view>

#include "common/error.h"

namespace berth::cli {

class RuntimeLog {
 public:
  // Errors: kNotFound/kPermissionDenied when the log file cannot be opened for appending.
  Result<void> configure(std::string path, std::string format);
  void warning(std::string_view msg) const;
  // Errors also go to stderr as "berth: <msg>", whatever --log says.
  void error(std::string_view msg) const;

 private:
  void write(std::string_view level, std::string_view msg) const;
  std::string path_;
  bool json_ = false;
};

}  // namespace berth::cli
