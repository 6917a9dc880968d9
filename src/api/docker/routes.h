// The Docker Engine API's endpoints (moby api/swagger.yaml, API version 1.43), grouped by
// resource. Each add_*_routes registers its handlers on the router.
#pragma once

#include <string>
#include <vector>

#include "api/docker/http.h"
#include "build/builder.h"
#include "engine/engine.h"
#include "image/service.h"

namespace berth::api {

struct DaemonContext {
  image::ImageService* images = nullptr;
  engine::Engine* engine = nullptr;
  build::Builder* builder = nullptr;
  std::string data_root;
  std::vector<std::string> insecure_registries;
};

// /_ping, /version, /info, /system/df.
void add_system_routes(Router& r, DaemonContext& ctx);
// /images/...: json, {name}/json, create (pull and import), {name}/push, {name}/tag,
// DELETE {name}, {name}/history, get, load, prune.
void add_image_routes(Router& r, DaemonContext& ctx);
// /containers/...: create, start, stop, restart, kill, wait, DELETE, json, list, logs, attach,
// prune.
void add_container_routes(Router& r, DaemonContext& ctx);
// /containers/{id}/archive (HEAD, GET, PUT), export, changes.
void add_container_file_routes(Router& r, DaemonContext& ctx);
// /volumes/...: create, list (dangling filter), inspect, DELETE (409 in use), prune.
void add_volume_routes(Router& r, DaemonContext& ctx);
// /build (the legacy builder's API) and /build/prune.
void add_build_routes(Router& r, DaemonContext& ctx);
// /networks/...: list, inspect, create, connect, disconnect, DELETE, prune.
void add_network_routes(Router& r, DaemonContext& ctx);

}  // namespace berth::api
