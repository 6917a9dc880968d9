// Engine::logs: the json-file log of a container, read and followed (docker logs, attach).
#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <deque>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "common/fs.h"
#include "common/time.h"
#include "common/unique_fd.h"
#include "engine/engine_impl.h"

namespace berth::engine {
namespace {

// One inotify instance for every log follower, never closed. Closing an instance waits for an
// SRCU grace period (5-20 ms), and so does whichever process drops the last reference: a
// CNI plugin spawned at that moment inherits the fd and pays it on the path of docker run.
class DirWatch {
 public:
  static DirWatch& get() {
    static DirWatch* w = new DirWatch();  // lives as long as the daemon; its thread too
    return *w;
  }
  // Writes to the eventfd `wake` when a file in `dir` is created, written or renamed into it,
  // until forget(). Returns the watch (-1: none, the follower wakes on engine changes only).
  int watch(const std::string& dir, int wake) {
    std::lock_guard<std::mutex> l(mu_);
    int wd = fd_ < 0 ? -1 : ::inotify_add_watch(fd_, dir.c_str(), IN_MODIFY | IN_MOVED_TO | IN_CREATE);
    if (wd >= 0) wakes_[wd].push_back(wake);
    return wd;
  }
  // Before `wake` is closed: nothing is written to it afterwards.
  void forget(int wd, int wake) {
    std::lock_guard<std::mutex> l(mu_);
    auto it = wakes_.find(wd);
    if (it == wakes_.end()) return;
    std::erase(it->second, wake);
    if (it->second.empty()) {
      wakes_.erase(it);
      ::inotify_rm_watch(fd_, wd);  // cheap: the mark is freed later by the kernel's worker
    }
  }

 private:
  DirWatch() : fd_(::inotify_init1(IN_CLOEXEC)) {
    if (fd_ >= 0) std::thread([this] { run(); }).detach();
  }
  void run() {
    alignas(inotify_event) char buf[4096];
    for (;;) {
      ssize_t n = ::read(fd_, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;
      std::lock_guard<std::mutex> l(mu_);
      for (char* p = buf; p < buf + n;) {
        auto* ev = reinterpret_cast<inotify_event*>(p);
        if (auto it = wakes_.find(ev->wd); it != wakes_.end()) {
          uint64_t one = 1;
          for (int w : it->second) (void)!::write(w, &one, sizeof one);
        }
        p += sizeof(inotify_event) + ev->len;
      }
    }
  }
  std::mutex mu_;
  int fd_;
  std::map<int, std::vector<int>> wakes_;  // watch -> eventfds of its followers
};

}  // namespace

Result<void> Engine::logs(const std::string& ref, const LogOptions& o,
                          const std::function<Result<void>(const LogEntry&)>& sink) {
  BERTH_ASSIGN_OR_RETURN(Container c, get(ref));
  // Still producing output: running, or about to (created/starting) unless a start failed
  // since we began.
  auto running = [&] {
    std::lock_guard<std::mutex> l(impl_->mu);
    auto it = impl_->containers.find(c.id);
    if (it == impl_->containers.end()) return false;
    const State& st = it->second.state;
    return st.status == "running" || st.status == "paused" || st.status == "starting" ||
           (st.status == "created" && st.start_failures == c.state.start_failures);
  };
  auto emit = [&](const std::string& line) -> Result<void> {
    auto j = parse_json(line, "log");
    if (!j || !j->is_object()) return {};
    LogEntry e{j->value("stream", "stdout"), j->value("time", ""), j->value("log", "")};
    if ((e.stream == "stdout" && !o.stdout) || (e.stream == "stderr" && !o.stderr)) return {};
    double t = parse_rfc3339(e.time);
    if (o.since > 0 && t < o.since) return {};
    if (o.until > 0 && t > o.until) return {};
    return sink(e);
  };
  // Rotated files first (oldest = highest number), then the live one.
  std::vector<std::string> files;
  for (int i = 9; i >= 1; --i) {
    std::string f = c.log_path + "." + std::to_string(i);
    if (fs::exists(f)) files.push_back(f);
  }
  files.push_back(c.log_path);
  int64_t offset = 0;
  if (o.from_now) {
    struct stat st {};
    offset = ::stat(c.log_path.c_str(), &st) == 0 ? st.st_size : 0;
    files = {c.log_path};
  } else {
    std::deque<std::string> lines;
    for (auto& f : files) {
      auto text = fs::read_file(f);
      if (!text) continue;
      if (f == c.log_path) offset = static_cast<int64_t>(text->size());
      size_t start = 0;
      for (;;) {
        size_t nl = text->find('\n', start);
        if (nl == std::string::npos) break;
        lines.push_back(text->substr(start, nl - start));
        if (o.tail >= 0 && static_cast<int64_t>(lines.size()) > o.tail) lines.pop_front();
        start = nl + 1;
      }
      if (f == c.log_path) offset = static_cast<int64_t>(start);
    }
    if (o.tail != 0) {
      for (auto& l : lines) BERTH_TRY(emit(l));
    }
  }
  if (!o.follow) return {};
  // Follow: new lines as the shim appends them, until the container is no longer running.
  // Counted as a follower, so that --rm waits for us before removing the log.
  // Woken by the shim's writes (DirWatch) and by any state change of the engine (eventfd).
  UniqueFd wake(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  {
    std::lock_guard<std::mutex> l(impl_->mu);
    ++impl_->followers[c.id];
    if (wake) impl_->wake_fds.push_back(wake.get());
  }
  struct Unfollow {
    Impl* s;
    std::string id;
    int wake;
    ~Unfollow() {
      std::lock_guard<std::mutex> l(s->mu);
      if (auto it = s->followers.find(id); it != s->followers.end() && --it->second <= 0) {
        s->followers.erase(it);
      }
      std::erase(s->wake_fds, wake);
      s->cv.notify_all();
    }
  } unfollow{impl_.get(), c.id, wake.get()};
  // After unfollow in the declaration order, so before it at the end: the watch is gone
  // before the eventfd closes.
  struct Unwatch {
    int wd, wake;
    ~Unwatch() { DirWatch::get().forget(wd, wake); }
  } unwatch{wake ? DirWatch::get().watch(c.dir, wake.get()) : -1, wake.get()};
  std::string pending;
  for (;;) {
    bool alive = running();
    UniqueFd fd(::open(c.log_path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd) {
      struct stat st {};
      ::fstat(fd.get(), &st);
      if (st.st_size < offset) offset = 0;  // rotated: the live file started over
      std::string buf(static_cast<size_t>(st.st_size - offset), '\0');
      ssize_t n = buf.empty() ? 0 : ::pread(fd.get(), buf.data(), buf.size(), offset);
      if (n > 0) {
        offset += n;
        pending.append(buf.data(), static_cast<size_t>(n));
        size_t start = 0;
        for (;;) {
          size_t nl = pending.find('\n', start);
          if (nl == std::string::npos) break;
          BERTH_TRY(emit(pending.substr(start, nl - start)));
          start = nl + 1;
        }
        pending.erase(0, start);
        continue;
      }
    }
    if (!alive) return {};
    pollfd p{wake.get(), POLLIN, 0};
    ::poll(&p, 1, 1000);
    uint64_t drain = 0;
    while (wake && ::read(wake.get(), &drain, sizeof drain) > 0) {
    }
  }
}

}  // namespace berth::engine
