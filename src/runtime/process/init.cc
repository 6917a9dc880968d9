#include "runtime/process/init.h"

#include <linux/keyctl.h>
#include <sched.h>
#include <sys/syscall.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "common/fs.h"
#include "common/strings.h"
#include "runtime/console/console.h"
#include "runtime/hooks/hooks.h"
#include "runtime/linux/namespaces.h"
#include "runtime/linux/process_setup.h"
#include "runtime/linux/rootfs.h"
#include "runtime/process/sync.h"

namespace berth::runtime::process {
namespace {

#define BERTH_INIT_TRY(fd, expr)             \
  do {                                       \
    const auto& init_try_r_ = (expr);        \
    if (!init_try_r_) {                      \
      child_fail((fd), init_try_r_.error()); \
    }                                        \
  } while (0)

void send_warnings(int fd, std::vector<std::string>& warnings) {
  for (const auto& w : warnings) {
    (void)sync_send(fd, SyncType::kWarning, w);
  }
  warnings.clear();
}

// Opens a pty in the current mount namespace and hands the master to the console socket (or to
// the parent, which proxies it); the slave becomes our stdio. Returns the slave path.
Result<std::string> setup_terminal(const spec::Process& p, int console_socket, int sync_fd) {
  BERTH_ASSIGN_OR_RETURN(console::Pty pty, console::open_pty(p.console_height, p.console_width));
  if (console_socket >= 0) {
    BERTH_TRY(console::send_fd(console_socket, pty.master.get(), "terminal"));
  } else {
    BERTH_TRY(sync_send(sync_fd, SyncType::kPty));
    BERTH_TRY(console::send_fd(sync_fd, pty.master.get(), "terminal"));
  }
  BERTH_TRY(console::make_controlling(pty.slave.get()));
  return pty.slave_path;
}

// A failure after `start`. `run` still listens on the sync socket; after `create` nobody does,
// so the error goes to the container's stderr instead, where conmon and shims log it.
[[noreturn]] void fail_after_start(int sync_fd, const Error& e) {
  if (!sync_send(sync_fd, SyncType::kError, e.message, e.sys_errno)) {
    std::string line = "berth: " + e.message + "\n";
    (void)!::write(STDERR_FILENO, line.data(), line.size());
  }
  ::_exit(1);
}

[[noreturn]] void do_exec(int sync_fd, const spec::Process& p, const std::string& path,
                          int preserve_fds, const security::SeccompFilter* filter) {
  auto env = os::with_home(p.env, p.user.uid);
  auto argv = str::c_strings(p.args);
  auto envp = str::c_strings(env);
  os::prepare_fds_for_exec(preserve_fds);
  // Ignored signals and the mask survive execve: give the program a clean slate.
  sigset_t all;
  sigemptyset(&all);
  ::sigprocmask(SIG_SETMASK, &all, nullptr);
  for (int sig = 1; sig < NSIG; ++sig) {
    ::signal(sig, SIG_DFL);
  }
  // Last of all, so that nothing of ours runs under the container's filter.
  if (filter != nullptr) {
    if (auto loaded = filter->load(); !loaded) {
      fail_after_start(sync_fd, loaded.error());
    }
  }
  ::execve(path.c_str(), argv.data(), envp.data());
  fail_after_start(sync_fd, sys_error(errno, "exec `" + path + "`").value());
}

}  // namespace

void container_init(const InitConfig& cfg) {
  const spec::Spec& s = *cfg.spec;
  const spec::Process& p = *s.process;
  const int fd = cfg.sync_fd;
  std::vector<std::string> warnings;

  // Not dumpable (no ptrace, no /proc/PID/fd) while we hold the runtime's fds; execve resets it.
  ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  // Die with the runtime until we are started; a create whose parent vanished must not linger.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  if (cfg.join_v1 != nullptr) {
    BERTH_INIT_TRY(fd, cfg.join_v1->join_v1_self());
  }
  auto go = sync_recv(fd);
  if (!go || go->type != SyncType::kGo) {
    ::_exit(1);
  }
  const std::string& state_json = go->text;
  const spec::Namespace* userns = s.linux.find_namespace(spec::NamespaceType::kUser);
  if (userns != nullptr && !userns->path.empty()) {
    BERTH_INIT_TRY(fd, os::join_namespace(userns->path, spec::NamespaceType::kUser));
  }
  if (cfg.unshare_after_userns != 0 && ::unshare(cfg.unshare_after_userns) < 0) {
    child_fail(fd, sys_error(errno, "unshare namespaces").value());
  }
  if (userns != nullptr) {
    // Become root of the user namespace (ids are mapped by now).
    if (::setresgid(0, 0, 0) < 0 || ::setresuid(0, 0, 0) < 0 ||
        ::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0) {
      child_fail(fd, sys_error(errno, "become root in the user namespace").value());
    }
  }
  if (cfg.late_unshare != 0 && ::unshare(cfg.late_unshare) < 0) {
    child_fail(fd, sys_error(errno, "unshare cgroup/time namespace").value());
  }
  // A session keyring of its own, so containers do not share the caller's keys (runc).
  if (cfg.new_keyring && ::syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, nullptr) < 0 &&
      errno != ENOSYS) {
    child_fail(fd, sys_error(errno, "join a new session keyring").value());
  }
  if (const auto* mnt = s.linux.find_namespace(spec::NamespaceType::kMount);
      mnt != nullptr && !mnt->path.empty()) {
    BERTH_INIT_TRY(fd, os::join_namespace(mnt->path, spec::NamespaceType::kMount));
  }
  if (!s.hostname.empty() && ::sethostname(s.hostname.data(), s.hostname.size()) < 0) {
    child_fail(fd, sys_error(errno, "hostname: sethostname `" + s.hostname + "`").value());
  }
  if (!s.domainname.empty() && ::setdomainname(s.domainname.data(), s.domainname.size()) < 0) {
    child_fail(fd, sys_error(errno, "domainname: setdomainname `" + s.domainname + "`").value());
  }

  {
    os::MountContext ctx;
    ctx.rootfs = s.root_path;
    ctx.cgroup_layout = cfg.cgroup_layout;
    ctx.cgroup_path = cfg.cgroup_path;
    const auto* cg = s.linux.find_namespace(spec::NamespaceType::kCgroup);
    ctx.new_cgroupns = cg != nullptr && cg->path.empty();
    ctx.in_userns = userns != nullptr;
    BERTH_INIT_TRY(fd, os::prepare_rootfs(s, ctx));
  }
  if (!s.hooks.prestart.empty() || !s.hooks.create_runtime.empty()) {
    BERTH_INIT_TRY(fd, sync_send(fd, SyncType::kHooks));
    auto done = sync_recv(fd);
    if (!done || done->type != SyncType::kHooksDone) {
      ::_exit(1);
    }
  }
  BERTH_INIT_TRY(fd, hooks::run(s.hooks.create_container, "createContainer", state_json));
  BERTH_INIT_TRY(fd, os::switch_root(s.root_path, cfg.use_chroot));

  for (const auto& [key, value] : s.linux.sysctl) {
    std::string path = "/proc/sys/" + key;
    for (auto& c : path) {
      c = c == '.' ? '/' : c;
    }
    auto r = fs::write_control(path, value);
    if (!r) {
      child_fail(fd, Error{Errc::kInvalidArgument,
                           "linux.sysctl." + key + ": " + r.error().message, r.error().sys_errno});
    }
  }
  std::string console_path;
  if (p.terminal) {
    auto slave = setup_terminal(p, cfg.console_socket, fd);
    BERTH_INIT_TRY(fd, slave);
    console_path = *slave;
  }
  BERTH_INIT_TRY(fd, os::finalize_rootfs(s, console_path));
  BERTH_INIT_TRY(fd, os::apply_rlimits(p.rlimits, warnings));
  if (!p.apparmor_profile.empty()) {
    warnings.push_back("process.apparmorProfile `" + p.apparmor_profile +
                       "` ignored: AppArmor is not supported");
  }
  if (!p.selinux_label.empty()) {
    warnings.push_back("process.selinuxLabel ignored: SELinux is not supported");
  }
  send_warnings(fd, warnings);
  bool setgroups_allowed = true;
  if (userns != nullptr) {
    auto sg = fs::read_file("/proc/self/setgroups");
    setgroups_allowed = !sg || sg->find("deny") == std::string::npos;
  }
  auto filter = os::finalize_process(p, cfg.seccomp, setgroups_allowed);
  BERTH_INIT_TRY(fd, filter);
  auto exe = os::find_executable(p.args[0], p.env);
  BERTH_INIT_TRY(fd, exe);

  // Again: a change of credentials has cleared it. Until the runtime has recorded us, its death
  // must take us along.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  BERTH_INIT_TRY(fd, sync_send(fd, SyncType::kReady, {}, 0, 0));
  if (cfg.start == StartMode::kFifo) {
    // `create` has saved our state: from here on we outlive it.
    auto committed = sync_recv(fd);
    if (!committed || committed->type != SyncType::kCommitted) {
      ::_exit(1);
    }
    ::prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
    BERTH_INIT_TRY(fd, sync_send(fd, SyncType::kCommitted));
    char byte;
    ssize_t n;
    do {
      n = ::read(cfg.fifo_fd, &byte, 1);
    } while (n < 0 && errno == EINTR);
    if (n != 1) {
      ::_exit(1);
    }
  } else {
    auto start = sync_recv(fd);
    if (!start || start->type != SyncType::kStart) {
      ::_exit(1);
    }
    ::prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);  // `run -d` exits once we have exec'd
  }
  auto hr = hooks::run(s.hooks.start_container, "startContainer", state_json);
  if (!hr) {
    fail_after_start(fd, hr.error());
  }
  do_exec(fd, p, *exe, cfg.preserve_fds, *filter);
}

void exec_child(const ExecChildConfig& cfg) {
  const spec::Process& p = *cfg.process;
  const int fd = cfg.sync_fd;
  std::vector<std::string> warnings;
  ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);  // see container_init
  auto go = sync_recv(fd);
  if (!go || go->type != SyncType::kGo) {
    ::_exit(1);
  }
  if (p.terminal) {
    BERTH_INIT_TRY(fd, setup_terminal(p, cfg.console_socket, fd));
  }
  BERTH_INIT_TRY(fd, os::apply_rlimits(p.rlimits, warnings));
  send_warnings(fd, warnings);
  auto filter = os::finalize_process(p, cfg.seccomp, cfg.setgroups_allowed);
  BERTH_INIT_TRY(fd, filter);
  auto exe = os::find_executable(p.args[0], p.env);
  BERTH_INIT_TRY(fd, exe);
  BERTH_INIT_TRY(fd, sync_send(fd, SyncType::kReady, {}, 0, 0));
  do_exec(fd, p, *exe, cfg.preserve_fds, *filter);
}

}  // namespace berth::runtime::process
