// A private registry for image tests: Debian's `docker-registry` (distribution 2.8) serving
// plain HTTP on 127.0.0.1 with its storage in a temp dir, optionally behind htpasswd basic
// auth or token auth. Plus the small helpers such fixtures need: background processes that
// die with the test, free ports, and a raw HTTP probe.
#pragma once

#include <sys/types.h>

#include <string>
#include <utility>
#include <vector>

namespace berth::test {

// A background process (fork/exec; argv[0] looked up in PATH), stdout+stderr to `log`. It
// gets SIGKILL should the test process die; stop() (also from the destructor) ends it.
class Daemon {
 public:
  Daemon() = default;
  ~Daemon() { stop(); }
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  // False when fork fails. `env` entries ("K=V") are added to the environment.
  bool start(const std::vector<std::string>& argv, const std::string& log,
             const std::vector<std::string>& env = {});
  // Still running (reaps it when it has exited).
  bool running();
  // SIGTERM, up to 5 s, then SIGKILL; waits for it. No-op when not started.
  void stop();
  pid_t pid() const { return pid_; }
  // Exit status as Output::status (valid once running() is false), -1 when unknown.
  int status() const { return status_; }

 private:
  pid_t pid_ = -1;
  int status_ = -1;
};

// A TCP port on 127.0.0.1 nothing listens on at the moment of asking.
int free_port();
// Status of `GET path` on 127.0.0.1:port over plain HTTP/1.0, 0 when nothing answers.
int http_status(int port, const std::string& path, int timeout_ms = 1000);
// Debian's python3 (/usr/bin/python3, which has python3-jwt etc.), else "python3" from PATH;
// "" when there is none.
std::string system_python3();

struct RegistryOptions {
  enum class Auth { kNone, kHtpasswd, kToken };
  Auth auth = Auth::kNone;
  // kHtpasswd: user, password (hashed with `htpasswd -Bbn`).
  std::vector<std::pair<std::string, std::string>> users;
  // kToken: distribution's auth.token section.
  std::string token_realm, token_service, token_issuer, token_rootcertbundle;
};

class Registry {
 public:
  explicit Registry(RegistryOptions opts = {});
  ~Registry();  // stop()
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // /usr/bin/docker-registry exists.
  static bool available();
  static constexpr const char* kBinary = "/usr/bin/docker-registry";

  // Writes the config, starts the registry on a free port (another one when the port is
  // taken meanwhile) and waits until GET /v2/ answers. Returns "" or what went wrong (with
  // the end of the registry's log).
  std::string start();
  // Kills the registry and removes its temp dir (config, storage, log). Idempotent.
  void stop();
  bool running() { return daemon_.running(); }

  // "127.0.0.1:PORT".
  const std::string& host() const { return host_; }
  int port() const { return port_; }
  // The temp dir holding everything of this registry.
  const std::string& dir() const { return dir_; }
  // The filesystem driver's root directory.
  std::string storage() const { return dir_ + "/storage"; }
  // Where the registry keeps the blob `digest` ("sha256:<hex>").
  std::string blob_data(const std::string& digest) const;
  // The registry's log so far.
  std::string log() const;

 private:
  RegistryOptions opts_;
  Daemon daemon_;
  std::string dir_, host_;
  int port_ = 0;
};

}  // namespace berth::test
