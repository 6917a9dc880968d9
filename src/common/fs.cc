#include "common/fs.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <system_error>

#include "common/strings.h"
#include "common/unique_fd.h"

namespace berth::fs {

Result<std::string> read_file(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    return sys_error(errno, "open `" + path + "`");
  }
  std::string out;
  char buf[8192];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return sys_error(errno, "read `" + path + "`");
    }
    if (n == 0) {
      break;
    }
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

Result<void> write_control(const std::string& path, std::string_view data) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC | O_TRUNC));
  if (!fd) {
    return sys_error(errno, "open `" + path + "`");
  }
  ssize_t n;
  do {
    n = ::write(fd.get(), data.data(), data.size());
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    return sys_error(errno, "write `" + std::string(data) + "` to `" + path + "`");
  }
  return {};
}

namespace {

// All of `data` to `fd` (named `path` in errors).
Result<void> write_all(int fd, const std::string& path, std::string_view data) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return sys_error(errno, "write `" + path + "`");
    }
    off += static_cast<size_t>(n);
  }
  return {};
}

}  // namespace

Result<void> write_file(const std::string& path, std::string_view data, mode_t mode) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
  if (!fd) {
    return sys_error(errno, "create `" + path + "`");
  }
  return write_all(fd.get(), path, data);
}

Result<void> atomic_write(const std::string& path, std::string_view data, mode_t mode) {
  // pid and thread id: concurrent writers of one path never share a temp file.
  std::string tmp = path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(::gettid());
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
  if (!fd) {
    return sys_error(errno, "create `" + tmp + "`");
  }
  if (auto w = write_all(fd.get(), tmp, data); !w) {
    ::unlink(tmp.c_str());
    return w;
  }
  fd.reset();
  if (::rename(tmp.c_str(), path.c_str()) < 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return sys_error(err, "rename to `" + path + "`");
  }
  return {};
}

Result<void> mkdir_all(const std::string& path, mode_t mode) {
  if (path.empty()) {
    return {};
  }
  if (::mkdir(path.c_str(), mode) == 0 || errno == EEXIST) {
    return {};
  }
  if (errno != ENOENT) {
    return sys_error(errno, "mkdir `" + path + "`");
  }
  auto slash = path.find_last_of('/');
  if (slash != std::string::npos && slash > 0) {
    BERTH_TRY(mkdir_all(path.substr(0, slash), mode));
  }
  if (::mkdir(path.c_str(), mode) < 0 && errno != EEXIST) {
    return sys_error(errno, "mkdir `" + path + "`");
  }
  return {};
}

Result<void> remove_all(const std::string& path) {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
  if (ec && ec.value() != ENOENT) {  // gone meanwhile (a concurrent remove) is what we wanted
    return sys_error(ec.value(), "remove `" + path + "`");
  }
  return {};
}

bool exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

bool is_dir(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

Result<std::vector<std::string>> list_dir(const std::string& path) {
  DIR* d = ::opendir(path.c_str());
  if (d == nullptr) {
    return sys_error(errno, "opendir `" + path + "`");
  }
  std::vector<std::string> out;
  while (struct dirent* e = ::readdir(d)) {
    std::string_view name = e->d_name;
    if (name != "." && name != "..") {
      out.emplace_back(name);
    }
  }
  ::closedir(d);
  return out;
}

std::string absolute(const std::string& path) {
  if (!path.empty() && path[0] == '/') {
    return path;
  }
  char cwd[4096];
  if (::getcwd(cwd, sizeof cwd) == nullptr) {
    return path;
  }
  return path.empty() ? std::string(cwd) : join(cwd, path);
}

std::string join(std::string_view a, std::string_view b) {
  std::string out(a);
  while (!out.empty() && out.back() == '/') {
    out.pop_back();
  }
  while (!b.empty() && b.front() == '/') {
    b.remove_prefix(1);
  }
  out += '/';
  out += b;
  return out;
}

std::string clean_path(std::string_view p) {
  if (p.empty()) return ".";
  bool rooted = p.front() == '/';
  std::vector<std::string> parts;
  for (std::string& part : str::split(p, '/')) {
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (!parts.empty() && parts.back() != "..") {
        parts.pop_back();
      } else if (!rooted) {
        parts.push_back(part);
      }
      continue;
    }
    parts.push_back(std::move(part));
  }
  std::string out = (rooted ? "/" : "") + str::join(parts, "/");
  return out.empty() ? "." : out;
}

UniqueFd open_in_root(int dirfd, const std::string& path, int flags) {
  open_how how{};
  how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  std::string p = path.empty() ? "." : path;
  return UniqueFd(static_cast<int>(::syscall(SYS_openat2, dirfd, p.c_str(), &how, sizeof how)));
}

Result<void> mkdir_in_root(const std::string& root, const std::string& path, mode_t mode) {
  UniqueFd rootfd(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!rootfd) return sys_error(errno, "open `" + root + "`");
  std::string prefix = ".";
  for (auto& comp : str::split(path, '/')) {
    if (comp.empty() || comp == ".") continue;
    UniqueFd parent = open_in_root(rootfd.get(), prefix, O_PATH | O_DIRECTORY);
    if (!parent) return sys_error(errno, "open `" + path + "`");
    if (comp != ".." && ::mkdirat(parent.get(), comp.c_str(), mode) < 0 && errno != EEXIST) {
      return sys_error(errno, "create `" + path + "`");
    }
    prefix += "/" + comp;
  }
  return {};
}

}  // namespace berth::fs
