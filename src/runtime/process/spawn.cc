#include "runtime/process/spawn.h"

#include <linux/sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>

#include "runtime/console/console.h"

namespace berth::runtime::process {

pid_t spawn_in_cgroup(int flags, const cgroup::Manager& cgroups, bool child_joins_v1,
                      bool& joined) {
  UniqueFd v2 = cgroups.open_v2_dir();
  pid_t pid = -1;
  bool into_v2 = false;
  if (v2) {
    clone_args args{};
    args.flags = static_cast<uint64_t>(flags) | CLONE_INTO_CGROUP;
    args.exit_signal = SIGCHLD;
    args.cgroup = static_cast<uint64_t>(v2.get());
    pid = static_cast<pid_t>(::syscall(SYS_clone3, &args, sizeof args));
    into_v2 = pid >= 0;
    // An old kernel, or a sandbox whose seccomp filter refuses clone3: fall back to clone.
    if (pid < 0 && errno != ENOSYS && errno != E2BIG && errno != EINVAL && errno != EOPNOTSUPP &&
        errno != EPERM) {
      return -1;
    }
  }
  if (pid < 0) {
    pid = static_cast<pid_t>(::syscall(SYS_clone, flags | SIGCHLD, nullptr, nullptr, nullptr, 0));
  }
  if (pid > 0) {
    joined = child_joins_v1 && (into_v2 || !v2);
  }
  return pid;
}

Error child_error(const SyncMessage& m) {
  Errc code = m.err != 0 ? sys_error(m.err, "").value().code : Errc::kInternal;
  if (m.text.find("executable file not found") != std::string::npos) {
    code = Errc::kNotFound;
  }
  return Error{code, m.text, m.err};
}

Result<UniqueFd> await_ready(int sync_fd, const std::function<void(const std::string&)>& warn,
                             const std::function<Result<void>()>& on_hooks) {
  UniqueFd pty_master;
  for (;;) {
    BERTH_ASSIGN_OR_RETURN(SyncMessage m, sync_recv(sync_fd));
    switch (m.type) {
      case SyncType::kWarning:
        warn(m.text);
        break;
      case SyncType::kHooks:
        if (!on_hooks) {
          return make_error(Errc::kInternal, "unexpected hooks request from the container");
        }
        BERTH_TRY(on_hooks());
        BERTH_TRY(sync_send(sync_fd, SyncType::kHooksDone));
        break;
      case SyncType::kPty: {
        BERTH_ASSIGN_OR_RETURN(pty_master, console::recv_fd(sync_fd));
        break;
      }
      case SyncType::kError:
        return tl::unexpected(child_error(m));
      case SyncType::kReady:
        return pty_master;
      default:
        return make_error(Errc::kInternal, "unexpected message from the container process");
    }
  }
}

namespace {
volatile sig_atomic_t g_forward_pid = 0;
void forward_signal(int sig) {
  if (g_forward_pid > 0) {
    ::kill(g_forward_pid, sig);
  }
}
}  // namespace

void forward_signals_to(pid_t pid) {
  g_forward_pid = pid;
  if (pid == 0) {
    return;
  }
  struct sigaction sa {};
  sa.sa_handler = forward_signal;
  sa.sa_flags = SA_RESTART;
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH}) {
    ::sigaction(sig, &sa, nullptr);
  }
}

int wait_exit_status(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      return 255;
    }
  }
  if (WIFEXITED(status)) {
    return WEXITSTATUS(status);
  }
  return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 255;
}

}  // namespace berth::runtime::process
