// Progress of pulls, pushes, loads: one event per layer step, in the vocabulary of Docker's
// JSON progress messages (moby pkg/jsonmessage: id, status, progressDetail{current,total}),
// so the daemon can pass them to the docker CLI unchanged and berth's CLI can draw bars.
#pragma once

#include <cstdint>
#include <string>

namespace berth::image {

struct ProgressEvent {
  std::string id;      // 12-hex short digest of the layer, or "" for a whole-image line
  std::string status;  // "Pulling fs layer", "Downloading", "Extracting", "Pull complete", ...
  int64_t current = 0;  // bytes
  int64_t total = 0;    // bytes; 0 = unknown
};

class Progress {
 public:
  virtual ~Progress() = default;
  // May be called from several threads at once.
  virtual void update(const ProgressEvent& e) = 0;
};

// The short form docker prints for a digest: the first 12 hex characters.
inline std::string short_id(const std::string& digest) {
  auto p = digest.find(':');
  return digest.substr(p == std::string::npos ? 0 : p + 1, 12);
}

}  // namespace berth::image
