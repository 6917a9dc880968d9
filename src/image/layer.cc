#include "image/layer.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "common/digest.h"
#include "common/unique_fd.h"
#include "image/pipe.h"

namespace berth::image {
namespace {

constexpr size_t kBufBytes = 1 << 20;
constexpr std::string_view kWhiteoutPrefix = ".wh.";
constexpr std::string_view kOpaque = ".wh..wh..opq";

struct ArchiveFree {
  void operator()(archive* a) const { archive_read_free(a); }
};
using ReadArchive = std::unique_ptr<archive, ArchiveFree>;

// The compressed input, decompressed by libarchive's "raw" format with every filter on.
struct RawSource {
  explicit RawSource(const ReadFn* r) : read(r) {}
  const ReadFn* read;
  std::string buf = std::string(kBufBytes, '\0');
  std::optional<Error> error;
};

la_ssize_t raw_read_cb(archive*, void* ctx, const void** out) {
  auto* s = static_cast<RawSource*>(ctx);
  auto n = (*s->read)(s->buf.data(), s->buf.size());
  if (!n) {
    s->error = n.error();
    return -1;
  }
  *out = s->buf.data();
  return static_cast<la_ssize_t>(*n);
}

Error archive_error(archive* a, std::string_view what) {
  const char* msg = archive_error_string(a);
  return Error{Errc::kInvalidArgument, std::string(what) + ": " + (msg ? msg : "unknown error")};
}

// Opens `read` as a decompressed byte stream. The error slot of `src` wins over libarchive's
// own message (it says why the input stopped).
Result<ReadArchive> open_raw(RawSource& src) {
  ReadArchive a(archive_read_new());
  archive_read_support_filter_all(a.get());
  archive_read_support_format_raw(a.get());
  if (archive_read_open(a.get(), &src, nullptr, raw_read_cb, nullptr) != ARCHIVE_OK) {
    return tl::unexpected(src.error ? *src.error : archive_error(a.get(), "layer"));
  }
  archive_entry* e = nullptr;
  int r = archive_read_next_header(a.get(), &e);
  if (r != ARCHIVE_OK) {
    return tl::unexpected(src.error ? *src.error : archive_error(a.get(), "layer"));
  }
  return a;
}

// The decompressed stream, produced by another thread, as the input of the tar reader.
struct TarSource {
  explicit TarSource(Pipe* p) : pipe(p) {}
  Pipe* pipe;
  std::string buf = std::string(kBufBytes, '\0');
  std::optional<Error> error;
};

la_ssize_t tar_read_cb(archive*, void* ctx, const void** out) {
  auto* s = static_cast<TarSource*>(ctx);
  auto n = s->pipe->read(s->buf.data(), s->buf.size());
  if (!n) {
    s->error = n.error();
    return -1;
  }
  *out = s->buf.data();
  return static_cast<la_ssize_t>(*n);
}

// Decompresses `read` into `out`, hashing the uncompressed bytes (the diff_id).
Result<std::string> decompress_to(const ReadFn& read, const WriteFn& out) {
  RawSource raw_src(&read);
  BERTH_ASSIGN_OR_RETURN(ReadArchive raw, open_raw(raw_src));
  Sha256 hash;
  std::string buf(kBufBytes, '\0');
  for (;;) {
    la_ssize_t n = archive_read_data(raw.get(), buf.data(), buf.size());
    if (n == 0) break;
    if (n < 0) {
      const char* msg = archive_error_string(raw.get());
      return tl::unexpected(raw_src.error ? *raw_src.error
                                          : Error{Errc::kDataLoss, std::string("layer: ") +
                                                                       (msg ? msg : "truncated input")});
    }
    hash.update(buf.data(), static_cast<size_t>(n));
    BERTH_TRY(out(buf.data(), static_cast<size_t>(n)));
  }
  return hash.digest();
}

int sys_openat2(int dirfd, const char* path, uint64_t flags, uint64_t resolve) {
  open_how how{};
  how.flags = flags | O_CLOEXEC;
  how.resolve = resolve;
  for (;;) {
    int fd = static_cast<int>(::syscall(SYS_openat2, dirfd, path, &how, sizeof how));
    if (fd >= 0 || errno != EAGAIN) {
      return fd;
    }
  }
}

// Lexically cleaned components of an entry path ("./a//b/" -> a, b; leading "/" dropped).
// Errors: kInvalidArgument for a ".." component, which docker refuses as a breakout.
Result<std::vector<std::string>> clean_path(std::string_view p) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i <= p.size()) {
    size_t j = p.find('/', i);
    if (j == std::string_view::npos) {
      j = p.size();
    }
    std::string_view c = p.substr(i, j - i);
    if (c == "..") {
      return make_error(Errc::kInvalidArgument,
                        "layer entry `" + std::string(p) + "`: path escapes the layer root");
    }
    if (!c.empty() && c != ".") {
      out.emplace_back(c);
    }
    i = j + 1;
  }
  return out;
}

std::string join_components(const std::vector<std::string>& c, size_t n) {
  std::string s;
  for (size_t i = 0; i < n; ++i) {
    if (i) s += '/';
    s += c[i];
  }
  return s.empty() ? "." : s;
}

// rm -rf of `name` in `dirfd`, never following symlinks.
void remove_tree_at(int dirfd, const char* name) {
  if (::unlinkat(dirfd, name, 0) == 0 || (errno != EISDIR && errno != EPERM)) {
    return;
  }
  int fd = ::openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    return;
  }
  DIR* d = ::fdopendir(fd);
  if (!d) {
    ::close(fd);
    return;
  }
  std::vector<std::string> names;
  while (dirent* de = ::readdir(d)) {
    std::string_view n = de->d_name;
    if (n != "." && n != "..") names.emplace_back(n);
  }
  for (auto& n : names) {
    remove_tree_at(::dirfd(d), n.c_str());
  }
  ::closedir(d);
  ::unlinkat(dirfd, name, AT_REMOVEDIR);
}

class Extractor {
 public:
  Extractor(int root, const UnpackOptions& opts) : root_(root), opts_(opts) {}

  Result<void> entry(archive* a, archive_entry* e, int64_t& size) {
    const char* raw_path = archive_entry_pathname(e);
    std::string_view path = raw_path ? raw_path : "";
    BERTH_ASSIGN_OR_RETURN(auto comps, clean_path(path));
    if (comps.empty()) {
      return {};  // "./": the root itself
    }
    std::string name = comps.back();
    BERTH_ASSIGN_OR_RETURN(int parent, parent_fd(comps));

    if (opts_.overlay_whiteouts && name.starts_with(kWhiteoutPrefix)) {
      if (name == kOpaque) {
        UniqueFd dir(::openat(parent, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!dir || ::fsetxattr(dir.get(), "trusted.overlay.opaque", "y", 1, 0) < 0) {
          return sys_error(errno, "mark `" + join_components(comps, comps.size() - 1) +
                                      "` opaque");
        }
        return {};
      }
      std::string target = name.substr(kWhiteoutPrefix.size());
      if (target.empty() || target == "." || target == "..") {
        return make_error(Errc::kInvalidArgument, "layer entry `" + std::string(path) +
                                                      "`: bad whiteout name");
      }
      remove_tree_at(parent, target.c_str());
      invalidate();
      if (::mknodat(parent, target.c_str(), S_IFCHR, ::makedev(0, 0)) < 0) {
        return sys_error(errno, "whiteout `" + std::string(path) + "`");
      }
      return {};
    }

    if (const char* link = archive_entry_hardlink(e)) {
      return hardlink(parent, name, link, path);
    }
    mode_t type = archive_entry_filetype(e);
    mode_t perm = archive_entry_perm(e);
    struct stat old {};
    bool exists = ::fstatat(parent, name.c_str(), &old, AT_SYMLINK_NOFOLLOW) == 0;
    if (exists && !(type == AE_IFDIR && S_ISDIR(old.st_mode))) {
      remove_tree_at(parent, name.c_str());
      invalidate();
    }
    switch (type) {
      case AE_IFREG: {
        UniqueFd fd(::openat(parent, name.c_str(),
                             O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
        if (!fd) {
          return sys_error(errno, "create `" + std::string(path) + "`");
        }
        BERTH_TRY(copy_data(a, fd.get(), archive_entry_size(e), path));
        size += archive_entry_size(e);
        BERTH_TRY(metadata_fd(fd.get(), e, perm, path, true));
        break;
      }
      case AE_IFDIR:
        if (!exists || !S_ISDIR(old.st_mode)) {
          if (::mkdirat(parent, name.c_str(), 0700) < 0) {
            return sys_error(errno, "mkdir `" + std::string(path) + "`");
          }
        }
        {
          UniqueFd fd(::openat(parent, name.c_str(),
                               O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
          if (!fd) {
            return sys_error(errno, "open `" + std::string(path) + "`");
          }
          BERTH_TRY(metadata_fd(fd.get(), e, perm, path, !exists));
        }
        dir_times_.push_back({join_components(comps, comps.size()), archive_entry_mtime(e)});
        invalidate();
        break;
      case AE_IFLNK: {
        const char* target = archive_entry_symlink(e);
        if (::symlinkat(target ? target : "", parent, name.c_str()) < 0) {
          return sys_error(errno, "symlink `" + std::string(path) + "`");
        }
        if (opts_.keep_owner &&
            ::fchownat(parent, name.c_str(), static_cast<uid_t>(archive_entry_uid(e)),
                       static_cast<gid_t>(archive_entry_gid(e)), AT_SYMLINK_NOFOLLOW) < 0) {
          return sys_error(errno, "chown `" + std::string(path) + "`");
        }
        invalidate();
        break;
      }
      case AE_IFCHR:
      case AE_IFBLK:
      case AE_IFIFO: {
        if (!opts_.keep_owner && type != AE_IFIFO) {
          return {};  // devices only when unpacking as root for a container
        }
        if (::mknodat(parent, name.c_str(), type | 0600, archive_entry_rdev(e)) < 0) {
          return sys_error(errno, "mknod `" + std::string(path) + "`");
        }
        UniqueFd fd(::openat(parent, name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
        if (!fd) {
          return sys_error(errno, "open `" + std::string(path) + "`");
        }
        BERTH_TRY(metadata_path(fd.get(), e, perm, path));
        break;
      }
      default:
        return {};  // sockets and unknown kinds are skipped, as docker does
    }
    struct timespec ts[2] = {{archive_entry_atime(e), 0}, {archive_entry_mtime(e), 0}};
    if (type != AE_IFDIR) {
      ::utimensat(parent, name.c_str(), ts, AT_SYMLINK_NOFOLLOW);
    }
    return {};
  }

  // Directory times last: writing entries inside changed them.
  void finish() {
    for (auto it = dir_times_.rbegin(); it != dir_times_.rend(); ++it) {
      UniqueFd fd(sys_openat2(root_, it->first.c_str(), O_PATH | O_DIRECTORY,
                              RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS));
      if (fd) {
        struct timespec ts[2] = {{it->second, 0}, {it->second, 0}};
        ::utimensat(fd.get(), "", ts, AT_EMPTY_PATH);
      }
    }
  }

 private:
  // Forgets the cached parent (a directory or symlink changed) without closing its fd: the
  // entry being handled still uses it; the fd is closed at the next parent_fd().
  void invalidate() {
    cached_.clear();
    if (cached_fd_) stale_fd_ = std::move(cached_fd_);
  }

  // The directory holding the entry, resolved inside the root (symlinks on the way are
  // followed as if the root were "/"), created 0755 where missing.
  Result<int> parent_fd(const std::vector<std::string>& comps) {
    std::string parent = join_components(comps, comps.size() - 1);
    if (cached_fd_ && parent == cached_) {
      return cached_fd_.get();
    }
    cached_.clear();
    cached_fd_.reset();
    stale_fd_.reset();
    constexpr uint64_t kResolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    UniqueFd fd(sys_openat2(root_, parent.c_str(), O_PATH | O_DIRECTORY, kResolve));
    if (!fd && errno == ENOENT) {
      fd = UniqueFd(::dup(root_));
      for (size_t i = 0; i + 1 < comps.size(); ++i) {
        UniqueFd next(sys_openat2(fd.get(), comps[i].c_str(), O_PATH | O_DIRECTORY, kResolve));
        if (!next && errno == ENOENT) {
          if (::mkdirat(fd.get(), comps[i].c_str(), 0755) < 0 && errno != EEXIST) {
            return sys_error(errno, "mkdir `" + join_components(comps, i + 1) + "`");
          }
          // Resolve from the root again: the name may be a symlink made meanwhile.
          next = UniqueFd(sys_openat2(root_, join_components(comps, i + 1).c_str(),
                                      O_PATH | O_DIRECTORY, kResolve));
        }
        if (!next) {
          return sys_error(errno, "open `" + join_components(comps, i + 1) + "`");
        }
        fd = std::move(next);
      }
    }
    if (!fd) {
      return sys_error(errno, "open `" + parent + "`");
    }
    cached_ = parent;
    cached_fd_ = std::move(fd);
    return cached_fd_.get();
  }

  Result<void> hardlink(int parent, const std::string& name, std::string_view link,
                        std::string_view path) {
    BERTH_ASSIGN_OR_RETURN(auto tcomps, clean_path(link));
    if (tcomps.empty()) {
      return make_error(Errc::kInvalidArgument,
                        "layer entry `" + std::string(path) + "`: hardlink to the root");
    }
    std::string tparent = join_components(tcomps, tcomps.size() - 1);
    UniqueFd tfd(sys_openat2(root_, tparent.c_str(), O_PATH | O_DIRECTORY,
                             RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS));
    if (!tfd) {
      return make_error(Errc::kInvalidArgument, "layer entry `" + std::string(path) +
                                                    "`: hardlink target `" + std::string(link) +
                                                    "` is not in the layer");
    }
    ::unlinkat(parent, name.c_str(), 0);
    if (::linkat(tfd.get(), tcomps.back().c_str(), parent, name.c_str(), 0) < 0) {
      int err = errno;
      if (err == ENOENT) {
        return make_error(Errc::kInvalidArgument, "layer entry `" + std::string(path) +
                                                      "`: hardlink target `" +
                                                      std::string(link) + "` is not in the layer");
      }
      return sys_error(err, "hardlink `" + std::string(path) + "`");
    }
    return {};
  }

  Result<void> copy_data(archive* a, int fd, int64_t total, std::string_view path) {
    const void* buf = nullptr;
    size_t len = 0;
    la_int64_t off = 0;
    for (;;) {
      int r = archive_read_data_block(a, &buf, &len, &off);
      if (r == ARCHIVE_OK && len == 0) continue;
      if (r == ARCHIVE_EOF) {
        break;
      }
      if (r != ARCHIVE_OK) {
        return tl::unexpected(
            Error{Errc::kDataLoss, "layer entry `" + std::string(path) + "`: " +
                                       (archive_error_string(a) ? archive_error_string(a)
                                                                : "read failed")});
      }
      const char* p = static_cast<const char*>(buf);
      while (len > 0) {
        ssize_t n = ::pwrite(fd, p, len, off);
        if (n < 0) {
          if (errno == EINTR) continue;
          return sys_error(errno, "write `" + std::string(path) + "`");
        }
        p += n;
        off += n;
        len -= static_cast<size_t>(n);
      }
    }
    if (off != total && ::ftruncate(fd, total) < 0) {  // a sparse file may end in a hole
      return sys_error(errno, "truncate `" + std::string(path) + "`");
    }
    return {};
  }

  // Owner, then mode (chown clears setuid), then xattrs (security.capability last of all).
  Result<void> metadata_fd(int fd, archive_entry* e, mode_t perm, std::string_view path,
                           bool fresh) {
    // A new file is already ours; chown only when the tar says otherwise (saves a syscall
    // per file on the usual root-owned layer).
    uid_t uid = static_cast<uid_t>(archive_entry_uid(e));
    gid_t gid = static_cast<gid_t>(archive_entry_gid(e));
    if (opts_.keep_owner && (uid != euid_ || gid != egid_ || !fresh)) {
      if (::fchown(fd, uid, gid) < 0) {
        return sys_error(errno, "chown `" + std::string(path) + "`");
      }
    }
    if (::fchmod(fd, perm) < 0) {
      return sys_error(errno, "chmod `" + std::string(path) + "`");
    }
    if (opts_.keep_owner) {
      const char* xname = nullptr;
      const void* val = nullptr;
      size_t size = 0;
      archive_entry_xattr_reset(e);
      while (archive_entry_xattr_next(e, &xname, &val, &size) == ARCHIVE_OK) {
        std::string_view n = xname;
        if (n.starts_with("trusted.overlay.")) {
          continue;  // overlayfs's own metadata is never taken from a tar
        }
        if (::fsetxattr(fd, xname, val, size, 0) < 0 && errno != ENOTSUP) {
          return sys_error(errno, "set xattr " + std::string(n) + " on `" + std::string(path) +
                                      "`");
        }
      }
    }
    return {};
  }

  // For nodes that cannot be opened for writing (devices, fifos): through the O_PATH fd.
  Result<void> metadata_path(int opath_fd, archive_entry* e, mode_t perm, std::string_view path) {
    std::string proc = "/proc/self/fd/" + std::to_string(opath_fd);
    if (opts_.keep_owner && ::fchownat(opath_fd, "", static_cast<uid_t>(archive_entry_uid(e)),
                                       static_cast<gid_t>(archive_entry_gid(e)),
                                       AT_EMPTY_PATH) < 0) {
      return sys_error(errno, "chown `" + std::string(path) + "`");
    }
    if (::chmod(proc.c_str(), perm) < 0) {
      return sys_error(errno, "chmod `" + std::string(path) + "`");
    }
    return {};
  }

  int root_;
  UnpackOptions opts_;
  uid_t euid_ = ::geteuid();
  gid_t egid_ = ::getegid();
  std::string cached_;
  UniqueFd cached_fd_;
  UniqueFd stale_fd_;
  std::vector<std::pair<std::string, time_t>> dir_times_;
};

}  // namespace

ReadFn file_reader(const std::string& path) {
  auto fd = std::make_shared<UniqueFd>(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  int err = errno;
  return [fd, path, err](char* buf, size_t cap) -> Result<size_t> {
    if (!*fd) {
      return sys_error(err, "open `" + path + "`");
    }
    for (;;) {
      ssize_t n = ::read(fd->get(), buf, cap);
      if (n >= 0) return static_cast<size_t>(n);
      if (errno != EINTR) return sys_error(errno, "read `" + path + "`");
    }
  };
}

Result<UnpackResult> unpack_layer(const ReadFn& read, const std::string& dir,
                                  const UnpackOptions& opts) {
  UniqueFd root(::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root) {
    return sys_error(errno, "open `" + dir + "`");
  }
  // Decompression (and the diff_id hash) on its own thread, tar parsing and file writes on
  // this one: a layer costs max(decompress, write) instead of their sum.
  Pipe pipe(8 << 20);
  Result<std::string> diff_id = make_error(Errc::kInternal, "not run");
  std::thread decompressor([&] {
    diff_id = decompress_to(read, [&](const char* d, size_t n) { return pipe.write(d, n); });
    pipe.close(diff_id ? std::nullopt : std::optional<Error>(diff_id.error()));
  });
  auto extracted = [&]() -> Result<int64_t> {
    TarSource tar_src(&pipe);
    ReadArchive tar(archive_read_new());
    archive_read_support_format_tar(tar.get());
    archive_read_support_format_gnutar(tar.get());
    if (archive_read_open(tar.get(), &tar_src, nullptr, tar_read_cb, nullptr) != ARCHIVE_OK) {
      return tl::unexpected(tar_src.error ? *tar_src.error : archive_error(tar.get(), "layer"));
    }
    Extractor ex(root.get(), opts);
    int64_t size = 0;
    for (;;) {
      archive_entry* e = nullptr;
      int r = archive_read_next_header(tar.get(), &e);
      if (r == ARCHIVE_EOF) {
        break;
      }
      if (r < ARCHIVE_WARN) {
        return tl::unexpected(tar_src.error ? *tar_src.error
                                            : archive_error(tar.get(), "layer is not a valid tar"));
      }
      BERTH_TRY(ex.entry(tar.get(), e, size));
    }
    ex.finish();
    // The diff_id covers every byte of the tar, also the padding after its end marker.
    for (;;) {
      BERTH_ASSIGN_OR_RETURN(size_t n, pipe.read(tar_src.buf.data(), tar_src.buf.size()));
      if (n == 0) break;
    }
    return size;
  }();
  pipe.cancel();  // unblocks the decompressor when extraction stopped early
  decompressor.join();
  // A decompression error explains an extraction error ("truncated"), so it wins, unless it
  // is only the echo of extraction stopping.
  if (!extracted && (diff_id || diff_id.error().code == Errc::kCanceled)) {
    return tl::unexpected(extracted.error());
  }
  if (!diff_id) return tl::unexpected(diff_id.error());
  if (!extracted) return tl::unexpected(extracted.error());
  return UnpackResult{*diff_id, *extracted};
}

Result<std::string> decompress(const ReadFn& read, const WriteFn& write) {
  return decompress_to(read, write);
}

}  // namespace berth::image
