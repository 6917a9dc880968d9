#include "build/copy.h"

#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <functional>
#include <map>
#include <mutex>
#include <optional>

#include "common/digest.h"
#include "common/fs.h"
#include "common/strings.h"
#include "common/unique_fd.h"
#include "engine/spec_builder.h"
#include "image/layer.h"

namespace berth::build {
namespace {

bool has_glob(const std::string& s) { return s.find_first_of("*?[") != std::string::npos; }

std::vector<std::string> list_fd(int dirfd) {
  std::vector<std::string> out;
  int dup = ::openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dup < 0) return out;
  DIR* d = ::fdopendir(dup);
  if (!d) {
    ::close(dup);
    return out;
  }
  while (dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") out.push_back(n);
  }
  ::closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

// The paths (relative, cleaned; "" = the root) the sources match under the root `rootfd`.
Result<std::vector<std::string>> match_sources(int rootfd, const std::vector<std::string>& sources,
                                                const IgnoreMatcher* ignore) {
  std::vector<std::string> out;
  for (auto& src : sources) {
    // A source that climbs out of the context is refused, as the legacy builder does (BuildKit
    // would clamp it to the context's root instead).
    if (fs::clean_path(src).starts_with("..")) {
      return make_error(Errc::kInvalidArgument, "COPY failed: forbidden path outside the build context: " + src);
    }
    std::string rel = fs::clean_path("/" + src).substr(1);
    if (!has_glob(rel)) {
      UniqueFd f = fs::open_in_root(rootfd, rel, O_PATH | O_NOFOLLOW);
      if (!f || (ignore && ignore->excluded(rel))) {
        return make_error(Errc::kInvalidArgument, "COPY failed: file not found in build context or "
                                                  "excluded by .dockerignore: stat " + src +
                                                      ": file does not exist");
      }
      out.push_back(rel);
      continue;
    }
    // Component by component, as Go's filepath.Glob.
    std::vector<std::string> found = {""};
    for (auto& comp : str::split(rel, '/')) {
      std::vector<std::string> next;
      for (auto& base : found) {
        UniqueFd d = fs::open_in_root(rootfd, base, O_RDONLY | O_DIRECTORY);
        if (!d) continue;
        for (auto& n : list_fd(d.get())) {
          std::string path = base.empty() ? n : base + "/" + n;
          if (::fnmatch(comp.c_str(), n.c_str(), 0) == 0 && !(ignore && ignore->excluded(path))) {
            next.push_back(path);
          }
        }
      }
      found.swap(next);
    }
    if (found.empty()) {
      return make_error(Errc::kInvalidArgument, "COPY failed: no source files were specified (" + src +
                                                    " matches nothing in the build context)");
    }
    out.insert(out.end(), found.begin(), found.end());
  }
  return out;
}

struct Owner {
  uid_t uid = 0;
  gid_t gid = 0;
  std::optional<mode_t> mode;
};

// One entry `name` of `src_dir` as `dst_name` in `dst_dir`, directories recursively, never
// following a symlink; owner and mode from `o` (mode: the source's when not given).
Result<void> copy_entry(int src_dir, const std::string& name, int dst_dir, const std::string& dst_name,
                        const Owner& o, const std::string& rel = "", const IgnoreMatcher* ignore = nullptr) {
  struct stat st {};
  if (::fstatat(src_dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) return sys_error(errno, "stat `" + name + "`");
  mode_t mode = o.mode ? *o.mode : (st.st_mode & 07777);
  timespec times[2] = {st.st_mtim, st.st_mtim};
  struct stat existing {};
  bool exists = ::fstatat(dst_dir, dst_name.c_str(), &existing, AT_SYMLINK_NOFOLLOW) == 0;
  if (S_ISDIR(st.st_mode)) {
    if (exists && !S_ISDIR(existing.st_mode)) ::unlinkat(dst_dir, dst_name.c_str(), 0);
    if ((!exists || !S_ISDIR(existing.st_mode)) && ::mkdirat(dst_dir, dst_name.c_str(), 0700) < 0) {
      return sys_error(errno, "create `" + dst_name + "`");
    }
    UniqueFd s(::openat(src_dir, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    UniqueFd d(::openat(dst_dir, dst_name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!s || !d) return sys_error(errno, "open `" + name + "`");
    for (auto& n : list_fd(s.get())) {
      std::string child = rel.empty() ? n : rel + "/" + n;
      if (ignore && ignore->excluded(child)) continue;
      BERTH_TRY(copy_entry(s.get(), n, d.get(), n, o, child, ignore));
    }
    (void)::fchown(d.get(), o.uid, o.gid);
    (void)::fchmod(d.get(), mode);
    (void)::futimens(d.get(), times);
    return {};
  }
  if (exists) {
    if (S_ISDIR(existing.st_mode)) {
      return make_error(Errc::kInvalidArgument, "cannot overwrite directory `" + dst_name + "` with a file");
    }
    ::unlinkat(dst_dir, dst_name.c_str(), 0);
  }
  if (S_ISLNK(st.st_mode)) {
    std::string target(static_cast<size_t>(st.st_size) + 1, '\0');
    ssize_t n = ::readlinkat(src_dir, name.c_str(), target.data(), target.size());
    if (n < 0) return sys_error(errno, "readlink `" + name + "`");
    target.resize(static_cast<size_t>(n));
    if (::symlinkat(target.c_str(), dst_dir, dst_name.c_str()) < 0) return sys_error(errno, "symlink `" + dst_name + "`");
    (void)::fchownat(dst_dir, dst_name.c_str(), o.uid, o.gid, AT_SYMLINK_NOFOLLOW);
    return {};
  }
  if (!S_ISREG(st.st_mode)) return {};  // devices, fifos and sockets are not build content
  UniqueFd s(::openat(src_dir, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  UniqueFd d(::openat(dst_dir, dst_name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!s || !d) return sys_error(errno, "copy `" + name + "`");
  // copy_file_range shares extents where it can; across file systems (context -> overlay)
  // older kernels refuse it, and then the bytes go through a buffer.
  bool plain = false;
  char buf[64 * 1024];
  for (off_t left = st.st_size; left > 0;) {
    ssize_t n = plain ? ::read(s.get(), buf, sizeof buf)
                      : ::copy_file_range(s.get(), nullptr, d.get(), nullptr, static_cast<size_t>(left), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && !plain && (errno == EXDEV || errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP)) {
      plain = true;
      continue;
    }
    if (n <= 0) return sys_error(n < 0 ? errno : EIO, "copy `" + name + "`");
    if (plain && ::write(d.get(), buf, static_cast<size_t>(n)) != n) return sys_error(errno, "write `" + dst_name + "`");
    left -= n;
  }
  (void)::fchown(d.get(), o.uid, o.gid);
  (void)::fchmod(d.get(), mode);  // after chown, which clears set-id bits
  (void)::futimens(d.get(), times);
  return {};
}

// Whether the regular file `fd` starts like an archive ADD extracts (tar, gzip, bzip2, xz,
// zstd), as moby's archive.DetectCompression plus a tar header check.
bool is_archive(int fd) {
  unsigned char b[512] = {};
  ssize_t n = ::pread(fd, b, sizeof b, 0);
  if (n >= 2 && b[0] == 0x1f && b[1] == 0x8b) return true;
  if (n >= 3 && b[0] == 'B' && b[1] == 'Z' && b[2] == 'h') return true;
  if (n >= 6 && b[0] == 0xfd && b[1] == '7' && b[2] == 'z' && b[3] == 'X' && b[4] == 'Z' && b[5] == 0) return true;
  if (n >= 4 && b[0] == 0x28 && b[1] == 0xb5 && b[2] == 0x2f && b[3] == 0xfd) return true;
  return n >= 262 && std::string_view(reinterpret_cast<char*>(b) + 257, 5) == "ustar";
}

// Digests of file contents by identity and change time (device, inode, size, mtime, ctime,
// mode): a rebuild from a context read in place re-reads only what changed. An uploaded
// context is unpacked anew each time (new inodes and ctimes), so it is always read: its tar
// mtimes have whole seconds and would hide a same-second edit.
std::string file_digest(int fd, const std::string& rel, const struct stat& st) {
  static std::mutex mu;
  static std::map<std::string, std::string> cache;
  std::string key = rel + "\n" + std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino) + "\n" +
                    std::to_string(st.st_size) + "\n" + std::to_string(st.st_mtim.tv_sec) + "." +
                    std::to_string(st.st_mtim.tv_nsec) + "\n" + std::to_string(st.st_ctim.tv_sec) + "." +
                    std::to_string(st.st_ctim.tv_nsec) + "\n" + std::to_string(st.st_mode);
  {
    std::lock_guard<std::mutex> l(mu);
    if (auto it = cache.find(key); it != cache.end()) return it->second;
  }
  Sha256 h;
  char buf[64 * 1024];
  for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) h.update(buf, static_cast<size_t>(n));
  std::string d = h.digest();
  std::lock_guard<std::mutex> l(mu);
  if (cache.size() > 200000) cache.clear();
  cache[key] = d;
  return d;
}

void hash_tree(int dirfd, const std::string& name, const std::string& rel, Sha256& h,
               const IgnoreMatcher* ignore) {
  if (ignore && rel.size() > 1 && ignore->excluded(rel.substr(1))) return;
  struct stat st {};
  if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) return;
  // The context root's own mode is not content (an uploaded context is unpacked into a
  // directory of the daemon's, a context read in place is the user's).
  if (name != ".") h.update(rel + "\n" + std::to_string(st.st_mode) + "\n");
  if (S_ISLNK(st.st_mode)) {
    char target[4096];
    ssize_t n = ::readlinkat(dirfd, name.c_str(), target, sizeof target);
    if (n > 0) h.update(target, static_cast<size_t>(n));
  } else if (S_ISREG(st.st_mode)) {
    UniqueFd f(::openat(dirfd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (f) h.update(file_digest(f.get(), rel, st));
  } else if (S_ISDIR(st.st_mode)) {
    UniqueFd d(::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!d) return;
    for (auto& n : list_fd(d.get())) hash_tree(d.get(), n, rel + "/" + n, h, ignore);
  }
}

// The parent dir fd and base name of `rel` under root (for the root itself: root and ".").
std::pair<UniqueFd, std::string> parent_of(int rootfd, const std::string& rel) {
  auto slash = rel.rfind('/');
  std::string parent = slash == std::string::npos ? "" : rel.substr(0, slash);
  std::string base = rel.empty() ? "." : rel.substr(slash == std::string::npos ? 0 : slash + 1);
  return {fs::open_in_root(rootfd, parent, O_RDONLY | O_DIRECTORY), base};
}

}  // namespace

Result<std::string> content_digest(const std::string& root, const CopySpec& spec) {
  UniqueFd rootfd(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!rootfd) return sys_error(errno, "open the build context");
  BERTH_ASSIGN_OR_RETURN(auto paths, match_sources(rootfd.get(), spec.sources, spec.ignore));
  Sha256 h;
  for (auto& p : paths) {
    auto [dir, base] = parent_of(rootfd.get(), p);
    if (dir) hash_tree(dir.get(), base, "/" + p, h, spec.ignore);
  }
  for (auto& f : spec.inline_files) h.update("inline " + f.name + "\n" + f.data);
  return h.digest();
}

Result<void> copy_into(const std::string& src_root, const CopySpec& spec, const std::string& dst_root) {
  UniqueFd src(::open(src_root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!src) return sys_error(errno, "open the copy source");
  BERTH_ASSIGN_OR_RETURN(auto paths, match_sources(src.get(), spec.sources, spec.ignore));
  Owner owner;
  if (!spec.chown.empty()) {
    BERTH_ASSIGN_OR_RETURN(OrderedJson u, engine::resolve_user(spec.chown, dst_root));
    owner.uid = u.value("uid", 0u);
    owner.gid = u.value("gid", 0u);
  }
  if (!spec.chmod.empty()) {
    char* end = nullptr;
    long m = std::strtol(spec.chmod.c_str(), &end, 8);
    if (!end || *end || m < 0 || m > 07777) {
      return make_error(Errc::kInvalidArgument, "invalid chmod parameter: " + spec.chmod);
    }
    owner.mode = static_cast<mode_t>(m);
  }
  std::string dest = spec.dest;
  if (!dest.starts_with("/")) dest = (spec.workdir.empty() ? "/" : spec.workdir) + "/" + dest;
  bool dest_dir = spec.dest.ends_with("/") || spec.dest.ends_with("/.") || paths.size() + spec.inline_files.size() > 1;
  std::string clean_dest = fs::clean_path(dest).substr(1);
  UniqueFd dst(::open(dst_root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dst) return sys_error(errno, "open the step's root");
  if (UniqueFd existing = fs::open_in_root(dst.get(), clean_dest, O_RDONLY | O_DIRECTORY)) dest_dir = true;

  // Where an entry goes: into the destination directory (made as needed) or as the destination.
  auto target = [&](bool into_dir, const std::string& base) -> Result<std::pair<UniqueFd, std::string>> {
    std::string dir = into_dir ? clean_dest : clean_dest.substr(0, clean_dest.rfind('/') == std::string::npos ? 0 : clean_dest.rfind('/'));
    BERTH_TRY(fs::mkdir_in_root(dst_root, dir));
    UniqueFd d = fs::open_in_root(dst.get(), dir, O_RDONLY | O_DIRECTORY);
    if (!d) return sys_error(errno, "open `/" + dir + "`");
    std::string name = into_dir ? base : clean_dest.substr(clean_dest.rfind('/') + 1);
    return std::make_pair(std::move(d), name);
  };

  for (auto& p : paths) {
    auto [sdir, base] = parent_of(src.get(), p);
    if (!sdir) return sys_error(errno, "open `" + p + "`");
    struct stat st {};
    if (::fstatat(sdir.get(), base.c_str(), &st, 0) < 0) return sys_error(errno, "stat `" + p + "`");
    if (S_ISDIR(st.st_mode)) {
      // A directory's contents go into the destination, not the directory itself.
      BERTH_ASSIGN_OR_RETURN(auto t, target(true, ""));
      UniqueFd from(::openat(sdir.get(), base.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
      if (!from) return sys_error(errno, "open `" + p + "`");
      UniqueFd into = clean_dest.empty() ? UniqueFd(::dup(dst.get()))
                                         : fs::open_in_root(dst.get(), clean_dest, O_RDONLY | O_DIRECTORY);
      for (auto& n : list_fd(from.get())) {
        std::string child = p.empty() ? n : p + "/" + n;
        if (spec.ignore && spec.ignore->excluded(child)) continue;
        BERTH_TRY(copy_entry(from.get(), n, into.get(), n, owner, child, spec.ignore));
      }
      continue;
    }
    if (spec.is_add && spec.extract && S_ISREG(st.st_mode)) {
      UniqueFd f(::openat(sdir.get(), base.c_str(), O_RDONLY | O_CLOEXEC));
      if (f && is_archive(f.get())) {
        BERTH_ASSIGN_OR_RETURN(auto t, target(true, ""));
        UniqueFd into = fs::open_in_root(dst.get(), clean_dest, O_PATH | O_DIRECTORY);
        image::UnpackOptions uo;
        uo.overlay_whiteouts = false;
        auto r = image::unpack_layer(image::file_reader("/proc/self/fd/" + std::to_string(f.get())),
                                     "/proc/self/fd/" + std::to_string(into.get()), uo);
        if (!r) return tl::unexpected(r.error());
        continue;
      }
    }
    BERTH_ASSIGN_OR_RETURN(auto t, target(dest_dir, base));
    BERTH_TRY(copy_entry(sdir.get(), base, t.first.get(), t.second, owner, p, spec.ignore));
  }
  for (auto& f : spec.inline_files) {
    BERTH_ASSIGN_OR_RETURN(auto t, target(dest_dir, f.name));
    ::unlinkat(t.first.get(), t.second.c_str(), 0);
    UniqueFd out(::openat(t.first.get(), t.second.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644));
    if (!out || ::write(out.get(), f.data.data(), f.data.size()) != static_cast<ssize_t>(f.data.size())) {
      return sys_error(errno, "write `" + f.name + "`");
    }
    (void)::fchown(out.get(), owner.uid, owner.gid);
    if (owner.mode) (void)::fchmod(out.get(), *owner.mode);
  }
  return {};
}

}  // namespace berth::build
