// Cleanup: a stack of undo actions run in reverse order unless release() is called, so a
// partly done operation (state dir, cgroup, fifo) is rolled back on every error path.
#pragma once

#include <functional>
#include <utility>
#include <vector>

namespace berth {

class Cleanup {
 public:
  Cleanup() = default;
  Cleanup(const Cleanup&) = delete;
  Cleanup& operator=(const Cleanup&) = delete;
  ~Cleanup() { run(); }

  void push(std::function<void()> undo) { undo_.push_back(std::move(undo)); }
  // Keeps the work: drops every undo action.
  void release() { undo_.clear(); }
  // Undoes now, newest first.
  void run() {
    while (!undo_.empty()) {
      auto fn = std::move(undo_.back());
      undo_.pop_back();
      fn();
    }
  }

 private:
  std::vector<std::function<void()>> undo_;
};

}  // namespace berth
