// The compose runner: a loaded Project brought to life on a Docker Engine API, as docker compose
// does it (docker/compose pkg/compose: create.go for the container config, convergence.go for
// what is (re)created, dependencies.go for the order, down.go). Resources are found by the
// labels compose puts on them, so a second `up` converges what the first made:
//   com.docker.compose.project, .service, .container-number, .oneoff, .config-hash (a sha256
//   of the service's canonical JSON, replicas left out), .image (the image ID it was made
//   from), .project.working_dir, .project.config_files, .depends_on, .version;
//   networks: com.docker.compose.network; volumes: com.docker.compose.volume.
// Containers are named "<project>-<service>-<n>" (container_name when given); images built
// for a service without `image:` are "<project>-<service>".
//
// The engine is reached through EngineApi, implemented by the CLI over the daemon's socket
// (cli/compose_cli.cc) — this layer makes Engine API calls and prints nothing itself.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "common/error.h"
#include "common/json.h"
#include "compose/project.h"

namespace berth::compose {

using ApiQuery = std::vector<std::pair<std::string, std::string>>;

// What the runner needs of a Docker Engine API client. Paths are the API's without a version
// prefix ("/containers/create").
class EngineApi {
 public:
  virtual ~EngineApi() = default;
  // One call; `body` null = none. The answer as JSON (null when empty). Errors: the daemon's
  // message with the code of its status (404 kNotFound, 409 kConflict, 400 kInvalidArgument,
  // 500 kInternal), or the transport's when the daemon cannot be reached.
  virtual Result<Json> call(const std::string& method, const std::string& path,
                            const ApiQuery& query = {}, const Json& body = Json()) = 0;
  // Builds `tag` from `build` (a local context directory), showing the build's progress.
  // Errors: the build's, as one line.
  virtual Result<void> build(const BuildConfig& build, const std::string& tag) = 0;
  // Pulls `image`, showing progress. Errors: the daemon's.
  virtual Result<void> pull(const std::string& image) = 0;
};

// One line of progress, as docker compose prints it: kind "Network", "Volume", "Container",
// `name` the engine's name, `state` "Creating", "Created", "Started", "Healthy", "Removed", ...
using ProgressFn = std::function<void(const std::string& kind, const std::string& name,
                                      const std::string& state)>;

struct UpOptions {
  std::vector<std::string> services;  // empty = all enabled (named ones pull in depends_on)
  bool build = false;                 // --build: build before creating, even if present
  bool no_build = false;              // --no-build
  bool force_recreate = false, no_recreate = false;
  bool remove_orphans = false;
  bool no_start = false;  // `create`: containers made but not started
  bool resources_only = false;  // `run`: networks, volumes and images, no containers
  bool wait = false;      // --wait: until running and healthy
  int64_t wait_timeout_ms = 0;  // 0 = no limit
  std::string pull;             // --pull: "" (the services' pull_policy), always, missing, never
  std::map<std::string, int> scale;  // --scale SERVICE=NUM: replicas instead of the file's
};

struct DownOptions {
  bool volumes = false;         // -v: named volumes of the project and anonymous ones
  std::string rmi;              // "", "all" (every service image), "local" (built, untagged)
  bool remove_orphans = false;
  int timeout_s = -1;           // -t: stop timeout in seconds; -1 = each container's own
};

// A project's container as listed by the engine (GET /containers/json), with its service.
struct ProjectContainer {
  std::string id, name, service;
  int number = 0;
  bool oneoff = false;
  Json summary;  // the list entry as the engine gave it
};

class Runner {
 public:
  Runner(const Project& project, EngineApi& api, ProgressFn progress)
      : project_(project), api_(api), progress_(std::move(progress)) {}

  // Creates what the services need (networks, volumes, images), then converges each selected
  // service in dependency order: waits for its depends_on conditions, creates missing
  // containers, recreates those whose config hash or image changed (all with
  // force_recreate), starts stopped ones, removes replicas beyond the scale. On an error, what
  // this call created or started is removed or stopped again. Errors: the engine's; "service
  // \"x\" depends on unhealthy service \"db\"" style dependency failures (kFailedPrecondition);
  // "network n declared as external, but could not be found" (kNotFound); kDeadlineExceeded for --wait;
  // before anything is made: a container_name with more than one replica (kInvalidArgument),
  // "no such service: x" for a --scale of no service (kNotFound).
  // A recreated container keeps its predecessor's anonymous volumes; one joined to another
  // service's network namespace (network_mode service:x) is recreated when x's container changed.
  Result<void> up(const UpOptions& options);

  // Stops and removes the project's containers (dependents first), its networks, and with
  // the options its volumes and images. Missing pieces are skipped. Errors: the engine's.
  Result<void> down(const DownOptions& options);

  // The project's containers, ordered by service then number; `all` includes stopped ones;
  // `services` empty = every service. One-off (`run`) containers only with `oneoff`.
  Result<std::vector<ProjectContainer>> containers(const std::vector<std::string>& services,
                                                   bool all, bool oneoff = false);

  Result<void> stop(const std::vector<std::string>& services, int timeout_s = -1);
  Result<void> start(const std::vector<std::string>& services);
  Result<void> restart(const std::vector<std::string>& services, int timeout_s = -1);
  // Builds the selected services that have a `build:` section.
  Result<void> build(const std::vector<std::string>& services);
  // Pulls the selected services' images (those without build, or with pull_policy always).
  Result<void> pull(const std::vector<std::string>& services);

  // The image a service runs: `image:` or "<project>-<service>".
  std::string image_name(const Service& s) const;

 private:
  struct Undo;
  Result<void> ensure_networks(const std::vector<const Service*>& services, Undo& undo);
  Result<void> ensure_volumes(const std::vector<const Service*>& services, Undo& undo);
  Result<void> ensure_image(const Service& s, const UpOptions& o);
  Result<void> wait_dependencies(const Service& s);
  Result<void> converge(const Service& s, const UpOptions& o, Undo& undo);
  // `replaced`: the inspected container this one replaces, whose anonymous volumes it takes.
  Result<std::string> create_container(const Service& s, int number, Undo& undo,
                                       const Json& replaced = Json());
  bool stale_network_container(const Service& s, const Json& summary);
  Result<void> wait_healthy(const std::vector<const Service*>& services, int64_t timeout_ms);
  Result<void> remove_orphans(bool remove);
  std::vector<const Service*> select(const std::vector<std::string>& names, bool with_deps) const;

  const Project& project_;
  EngineApi& api_;
  ProgressFn progress_;
  std::mutex mu_;                                 // guards image_ids_
  std::map<std::string, std::string> image_ids_;  // service -> the image ID up resolved
};

// Every compose project with containers on the engine (`compose ls`): name, status
// ("running(2), exited(1)" as docker compose prints it) and config files, by name. `all`
// includes projects whose containers are all stopped.
struct ProjectSummary {
  std::string name, status, config_files;
};
Result<std::vector<ProjectSummary>> list_projects(EngineApi& api, bool all);

// The Engine API body of POST /containers/create for replica `number` of `s` (compose's
// create.go getCreateConfigs): Config fields at the top, HostConfig and NetworkingConfig.
// `image_id` goes into the com.docker.compose.image label; `container_of` maps the service
// named by network_mode "service:x" to a container id. Errors: kInvalidArgument for a
// network_mode service without a container.
Result<Json> container_create_body(const Project& project, const Service& s, int number,
                                   const std::string& image, const std::string& image_id,
                                   const std::function<std::string(const std::string&)>& container_of);

// The com.docker.compose.config-hash of a service: sha256 hex of its canonical JSON without
// the replica count (scale, deploy.replicas), so scaling recreates nothing.
std::string config_hash(const Service& s);

}  // namespace berth::compose
