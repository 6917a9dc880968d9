#include "runtime/linux/process_setup.h"

#include <fcntl.h>
#include <grp.h>
#include <linux/close_range.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "common/fs.h"
#include "common/strings.h"
#include "runtime/security/capabilities.h"
#include "runtime/security/seccomp.h"

namespace berth::runtime::os {

Result<void> apply_rlimits(const std::vector<spec::Rlimit>& rlimits,
                           std::vector<std::string>& warnings) {
  for (const auto& rl : rlimits) {
    rlimit want{rl.soft, rl.hard};
    if (::setrlimit(rl.type, &want) == 0) {
      continue;
    }
    int err = errno;
    rlimit cur{};
    if (err == EPERM && ::getrlimit(rl.type, &cur) == 0 && rl.hard > cur.rlim_max) {
      rlimit clamped{std::min<rlim_t>(rl.soft, cur.rlim_max), cur.rlim_max};
      if (::setrlimit(rl.type, &clamped) == 0) {
        warnings.push_back(rl.name + ": hard limit " + std::to_string(rl.hard) +
                           " is above what this host allows (" + std::to_string(cur.rlim_max) +
                           "); clamped to " + std::to_string(cur.rlim_max));
        continue;
      }
      err = errno;
    }
    return sys_error(err, "process.rlimits: set " + rl.name + " to " + std::to_string(rl.soft) +
                              ":" + std::to_string(rl.hard));
  }
  return {};
}

Result<const security::SeccompFilter*> finalize_process(const spec::Process& p,
                                                        const security::SeccompFilter* filter,
                                                        bool setgroups_allowed) {
  if (p.user.umask) {
    ::umask(static_cast<mode_t>(*p.user.umask));
  } else {
    ::umask(022);
  }
  if (::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) {
    return sys_error(errno, "keep capabilities");
  }
  if (p.capabilities) {
    BERTH_TRY(security::drop_bounding(p.capabilities->bounding));
  }
  // Without no_new_privs, loading a filter needs CAP_SYS_ADMIN: do it while we still have it.
  if (filter && !p.no_new_privileges) {
    BERTH_TRY(filter->load());
    filter = nullptr;
  }
  if (setgroups_allowed) {
    std::vector<gid_t> groups(p.user.additional_gids.begin(), p.user.additional_gids.end());
    if (::setgroups(groups.size(), groups.data()) < 0) {
      return sys_error(errno, "process.user.additionalGids: setgroups");
    }
  }
  // cwd first as root (it may be a dir only root can enter, as `exec -u 1000 -w /root`); again
  // below as the user, whose view is the one that counts when the first try failed.
  const bool cwd_done = ::chdir(p.cwd.c_str()) == 0;
  if (::setresgid(p.user.gid, p.user.gid, p.user.gid) < 0) {
    return sys_error(errno, "process.user.gid: setgid " + std::to_string(p.user.gid));
  }
  if (::setresuid(p.user.uid, p.user.uid, p.user.uid) < 0) {
    return sys_error(errno, "process.user.uid: setuid " + std::to_string(p.user.uid));
  }
  if (!cwd_done && ::chdir(p.cwd.c_str()) < 0) {
    return sys_error(errno, "process.cwd: chdir `" + p.cwd + "`");
  }
  if (p.capabilities) {
    BERTH_TRY(security::apply_capabilities(*p.capabilities));
  }
  if (::prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0) {
    return sys_error(errno, "drop keep-capabilities");
  }
  if (p.no_new_privileges && ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
    return sys_error(errno, "set no_new_privs");
  }
  return filter;  // with no_new_privs: loaded by the caller right before execve
}

Result<std::string> find_executable(const std::string& arg0, const std::vector<std::string>& env) {
  auto check = [](const std::string& path) -> int {
    struct stat st;
    if (::stat(path.c_str(), &st) < 0) {
      return errno;
    }
    if (S_ISDIR(st.st_mode)) {
      return EACCES;
    }
    return ::access(path.c_str(), X_OK) == 0 ? 0 : errno;
  };
  if (arg0.find('/') != std::string::npos) {
    int err = check(arg0);
    if (err != 0) {
      return sys_error(err, "exec: \"" + arg0 + "\"");
    }
    return arg0;
  }
  std::string path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  for (const auto& e : env) {
    if (e.rfind("PATH=", 0) == 0) {
      path = e.substr(5);
    }
  }
  int denied = 0;
  for (auto& dir : str::split(path, ':')) {
    std::string candidate = (dir.empty() ? "." : dir) + "/" + arg0;
    int err = check(candidate);
    if (err == 0) {
      return candidate;
    }
    if (err == EACCES) {
      denied = EACCES;
    }
  }
  if (denied) {
    return sys_error(denied, "exec: \"" + arg0 + "\"");
  }
  return make_error(Errc::kNotFound,
                    "exec: \"" + arg0 + "\": executable file not found in $PATH");
}

std::vector<std::string> with_home(std::vector<std::string> env, uint32_t uid) {
  for (const auto& e : env) {
    if (e.rfind("HOME=", 0) == 0) {
      return env;
    }
  }
  std::string home = "/";
  if (auto passwd = fs::read_file("/etc/passwd")) {
    for (auto& line : str::split(*passwd, '\n')) {
      auto f = str::split(line, ':');
      if (f.size() >= 6 && str::parse_uint(f[2]) == uid && !f[5].empty()) {
        home = f[5];
        break;
      }
    }
  }
  env.push_back("HOME=" + home);
  return env;
}

void prepare_fds_for_exec(int preserve) {
  const unsigned first_closed = 3 + static_cast<unsigned>(preserve);
  if (::syscall(SYS_close_range, first_closed, ~0U, CLOSE_RANGE_CLOEXEC) < 0) {
    for (int fd = static_cast<int>(first_closed); fd < 1024; ++fd) {
      int flags = ::fcntl(fd, F_GETFD);
      if (flags >= 0) {
        ::fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
      }
    }
  }
  for (int fd = 3; fd < static_cast<int>(first_closed); ++fd) {
    int flags = ::fcntl(fd, F_GETFD);
    if (flags >= 0) {
      ::fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC);
    }
  }
}

}  // namespace berth::runtime::os
