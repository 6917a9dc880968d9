// write_layer: a directory (or an overlayfs upper dir) as a layer tar.
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "image/layer.h"

namespace berth::image {
namespace {

struct WriteCtx {
  const WriteFn* write;
  std::optional<Error> error;
};

la_ssize_t write_cb(archive*, void* ctx, const void* buf, size_t len) {
  auto* c = static_cast<WriteCtx*>(ctx);
  auto r = (*c->write)(static_cast<const char*>(buf), len);
  if (!r) {
    c->error = r.error();
    return -1;
  }
  return static_cast<la_ssize_t>(len);
}

struct EntryFree {
  void operator()(archive_entry* e) const { archive_entry_free(e); }
};

class TarWriter {
 public:
  TarWriter(archive* a, WriteCtx& ctx, bool overlay) : a_(a), ctx_(ctx), overlay_(overlay) {}

  // The file or directory at `host` as the entry `rel`, then its contents below it.
  Result<void> resource(const std::string& host, const std::string& rel) {
    struct stat st {};
    if (::lstat(host.c_str(), &st) < 0) return sys_error(errno, "stat `" + host + "`");
    BERTH_TRY(add(host, rel, st));
    if (S_ISDIR(st.st_mode)) BERTH_TRY(walk(host, rel));
    return {};
  }

  Result<void> walk(const std::string& host, const std::string& rel) {
    DIR* d = ::opendir(host.c_str());
    if (!d) {
      return sys_error(errno, "open `" + host + "`");
    }
    std::vector<std::string> names;
    while (dirent* de = ::readdir(d)) {
      std::string_view n = de->d_name;
      if (n != "." && n != "..") names.emplace_back(n);
    }
    ::closedir(d);
    std::sort(names.begin(), names.end());
    for (const auto& n : names) {
      std::string hp = host + "/" + n;
      std::string rp = rel.empty() ? n : rel + "/" + n;
      struct stat st {};
      if (::lstat(hp.c_str(), &st) < 0) {
        return sys_error(errno, "stat `" + hp + "`");
      }
      if (S_ISSOCK(st.st_mode)) {
        continue;  // sockets are not content (docker's archive skips them too)
      }
      if (overlay_ && S_ISCHR(st.st_mode) && st.st_rdev == ::makedev(0, 0)) {
        BERTH_TRY(whiteout(rel.empty() ? ".wh." + n : rel + "/.wh." + n, st));
        continue;
      }
      BERTH_TRY(add(hp, rp, st));
      if (S_ISDIR(st.st_mode)) {
        char v = 0;
        if (overlay_ && ::lgetxattr(hp.c_str(), "trusted.overlay.opaque", &v, 1) == 1 &&
            v == 'y') {
          BERTH_TRY(whiteout(rp + "/.wh..wh..opq", st));
        }
        BERTH_TRY(walk(hp, rp));
      }
    }
    return {};
  }

 private:
  Result<void> whiteout(const std::string& rp, const struct stat& st) {
    std::unique_ptr<archive_entry, EntryFree> e(archive_entry_new());
    archive_entry_set_pathname(e.get(), rp.c_str());
    archive_entry_set_filetype(e.get(), AE_IFREG);
    archive_entry_set_perm(e.get(), 0);
    archive_entry_set_size(e.get(), 0);
    archive_entry_set_mtime(e.get(), st.st_mtime, 0);
    return header(e.get(), rp);
  }

  Result<void> header(archive_entry* e, const std::string& rp) {
    if (archive_write_header(a_, e) < ARCHIVE_WARN) {
      if (ctx_.error) return tl::unexpected(*ctx_.error);
      const char* msg = archive_error_string(a_);
      return make_error(Errc::kInternal,
                        "write layer entry `" + rp + "`: " + (msg ? msg : "failed"));
    }
    return {};
  }

  Result<void> add(const std::string& hp, const std::string& rp, const struct stat& st) {
    std::unique_ptr<archive_entry, EntryFree> e(archive_entry_new());
    std::string name = S_ISDIR(st.st_mode) ? rp + "/" : rp;
    archive_entry_set_pathname(e.get(), name.c_str());
    archive_entry_copy_stat(e.get(), &st);
    archive_entry_set_atime(e.get(), 0, 0);  // docker's tars carry no atime/ctime
    archive_entry_unset_ctime(e.get());
    archive_entry_unset_atime(e.get());
    if (S_ISLNK(st.st_mode)) {
      std::string target(static_cast<size_t>(st.st_size) + 1, '\0');
      ssize_t n = ::readlink(hp.c_str(), target.data(), target.size());
      if (n < 0) {
        return sys_error(errno, "readlink `" + hp + "`");
      }
      target.resize(static_cast<size_t>(n));
      archive_entry_set_symlink(e.get(), target.c_str());
    }
    if (S_ISREG(st.st_mode) && st.st_nlink > 1) {
      auto key = std::make_pair(st.st_dev, st.st_ino);
      if (auto it = links_.find(key); it != links_.end()) {
        archive_entry_set_hardlink(e.get(), it->second.c_str());
        archive_entry_set_size(e.get(), 0);
        return header(e.get(), rp);
      }
      links_[key] = rp;
    }
    add_xattrs(hp, e.get());
    BERTH_TRY(header(e.get(), rp));
    if (S_ISREG(st.st_mode) && st.st_size > 0) {
      BERTH_TRY(data(hp, st.st_size));
    }
    return {};
  }

  void add_xattrs(const std::string& hp, archive_entry* e) {
    ssize_t n = ::llistxattr(hp.c_str(), nullptr, 0);
    if (n <= 0) return;
    std::string names(static_cast<size_t>(n), '\0');
    n = ::llistxattr(hp.c_str(), names.data(), names.size());
    for (size_t i = 0; n > 0 && i < static_cast<size_t>(n);) {
      std::string xn(names.c_str() + i);
      i += xn.size() + 1;
      if (xn.starts_with("trusted.overlay.")) continue;
      ssize_t vn = ::lgetxattr(hp.c_str(), xn.c_str(), nullptr, 0);
      if (vn < 0) continue;
      std::string v(static_cast<size_t>(vn), '\0');
      vn = ::lgetxattr(hp.c_str(), xn.c_str(), v.data(), v.size());
      if (vn >= 0) archive_entry_xattr_add_entry(e, xn.c_str(), v.data(), static_cast<size_t>(vn));
    }
  }

  Result<void> data(const std::string& hp, off_t size) {
    FILE* f = ::fopen(hp.c_str(), "rbe");
    if (!f) {
      return sys_error(errno, "open `" + hp + "`");
    }
    std::unique_ptr<FILE, int (*)(FILE*)> guard(f, ::fclose);
    std::string buf(1 << 20, '\0');
    off_t left = size;
    while (left > 0) {
      size_t n = ::fread(buf.data(), 1, std::min<off_t>(left, buf.size()), f);
      if (n == 0) {
        return make_error(Errc::kDataLoss, "read `" + hp + "`: file shrank while archiving");
      }
      if (archive_write_data(a_, buf.data(), n) < 0) {
        if (ctx_.error) return tl::unexpected(*ctx_.error);
        return make_error(Errc::kInternal, "write `" + hp + "` to layer");
      }
      left -= static_cast<off_t>(n);
    }
    return {};
  }

  archive* a_;
  WriteCtx& ctx_;
  bool overlay_;
  std::map<std::pair<dev_t, ino_t>, std::string> links_;
};

}  // namespace

namespace {

// A PAX tar to `write` of what `fill` adds.
Result<void> write_tar(const WriteFn& write, bool overlay_upper,
                       const std::function<Result<void>(TarWriter&)>& fill) {
  std::unique_ptr<archive, int (*)(archive*)> a(archive_write_new(), archive_write_free);
  archive_write_set_format_pax_restricted(a.get());
  archive_write_add_filter_none(a.get());
  archive_write_set_bytes_in_last_block(a.get(), 1);  // no padding to 10 KiB
  WriteCtx ctx{&write, std::nullopt};
  if (archive_write_open(a.get(), &ctx, nullptr, write_cb, nullptr) != ARCHIVE_OK) {
    return make_error(Errc::kInternal, "open layer writer");
  }
  TarWriter w(a.get(), ctx, overlay_upper);
  BERTH_TRY(fill(w));
  if (archive_write_close(a.get()) != ARCHIVE_OK) {
    if (ctx.error) return tl::unexpected(*ctx.error);
    const char* msg = archive_error_string(a.get());
    return make_error(Errc::kInternal, std::string("finish layer: ") + (msg ? msg : "failed"));
  }
  return {};
}

}  // namespace

Result<void> write_layer(const std::string& dir, bool overlay_upper, const WriteFn& write) {
  return write_tar(write, overlay_upper, [&](TarWriter& w) { return w.walk(dir, ""); });
}

Result<void> write_resource(const std::string& path, const std::string& name, const WriteFn& write) {
  return write_tar(write, false, [&](TarWriter& w) { return w.resource(path, name); });
}

}  // namespace berth::image
