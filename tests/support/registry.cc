#include "support/registry.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "support/process.h"

namespace berth::test {
namespace {

int64_t now_ms() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

sockaddr_in loopback(int port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string tail(const std::string& text, size_t lines) {
  size_t pos = text.size();
  for (size_t n = 0; n <= lines && pos > 0; ++n) {
    pos = text.rfind('\n', pos - 1);
    if (pos == std::string::npos) return text;
  }
  return text.substr(pos + 1);
}

}  // namespace

bool Daemon::start(const std::vector<std::string>& argv, const std::string& log,
                   const std::vector<std::string>& env) {
  stop();
  status_ = -1;
  pid_t parent = getpid();
  pid_ = fork();
  if (pid_ < 0) {
    return false;
  }
  if (pid_ == 0) {
    // Dies with the test process, so a crashed test leaves no server behind.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    setpgid(0, 0);
    int in = open("/dev/null", O_RDONLY);
    int out = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (in >= 0) dup2(in, 0);
    if (out >= 0) {
      dup2(out, 1);
      dup2(out, 2);
    }
    for (const auto& e : env) {
      putenv(const_cast<char*>(e.c_str()));
    }
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  return true;
}

bool Daemon::running() {
  if (pid_ <= 0) return false;
  int st = 0;
  pid_t r = waitpid(pid_, &st, WNOHANG);
  if (r == 0) return true;
  if (r == pid_) {
    status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  }
  pid_ = -1;
  return false;
}

void Daemon::stop() {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  int st = 0;
  for (int64_t deadline = now_ms() + 5000; now_ms() < deadline;) {
    pid_t r = waitpid(pid_, &st, WNOHANG);
    if (r == pid_ || (r < 0 && errno == ECHILD)) {
      if (r == pid_) status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
      pid_ = -1;
      return;
    }
    usleep(20000);
  }
  kill(pid_, SIGKILL);
  if (waitpid(pid_, &st, 0) == pid_) {
    status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  }
  pid_ = -1;
}

int free_port() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  sockaddr_in a = loopback(0);
  int port = 0;
  socklen_t len = sizeof a;
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
    port = ntohs(a.sin_port);
  }
  close(fd);
  return port;
}

int http_status(int port, const std::string& path, int timeout_ms) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  sockaddr_in a = loopback(port);
  int status = 0;
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
    std::string req = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1:" + std::to_string(port) +
                      "\r\n\r\n";
    if (write(fd, req.data(), req.size()) == static_cast<ssize_t>(req.size())) {
      std::string resp;
      char buf[512];
      for (int64_t deadline = now_ms() + timeout_ms;
           resp.find("\r\n") == std::string::npos && now_ms() < deadline;) {
        pollfd p{fd, POLLIN, 0};
        if (poll(&p, 1, 50) <= 0) continue;
        ssize_t n = read(fd, buf, sizeof buf);
        if (n <= 0) break;
        resp.append(buf, static_cast<size_t>(n));
      }
      // "HTTP/1.1 200 OK"
      if (resp.starts_with("HTTP/") && resp.size() > 12) {
        status = std::atoi(resp.substr(9, 3).c_str());
      }
    }
  }
  close(fd);
  return status;
}

std::string system_python3() {
  if (access("/usr/bin/python3", X_OK) == 0) return "/usr/bin/python3";
  auto o = sh("command -v python3");
  return o.status == 0 ? str_lines(o.out).at(0) : "";
}

Registry::Registry(RegistryOptions opts) : opts_(std::move(opts)) {}

Registry::~Registry() { stop(); }

bool Registry::available() { return access(kBinary, X_OK) == 0; }

std::string Registry::blob_data(const std::string& digest) const {
  std::string hex = digest.substr(digest.find(':') + 1);
  return storage() + "/docker/registry/v2/blobs/sha256/" + hex.substr(0, 2) + "/" + hex + "/data";
}

std::string Registry::log() const { return dir_.empty() ? "" : read_file(dir_ + "/registry.log"); }

std::string Registry::start() {
  stop();
  dir_ = make_temp_dir("berth-registry");
  if (dir_.empty()) return "mkdtemp failed";
  std::string auth;
  if (opts_.auth == RegistryOptions::Auth::kHtpasswd) {
    std::string entries;
    for (const auto& [user, pass] : opts_.users) {
      auto o = run({"htpasswd", "-Bbn", user, pass});
      if (o.status != 0) return "htpasswd -Bbn failed (apache2-utils installed?): " + o.err;
      entries += str_lines(o.out).at(0) + "\n";
    }
    std::ofstream(dir_ + "/htpasswd") << entries;
    auth = "auth:\n  htpasswd:\n    realm: berth-test\n    path: " + dir_ + "/htpasswd\n";
  } else if (opts_.auth == RegistryOptions::Auth::kToken) {
    auth = "auth:\n  token:\n    realm: " + opts_.token_realm + "\n    service: " +
           opts_.token_service + "\n    issuer: " + opts_.token_issuer +
           "\n    rootcertbundle: " + opts_.token_rootcertbundle + "\n";
  }
  std::string last_error;
  for (int attempt = 0; attempt < 5; ++attempt) {
    port_ = free_port();
    if (port_ == 0) return "no free port";
    host_ = "127.0.0.1:" + std::to_string(port_);
    std::ofstream(dir_ + "/config.yml")
        << "version: 0.1\n"
           "log:\n  level: info\n  accesslog:\n    disabled: false\n"
           "storage:\n  filesystem:\n    rootdirectory: " << storage() << "\n"
           "  delete:\n    enabled: true\n"
           "  maintenance:\n    uploadpurging:\n      enabled: false\n"
           "http:\n  addr: " << host_ << "\n  secret: berth-test-secret\n"
        << auth;
    std::string log_path = dir_ + "/registry.log";
    (void)!::truncate(log_path.c_str(), 0);
    if (!daemon_.start({kBinary, "serve", dir_ + "/config.yml"}, log_path)) {
      return std::string("fork: ") + std::strerror(errno);
    }
    for (int64_t deadline = now_ms() + 20000; now_ms() < deadline;) {
      int st = http_status(port_, "/v2/");
      // 200 without auth, 401 with a challenge: either way the registry serves.
      if (st == 200 || st == 401) return "";
      if (!daemon_.running()) break;
      usleep(50000);
    }
    daemon_.stop();
    std::string l = log();
    last_error = "docker-registry did not come up on " + host_ + ":\n" + tail(l, 8);
    if (l.find("address already in use") == std::string::npos) break;  // not a port race
  }
  return last_error;
}

void Registry::stop() {
  daemon_.stop();
  if (!dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
    dir_.clear();
  }
}

}  // namespace berth::test
