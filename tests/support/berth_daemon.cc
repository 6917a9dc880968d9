#include "support/berth_daemon.h"

#include <signal.h>
#include <unistd.h>

#include "support/bundle.h"

namespace berth::test {

bool BerthDaemon::start(const std::string& prefix, bool busybox) {
  create(prefix);
  return launch(busybox);
}

void BerthDaemon::create(const std::string& prefix) {
  dir_ = make_temp_dir(prefix);
  socket_ = dir_ + "/berth.sock";
}

bool BerthDaemon::launch(bool busybox) {
  if (!spawn()) {
    error = "cannot start the daemon";
    return false;
  }
  if (!wait_ready()) return false;
  return !busybox || import_busybox();
}

bool BerthDaemon::spawn() {
  return daemon_.start({berth_binary(), "daemon", "--data-root", dir_ + "/root", "-H", "unix://" + socket_},
                       dir_ + "/daemon.log");
}

Output BerthDaemon::pack_busybox(const std::string& setup) const {
  return shell("mkdir -p rootfs/bin rootfs/etc rootfs/root rootfs/var rootfs/tmp && chmod 1777 rootfs/tmp && cp /bin/busybox rootfs/bin/ && "
               "chroot rootfs /bin/busybox --install -s /bin && "
               "echo 'root:x:0:0:root:/root:/bin/sh' > rootfs/etc/passwd && " +
               (setup.empty() ? std::string() : "(cd rootfs && " + setup + ") && ") +
               "tar -C rootfs -cf rootfs.tar .");
}

bool BerthDaemon::make_busybox_rootfs(const std::string& setup) {
  auto r = pack_busybox(setup);
  if (r.status != 0) error = "making the busybox rootfs: " + r.err;
  return r.status == 0;
}

bool BerthDaemon::import_busybox(const std::string& setup) {
  auto r = pack_busybox(setup);
  if (r.status == 0) {
    r = shell("rm -rf rootfs && docker import -c 'CMD [\"sh\"]' rootfs.tar busybox:latest >/dev/null");
  }
  if (r.status != 0) error = "importing busybox: " + r.err;
  return r.status == 0;
}

bool BerthDaemon::wait_ready() {
  for (int i = 0; i < 250; ++i) {
    if (access(socket_.c_str(), F_OK) == 0 && docker("version >/dev/null 2>&1").status == 0) return true;
    if (!daemon_.running()) break;
    usleep(20000);
  }
  error = "the daemon did not come up: " + sh("tail -5 " + dir_ + "/daemon.log").out;
  return false;
}

bool BerthDaemon::restart() {
  daemon_.stop();
  if (!spawn()) return false;
  return wait_ready();
}

void BerthDaemon::kill() {
  if (daemon_.pid() > 0) ::kill(daemon_.pid(), SIGKILL);
  daemon_.stop();
}

void BerthDaemon::stop() {
  if (dir_.empty()) return;
  if (daemon_.running()) docker("rm -f $(docker ps -aq) >/dev/null 2>&1");
  daemon_.stop();
  sh(BERTH_SOURCE_DIR "/tests/support/cleanup-bridge.sh");
  sh("rm -rf " + dir_);
  dir_.clear();
}

Output BerthDaemon::shell(const std::string& cmd, const std::string& cwd) const {
  return sh("cd " + (cwd.empty() ? dir_ : cwd) + " && export DOCKER_HOST=unix://" + socket_ +
            " BERTH_HOST=unix://" + socket_ + " && " + cmd);
}

Output BerthDaemon::docker(const std::string& args, const std::string& cwd) const {
  return shell("docker " + args, cwd);
}

Output BerthDaemon::berth(const std::string& args, const std::string& cwd) const {
  return shell(berth_binary() + " " + args, cwd);
}

}  // namespace berth::test
