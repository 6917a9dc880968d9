#include "runtime/hooks/hooks.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <thread>

#include "common/unique_fd.h"

namespace berth::runtime::hooks {
namespace {

std::vector<char*> cstrs(const std::vector<std::string>& v) {
  std::vector<char*> out;
  for (const auto& s : v) {
    out.push_back(const_cast<char*>(s.c_str()));
  }
  out.push_back(nullptr);
  return out;
}

Result<void> run_one(const spec::Hook& h, const std::string& stage, const std::string& state) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) < 0) {
    return sys_error(errno, "pipe");
  }
  UniqueFd rd(p[0]), wr(p[1]);
  std::vector<std::string> args = h.args.empty() ? std::vector<std::string>{h.path} : h.args;
  auto argv = cstrs(args);
  auto envp = cstrs(h.env);
  pid_t pid = ::fork();
  if (pid < 0) {
    return sys_error(errno, stage + " hook `" + h.path + "`: fork");
  }
  if (pid == 0) {
    ::dup2(rd.get(), 0);
    ::execve(h.path.c_str(), argv.data(), envp.data());
    ::_exit(127);
  }
  rd.reset();
  // A hook that does not read its stdin must not kill us with SIGPIPE.
  auto old = ::signal(SIGPIPE, SIG_IGN);
  (void)!::write(wr.get(), state.data(), state.size());
  ::signal(SIGPIPE, old);
  wr.reset();
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(h.timeout_seconds.value_or(0));
  int status = 0;
  for (;;) {
    pid_t r = ::waitpid(pid, &status, h.timeout_seconds ? WNOHANG : 0);
    if (r == pid) {
      break;
    }
    if (r < 0 && errno != EINTR) {
      return sys_error(errno, stage + " hook `" + h.path + "`: wait");
    }
    if (h.timeout_seconds && std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      return make_error(Errc::kDeadlineExceeded,
                        stage + " hook `" + h.path + "` timed out after " +
                            std::to_string(*h.timeout_seconds) + "s");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    return {};
  }
  std::string why = WIFEXITED(status) ? "exit status " + std::to_string(WEXITSTATUS(status))
                                      : "killed by signal " + std::to_string(WTERMSIG(status));
  return make_error(Errc::kInternal, stage + " hook `" + h.path + "` failed: " + why);
}

}  // namespace

Result<void> run(const std::vector<spec::Hook>& hooks, const std::string& stage,
                 const std::string& state_json) {
  for (const auto& h : hooks) {
    BERTH_TRY(run_one(h, stage, state_json));
  }
  return {};
}

}  // namespace berth::runtime::hooks
