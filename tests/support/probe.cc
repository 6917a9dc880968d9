// berth-test-probe: a static program run inside test containers. Each verb tries one thing and
// prints "<verb>: ok" (exit 0) or "<verb>: <error>" (exit 1), so tests assert on behaviour.
#include <fcntl.h>
#include <linux/keyctl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>

namespace {

int report(const char* verb, long rc) {
  if (rc < 0) {
    std::printf("%s: %s\n", verb, std::strerror(errno));
    return 1;
  }
  std::printf("%s: ok\n", verb);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: probe keyctl|ptrace PID|unshare|mount|modload|memhog MB|"
                         "forkbomb N|spin CPU_MS|sysctl-write\n");
    return 2;
  }
  const char* verb = argv[1];
  if (!std::strcmp(verb, "keyctl")) {
    return report(verb, syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, "probe"));
  }
  if (!std::strcmp(verb, "ptrace") && argc > 2) {
    return report(verb, ptrace(PTRACE_SEIZE, std::atoi(argv[2]), nullptr, nullptr));
  }
  if (!std::strcmp(verb, "unshare")) {
    return report(verb, unshare(CLONE_NEWNS | CLONE_NEWUSER));
  }
  if (!std::strcmp(verb, "mount")) {
    return report(verb, mount("tmpfs", "/tmp", "tmpfs", 0, nullptr));
  }
  if (!std::strcmp(verb, "modload")) {
    int fd = open("/proc/self/exe", O_RDONLY);
    return report(verb, syscall(SYS_finit_module, fd, "", 0));
  }
  if (!std::strcmp(verb, "sysctl-write")) {
    int fd = open("/proc/sys/kernel/domainname", O_WRONLY);
    long rc = fd < 0 ? -1 : write(fd, "x", 1);
    return report(verb, rc);
  }
  if (!std::strcmp(verb, "memhog") && argc > 2) {
    long mb = std::atol(argv[2]);
    for (long i = 0; i < mb; ++i) {
      char* p = static_cast<char*>(std::malloc(1 << 20));
      if (p == nullptr) {
        return report(verb, -1);
      }
      std::memset(p, 1, 1 << 20);
    }
    return report(verb, 0);
  }
  if (!std::strcmp(verb, "forkbomb") && argc > 2) {
    setpgid(0, 0);  // kill(0) below must reach only the probe and its children
    int n = std::atoi(argv[2]), made = 0;
    for (int i = 0; i < n; ++i) {
      pid_t p = fork();
      if (p == 0) {
        pause();
        _exit(0);
      }
      if (p < 0) {
        break;
      }
      ++made;
    }
    std::printf("forkbomb: made %d of %d\n", made, n);
    kill(0, SIGKILL);  // the probe and its children share a process group
    return 0;
  }
  if (!std::strcmp(verb, "spin") && argc > 2) {
    // Burns CPU_MS milliseconds of CPU time (not wall time, which a quota stretches).
    const long cpu_ms = std::atol(argv[2]);
    timespec t{};
    do {
      clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    } while (t.tv_sec * 1000 + t.tv_nsec / 1000000 < cpu_ms);
    return report(verb, 0);
  }
  std::fprintf(stderr, "probe: unknown verb %s\n", verb);
  return 2;
}
