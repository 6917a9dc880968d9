// `exec`: a new process in a running container's namespaces and cgroups (runc's exec). The
// runtime enters the container's pid namespace itself (it only affects children), clones into
// the cgroups, and the child joins the other namespaces before it sets itself up like an init.
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "common/cleanup.h"
#include "common/fs.h"
#include "runtime/cgroup/manager.h"
#include "runtime/console/console.h"
#include "runtime/container.h"
#include "runtime/linux/namespaces.h"
#include "runtime/process/init.h"
#include "runtime/security/seccomp.h"
#include "runtime/process/spawn.h"
#include "runtime/process/sync.h"

namespace berth::runtime {

Result<int> Runtime::exec(const std::string& id, const ExecOptions& opts) {
  BERTH_ASSIGN_OR_RETURN(ContainerState st, store_.load(id));
  Status s = status_of(st);
  if (s != Status::kRunning && s != Status::kCreated) {
    return make_error(Errc::kFailedPrecondition,
                      "cannot exec in container " + id + ": it is " + std::string(status_name(s)));
  }
  if (opts.process.terminal && opts.detach && opts.console_socket.empty()) {
    return make_error(Errc::kInvalidArgument, "--tty with --detach needs --console-socket");
  }
  BERTH_ASSIGN_OR_RETURN(spec::Spec spec, saved_spec(st));
  BERTH_ASSIGN_OR_RETURN(std::vector<os::NsHandle> nss, os::open_namespaces_of(st.pid));
  BERTH_ASSIGN_OR_RETURN(cgroup::Layout layout, cgroup::detect_layout());
  cgroup::Manager cgroups(layout, st.cgroup_path);
  UniqueFd console_sock;
  if (opts.process.terminal && !opts.console_socket.empty()) {
    BERTH_ASSIGN_OR_RETURN(console_sock, console::connect_socket(opts.console_socket));
  }
  BERTH_ASSIGN_OR_RETURN(process::SyncPair sync, process::make_sync_pair());

  // Joining a pid namespace only affects children: enter it here, fork, step back.
  UniqueFd own_pidns;
  bool in_userns = false;
  for (const auto& h : nss) {
    if (h.type == spec::NamespaceType::kPid) {
      own_pidns.reset(::open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC));
      if (::setns(h.fd.get(), CLONE_NEWPID) < 0) {
        return sys_error(errno, "join pid namespace of container " + id);
      }
    }
    in_userns = in_userns || h.type == spec::NamespaceType::kUser;
  }
  std::unique_ptr<security::SeccompFilter> filter;
  if (spec.linux.seccomp) {
    BERTH_ASSIGN_OR_RETURN(filter, security::compile_seccomp_cached(*spec.linux.seccomp,
                                                                    store_.root() + "/.seccomp"));
  }
  process::ExecChildConfig cfg;
  cfg.process = &opts.process;
  cfg.seccomp = filter.get();
  cfg.sync_fd = sync.child.get();
  cfg.console_socket = console_sock.get();
  cfg.preserve_fds = opts.preserve_fds;
  cfg.setgroups_allowed = true;
  if (in_userns) {
    auto sg = fs::read_file("/proc/" + std::to_string(st.pid) + "/setgroups");
    cfg.setgroups_allowed = !sg || sg->find("deny") == std::string::npos;
  }
  bool joined = false;
  pid_t pid = process::spawn_in_cgroup(0, cgroups, /*child_joins_v1=*/true, joined);
  if (pid == 0) {
    sync.parent.reset();
    // Still the host's root here (before joining the container's user namespace).
    if (auto r = cgroups.join_v1_self(); !r) {
      process::child_fail(cfg.sync_fd, r.error());
    }
    for (const auto& h : nss) {
      if (h.type != spec::NamespaceType::kPid &&
          ::setns(h.fd.get(), spec::namespace_clone_flag(h.type)) < 0) {
        process::child_fail(cfg.sync_fd,
                            sys_error(errno, "join " +
                                                 std::string(spec::namespace_type_name(h.type)) +
                                                 " namespace of container " + id)
                                .value());
      }
    }
    process::exec_child(cfg);
  }
  int clone_errno = errno;
  if (own_pidns) {
    ::setns(own_pidns.get(), CLONE_NEWPID);
  }
  if (pid < 0) {
    return sys_error(clone_errno, "fork exec process");
  }
  Cleanup undo;
  undo.push([pid] {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
  });
  sync.child.reset();
  console_sock.reset();
  if (!joined) {
    BERTH_TRY(cgroups.add_process(pid));
  }
  if (opts.process.oom_score_adj) {
    auto r = fs::write_control("/proc/" + std::to_string(pid) + "/oom_score_adj",
                               std::to_string(*opts.process.oom_score_adj));
    if (!r) {
      warn_("process.oomScoreAdj: " + r.error().message);
    }
  }
  BERTH_TRY(process::sync_send(sync.parent.get(), process::SyncType::kGo));
  BERTH_ASSIGN_OR_RETURN(UniqueFd pty_master,
                         process::await_ready(sync.parent.get(), warn_, nullptr));
  // The sync socket is close-on-exec: EOF means execve succeeded, kError that it failed.
  auto after = process::sync_recv(sync.parent.get());
  if (after && after->type == process::SyncType::kError) {
    return tl::unexpected(process::child_error(*after));
  }
  if (!opts.pid_file.empty()) {
    // Before release: a process whose pid cannot be recorded is killed, not left running.
    BERTH_TRY(fs::atomic_write(fs::absolute(opts.pid_file), std::to_string(pid), 0644));
  }
  undo.release();
  if (opts.detach) {
    return 0;
  }
  process::forward_signals_to(pid);
  if (pty_master) {
    console::proxy_terminal(pty_master.get());
  }
  int status = process::wait_exit_status(pid);
  process::forward_signals_to(0);
  return status;
}


}  // namespace berth::runtime
