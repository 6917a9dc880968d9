// docker events: what happened to containers, images, networks and volumes, as the Engine
// API's EventMessage (api/swagger.yaml; moby daemon/events). The daemon keeps the last 1024 in
// memory (none survive a restart, as dockerd's) and streams new ones to subscribers.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>

#include "common/error.h"
#include "common/json.h"

namespace berth::engine {

struct Event {
  std::string type;    // container, image, network, volume
  std::string action;  // create, start, die, destroy, health_status: healthy, pull, ...
  std::string id;      // the actor
  std::map<std::string, std::string> attributes;  // name, image, exitCode, labels...
  int64_t time_nano = 0;
};

// docker's EventMessage JSON of `e`.
Json event_json(const Event& e);

class Events {
 public:
  // Records `e` (time_nano set here) and wakes subscribers.
  void emit(Event e);
  // Calls `sink` for each recorded event at or after `since_nano` and, when `follow`, for
  // every new one until `until_nano` (0 = never) passes, `sink` fails or `stop()` says so
  // (checked about once a second). Events for which `match` is false are skipped.
  void subscribe(int64_t since_nano, int64_t until_nano, bool follow,
                 const std::function<bool(const Event&)>& match,
                 const std::function<Result<void>(const Event&)>& sink,
                 const std::function<bool()>& stop);

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Event> recent_;
  uint64_t seq_ = 0;  // events ever emitted; recent_.back() is number seq_
};

}  // namespace berth::engine
