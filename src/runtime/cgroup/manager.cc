#include "runtime/cgroup/manager.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <thread>

#include "common/fs.h"
#include "common/strings.h"

namespace berth::runtime::cgroup {

std::vector<std::string> Manager::dirs() const {
  std::vector<std::string> out;
  for (const auto& h : layout_.v1) {
    out.push_back(h.mountpoint + path_);
  }
  if (!layout_.unified.empty()) {
    out.push_back(layout_.unified + path_);
  }
  return out;
}

namespace {

// A new v1 cpuset cgroup starts with empty cpus/mems, and a task cannot join it until they are
// set: copy them down from the nearest ancestor, one level at a time (runc's cpuset.go).
Result<void> init_cpuset(const std::string& mountpoint, const std::string& path) {
  std::string dir = mountpoint;
  for (auto& part : str::split(path, '/')) {
    if (part.empty()) {
      continue;
    }
    std::string parent = dir;
    dir += "/" + part;
    for (const char* f : {"cpuset.cpus", "cpuset.mems"}) {
      auto cur = fs::read_file(dir + "/" + f);
      if (cur && !str::trim(*cur).empty()) {
        continue;
      }
      BERTH_ASSIGN_OR_RETURN(std::string val, fs::read_file(parent + "/" + f));
      BERTH_TRY(fs::write_control(dir + "/" + f, str::trim(val)));
    }
  }
  return {};
}

// Enables the available controllers in every ancestor's subtree_control (cgroup v2 needs a
// controller enabled in the parent before a child can use it).
void enable_v2_controllers(const std::string& unified, const std::string& path) {
  std::string dir = unified;
  auto parts = str::split(path, '/');
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    if (!parts[i].empty()) {
      dir += "/" + parts[i];
    }
    auto avail = fs::read_file(dir + "/cgroup.controllers");
    auto enabled = fs::read_file(dir + "/cgroup.subtree_control");
    if (!avail) {
      return;
    }
    for (auto& c : str::split(str::trim(*avail), ' ')) {
      if (c.empty() || (enabled && (" " + *enabled + " ").find(" " + c + " ") != std::string::npos)) {
        continue;
      }
      // A controller may be refused (e.g. hybrid hosts, threaded subtrees): the resource write
      // that needs it reports the problem.
      (void)fs::write_control(dir + "/cgroup.subtree_control", "+" + c);
    }
  }
}

// `dir` and every cgroup below it, children before their parents (the order rmdir needs).
std::vector<std::string> subtree(const std::string& dir) {
  std::vector<std::string> out;
  if (auto names = fs::list_dir(dir)) {
    for (const auto& n : *names) {
      const std::string child = dir + "/" + n;
      if (fs::is_dir(child)) {
        auto below = subtree(child);
        out.insert(out.end(), below.begin(), below.end());
      }
    }
  }
  out.push_back(dir);
  return out;
}

std::vector<pid_t> read_pids(const std::string& dir) {
  std::vector<pid_t> out;
  auto text = fs::read_file(dir + "/cgroup.procs");
  if (!text) {
    return out;
  }
  for (auto& line : str::split(*text, '\n')) {
    if (auto v = str::parse_int(str::trim(line)); v && *v > 0) {
      out.push_back(static_cast<pid_t>(*v));
    }
  }
  return out;
}

}  // namespace

Result<void> Manager::create() {
  // A delete of the last other container prunes the shared parent ("/berth") and may do so
  // between our mkdir and our first write: make the dirs again then.
  for (int attempt = 0;; ++attempt) {
    auto r = create_once();
    if (r || r.error().code != Errc::kNotFound || attempt == 5) {
      return r;
    }
  }
}

Result<void> Manager::create_once() {
  if (!layout_.unified.empty() && layout_.pure_v2()) {
    enable_v2_controllers(layout_.unified, path_);
  }
  for (const auto& d : dirs()) {
    auto r = fs::mkdir_all(d, 0755);
    if (!r) {
      return tl::unexpected(wrap(std::move(r.error()), "create cgroup"));
    }
    // A cgroup that already holds processes belongs to someone else: destroying it later would
    // kill them (runc refuses it too).
    if (!read_pids(d).empty()) {
      return make_error(Errc::kAlreadyExists,
                        "cgroup " + path_ + " is in use by other processes (" + d + ")");
    }
  }
  if (const V1Hierarchy* h = layout_.find_v1("cpuset")) {
    auto r = init_cpuset(h->mountpoint, path_);
    if (!r) {
      return tl::unexpected(wrap(std::move(r.error()), "init cpuset cgroup"));
    }
  }
  return {};
}

Result<void> Manager::apply(const spec::Resources& res, std::vector<std::string>& warnings) {
  if (layout_.pure_v2()) {
    return internal::apply_v2(layout_.unified + path_, res, warnings);
  }
  if (!res.unified.empty()) {
    // On a v1 or hybrid host the v2 hierarchy has no resource controllers (runc refuses too).
    return make_error(Errc::kInvalidArgument,
                      "linux.resources.unified: needs a cgroup v2 host (this one is v1/hybrid)");
  }
  return internal::apply_v1(layout_, path_, res, warnings);
}

Result<void> Manager::join_v1_self() const {
  for (const auto& h : layout_.v1) {
    auto r = fs::write_control(h.mountpoint + path_ + "/tasks", "0");
    if (!r) {
      return tl::unexpected(wrap(std::move(r.error()), "join cgroup"));
    }
  }
  return {};
}

UniqueFd Manager::open_v2_dir() const {
  if (layout_.unified.empty()) {
    return UniqueFd();
  }
  return UniqueFd(::open((layout_.unified + path_).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
}

Result<void> Manager::add_process(pid_t pid) {
  const std::string p = std::to_string(pid);
  for (const auto& d : dirs()) {
    auto r = fs::write_control(d + "/cgroup.procs", p);
    if (!r) {
      return tl::unexpected(wrap(std::move(r.error()), "join cgroup"));
    }
  }
  return {};
}

std::vector<pid_t> Manager::pids() const {
  std::string top = layout_.unified + path_;
  if (!layout_.pure_v2()) {
    top = layout_.v1.front().mountpoint + path_;
    for (const char* c : {"freezer", "pids", "memory"}) {
      if (const V1Hierarchy* h = layout_.find_v1(c)) {
        top = h->mountpoint + path_;
        break;
      }
    }
  }
  // The container may have made cgroups of its own below its root.
  std::vector<pid_t> out;
  for (const auto& dir : subtree(top)) {
    auto p = read_pids(dir);
    out.insert(out.end(), p.begin(), p.end());
  }
  return out;
}

Result<void> Manager::freeze(bool frozen) {
  using namespace std::chrono_literals;
  if (is_root()) {
    return make_error(Errc::kInvalidArgument, "refusing to freeze the root cgroup");
  }
  std::string file, want, check_file, check_want;
  if (const V1Hierarchy* h = layout_.find_v1("freezer")) {
    file = check_file = h->mountpoint + path_ + "/freezer.state";
    want = check_want = frozen ? "FROZEN" : "THAWED";
  } else if (!layout_.unified.empty()) {
    file = layout_.unified + path_ + "/cgroup.freeze";
    want = frozen ? "1" : "0";
    check_file = layout_.unified + path_ + "/cgroup.events";
    check_want = frozen ? "frozen 1" : "frozen 0";
  } else {
    return make_error(Errc::kNotImplemented, "no cgroup freezer on this host");
  }
  BERTH_TRY(fs::write_control(file, want));
  auto deadline = std::chrono::steady_clock::now() + 2s;
  for (;;) {
    auto state = fs::read_file(check_file);
    if (state && state->find(check_want) != std::string::npos) {
      return {};
    }
    if (std::chrono::steady_clock::now() > deadline) {
      if (frozen) {
        (void)freeze(false);  // not left half frozen (runc thaws back too)
      }
      return make_error(Errc::kDeadlineExceeded,
                        "cgroup " + path_ + " did not become " + check_want);
    }
    // v1 FREEZING: writing FROZEN again retries the tasks that were busy.
    if (frozen && file == check_file) {
      (void)fs::write_control(file, want);
    }
    std::this_thread::sleep_for(1ms);
  }
}

bool Manager::frozen() const {
  if (const V1Hierarchy* h = layout_.find_v1("freezer")) {
    auto s = fs::read_file(h->mountpoint + path_ + "/freezer.state");
    return s && str::trim(*s) == "FROZEN";
  }
  if (!layout_.unified.empty()) {
    auto s = fs::read_file(layout_.unified + path_ + "/cgroup.events");
    return s && s->find("frozen 1") != std::string::npos;
  }
  return false;
}

void Manager::signal_all(int sig) const {
  if (is_root()) {
    return;  // never the host's processes
  }
  for (pid_t p : pids()) {
    ::kill(p, sig);
  }
}

Result<void> Manager::destroy() {
  using namespace std::chrono_literals;
  if (is_root()) {
    return make_error(Errc::kInvalidArgument, "refusing to destroy the root cgroup");
  }
  signal_all(SIGKILL);
  if (frozen()) {
    (void)freeze(false);  // the pending SIGKILL lands as the tasks thaw: none runs on
  }
  auto deadline = std::chrono::steady_clock::now() + 2s;
  for (;;) {
    auto left = pids();
    if (left.empty()) {
      break;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      return make_error(Errc::kConflict, "cgroup " + path_ + ": " +
                                             std::to_string(left.size()) +
                                             " process(es) did not exit after SIGKILL");
    }
    for (pid_t p : left) {
      ::kill(p, SIGKILL);
    }
    std::this_thread::sleep_for(1ms);
  }
  for (const auto& top : dirs()) {
    for (const auto& d : subtree(top)) {
      for (int attempt = 0;; ++attempt) {
        if (::rmdir(d.c_str()) == 0 || errno == ENOENT) {
          break;
        }
        // EBUSY: a just-killed task is still being reaped by the kernel.
        if (errno != EBUSY || attempt > 200) {
          return sys_error(errno, "remove cgroup `" + d + "`");
        }
        std::this_thread::sleep_for(1ms);
      }
    }
  }
  return {};
}

Result<void> Manager::destroy_and_prune_parent() {
  BERTH_TRY(destroy());
  auto slash = path_.find_last_of('/');
  if (slash == 0 || slash == std::string::npos) {
    return {};
  }
  for (const auto& dir : Manager(layout_, path_.substr(0, slash)).dirs()) {
    ::rmdir(dir.c_str());  // fails, as it should, while other containers live there
  }
  return {};
}

namespace internal {

Result<void> write_knob(const std::string& dir, const std::string& file, const std::string& value,
                        std::string_view label, std::string_view missing,
                        std::vector<std::string>& warnings) {
  auto r = fs::write_control(dir + "/" + file, value);
  if (!r) {
    if (r.error().sys_errno == ENOENT) {
      warnings.push_back(std::string(label) + ": " + file + " " + std::string(missing) +
                         "; ignored");
      return {};
    }
    return tl::unexpected(Error{Errc::kInvalidArgument, r.error().message, r.error().sys_errno});
  }
  return {};
}

}  // namespace internal

}  // namespace berth::runtime::cgroup
