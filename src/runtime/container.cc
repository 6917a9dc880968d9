#include "runtime/container.h"

#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/strings.h"
#include "runtime/cgroup/manager.h"
#include "runtime/console/console.h"
#include "runtime/hooks/hooks.h"
#include "runtime/linux/namespaces.h"
#include "runtime/linux/rootfs.h"
#include "runtime/process/init.h"
#include "runtime/security/seccomp.h"
#include "runtime/process/spawn.h"
#include "runtime/process/sync.h"

namespace berth::runtime {
namespace {

struct NsRestore {
  spec::NamespaceType type;
  UniqueFd original;
};

}  // namespace

Runtime::Runtime(std::string root, WarningSink warn)
    : store_(std::move(root)), warn_(std::move(warn)) {}

Result<void> Runtime::create(const CreateOptions& opts) {
  BERTH_TRY(create_container(opts, /*fifo_start=*/true, /*detach=*/true));
  return {};
}

Result<int> Runtime::run(const CreateOptions& opts, bool detach) {
  return create_container(opts, /*fifo_start=*/false, detach);
}

Result<int> Runtime::create_container(const CreateOptions& opts, bool fifo_start, bool detach) {
  BERTH_TRY(validate_id(opts.id));
  const std::string bundle = fs::absolute(opts.bundle);
  BERTH_ASSIGN_OR_RETURN(spec::Spec spec, spec::load_bundle(bundle));
  for (const auto& w : spec.warnings) {
    warn_(w);
  }
  const spec::Process& proc = *spec.process;
  if (proc.terminal && detach && opts.console_socket.empty()) {
    return make_error(Errc::kInvalidArgument,
                      "process.terminal is true: --console-socket is required to detach");
  }
  const spec::Namespace* userns = spec.linux.find_namespace(spec::NamespaceType::kUser);
  // A new cgroup namespace is rooted where its creator stands, and CLONE_NEWTIME (0x80) collides
  // with clone(2)'s exit-signal bits: the init unshares both itself, once inside the container's
  // cgroup (runc does the same for cgroup; a time namespace takes effect at execve).
  const int late_unshare = os::new_namespace_flags(spec.linux) & (CLONE_NEWCGROUP | CLONE_NEWTIME);
  int new_flags = os::new_namespace_flags(spec.linux) & ~late_unshare;
  int clone_flags = new_flags;
  int unshare_after = 0;
  if (userns != nullptr && !userns->path.empty()) {
    if (new_flags & CLONE_NEWPID) {
      return make_error(Errc::kInvalidArgument,
                        "linux.namespaces: joining a user namespace with a new pid namespace is "
                        "not supported");
    }
    clone_flags = 0;
    unshare_after = new_flags;
  }

  BERTH_TRY(store_.reserve(opts.id));
  Cleanup undo;
  undo.push([this, id = opts.id] { (void)store_.remove(id); });
  BERTH_ASSIGN_OR_RETURN(std::string config_text, fs::read_file(fs::join(bundle, "config.json")));
  BERTH_TRY(fs::write_file(store_.config_path(opts.id), config_text, 0600));

  BERTH_ASSIGN_OR_RETURN(cgroup::Layout layout, cgroup::detect_layout());
  BERTH_ASSIGN_OR_RETURN(std::string cg_path,
                         cgroup::resolve_path(spec.linux.cgroups_path, opts.id, opts.systemd_cgroup));
  cgroup::Manager cgroups(layout, cg_path);
  BERTH_TRY(cgroups.create());
  const bool default_cgroup = spec.linux.cgroups_path.empty();
  undo.push([cgroups, default_cgroup]() mutable {  // a copy: undo outlives `cgroups`
    (void)(default_cgroup ? cgroups.destroy_and_prune_parent() : cgroups.destroy());
  });
  {
    spec::Resources res = spec.linux.resources.value_or(spec::Resources{});
    auto defaults = os::default_device_rules(spec);
    if (!res.devices.empty()) {
      res.devices.insert(res.devices.end(), defaults.begin(), defaults.end());
    }
    std::vector<std::string> warnings;
    auto applied = cgroups.apply(res, warnings);
    for (const auto& w : warnings) {
      warn_(w);
    }
    if (!applied) {
      return tl::unexpected(wrap(std::move(applied.error()), "linux.resources"));
    }
  }

  UniqueFd fifo;
  if (fifo_start) {
    const std::string fifo_path = store_.fifo_path(opts.id);
    if (::mkfifo(fifo_path.c_str(), 0622) < 0) {
      return sys_error(errno, "create exec fifo");
    }
    // O_RDWR never blocks; the init then blocks in read() until `start` writes a byte.
    fifo.reset(::open(fifo_path.c_str(), O_RDWR | O_CLOEXEC));
    if (!fifo) {
      return sys_error(errno, "open exec fifo");
    }
  }
  UniqueFd console_sock;
  if (proc.terminal && !opts.console_socket.empty()) {
    BERTH_ASSIGN_OR_RETURN(console_sock, console::connect_socket(opts.console_socket));
  }
  BERTH_ASSIGN_OR_RETURN(process::SyncPair sync, process::make_sync_pair());

  // Namespaces to join (other than user and mount, which the init joins itself) are entered
  // by us around clone(2), so that the init is born inside them; we step back out right after.
  // Declared after `undo`, so that on any error we are back in our own namespaces before the
  // undo actions (and hooks) run.
  std::vector<NsRestore> restore;
  Cleanup step_back;
  step_back.push([&restore] {
    for (auto it = restore.rbegin(); it != restore.rend(); ++it) {
      ::setns(it->original.get(), spec::namespace_clone_flag(it->type));
    }
    restore.clear();
  });
  for (const auto& ns : spec.linux.namespaces) {
    if (ns.path.empty() || ns.type == spec::NamespaceType::kUser ||
        ns.type == spec::NamespaceType::kMount) {
      continue;
    }
    const std::string self = "/proc/self/ns/" + std::string(spec::namespace_proc_name(ns.type));
    UniqueFd orig(::open(self.c_str(), O_RDONLY | O_CLOEXEC));
    if (!orig) {
      return sys_error(errno, "open `" + self + "`");
    }
    BERTH_TRY(os::join_namespace(ns.path, ns.type));
    restore.push_back({ns.type, std::move(orig)});
  }

  // Compiled here, before the clone, so a bad profile fails create and the init loads BPF only.
  std::unique_ptr<security::SeccompFilter> filter;
  if (spec.linux.seccomp) {
    BERTH_ASSIGN_OR_RETURN(filter, security::compile_seccomp_cached(*spec.linux.seccomp,
                                                                    store_.root() + "/.seccomp"));
  }
  process::InitConfig cfg;
  cfg.spec = &spec;
  cfg.seccomp = filter.get();
  cfg.sync_fd = sync.child.get();
  cfg.fifo_fd = fifo.get();
  cfg.console_socket = console_sock.get();
  cfg.start = fifo_start ? process::StartMode::kFifo : process::StartMode::kSync;
  cfg.use_chroot = opts.no_pivot;
  cfg.cgroup_layout = &layout;
  cfg.cgroup_path = cg_path;
  cfg.unshare_after_userns = unshare_after;
  cfg.late_unshare = late_unshare;
  cfg.new_keyring = !opts.no_new_keyring;
  cfg.preserve_fds = opts.preserve_fds;

  // Born in the container's cgroups; from inside a new user namespace the init cannot write the
  // host's cgroup files, and we write its pid for it (below) instead.
  const bool child_joins_v1 = (clone_flags & CLONE_NEWUSER) == 0;
  cfg.join_v1 = child_joins_v1 ? &cgroups : nullptr;
  bool joined = false;
  pid_t pid = process::spawn_in_cgroup(clone_flags, cgroups, child_joins_v1, joined);
  if (pid == 0) {
    sync.parent.reset();
    process::container_init(cfg);
  }
  int clone_errno = errno;
  step_back.run();
  if (pid < 0) {
    return sys_error(clone_errno, "clone container init");
  }
  undo.push([pid] {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
  });
  sync.child.reset();
  fifo.reset();
  console_sock.reset();

  if (userns != nullptr && userns->path.empty()) {
    BERTH_TRY(os::write_id_mappings(pid, spec.linux));
  }
  if (!joined) {
    BERTH_TRY(cgroups.add_process(pid));
  }
  if (proc.oom_score_adj) {
    auto r = fs::write_control("/proc/" + std::to_string(pid) + "/oom_score_adj",
                               std::to_string(*proc.oom_score_adj));
    if (!r) {
      warn_("process.oomScoreAdj: " + r.error().message);
    }
  }

  ContainerState st;
  st.oci_version = spec.oci_version;
  st.id = opts.id;
  st.bundle = bundle;
  st.pid = pid;
  st.pid_start_ticks = process_start_ticks(pid);
  st.created = rfc3339_now();
  st.cgroup_path = cg_path;
  st.cgroup_default = default_cgroup;
  st.annotations = spec.annotations;
  const std::string creating = dump_json(state_json(st, Status::kCreating, spec.root_path));
  BERTH_TRY(process::sync_send(sync.parent.get(), process::SyncType::kGo, creating));
  BERTH_ASSIGN_OR_RETURN(
      UniqueFd pty_master,
      process::await_ready(sync.parent.get(), warn_, [&]() -> Result<void> {
        BERTH_TRY(hooks::run(spec.hooks.prestart, "prestart", creating));
        return hooks::run(spec.hooks.create_runtime, "createRuntime", creating);
      }));
  BERTH_TRY(store_.save(st));
  if (!opts.pid_file.empty()) {
    BERTH_TRY(fs::atomic_write(fs::absolute(opts.pid_file), std::to_string(pid), 0644));
  }
  if (fifo_start) {
    // The init dies with us until it knows its state is saved; it acknowledges before we go.
    BERTH_TRY(process::sync_send(sync.parent.get(), process::SyncType::kCommitted));
    BERTH_ASSIGN_OR_RETURN(process::SyncMessage ack, process::sync_recv(sync.parent.get()));
    if (ack.type != process::SyncType::kCommitted) {
      return make_error(Errc::kInternal, "unexpected message from container init");
    }
    undo.release();
    return 0;  // `create`: the init now waits on the exec fifo
  }
  undo.release();

  process::forward_signals_to(pid);
  BERTH_TRY(process::sync_send(sync.parent.get(), process::SyncType::kStart));
  // EOF when the program was exec'd (the socket is close-on-exec); kError when a startContainer
  // hook or execve itself failed.
  if (auto after = process::sync_recv(sync.parent.get());
      after && after->type == process::SyncType::kError) {
    process::wait_exit_status(pid);
    process::forward_signals_to(0);
    (void)destroy(st, /*run_poststop=*/true);
    return tl::unexpected(process::child_error(*after));
  }
  sync.parent.reset();
  auto poststart = hooks::run(spec.hooks.poststart, "poststart",
                              dump_json(state_json(st, Status::kRunning, spec.root_path)));
  if (!poststart) {
    warn_(poststart.error().message);
  }
  if (detach) {
    return 0;
  }
  if (pty_master) {
    console::proxy_terminal(pty_master.get());
  }
  int status = process::wait_exit_status(pid);
  process::forward_signals_to(0);
  auto removed = destroy(st, /*run_poststop=*/true);
  if (!removed) {
    warn_(removed.error().message);
  }
  return status;
}

Result<spec::Spec> Runtime::saved_spec(const ContainerState& st) const {
  BERTH_ASSIGN_OR_RETURN(std::string text, fs::read_file(store_.config_path(st.id)));
  BERTH_ASSIGN_OR_RETURN(Json j, parse_json(text, "config.json"));
  return spec::parse_spec(j, st.bundle);
}

Status Runtime::status_of(const ContainerState& st) const {
  Status s = current_status(store_, st);
  if (s == Status::kRunning) {
    if (auto layout = cgroup::detect_layout();
        layout && cgroup::Manager(*layout, st.cgroup_path).frozen()) {
      return Status::kPaused;
    }
  }
  return s;
}

Result<void> Runtime::pause(const std::string& id) { return set_frozen(id, true); }

Result<void> Runtime::resume(const std::string& id) { return set_frozen(id, false); }

Result<void> Runtime::set_frozen(const std::string& id, bool frozen) {
  BERTH_ASSIGN_OR_RETURN(ContainerState st, store_.load(id));
  const Status s = status_of(st);
  const Status want = frozen ? Status::kRunning : Status::kPaused;
  if (s != want) {
    return make_error(Errc::kFailedPrecondition,
                      std::string(frozen ? "cannot pause" : "cannot resume") + " container " + id +
                          ": it is " + std::string(status_name(s)) + ", not " +
                          std::string(status_name(want)));
  }
  BERTH_ASSIGN_OR_RETURN(cgroup::Layout layout, cgroup::detect_layout());
  return cgroup::Manager(layout, st.cgroup_path).freeze(frozen);
}

Result<void> Runtime::start(const std::string& id) {
  BERTH_ASSIGN_OR_RETURN(ContainerState st, store_.load(id));
  Status s = status_of(st);
  if (s != Status::kCreated) {
    return make_error(Errc::kFailedPrecondition,
                      "cannot start container " + id + ": it is " +
                          std::string(status_name(s)) + ", not created");
  }
  const std::string fifo_path = store_.fifo_path(id);
  UniqueFd fifo(::open(fifo_path.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC));
  if (!fifo) {
    // ENXIO: nobody holds the read side, i.e. the init is gone.
    return sys_error(errno, "start container " + id + ": open exec fifo");
  }
  char byte = 0;
  if (::write(fifo.get(), &byte, 1) != 1) {
    return sys_error(errno, "start container " + id);
  }
  ::unlink(fifo_path.c_str());
  auto spec = saved_spec(st);
  if (spec && !spec->hooks.poststart.empty()) {
    auto r = hooks::run(spec->hooks.poststart, "poststart",
                        dump_json(state_json(st, Status::kRunning, spec->root_path)));
    if (!r) {
      warn_(r.error().message);
    }
  }
  return {};
}

Result<ContainerInfo> Runtime::state(const std::string& id) const {
  BERTH_ASSIGN_OR_RETURN(ContainerState st, store_.load(id));
  Status s = status_of(st);
  auto spec = saved_spec(st);
  std::string rootfs = spec ? spec->root_path : std::string();
  return ContainerInfo{std::move(st), s, std::move(rootfs)};
}

Result<void> Runtime::kill(const std::string& id, int signal, bool all) {
  BERTH_ASSIGN_OR_RETURN(ContainerState st, store_.load(id));
  Status s = status_of(st);
  if (all) {
    BERTH_ASSIGN_OR_RETURN(cgroup::Layout layout, cgroup::detect_layout());
    cgroup::Manager(layout, st.cgroup_path).signal_all(signal);
    return {};
  }
  if (s == Status::kStopped) {
    return make_error(Errc::kFailedPrecondition, "container " + id + " is not running");
  }
  if (st.pid <= 1) {
    return make_error(Errc::kDataLoss, "state of container " + id + " is corrupt");
  }
  if (::kill(st.pid, signal) < 0) {
    return sys_error(errno, "kill container " + id);
  }
  return {};
}

Result<void> Runtime::destroy(const ContainerState& st, bool run_poststop) {
  BERTH_ASSIGN_OR_RETURN(cgroup::Layout layout, cgroup::detect_layout());
  cgroup::Manager cgroups(layout, st.cgroup_path);
  BERTH_TRY(st.cgroup_default ? cgroups.destroy_and_prune_parent() : cgroups.destroy());
  if (run_poststop) {
    auto spec = saved_spec(st);
    if (spec && !spec->hooks.poststop.empty()) {
      auto r = hooks::run(spec->hooks.poststop, "poststop",
                          dump_json(state_json(st, Status::kStopped, spec->root_path)));
      if (!r) {
        warn_(r.error().message);
      }
    }
  }
  return store_.remove(st.id);
}

Result<void> Runtime::force_remove_unreadable(const std::string& id) {
  if (!fs::exists(store_.dir(id))) {
    return {};
  }
  std::string cgroups_path;
  bool systemd = false;
  if (auto text = fs::read_file(store_.config_path(id))) {
    if (auto j = parse_json(*text, "config.json")) {
      if (auto spec = spec::parse_spec(*j, "/")) {
        cgroups_path = spec->linux.cgroups_path;
        systemd = cgroups_path.find(':') != std::string::npos;
      }
    }
  }
  BERTH_ASSIGN_OR_RETURN(std::string path, cgroup::resolve_path(cgroups_path, id, systemd));
  BERTH_ASSIGN_OR_RETURN(cgroup::Layout layout, cgroup::detect_layout());
  cgroup::Manager cgroups(layout, path);
  // Killing everything in the cgroup also ends an init whose pid we no longer know.
  BERTH_TRY(cgroups_path.empty() ? cgroups.destroy_and_prune_parent() : cgroups.destroy());
  return store_.remove(id);
}

Result<void> Runtime::remove(const std::string& id, bool force) {
  auto loaded = store_.load(id);
  if (!loaded && force && validate_id(id)) {
    // runc: --force of a missing container succeeds, so cleanups that race each other
    // (containerd's dead-shim cleanup) do not fail. A state dir without a readable state.json
    // (a create killed midway, a corrupt file) is cleared through the config saved beside it.
    return force_remove_unreadable(id);
  }
  BERTH_ASSIGN_OR_RETURN(ContainerState st, std::move(loaded));
  Status s = status_of(st);
  if ((s == Status::kRunning || s == Status::kPaused) && !force) {
    return make_error(Errc::kFailedPrecondition,
                      "cannot delete container " + id + " that is not stopped: " +
                          std::string(status_name(s)));
  }
  return destroy(st, /*run_poststop=*/true);
}

Result<std::vector<ContainerInfo>> Runtime::list() const {
  BERTH_ASSIGN_OR_RETURN(std::vector<std::string> ids, store_.list());
  std::vector<ContainerInfo> out;
  for (const auto& id : ids) {
    auto info = state(id);
    if (info) {
      out.push_back(std::move(*info));
    }
  }
  return out;
}

Result<std::vector<pid_t>> Runtime::pids(const std::string& id) const {
  BERTH_ASSIGN_OR_RETURN(ContainerState st, store_.load(id));
  BERTH_ASSIGN_OR_RETURN(cgroup::Layout layout, cgroup::detect_layout());
  return cgroup::Manager(layout, st.cgroup_path).pids();
}

Result<void> Runtime::update(const std::string& id, const spec::Resources& res,
                             std::vector<std::string>& warnings) {
  BERTH_ASSIGN_OR_RETURN(ContainerState st, store_.load(id));
  BERTH_ASSIGN_OR_RETURN(cgroup::Layout layout, cgroup::detect_layout());
  return cgroup::Manager(layout, st.cgroup_path).apply(res, warnings);
}

Result<cgroup::Stats> Runtime::stats(const std::string& id) const {
  BERTH_ASSIGN_OR_RETURN(ContainerState st, store_.load(id));
  BERTH_ASSIGN_OR_RETURN(cgroup::Layout layout, cgroup::detect_layout());
  return cgroup::Manager(layout, st.cgroup_path).stats();
}

Result<int> parse_signal(const std::string& name) {
  if (auto n = str::parse_int(name)) {
    if (*n <= 0 || *n >= NSIG) {
      return make_error(Errc::kInvalidArgument, "invalid signal number " + name);
    }
    return static_cast<int>(*n);
  }
  std::string s = name;
  for (auto& c : s) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  if (s.rfind("SIG", 0) == 0) {
    s = s.substr(3);
  }
  for (int sig = 1; sig < NSIG; ++sig) {
    const char* abbrev = sigabbrev_np(sig);
    if (abbrev != nullptr && s == abbrev) {
      return sig;
    }
  }
  if (s.rfind("RTMIN+", 0) == 0) {
    if (auto off = str::parse_int(s.substr(6)); off && *off >= 0 && *off <= SIGRTMAX - SIGRTMIN) {
      return SIGRTMIN + static_cast<int>(*off);
    }
  }
  return make_error(Errc::kInvalidArgument, "unknown signal `" + name + "`");
}

}  // namespace berth::runtime
