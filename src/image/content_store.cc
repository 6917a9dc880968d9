#include "image/content_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <atomic>

#include "common/fs.h"

namespace berth::image {
namespace {

std::string ingest_dir(const std::string& root) { return root + "/ingest"; }

Result<void> write_all(int fd, const void* data, size_t len, const std::string& path) {
  const char* p = static_cast<const char*>(data);
  while (len > 0) {
    ssize_t n = ::write(fd, p, len);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return sys_error(errno, "write `" + path + "`");
    }
    p += n;
    len -= static_cast<size_t>(n);
  }
  return {};
}

// Hashes the first `len` bytes of `fd` (a partial download being resumed).
Result<void> hash_prefix(int fd, int64_t len, Sha256& hash, const std::string& path) {
  std::string buf(1 << 20, '\0');
  int64_t off = 0;
  while (off < len) {
    ssize_t n = ::pread(fd, buf.data(), std::min<int64_t>(buf.size(), len - off), off);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return sys_error(n < 0 ? errno : EIO, "read `" + path + "`");
    }
    hash.update(buf.data(), static_cast<size_t>(n));
    off += n;
  }
  return {};
}

// Whether `fd` is the file that `path` names now (and not unlinked or renamed away).
bool same_file(int fd, const std::string& path) {
  struct stat a {}, b {};
  return ::fstat(fd, &a) == 0 && ::stat(path.c_str(), &b) == 0 && a.st_dev == b.st_dev &&
         a.st_ino == b.st_ino && a.st_nlink > 0;
}

}  // namespace

ContentStore::ContentStore(std::string root) : root_(std::move(root)) {}

std::string ContentStore::blob_path(std::string_view digest) const {
  return root_ + "/blobs/sha256/" + std::string(digest_hex(digest));
}

bool ContentStore::exists(std::string_view digest) const {
  return !digest_hex(digest).empty() && fs::exists(blob_path(digest));
}

Result<int64_t> ContentStore::size(std::string_view digest) const {
  struct stat st {};
  if (digest_hex(digest).empty() || ::stat(blob_path(digest).c_str(), &st) < 0) {
    return make_error(Errc::kNotFound, "blob `" + std::string(digest) + "`: not found");
  }
  return static_cast<int64_t>(st.st_size);
}

Result<std::string> ContentStore::read(std::string_view digest, int64_t max_bytes) const {
  BERTH_ASSIGN_OR_RETURN(int64_t n, size(digest));
  if (n > max_bytes) {
    return make_error(Errc::kResourceExhausted,
                      "blob `" + std::string(digest) + "`: " + std::to_string(n) +
                          " bytes is more than the limit of " + std::to_string(max_bytes));
  }
  BERTH_ASSIGN_OR_RETURN(std::string data, fs::read_file(blob_path(digest)));
  if (sha256_digest(data) != digest) {
    return make_error(Errc::kDataLoss,
                      "blob `" + std::string(digest) + "`: content does not match its digest");
  }
  return data;
}

Result<std::string> ContentStore::put(std::string_view data, std::string_view expected) {
  std::string digest = sha256_digest(data);
  if (!expected.empty() && expected != digest) {
    return make_error(Errc::kDataLoss, "blob `" + std::string(expected) +
                                           "`: content does not match its digest (got " +
                                           digest + ")");
  }
  if (exists(digest)) {
    return digest;
  }
  BERTH_ASSIGN_OR_RETURN(auto w, writer(digest, static_cast<int64_t>(data.size())));
  if (w->offset() != 0) {
    BERTH_TRY(w->restart());
  }
  BERTH_TRY(w->write(data.data(), data.size()));
  return w->commit();
}

Result<std::unique_ptr<BlobWriter>> ContentStore::writer(std::string_view expected, int64_t size) {
  if (!expected.empty() && digest_hex(expected).empty()) {
    return make_error(Errc::kInvalidArgument,
                      "blob `" + std::string(expected) + "`: not a sha256 digest");
  }
  BERTH_TRY(fs::mkdir_all(ingest_dir(root_), 0700));
  BERTH_TRY(fs::mkdir_all(root_ + "/blobs/sha256", 0755));
  std::unique_ptr<BlobWriter> w(new BlobWriter());
  w->store_ = this;
  w->expected_ = std::string(expected);
  w->size_ = size;
  if (!expected.empty()) {
    // The well-known ingest name lets a later writer resume; the flock makes a second
    // concurrent writer of the same digest take a private file instead.
    std::string path = ingest_dir(root_) + "/" + std::string(digest_hex(expected));
    UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
    if (!fd) {
      return sys_error(errno, "create `" + path + "`");
    }
    // The lock must be on the file still named `path`: a writer that committed meanwhile
    // renamed that inode into blobs/ (it is the published blob now, never to be touched).
    if (::flock(fd.get(), LOCK_EX | LOCK_NB) == 0 && same_file(fd.get(), path)) {
      struct stat st {};
      ::fstat(fd.get(), &st);
      int64_t have = st.st_size;
      if (size >= 0 && have > size) {
        have = 0;
      }
      if (::ftruncate(fd.get(), have) < 0 || ::lseek(fd.get(), have, SEEK_SET) < 0) {
        return sys_error(errno, "truncate `" + path + "`");
      }
      BERTH_TRY(hash_prefix(fd.get(), have, w->hash_, path));
      w->offset_ = have;
      w->fd_ = std::move(fd);
      w->path_ = path;
      w->resumable_ = true;
      return w;
    }
  }
  static std::atomic<uint64_t> counter{0};
  std::string path = ingest_dir(root_) + "/tmp-" + std::to_string(::getpid()) + "-" +
                     std::to_string(counter.fetch_add(1));
  w->fd_ = UniqueFd(::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!w->fd_) {
    return sys_error(errno, "create `" + path + "`");
  }
  w->path_ = path;
  return w;
}

Result<void> ContentStore::remove(std::string_view digest) {
  if (digest_hex(digest).empty() || ::unlink(blob_path(digest).c_str()) < 0) {
    return make_error(Errc::kNotFound, "blob `" + std::string(digest) + "`: not found");
  }
  return {};
}

Result<std::vector<std::string>> ContentStore::list() const {
  std::vector<std::string> out;
  auto names = fs::list_dir(root_ + "/blobs/sha256");
  if (!names) {
    return names.error().code == Errc::kNotFound ? Result<std::vector<std::string>>(out)
                                                  : tl::unexpected(names.error());
  }
  for (auto& n : *names) {
    if (n.size() == 64) {
      out.push_back("sha256:" + n);
    }
  }
  return out;
}

void ContentStore::clean_ingest(int64_t min_age_s) {
  auto names = fs::list_dir(ingest_dir(root_));
  if (!names) {
    return;
  }
  time_t now = ::time(nullptr);
  for (auto& n : *names) {
    std::string path = ingest_dir(root_) + "/" + n;
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    struct stat st {};
    if (!fd || ::fstat(fd.get(), &st) < 0 || now - st.st_mtime < min_age_s ||
        ::flock(fd.get(), LOCK_EX | LOCK_NB) < 0 || !same_file(fd.get(), path)) {
      continue;
    }
    ::unlink(path.c_str());
  }
}

BlobWriter::~BlobWriter() {
  // A resumable partial file is kept for the next attempt; a private one is dropped.
  if (!done_ && !resumable_ && !path_.empty()) {
    ::unlink(path_.c_str());
  }
}

Result<void> BlobWriter::write(const void* data, size_t len) {
  if (size_ >= 0 && offset_ + static_cast<int64_t>(len) > size_) {
    return make_error(Errc::kResourceExhausted,
                      "blob `" + expected_ + "`: more than the expected " +
                          std::to_string(size_) + " bytes");
  }
  BERTH_TRY(write_all(fd_.get(), data, len, path_));
  hash_.update(data, len);
  offset_ += static_cast<int64_t>(len);
  return {};
}

Result<void> BlobWriter::restart() {
  if (::ftruncate(fd_.get(), 0) < 0 || ::lseek(fd_.get(), 0, SEEK_SET) < 0) {
    return sys_error(errno, "truncate `" + path_ + "`");
  }
  hash_ = Sha256();
  offset_ = 0;
  return {};
}

Result<std::string> BlobWriter::commit() {
  std::string digest = hash_.digest();
  auto fail = [&](std::string why) -> Result<std::string> {
    ::unlink(path_.c_str());
    done_ = true;
    return make_error(Errc::kDataLoss, "blob `" + (expected_.empty() ? digest : expected_) +
                                           "`: " + why);
  };
  if (size_ >= 0 && offset_ != size_) {
    return fail("got " + std::to_string(offset_) + " bytes, expected " + std::to_string(size_));
  }
  if (!expected_.empty() && digest != expected_) {
    return fail("content does not match its digest (got " + digest + ")");
  }
  if (::fsync(fd_.get()) < 0) {
    return sys_error(errno, "fsync `" + path_ + "`");
  }
  ::fchmod(fd_.get(), 0644);
  std::string dest = store_->blob_path(digest);
  if (::rename(path_.c_str(), dest.c_str()) < 0) {
    return sys_error(errno, "rename to `" + dest + "`");
  }
  done_ = true;
  fd_.reset();
  return digest;
}

}  // namespace berth::image
