#include "runtime/security/seccomp_default.h"

#include <linux/capability.h>

#include <algorithm>
#include <sstream>
#include <string>

namespace berth::runtime::security {
namespace {

// Syscalls every container may make (the profile's first, unconditional rule).
constexpr const char* kAllowed = R"(
accept accept4 access adjtimex alarm bind brk capget capset chdir chmod chown chown32
clock_adjtime clock_adjtime64 clock_getres clock_getres_time64 clock_gettime clock_gettime64
clock_nanosleep clock_nanosleep_time64 close close_range connect copy_file_range creat dup dup2
dup3 epoll_create epoll_create1 epoll_ctl epoll_ctl_old epoll_pwait epoll_pwait2 epoll_wait
epoll_wait_old eventfd eventfd2 execve execveat exit exit_group faccessat faccessat2 fadvise64
fadvise64_64 fallocate fanotify_mark fchdir fchmod fchmodat fchown fchown32 fchownat fcntl fcntl64
fdatasync fgetxattr flistxattr flock fork fremovexattr fsetxattr fstat fstat64 fstatat64 fstatfs
fstatfs64 fsync ftruncate ftruncate64 futex futex_time64 futex_waitv futimesat getcpu getcwd
getdents getdents64 getegid getegid32 geteuid geteuid32 getgid getgid32 getgroups getgroups32
getitimer getpeername getpgid getpgrp getpid getppid getpriority getrandom getresgid getresgid32
getresuid getresuid32 getrlimit get_robust_list getrusage getsid getsockname getsockopt
get_thread_area gettid gettimeofday getuid getuid32 getxattr inotify_add_watch inotify_init
inotify_init1 inotify_rm_watch io_cancel ioctl io_destroy io_getevents io_pgetevents
io_pgetevents_time64 ioprio_get ioprio_set io_setup io_submit io_uring_enter io_uring_register
io_uring_setup ipc kill landlock_add_rule landlock_create_ruleset landlock_restrict_self lchown
lchown32 lgetxattr link linkat listen listxattr llistxattr _llseek lremovexattr lseek lsetxattr
lstat lstat64 madvise membarrier memfd_create memfd_secret mincore mkdir mkdirat mknod mknodat
mlock mlock2 mlockall mmap mmap2 mprotect mq_getsetattr mq_notify mq_open mq_timedreceive
mq_timedreceive_time64 mq_timedsend mq_timedsend_time64 mq_unlink mremap msgctl msgget msgrcv
msgsnd msync munlock munlockall munmap name_to_handle_at nanosleep newfstatat _newselect open
openat openat2 pause pidfd_open pidfd_send_signal pipe pipe2 pkey_alloc pkey_free pkey_mprotect
poll ppoll ppoll_time64 prctl pread64 preadv preadv2 prlimit64 process_mrelease pselect6
pselect6_time64 pwrite64 pwritev pwritev2 read readahead readlink readlinkat readv recv recvfrom
recvmmsg recvmmsg_time64 recvmsg remap_file_pages removexattr rename renameat renameat2
restart_syscall rmdir rseq rt_sigaction rt_sigpending rt_sigprocmask rt_sigqueueinfo
rt_sigreturn rt_sigsuspend rt_sigtimedwait rt_sigtimedwait_time64 rt_tgsigqueueinfo
sched_getaffinity sched_getattr sched_getparam sched_get_priority_max sched_get_priority_min
sched_getscheduler sched_rr_get_interval sched_rr_get_interval_time64 sched_setaffinity
sched_setattr sched_setparam sched_setscheduler sched_yield seccomp select semctl semget semop
semtimedop semtimedop_time64 send sendfile sendfile64 sendmmsg sendmsg sendto setfsgid
setfsgid32 setfsuid setfsuid32 setgid setgid32 setgroups setgroups32 setitimer setpgid
setpriority setregid setregid32 setresgid setresgid32 setresuid setresuid32 setreuid setreuid32
setrlimit set_robust_list setsid setsockopt set_thread_area set_tid_address setuid setuid32
setxattr shmat shmctl shmdt shmget shutdown sigaltstack signalfd signalfd4 sigprocmask sigreturn
socketcall socketpair splice stat stat64 statfs statfs64 statx symlink symlinkat sync
sync_file_range syncfs sysinfo tee tgkill time timer_create timer_delete timer_getoverrun
timer_gettime timer_gettime64 timer_settime timer_settime64 timerfd_create timerfd_gettime
timerfd_gettime64 timerfd_settime timerfd_settime64 times tkill truncate truncate64 ugetrlimit
umask uname unlink unlinkat utime utimensat utimensat_time64 utimes vfork vmsplice wait4 waitid
waitpid write writev
process_vm_readv process_vm_writev ptrace
arch_prctl modify_ldt
)";

// Rules that a held capability adds (the profile's "includes": {"caps": [...]}).
struct CapRule {
  int cap;
  const char* names;
};
constexpr CapRule kCapRules[] = {
    {CAP_DAC_READ_SEARCH, "open_by_handle_at"},
    {CAP_SYS_ADMIN,
     "bpf clone clone3 fanotify_init fsconfig fsmount fsopen fspick lookup_dcookie mount "
     "mount_setattr move_mount open_tree perf_event_open quotactl quotactl_fd setdomainname "
     "sethostname setns syslog umount umount2 unshare"},
    {CAP_SYS_BOOT, "reboot"},
    {CAP_SYS_CHROOT, "chroot"},
    {CAP_SYS_MODULE, "delete_module init_module finit_module"},
    {CAP_SYS_PACCT, "acct"},
    {CAP_SYS_PTRACE, "kcmp pidfd_getfd process_madvise process_vm_readv process_vm_writev ptrace"},
    {CAP_SYS_RAWIO, "iopl ioperm"},
    {CAP_SYS_TIME, "settimeofday stime clock_settime clock_settime64"},
    {CAP_SYS_TTY_CONFIG, "vhangup"},
    {CAP_SYS_NICE, "get_mempolicy mbind set_mempolicy set_mempolicy_home_node"},
    {CAP_SYSLOG, "syslog"},
    {CAP_BPF, "bpf"},
    {CAP_PERFMON, "perf_event_open"},
};

OrderedJson names_json(const char* list) {
  OrderedJson out = OrderedJson::array();
  std::istringstream in(list);
  std::string name;
  while (in >> name) {
    out.push_back(name);
  }
  return out;
}

OrderedJson rule(OrderedJson names, const char* action) {
  OrderedJson r;
  r["names"] = std::move(names);
  r["action"] = action;
  return r;
}

OrderedJson arg(unsigned index, uint64_t value, const char* op) {
  return OrderedJson{{"index", index}, {"value", value}, {"op", op}};
}

}  // namespace

const std::vector<const char*>& default_capability_names() {
  static const std::vector<const char*> kCaps = {
      "CAP_CHOWN",  "CAP_DAC_OVERRIDE", "CAP_FSETID",           "CAP_FOWNER",
      "CAP_MKNOD",  "CAP_NET_RAW",      "CAP_SETGID",           "CAP_SETUID",
      "CAP_SETFCAP", "CAP_SETPCAP",     "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
      "CAP_KILL",   "CAP_AUDIT_WRITE"};
  return kCaps;
}

OrderedJson default_seccomp_profile(const std::vector<int>& caps) {
  auto has = [&](int c) { return std::find(caps.begin(), caps.end(), c) != caps.end(); };
  OrderedJson p;
  p["defaultAction"] = "SCMP_ACT_ERRNO";
  p["defaultErrnoRet"] = 1;  // EPERM
  p["architectures"] = {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"};
  OrderedJson calls = OrderedJson::array();
  calls.push_back(rule(names_json(kAllowed), "SCMP_ACT_ALLOW"));
  // socket(AF_VSOCK=40) is refused; every other family allowed.
  auto sock = rule(names_json("socket"), "SCMP_ACT_ALLOW");
  sock["args"] = {arg(0, 40, "SCMP_CMP_NE")};
  calls.push_back(sock);
  // personality: PER_LINUX, PER_LINUX32, UNAME26, UNAME26|PER_LINUX32, query (0xffffffff).
  for (uint64_t persona : {0ULL, 8ULL, 131072ULL, 131080ULL, 4294967295ULL}) {
    auto r = rule(names_json("personality"), "SCMP_ACT_ALLOW");
    r["args"] = {arg(0, persona, "SCMP_CMP_EQ")};
    calls.push_back(r);
  }
  for (const auto& cr : kCapRules) {
    if (has(cr.cap)) {
      calls.push_back(rule(names_json(cr.names), "SCMP_ACT_ALLOW"));
    }
  }
  if (!has(CAP_SYS_ADMIN)) {
    // clone without any CLONE_NEW* flag (mask 0x7E020000); clone3 reports ENOSYS so that
    // libcs fall back to clone, whose flags can be checked.
    auto cl = rule(names_json("clone"), "SCMP_ACT_ALLOW");
    cl["args"] = {arg(0, 2114060288, "SCMP_CMP_MASKED_EQ")};
    calls.push_back(cl);
    auto cl3 = rule(names_json("clone3"), "SCMP_ACT_ERRNO");
    cl3["errnoRet"] = 38;  // ENOSYS
    calls.push_back(cl3);
  }
  p["syscalls"] = std::move(calls);
  return p;
}

}  // namespace berth::runtime::security
