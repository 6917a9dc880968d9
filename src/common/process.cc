#include "common/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/strings.h"
#include "common/unique_fd.h"

namespace berth::proc {

Result<pid_t> spawn(const std::vector<std::string>& argv, const SpawnOptions& opts) {
  if (argv.empty()) return make_error(Errc::kInvalidArgument, "spawn: no program");
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  auto io = [&](int ours, int theirs, int flags) {
    if (ours >= 0) {
      posix_spawn_file_actions_adddup2(&fa, ours, theirs);
    } else {
      posix_spawn_file_actions_addopen(&fa, theirs, "/dev/null", flags, 0);
    }
  };
  io(opts.stdin_fd, 0, O_RDONLY);
  io(opts.stdout_fd, 1, O_WRONLY);
  io(opts.stderr_fd, 2, O_WRONLY);
  int keep = 3;
  for (auto& [ours, theirs] : opts.fds) {
    posix_spawn_file_actions_adddup2(&fa, ours, theirs);
    keep = std::max(keep, theirs + 1);
  }
  posix_spawn_file_actions_addclosefrom_np(&fa, keep);

  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);  // SIGPIPE ignored here is not ignored there
  short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
  if (opts.new_session) flags |= POSIX_SPAWN_SETSID;
  posix_spawnattr_setflags(&attr, flags);

  std::vector<std::string> env =
      opts.env.empty() ? std::vector<std::string>{"PATH=/usr/sbin:/usr/bin:/sbin:/bin"} : opts.env;
  auto cargv = str::c_strings(argv);
  auto cenv = str::c_strings(env);
  char* const* envp = opts.inherit_env ? environ : cenv.data();
  pid_t pid = 0;
  int rc = opts.search_path
               ? ::posix_spawnp(&pid, cargv[0], &fa, &attr, cargv.data(), envp)
               : ::posix_spawn(&pid, cargv[0], &fa, &attr, cargv.data(), envp);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) return sys_error(rc, "start " + argv[0]);
  return pid;
}

int wait_exit(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

Result<Output> run(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                   const std::string& input) {
  int in[2], out[2];
  if (::pipe2(in, O_CLOEXEC) < 0) return sys_error(errno, "pipe");
  UniqueFd in_r(in[0]), in_w(in[1]);
  if (::pipe2(out, O_CLOEXEC) < 0) return sys_error(errno, "pipe");
  UniqueFd out_r(out[0]), out_w(out[1]);
  SpawnOptions o;
  o.env = env;
  o.stdin_fd = in_r.get();
  o.stdout_fd = out_w.get();
  o.search_path = argv[0].find('/') == std::string::npos;
  BERTH_ASSIGN_OR_RETURN(pid_t pid, spawn(argv, o));
  in_r.reset();
  out_w.reset();
  // Input and output side by side: a child may answer before it has read all of its input.
  ::fcntl(in_w.get(), F_SETFL, O_NONBLOCK);
  Output res;
  size_t sent = 0;
  if (input.empty()) in_w.reset();
  char buf[8192];
  while (out_r) {
    pollfd p[2] = {{out_r.get(), POLLIN, 0}, {in_w ? in_w.get() : -1, POLLOUT, 0}};
    if (::poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (in_w && (p[1].revents & (POLLOUT | POLLERR | POLLHUP))) {
      ssize_t n = ::write(in_w.get(), input.data() + sent, input.size() - sent);
      if (n > 0) sent += static_cast<size_t>(n);
      if ((n < 0 && errno != EAGAIN && errno != EINTR) || sent == input.size()) in_w.reset();
    }
    if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = ::read(out_r.get(), buf, sizeof buf);
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (n <= 0) {
        out_r.reset();
      } else {
        res.out.append(buf, static_cast<size_t>(n));
      }
    }
  }
  in_w.reset();
  res.status = wait_exit(pid);
  return res;
}

}  // namespace berth::proc
