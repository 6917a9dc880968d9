#include "engine/events.h"

#include <chrono>

namespace berth::engine {
namespace {

constexpr size_t kKept = 1024;

int64_t now_nano() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

Json event_json(const Event& e) {
  Json attrs = Json::object();
  for (auto& [k, v] : e.attributes) attrs[k] = v;
  Json j = {{"Type", e.type},
            {"Action", e.action},
            {"Actor", {{"ID", e.id}, {"Attributes", attrs}}},
            {"scope", "local"},
            {"time", e.time_nano / 1000000000},
            {"timeNano", e.time_nano}};
  // The fields of API < 1.22 that the docker CLI still reads for containers.
  if (e.type == "container") {
    j["status"] = e.action;
    j["id"] = e.id;
    if (auto i = e.attributes.find("image"); i != e.attributes.end()) j["from"] = i->second;
  }
  return j;
}

void Events::emit(Event e) {
  std::lock_guard<std::mutex> l(mu_);
  e.time_nano = now_nano();
  recent_.push_back(std::move(e));
  if (recent_.size() > kKept) recent_.pop_front();
  ++seq_;
  cv_.notify_all();
}

void Events::subscribe(int64_t since_nano, int64_t until_nano, bool follow,
                       const std::function<bool(const Event&)>& match,
                       const std::function<Result<void>(const Event&)>& sink,
                       const std::function<bool()>& stop) {
  std::unique_lock<std::mutex> l(mu_);
  // The past first (only when asked for with since), then what comes.
  uint64_t next = seq_ + 1;
  if (since_nano > 0) {
    next = seq_ - recent_.size() + 1;
  }
  for (;;) {
    uint64_t first = seq_ - recent_.size() + 1;
    if (next < first) next = first;  // dropped from memory meanwhile
    while (next <= seq_) {
      Event e = recent_[next - first];
      ++next;
      if (e.time_nano < since_nano || (until_nano > 0 && e.time_nano > until_nano) || !match(e)) continue;
      l.unlock();
      bool ok = sink(e).has_value();
      l.lock();
      if (!ok) return;
      first = seq_ - recent_.size() + 1;
      if (next < first) next = first;
    }
    if (!follow || (until_nano > 0 && now_nano() > until_nano)) return;
    cv_.wait_for(l, std::chrono::seconds(1));
    l.unlock();
    bool stopped = stop && stop();
    l.lock();
    if (stopped) return;
  }
}

}  // namespace berth::engine
