// The engine: containers from images, as dockerd runs them (moby daemon/: create, start,
// stop, kill, wait, rm, list, inspect, logs). Each running container has a shim (berth-shim)
// that is its parent and outlives the daemon; the engine keeps its records in SQLite
// (<data-root>/berth.db) and follows each shim with a pidfd, so a restarted daemon picks up
// the containers that kept running and the exit codes of those that ended meanwhile.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/json.h"
#include "common/unique_fd.h"
#include "engine/events.h"
#include "engine/network.h"
#include "engine/volumes.h"
#include "image/service.h"

namespace berth::engine {

struct EngineOptions {
  std::string data_root;                           // containers/<id>/ live here
  std::string runtime_root = "/run/berth/runtime";  // the runtime's state dirs
  std::string shim_path;                           // berth-shim (beside the berth binary)
  std::string runtime_path;                        // berth-runc, for exec
};

// POST /containers/{id}/exec's body, the parts berth honours.
struct ExecConfig {
  std::vector<std::string> cmd;
  std::vector<std::string> env;  // added to the container's
  std::string user;              // "" = the container's
  std::string working_dir;       // "" = the container's
  bool tty = false;
  bool attach_stdin = false;     // the client's input goes to the process (docker exec -i)
  // ConsoleSize [rows, columns] of docker exec -t (API 1.42+): the terminal's size before the
  // process runs, so it does not start at 0x0 and wait for the first resize. 0 = unset.
  uint32_t console_rows = 0, console_cols = 0;
};

struct ExecState {
  std::string id, container_id;
  ExecConfig config;
  bool running = false;
  int exit_code = 0;
  int pid = 0;
};

// State as docker's ContainerState (api/swagger.yaml).
struct State {
  std::string status = "created";  // created, running, paused, exited, dead, removing
  int pid = 0;                     // the init's host pid while running
  int shim_pid = 0;
  int exit_code = 0;
  bool oom_killed = false;
  std::string error;
  std::string started_at = "0001-01-01T00:00:00Z", finished_at = "0001-01-01T00:00:00Z";
  uint64_t start_failures = 0;  // failed starts (not kept across daemon restarts): ends waits
  Json health;                     // {Status, FailingStreak, Log} when the config has a healthcheck
  int restart_count = 0;           // restarts by the restart policy since the last manual start
  bool manually_stopped = false;   // docker stop/kill: the restart policy stands down
};

struct Container {
  std::string id;       // 64 hex
  std::string name;     // without the leading '/'
  std::string image;    // as the user gave it
  std::string image_id; // sha256:...
  Json config;          // docker's Config (merged with the image's at create)
  Json host_config;     // docker's HostConfig
  std::string created;  // RFC 3339
  State state;
  Json networking;       // the networks it is on: {name: {Aliases?, IPv4Address?}}
  // While running: {mode, netns, ports:[{HostIp, HostPort, ContainerPort, Protocol}],
  // endpoints: {network name: {network_id, ifname, ip, prefix, gateway, mac}}}.
  Json network;
  Json mounts;           // resolved at create: [{Type, Name, Source, Destination, RW, Options}]
  std::string dir;       // <data-root>/containers/<id>
  std::string log_path;  // <dir>/<id>-json.log
};

// docker's ContainerPathStat (the X-Docker-Container-Path-Stat header, base64 JSON).
struct PathStat {
  std::string name;         // base name
  int64_t size = 0;         // bytes
  uint32_t mode = 0;        // Go os.FileMode bits (the CLI decodes them so)
  std::string mtime;        // RFC 3339 nano
  std::string link_target;  // absolute path in the container, for symlinks
};

// Output of a process: stream is "stdout" or "stderr"; false from the sink = stop sending.
using OutputSink = std::function<Result<void>(const std::string& stream, std::string_view data)>;

// A builder's RUN step (build/): a process in a root file system the builder mounted.
// A mount of a build step (RUN --mount), in the order given: later ones cover earlier ones.
struct StepMount {
  std::string type = "bind";  // "bind" (source: a host path) or "tmpfs"
  std::string source;         // bind: absolute host path, file or directory
  std::string target;         // absolute path in the step's root (made when missing)
  bool read_only = false;
  int64_t tmpfs_size = 0;  // bytes; 0 = the kernel's default
};

struct StepOptions {
  std::string rootfs;       // the step's mounted writable snapshot
  Json config;              // docker Config: Cmd (argv), Env, User, WorkingDir
  std::string network = "bridge";  // bridge, none, host (RUN --network)
  std::vector<StepMount> mounts;
};

struct LogEntry {
  std::string stream;  // "stdout" / "stderr"
  std::string time;    // RFC 3339 nano
  std::string text;    // with its '\n'
};

struct LogOptions {
  bool follow = false;
  bool stdout = true, stderr = true;
  double since = 0, until = 0;  // unix seconds; 0 = unbounded
  int64_t tail = -1;            // last N lines; -1 = all
  bool from_now = false;        // only output written after the call (attach)
};

class Engine {
 public:
  // Opens the records and re-attaches to running shims. Errors: kUnavailable (database).
  static Result<std::unique_ptr<Engine>> open(EngineOptions opts, image::ImageService* images);
  ~Engine();

  // POST /containers/create: `body` is docker's ContainerConfig with HostConfig inside.
  // Errors: kNotFound ("No such image: x"), kConflict (name in use, docker's message),
  // kInvalidArgument (no command, bad name, unsupported option).
  Result<Container> create(const Json& body, const std::string& name);
  // Mounts the rootfs, writes the bundle, starts a shim. Errors: kNotFound, kConflict
  // (already running), and the runtime's error for a container that cannot start (the
  // container stays "created" with State.Error set, as docker's).
  // `by_policy`: a restart by the restart policy (keeps its count).
  Result<void> start(const std::string& ref, bool by_policy = false);
  // StopSignal (or SIGTERM), then SIGKILL after `timeout_s` (default: StopTimeout or 10).
  Result<void> stop(const std::string& ref, std::optional<int> timeout_s);
  // Errors: kNotFound, kConflict ("is not running").
  Result<void> kill(const std::string& ref, int signal);
  // docker pause/unpause through the cgroup freezer. Errors: kNotFound, kConflict (not
  // running / not paused).
  Result<void> pause(const std::string& ref);
  Result<void> unpause(const std::string& ref);
  // Errors: kNotFound, kConflict (name in use), kInvalidArgument (bad name).
  Result<void> rename(const std::string& ref, const std::string& name);
  // docker top: the container's processes as `ps -ef` columns (UID PID PPID C STIME TTY TIME
  // CMD). Errors: kNotFound, kConflict (not running).
  Result<std::pair<std::vector<std::string>, std::vector<std::vector<std::string>>>> top(
      const std::string& ref);
  // Errors: kNotFound, kConflict (running without force). `volumes`: its anonymous volumes too.
  Result<void> remove(const std::string& ref, bool force, bool volumes = false);
  Volumes& volumes();
  // Ids of the containers that mount volume `name`.
  std::vector<std::string> volume_users(const std::string& name) const;
  // By full id, unique id prefix, or name. Errors: kNotFound ("No such container: x").
  Result<Container> get(const std::string& ref) const;
  std::vector<Container> list() const;
  // Blocks until the container is not running ("not-running"), has exited after this call
  // ("next-exit"), or is removed ("removed"); returns the exit code. Errors: kNotFound.
  Result<int> wait(const std::string& ref, const std::string& condition);
  // Log entries of the container; with `follow`, blocks until it stops or `sink` fails.
  Result<void> logs(const std::string& ref, const LogOptions& o,
                    const std::function<Result<void>(const LogEntry&)>& sink);
  // docker exec: a process to run in the running container `ref`. Errors: kNotFound,
  // kConflict (not running), kInvalidArgument (no command).
  Result<std::string> exec_create(const std::string& ref, const ExecConfig& cfg);
  // Runs it (berth-runc exec with the container's process as the template, as runc does) and
  // streams its stdout/stderr to `sink`; returns its exit code. Errors: kNotFound,
  // kConflict (already started), the runtime's error.
  // `input` (-1 = none): an fd whose bytes become the process's stdin (or terminal input), as
  // the hijacked connection of docker exec -i; its EOF closes stdin. With Tty the process gets
  // a terminal (the runtime's console socket) and its output arrives as "stdout" only.
  Result<int> exec_start(const std::string& exec_id, const OutputSink& sink, int input = -1);
  // Resizes an exec's terminal (rows, columns). Errors: kNotFound, kConflict (no tty yet).
  Result<void> exec_resize(const std::string& exec_id, int rows, int cols);
  // Runs a builder step to completion in a container with no record (bundle, network and
  // name files made for the run and removed after it), as the legacy builder's RUN does
  // (moby builder/dockerfile/internals.go). Returns the exit code. Errors: kInvalidArgument
  // (no command, unknown user), the network's and the runtime's.
  Result<int> run_step(const StepOptions& step, const OutputSink& sink);
  Result<ExecState> exec_inspect(const std::string& exec_id) const;
  // A connection whose bytes become the running container's stdin (or terminal input); closing
  // it ends stdin when the container has StdinOnce. Errors: kNotFound, kConflict (not running
  // or no open stdin).
  Result<UniqueFd> attach_stdin(const std::string& ref);
  // Resizes the container's terminal (rows, columns). Errors: kNotFound, kConflict (no tty).
  Result<void> resize(const std::string& ref, int rows, int cols);
  // docker cp (moby daemon/archive.go). Paths are absolute in the container (cleaned: `..`
  // stops at its root) and resolved inside it or inside the volume/bind mounted there; a
  // stopped container's root is mounted for the call. Errors: kNotFound ("Could not find the
  // file x in container y").
  Result<PathStat> path_stat(const std::string& ref, const std::string& path);
  // The resource at `path` as a tar (entries named by its base name, or "." for "dir/."),
  // written to `write`. Errors: kNotFound, `write`'s.
  Result<void> archive_get(const std::string& ref, const std::string& path,
                           const std::function<Result<void>(const char*, size_t)>& write);
  // Unpacks the tar file `tar_file` into the directory `path`; entries stay inside it.
  // `copy_uid_gid`: keep the tar's owners (docker cp -a), else root's. Errors: kNotFound,
  // kInvalidArgument (not a directory, bad tar), kPermissionDenied (read-only rootfs/volume).
  Result<void> archive_put(const std::string& ref, const std::string& path,
                           const std::string& tar_file, bool copy_uid_gid);
  // docker export: the root file system (without volumes) as a tar. Errors: kNotFound.
  Result<void> export_rootfs(const std::string& ref,
                             const std::function<Result<void>(const char*, size_t)>& write);
  // docker diff: (kind, path) with kind 0 changed, 1 added, 2 deleted (moby's ChangeType),
  // sorted by path. Errors: kNotFound.
  Result<std::vector<std::pair<int, std::string>>> changes(const std::string& ref);
  // docker events: the daemon's event stream (events.h). `emit` records one from elsewhere
  // (image, network and volume endpoints).
  Events& events();
  void emit(const std::string& type, const std::string& action, const std::string& id,
            std::map<std::string, std::string> attributes = {});
  // docker update: `body` is docker's UpdateConfig (resources as in HostConfig, RestartPolicy);
  // kept in the record and applied to the cgroups of a running container. Returns the kernel's
  // warnings (a knob it lacks). Errors: kNotFound, kInvalidArgument (docker's messages).
  Result<std::vector<std::string>> update(const std::string& ref, const Json& body);
  // docker stats: one sample in the Engine API's ContainerStats shape (cpu_stats in ns with
  // system_cpu_usage, memory_stats in bytes, pids, blkio, networks); zeros for a container that
  // is not running; precpu_stats is the caller's (the previous sample). Errors: kNotFound.
  Result<Json> stats(const std::string& ref);
  // docker network connect: `endpoint_config` is docker's EndpointSettings (Aliases,
  // IPAMConfig.IPv4Address); a running container gets the interface at once. Errors:
  // kNotFound, kPermissionDenied (already connected; host, none or container: mode),
  // kInvalidArgument (aliases or address on a predefined network), the plugins'.
  Result<void> connect(const std::string& container, const std::string& network,
                       const Json& endpoint_config);
  // docker network disconnect. Errors: kNotFound, kFailedPrecondition (not connected),
  // kPermissionDenied (host/none).
  Result<void> disconnect(const std::string& container, const std::string& network, bool force);
  Networks& networks();
  // The Containers map of docker's network inspect: running containers attached to `n`.
  Json network_containers(const NetworkRecord& n) const;
  // docker network rm. Errors: kNotFound, kPermissionDenied (predefined, or active endpoints).
  Result<void> remove_network(const std::string& ref);
  // Image IDs used by containers (rmi and prune keep them).
  bool image_in_use(const std::string& image_id) const;

  struct Impl;

 private:
  void start_health_checks(const std::string& id);
  explicit Engine(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// A signal by name or number ("SIGTERM", "TERM", "15"), as `docker kill -s` takes it.
// Errors: kInvalidArgument.
Result<int> parse_signal(const std::string& name);

// docker's ContainerJSON (inspect) and ContainerSummary (ps) shapes.
Json inspect_json(const Container& c);
Json summary_json(const Container& c);

}  // namespace berth::engine
