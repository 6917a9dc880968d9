// A container's files from outside: docker cp both ways (archive HEAD/GET/PUT), export and
// diff (moby daemon/archive.go, export.go, changes.go). Paths are resolved inside the
// container's root, or inside the volume or bind mounted at that path, with
// openat2(RESOLVE_IN_ROOT), so that no symlink in the container leads the daemon outside it;
// a running container is frozen while it is read, as dockerd pauses it (CVE-2018-15664).
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>

#include "common/fs.h"
#include "common/strings.h"
#include "common/time.h"
#include "common/unique_fd.h"
#include "engine/engine_impl.h"
#include "image/layer.h"
#include "runtime/container.h"

namespace berth::engine {
namespace {

// Go's os.FileMode bits for a stat mode (the CLI reads the stat header with them).
uint32_t go_file_mode(mode_t m) {
  uint32_t out = m & 0777;
  if (S_ISDIR(m)) out |= 1u << 31;
  if (S_ISLNK(m)) out |= 1u << 27;
  if (S_ISBLK(m)) out |= 1u << 26;
  if (S_ISCHR(m)) out |= (1u << 26) | (1u << 21);
  if (S_ISFIFO(m)) out |= 1u << 25;
  if (S_ISSOCK(m)) out |= 1u << 24;
  if (m & S_ISUID) out |= 1u << 23;
  if (m & S_ISGID) out |= 1u << 22;
  if (m & S_ISVTX) out |= 1u << 20;
  return out;
}

// Where a container path lives: the root it is resolved in and the rest of the path.
struct Location {
  std::string root;  // host directory: the rootfs, or a volume's / bind's source
  std::string rel;   // relative path below root ("" = root itself)
  bool read_only = false;
};

// The files the engine bind-mounts over the image's (its own /etc/hosts and friends).
constexpr const char* kNameFiles[] = {"/etc/hostname", "/etc/hosts", "/etc/resolv.conf"};

Location locate(const Container& c, const std::string& rootfs, const std::string& path) {
  for (const char* f : kNameFiles) {
    if (path == f) return {c.dir, path.substr(5), false};
  }
  Location best{rootfs, path.substr(1), c.host_config.value("ReadonlyRootfs", false)};
  size_t best_len = 0;
  for (auto& m : c.mounts.is_array() ? c.mounts : Json::array()) {
    std::string type = m.value("Type", ""), dest = m.value("Destination", "");
    if (type == "tmpfs" || dest.empty()) continue;
    if ((path == dest || path.starts_with(dest + "/")) && dest.size() > best_len) {
      best_len = dest.size();
      best = {m.value("Source", ""), path.size() > dest.size() ? path.substr(dest.size() + 1) : "",
              !m.value("RW", true)};
    }
  }
  return best;
}

}  // namespace

// Runs `fn` with the container's root file system mounted (mounting a stopped container's for
// the call) and the container frozen when it runs (and `freeze`).
Result<void> Engine::Impl::with_rootfs(const std::string& ref, bool freeze,
                                       const std::function<Result<void>(const Container&)>& fn) {
  Container c;
  {
    std::lock_guard<std::mutex> l(mu);
    BERTH_ASSIGN_OR_RETURN(Container * p, find(ref));
    c = *p;
  }
  bool running = c.state.status == "running" || c.state.status == "paused";
  bool mounted_here = false;
  if (!running) {
    finish_detach(c.id);  // the exit's unmount must not take this mount with it
    BERTH_TRY(mount_rootfs(c));
    mounted_here = true;
  }
  runtime::Runtime rt(opts.runtime_root, [](const std::string&) {});
  bool frozen_here = freeze && c.state.status == "running" && rt.pause(c.id).has_value();
  auto r = fn(c);
  if (frozen_here) (void)rt.resume(c.id);
  if (mounted_here) {
    std::lock_guard<std::mutex> l(mu);
    auto p = find(c.id);
    // Started meanwhile: the mount is its own now.
    if (!p || ((*p)->state.status != "running" && (*p)->state.status != "starting")) unmount_rootfs(c.dir);
  }
  return r;
}

Result<PathStat> Engine::path_stat(const std::string& ref, const std::string& path_in) {
  PathStat out;
  std::string path = fs::clean_path("/" + path_in);
  BERTH_TRY(impl_->with_rootfs(ref, false, [&](const Container& c) -> Result<void> {
    Location loc = locate(c, impl_->rootfs(c), path);
    UniqueFd root(::open(loc.root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!root) return sys_error(errno, "open the root of " + c.name);
    std::string base = loc.rel.substr(loc.rel.rfind('/') + 1);
    std::string parent = loc.rel.find('/') == std::string::npos ? "" : loc.rel.substr(0, loc.rel.rfind('/'));
    UniqueFd dir(fs::open_in_root(root.get(), parent, O_PATH | O_DIRECTORY));
    struct stat st {};
    if (!dir || ::fstatat(dir.get(), loc.rel.empty() ? "" : base.c_str(), &st,
                          AT_SYMLINK_NOFOLLOW | (loc.rel.empty() ? AT_EMPTY_PATH : 0)) < 0) {
      return make_error(Errc::kNotFound, "Could not find the file " + path_in + " in container " + c.name);
    }
    out.name = loc.rel.empty() ? path.substr(path.rfind('/') + 1) : base;
    if (out.name.empty()) out.name = "/";
    out.size = st.st_size;
    out.mode = go_file_mode(st.st_mode);
    out.mtime = rfc3339(st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
    if (S_ISLNK(st.st_mode)) {
      std::string target(4096, '\0');
      ssize_t n = ::readlinkat(dir.get(), base.c_str(), target.data(), target.size());
      if (n > 0) {
        target.resize(static_cast<size_t>(n));
        out.link_target = fs::clean_path(target.starts_with("/") ? target : path.substr(0, path.rfind('/')) + "/" + target);
      }
    }
    return {};
  }));
  return out;
}

Result<void> Engine::archive_get(const std::string& ref, const std::string& path_in,
                                 const std::function<Result<void>(const char*, size_t)>& write) {
  std::string path = fs::clean_path("/" + path_in);
  // "dir/." asks for the contents of dir (the CLI's "copy the contents" form).
  bool contents = path_in.ends_with("/.") || path_in == ".";
  return impl_->with_rootfs(ref, true, [&](const Container& c) -> Result<void> {
    Location loc = locate(c, impl_->rootfs(c), path);
    UniqueFd root(::open(loc.root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!root) return sys_error(errno, "open the root of " + c.name);
    std::string base = loc.rel.substr(loc.rel.rfind('/') + 1);
    std::string parent = loc.rel.find('/') == std::string::npos ? "" : loc.rel.substr(0, loc.rel.rfind('/'));
    UniqueFd dir(fs::open_in_root(root.get(), loc.rel.empty() ? "" : parent, O_PATH | O_DIRECTORY));
    if (!dir) return make_error(Errc::kNotFound, "Could not find the file " + path_in + " in container " + c.name);
    std::string host = "/proc/self/fd/" + std::to_string(dir.get()) + (loc.rel.empty() ? "" : "/" + base);
    std::string name = contents ? "." : path == "/" ? "." : path.substr(path.rfind('/') + 1);
    struct stat st {};
    if (::lstat(host.c_str(), &st) < 0) {
      return make_error(Errc::kNotFound, "Could not find the file " + path_in + " in container " + c.name);
    }
    return image::write_resource(host, name, write);
  });
}

Result<void> Engine::archive_put(const std::string& ref, const std::string& path_in,
                                 const std::string& tar_file, bool copy_uid_gid) {
  std::string path = fs::clean_path("/" + path_in);
  return impl_->with_rootfs(ref, false, [&](const Container& c) -> Result<void> {
    Location loc = locate(c, impl_->rootfs(c), path);
    if (loc.read_only) {
      return make_error(Errc::kPermissionDenied, "container rootfs is marked read-only");
    }
    UniqueFd root(::open(loc.root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!root) return sys_error(errno, "open the root of " + c.name);
    UniqueFd dir(fs::open_in_root(root.get(), loc.rel, O_PATH | O_DIRECTORY));
    if (!dir) {
      if (errno == ENOTDIR) {
        return make_error(Errc::kInvalidArgument, "extraction point is not a directory");
      }
      return make_error(Errc::kNotFound, "Could not find the file " + path_in + " in container " + c.name);
    }
    image::UnpackOptions o;
    o.overlay_whiteouts = false;
    o.keep_owner = copy_uid_gid;
    auto r = image::unpack_layer(image::file_reader(tar_file),
                                 "/proc/self/fd/" + std::to_string(dir.get()), o);
    if (!r) return tl::unexpected(r.error());
    return {};
  });
}

Result<void> Engine::export_rootfs(const std::string& ref,
                                   const std::function<Result<void>(const char*, size_t)>& write) {
  return impl_->with_rootfs(ref, true, [&](const Container& c) -> Result<void> {
    return image::write_layer(impl_->rootfs(c), false, write);
  });
}

Result<std::vector<std::pair<int, std::string>>> Engine::changes(const std::string& ref) {
  std::string id;
  {
    std::lock_guard<std::mutex> l(impl_->mu);
    BERTH_ASSIGN_OR_RETURN(Container * p, impl_->find(ref));
    id = p->id;
  }
  std::vector<std::pair<int, std::string>> out;
  auto m = impl_->images->snapshots().mounts(id);
  if (!m) return out;  // never started: no changes
  std::string upper;
  std::vector<std::string> lowers;
  for (auto& o : m->options) {
    if (o.starts_with("upperdir=")) upper = o.substr(9);
    if (o.starts_with("lowerdir=")) lowers = str::split(o.substr(9), ':');
  }
  if (upper.empty()) return out;
  auto in_lower = [&](const std::string& rel) {
    struct stat st {};
    return std::any_of(lowers.begin(), lowers.end(),
                       [&](auto& l) { return ::lstat((l + rel).c_str(), &st) == 0; });
  };
  // Upper dir entries (moby pkg/archive changes for overlay): a 0/0 character device is a
  // deletion, an entry the lower layers have is a change, anything else is added.
  std::function<void(const std::string&)> walk = [&](const std::string& rel) {
    auto names = fs::list_dir(upper + rel).value_or(std::vector<std::string>{});
    std::sort(names.begin(), names.end());
    for (auto& n : names) {
      std::string r = rel + "/" + n;
      // The mount points of the engine's name files are not the user's changes (docker keeps
      // them in an init layer).
      if (std::find(std::begin(kNameFiles), std::end(kNameFiles), r) != std::end(kNameFiles)) continue;
      struct stat st {};
      if (::lstat((upper + r).c_str(), &st) < 0) continue;
      if (S_ISCHR(st.st_mode) && st.st_rdev == 0) {
        out.emplace_back(2, r);
        continue;
      }
      bool existed = in_lower(r);
      out.emplace_back(existed ? 0 : 1, r);
      if (S_ISDIR(st.st_mode)) {
        if (!existed) {
          // Everything below a new directory is new as well.
          std::function<void(const std::string&)> added = [&](const std::string& d) {
            auto kids = fs::list_dir(upper + d).value_or(std::vector<std::string>{});
            std::sort(kids.begin(), kids.end());
            for (auto& k : kids) {
              out.emplace_back(1, d + "/" + k);
              struct stat ks {};
              // lstat: a symlink to a directory is an entry, never followed.
              if (::lstat((upper + d + "/" + k).c_str(), &ks) == 0 && S_ISDIR(ks.st_mode)) {
                added(d + "/" + k);
              }
            }
          };
          added(r);
        } else {
          walk(r);
        }
      }
    }
  };
  walk("");
  return out;
}

}  // namespace berth::engine
