// The engine's shared state and the helpers its parts use (engine.cc: records and lifecycle;
// exec.cc, health.cc, logs.cc, views.cc, mounts.cc). Internal to the engine layer.
#pragma once

#include <sys/types.h>

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "common/sqlite.h"
#include "engine/dns.h"
#include "engine/engine.h"
#include "engine/events.h"
#include "engine/network.h"
#include "engine/volumes.h"

namespace berth::engine {

struct Engine::Impl {
  Impl(EngineOptions o, image::ImageService* i, sql::Db d)
      : opts(std::move(o)), images(i), db(std::move(d)) {}

  EngineOptions opts;
  image::ImageService* images;
  sql::Db db;
  mutable std::mutex mu;       // guards everything below
  std::condition_variable cv;  // any state change
  std::map<std::string, Container> containers;
  std::unique_ptr<Networks> nets;
  std::unique_ptr<DnsServer> dns;
  Events events;
  std::unique_ptr<Volumes> vols;
  std::map<std::string, int> followers;      // attach/logs -f streams per container
  std::map<std::string, int> removed_codes;  // exit codes of removed containers (for wait)
  std::vector<std::string> pending_detach;   // exited containers to tear down (teardown)
  std::set<std::string> detaching;           // ... and those being torn down now
  std::map<std::string, ExecState> execs;    // docker exec instances (gone with the container)
  std::map<std::string, int> exec_terminals;  // pty masters of running -t execs (resize)
  std::vector<int> wake_fds;                 // eventfds of log followers, written on changes
  Engine* self = nullptr;

  std::string dir_of(const std::string& id) const { return opts.data_root + "/containers/" + id; }
  std::string rootfs(const Container& c) const { return c.dir + "/rootfs"; }

  // A container event with docker's attributes (name, image, labels) plus `extra`.
  void emit(const Container& c, const std::string& action,
            std::map<std::string, std::string> extra = {});
  // Records in berth.db. Caller holds mu.
  Result<void> save(const Container& c);
  Result<void> load_all();
  // By id, name or unique id prefix. Caller holds mu. Errors: kNotFound, kInvalidArgument.
  Result<Container*> find(const std::string& ref);
  // Wakes waiters and log followers. Caller holds mu.
  void changed();
  // The container's overlay root file system at rootfs(c) (its writable snapshot is made on
  // first use). Errors: kNotFound (image), the mount's.
  Result<void> mount_rootfs(const Container& c);
  // Every mount at DIR/rootfs (a container's directory).
  void unmount_rootfs(const std::string& dir);
  // The end of a shim: read what it recorded and update the container. Caller holds mu.
  void finish(Container& c);
  // Tears down what finish() queued; called without the lock (CNI and unmounts take time).
  void detach_pending();
  // Waits until container `id`'s last run is torn down (doing it here when still queued): a
  // start or a mount must not race the teardown of the run before.
  void finish_detach(const std::string& id);
  // An exited container's networks (CNI DEL, sandbox) and root file system mount. Without mu.
  void teardown(const std::string& id);
  // copy.cc. Runs `fn` with the container's root file system mounted (a stopped container's
  // for the call), frozen meanwhile when it runs and `freeze`. Errors: kNotFound, fn's.
  Result<void> with_rootfs(const std::string& ref, bool freeze,
                           const std::function<Result<void>(const Container&)>& fn);
  // networking.cc. The container's EndpointsConfig from NetworkingConfig and NetworkMode,
  // checked against the networks. Errors: kNotFound (network or container), kInvalidArgument.
  Result<Json> networking_for_create(const Json& host_config, const Json& body);
  // Its sandbox and endpoints (sets c.network), and the DNS server on user networks. Called
  // without the lock. Errors: the plugins', kConflict (container: mode on a stopped one).
  Result<void> attach_networks(Container& c);
  // kConflict "Bind for IP:PORT failed: port is already allocated" (docker's words) when a
  // fixed host port of `ports` is held by another container (reserved from this check until
  // it stops or its networks are detached, so two starts at once cannot both pass) or by a
  // host process
  // (a trial bind fails with EADDRINUSE, as docker-proxy's bind would). On success the ports
  // are reserved for `id`. A host port range becomes its first free port. Takes the lock.
  Result<void> check_ports_free(const std::string& id, std::vector<PortMapping>& ports);
  // By container id; guarded by ports_mu (taken after mu when both are held, alone in
  // detach_networks, which some paths call with mu held).
  std::mutex ports_mu;
  std::map<std::string, std::vector<PortMapping>> port_reservations;
  // Undoes attach_networks. Idempotent; called without the lock.
  void detach_networks(const std::string& id);
  // /etc/hostname, /etc/hosts (--add-host) and /etc/resolv.conf (--dns*) in c.dir.
  void write_name_files(const Container& c, const std::string& hostname);
  bool on_user_network(const Container& c) const;
  Result<void> serve_dns(const Container& c);
  // The DNS server's question: addresses of `name` on the networks of `asker`.
  std::optional<std::vector<std::string>> dns_lookup(const std::string& asker, const std::string& name);
  // Follows a shim until it exits (pidfd readable), then finishes the container and applies
  // --rm and the restart policy. Runs on a thread of its own.
  void monitor(const std::string& id, pid_t shim_pid);
  Result<void> remove(const std::string& ref, bool force, bool volumes);
  // Freezes (paused) or thaws the container. Errors: kNotFound, kConflict (wrong state).
  Result<void> set_paused(const std::string& ref, bool paused);
  // Milliseconds to wait before restarting `c` by its restart policy, -1 for no restart
  // (moby restartmanager: on-failure[:N], always, unless-stopped; back-off from 100 ms,
  // doubling up to a minute). Caller holds mu.
  static int restart_delay(const Container& c);
};

// Runs `argv` with stdin from /dev/null and streams its stdout/stderr to `sink` until both
// close (a failing sink stops forwarding, not reading); `started` gets the pid. Returns the
// exit code (128 + signal). Errors: the spawn's.
// With `input` >= 0 its bytes are the process's stdin (closed at its EOF); else /dev/null.
Result<int> run_streaming(const std::vector<std::string>& argv, const OutputSink& sink,
                          const std::function<void(pid_t)>& started, int input = -1);

// docker's -v/--mount/--tmpfs and the image's VOLUMEs as one list of mounts (moby
// daemon/volumes_unix.go, volume/mounts/linux_parser.go): binds need an existing absolute
// source, named volumes are made on first use, paths the image declares get anonymous volumes
// unless something else is mounted there. A refused mount leaves no new volume behind.
// Errors: kInvalidArgument (docker's messages).
Result<Json> resolve_mounts(Volumes& vols, const Json& cfg, const Json& hc);

// docker's volume copy-up: an empty volume gets what the image has at its mount path, once.
void populate_volume(Volumes& vols, const Json& mount, const std::string& rootfs);

}  // namespace berth::engine
