#include "support/process.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace berth::test {

// stdout/stderr go to memfds, not pipes: a detached container inherits them and would hold a
// pipe open long after the command we wait for has exited.
Output run(const std::vector<std::string>& argv, const std::string& input, bool hold_stdin) {
  int in[2];
  if (pipe2(in, O_CLOEXEC)) {
    return {};
  }
  int out = memfd_create("stdout", MFD_CLOEXEC);
  int err = memfd_create("stderr", MFD_CLOEXEC);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(in[0], 0);
    dup2(out, 1);
    dup2(err, 2);
    std::vector<char*> args;
    for (const auto& a : argv) {
      args.push_back(const_cast<char*>(a.c_str()));
    }
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  close(in[0]);
  if (!input.empty()) {
    (void)!write(in[1], input.data(), input.size());
  }
  if (!hold_stdin) {
    close(in[1]);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  if (hold_stdin) {
    close(in[1]);
  }
  Output o;
  o.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  auto slurp = [](int fd) {
    std::string s;
    char buf[8192];
    for (off_t off = 0;;) {
      ssize_t n = pread(fd, buf, sizeof buf, off);
      if (n <= 0) {
        break;
      }
      s.append(buf, static_cast<size_t>(n));
      off += n;
    }
    close(fd);
    return s;
  };
  o.out = slurp(out);
  o.err = slurp(err);
  return o;
}

Output sh(const std::string& cmd) { return run({"/bin/sh", "-c", cmd}); }

std::vector<std::string> str_lines(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string::npos) {
      nl = text.size();
    }
    if (nl > start) {
      out.push_back(text.substr(start, nl - start));
    }
    start = nl + 1;
  }
  return out;
}

std::string make_temp_dir(const std::string& prefix) {
  std::string tmpl = "/tmp/" + prefix + "-XXXXXX";
  char* p = mkdtemp(tmpl.data());
  return p ? std::string(p) : std::string();
}

std::string container_host_state(const std::optional<std::string>& settled_from) {
  auto now = [] {
    return sh("{ ls /run/berth/netns 2>/dev/null; ip -o link show type veth | awk '{print $2}'; "
              "ls -d /sys/fs/cgroup/*/berth/* /sys/fs/cgroup/unified/berth/* 2>/dev/null; "
              "iptables-save | grep -e CNI-DN- -e 'CNI-[0-9a-f]\\{24\\}' | grep -v '^:'; } | sort")
        .out;
  };
  std::string state = now();
  for (int i = 0; i < 60 && settled_from && state != *settled_from; ++i) {
    ::usleep(50 * 1000);
    state = now();
  }
  return state;
}

int free_tcp_port() {
  int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  ::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
  ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(s);
  return ntohs(a.sin_port);
}

}  // namespace berth::test
