// Pipe: a bounded, thread-safe byte queue between one producer and one consumer thread
// (download -> unpack, decompress -> tar reader), so that the stages of a layer's pipeline
// run at the same time while memory stays flat. Internal to the image layer.
#pragma once

#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"

namespace berth::image {

class Pipe {
 public:
  explicit Pipe(size_t cap_bytes = 32 << 20) : cap_(cap_bytes) {}

  // Blocks while the queue is full. Errors: kCanceled once the consumer gave up.
  Result<void> write(const char* data, size_t len) {
    std::unique_lock<std::mutex> l(mu_);
    cv_.wait(l, [&] { return bytes_ < cap_ || canceled_; });
    if (canceled_) return make_error(Errc::kCanceled, "reader stopped");
    // Chunk buffers are reused: a fresh megabyte per chunk would be an mmap, page faults
    // and munmap each time (glibc serves large allocations with mmap).
    std::string chunk;
    if (!free_.empty()) {
      chunk = std::move(free_.back());
      free_.pop_back();
    }
    chunk.assign(data, len);
    q_.push_back(std::move(chunk));
    bytes_ += len;
    cv_.notify_all();
    return {};
  }
  // Ends the stream; with an error the consumer fails with it instead of seeing the end.
  void close(std::optional<Error> err = std::nullopt) {
    std::lock_guard<std::mutex> l(mu_);
    eof_ = true;
    err_ = std::move(err);
    cv_.notify_all();
  }
  // The consumer stops reading: a blocked or later write() fails.
  void cancel() {
    std::lock_guard<std::mutex> l(mu_);
    canceled_ = true;
    cv_.notify_all();
  }
  // Up to `cap` bytes; 0 at the end. Blocks while empty.
  Result<size_t> read(char* buf, size_t cap) {
    std::unique_lock<std::mutex> l(mu_);
    cv_.wait(l, [&] { return !q_.empty() || eof_; });
    if (q_.empty()) {
      if (err_) return tl::unexpected(*err_);
      return size_t{0};
    }
    std::string& front = q_.front();
    size_t n = std::min(cap, front.size() - off_);
    std::memcpy(buf, front.data() + off_, n);
    off_ += n;
    if (off_ == front.size()) {
      bytes_ -= front.size();
      if (free_.size() < 8) free_.push_back(std::move(front));
      q_.pop_front();
      off_ = 0;
      cv_.notify_all();
    }
    return n;
  }

 private:
  size_t cap_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> q_;
  std::vector<std::string> free_;
  size_t bytes_ = 0, off_ = 0;
  bool eof_ = false, canceled_ = false;
  std::optional<Error> err_;
};

}  // namespace berth::image
