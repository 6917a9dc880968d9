// Engine::logs: the json-file log of a container, read and followed (docker logs, attach).
#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <deque>
#include <thread>

#include "common/fs.h"
#include "common/time.h"
#include "common/unique_fd.h"
#include "engine/engine_impl.h"

namespace berth::engine {

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
  // Woken by the shim's writes (inotify) and by any state change of the engine (eventfd).
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
  UniqueFd ino(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
  // Closing an inotify instance waits for an SRCU grace period (5-20 ms here): on a thread of
  // its own, not between the container's exit and the end of `docker run`.
  struct CloseLater {
    UniqueFd& fd;
    ~CloseLater() {
      if (fd) std::thread([f = fd.release()] { ::close(f); }).detach();
    }
  } close_later{ino};
  if (ino) {
    ::inotify_add_watch(ino.get(), c.dir.c_str(), IN_MODIFY | IN_MOVED_TO | IN_CREATE);
  }
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
    pollfd p[2] = {{ino.get(), POLLIN, 0}, {wake.get(), POLLIN, 0}};
    ::poll(p, 2, 1000);
    char drain[4096];
    while (ino && ::read(ino.get(), drain, sizeof drain) > 0) {
    }
    while (wake && ::read(wake.get(), drain, 8) > 0) {
    }
  }
}

}  // namespace berth::engine
