#include "runtime/hooks/hooks.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>

#include "common/strings.h"
#include "common/unique_fd.h"

namespace berth::runtime::hooks {
namespace {

// The hook's output, squeezed to one line for the error message (runc quotes it likewise).
std::string one_line(std::string s) {
  for (auto& c : s) {
    if (c == '\n' || c == '\r' || c == '\t') {
      c = ' ';
    }
  }
  while (!s.empty() && s.back() == ' ') {
    s.pop_back();
  }
  return s.size() > 300 ? s.substr(0, 300) + "..." : s;
}

Result<void> run_one(const spec::Hook& h, const std::string& stage, const std::string& state) {
  int in[2], out[2];
  if (::pipe2(in, O_CLOEXEC) < 0 || ::pipe2(out, O_CLOEXEC) < 0) {
    return sys_error(errno, "pipe");
  }
  UniqueFd in_rd(in[0]), in_wr(in[1]), out_rd(out[0]), out_wr(out[1]);
  std::vector<std::string> args = h.args.empty() ? std::vector<std::string>{h.path} : h.args;
  auto argv = str::c_strings(args);
  auto envp = str::c_strings(h.env);
  pid_t pid = ::fork();
  if (pid < 0) {
    return sys_error(errno, stage + " hook `" + h.path + "`: fork");
  }
  if (pid == 0) {
    ::setpgid(0, 0);  // its own group: a timeout kills whatever the hook started too
    ::dup2(in_rd.get(), 0);
    ::dup2(out_wr.get(), 1);
    ::dup2(out_wr.get(), 2);
    ::execve(h.path.c_str(), argv.data(), envp.data());
    ::_exit(127);
  }
  ::setpgid(pid, pid);
  in_rd.reset();
  out_wr.reset();
  // A hook that does not read its stdin must not kill us with SIGPIPE.
  auto old = ::signal(SIGPIPE, SIG_IGN);
  (void)!::write(in_wr.get(), state.data(), state.size());
  ::signal(SIGPIPE, old);
  in_wr.reset();
  ::fcntl(out_rd.get(), F_SETFL, O_NONBLOCK);

  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + std::chrono::seconds(h.timeout_seconds.value_or(0));
  std::string output;
  int status = 0;
  for (;;) {
    // Drain the output while waiting (a chatty hook must not block on a full pipe); a child the
    // hook left in the background may keep the pipe open, so exit is judged by waitpid alone.
    pollfd p{out_rd.get(), POLLIN, 0};
    ::poll(&p, 1, 2);
    char buf[4096];
    for (ssize_t n; (n = ::read(out_rd.get(), buf, sizeof buf)) > 0;) {
      if (output.size() < 65536) {
        output.append(buf, static_cast<size_t>(n));
      }
    }
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) {
      break;
    }
    if (r < 0 && errno != EINTR) {
      return sys_error(errno, stage + " hook `" + h.path + "`: wait");
    }
    if (h.timeout_seconds && Clock::now() > deadline) {
      ::kill(-pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      return make_error(Errc::kDeadlineExceeded,
                        stage + " hook `" + h.path + "` timed out after " +
                            std::to_string(*h.timeout_seconds) + "s");
    }
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    return {};
  }
  std::string why = WIFEXITED(status) ? "exit status " + std::to_string(WEXITSTATUS(status))
                                      : "killed by signal " + std::to_string(WTERMSIG(status));
  std::string said = one_line(output);
  return make_error(Errc::kInternal, stage + " hook `" + h.path + "` failed: " + why +
                                         (said.empty() ? "" : ": " + said));
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
