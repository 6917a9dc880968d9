#include "cli/runtime_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "common/json.h"
#include "common/unique_fd.h"
#include "runtime/state/state.h"

namespace berth::cli {

Result<void> RuntimeLog::configure(std::string path, std::string format) {
  json_ = format == "json";
  if (!path.empty()) {
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644));
    if (!fd) {
      return sys_error(errno, "--log: open `" + path + "`");
    }
  }
  path_ = std::move(path);
  return {};
}

void RuntimeLog::write(std::string_view level, std::string_view msg) const {
  if (path_.empty()) {
    return;
  }
  UniqueFd fd(::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644));
  if (!fd) {
    return;
  }
  std::string line;
  if (json_) {
    Json j = {{"level", level}, {"msg", msg}, {"time", rfc3339_now()}};
    line = dump_json(j) + "\n";
  } else {
    line = rfc3339_now() + " " + std::string(level) + ": " + std::string(msg) + "\n";
  }
  (void)!::write(fd.get(), line.data(), line.size());
}

void RuntimeLog::warning(std::string_view msg) const {
  if (path_.empty()) {
    std::fprintf(stderr, "berth: warning: %.*s\n", static_cast<int>(msg.size()), msg.data());
  }
  write("warning", msg);
}

void RuntimeLog::error(std::string_view msg) const {
  std::fprintf(stderr, "berth: %.*s\n", static_cast<int>(msg.size()), msg.data());
  write("error", msg);
}

}  // namespace berth::cli
