#include "image/snapshots.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <optional>

#include "common/digest.h"
#include "common/fs.h"
#include "common/strings.h"
#include "common/unique_fd.h"

namespace berth::image {
namespace {

std::string hex_of(const std::string& chain_id) { return std::string(digest_hex(chain_id)); }

}  // namespace

Snapshots::Snapshots(std::string root) : root_(std::move(root)) {}

bool Snapshots::has(const std::string& chain_id) const {
  return !hex_of(chain_id).empty() && fs::is_dir(dir(chain_id));
}

std::string Snapshots::dir(const std::string& chain_id) const {
  return root_ + "/" + hex_of(chain_id) + "/fs";
}

Result<UnpackResult> Snapshots::unpack(const std::string& chain_id, const std::string& diff_id,
                                       const ReadFn& read) {
  if (hex_of(chain_id).empty()) {
    return make_error(Errc::kInvalidArgument, "snapshot `" + chain_id + "`: bad chain ID");
  }
  BERTH_TRY(fs::mkdir_all(root_ + "/tmp", 0700));
  std::string tmp = root_ + "/tmp/unpack-XXXXXX";
  if (!::mkdtemp(tmp.data())) {
    return sys_error(errno, "create `" + tmp + "`");
  }
  auto drop = [&] { (void)fs::remove_all(tmp); };
  // Held while unpacking: clean_temp() removes only temp dirs nobody holds (crashed unpacks).
  UniqueFd held(::open(tmp.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!held || ::flock(held.get(), LOCK_EX) < 0) {
    int err = errno;
    drop();
    return sys_error(err, "lock `" + tmp + "`");
  }
  if (::mkdir((tmp + "/fs").c_str(), 0755) < 0) {
    drop();
    return sys_error(errno, "create `" + tmp + "/fs`");
  }
  auto res = unpack_layer(read, tmp + "/fs");
  if (!res) {
    drop();
    return res;
  }
  if (!diff_id.empty() && res->diff_id != diff_id) {
    drop();
    return make_error(Errc::kDataLoss, "layer " + diff_id +
                                           ": uncompressed content does not match (got " +
                                           res->diff_id + ")");
  }
  (void)fs::atomic_write(tmp + "/size", std::to_string(res->size));
  std::string dest = root_ + "/" + hex_of(chain_id);
  if (::rename(tmp.c_str(), dest.c_str()) < 0) {
    int err = errno;
    drop();
    if (err != EEXIST && err != ENOTEMPTY) {
      return sys_error(err, "commit snapshot `" + dest + "`");
    }
    // Another unpack of the same layer won: its result is as good as ours.
  }
  return res;
}

int64_t Snapshots::size(const std::string& chain_id) const {
  auto s = fs::read_file(root_ + "/" + hex_of(chain_id) + "/size");
  if (!s) return 0;
  return str::parse_int(str::trim(*s)).value_or(0);
}

std::vector<std::string> Snapshots::list() const {
  std::vector<std::string> out;
  for (auto& n : fs::list_dir(root_).value_or(std::vector<std::string>{})) {
    if (n.size() == 64) out.push_back("sha256:" + n);
  }
  return out;
}

Result<void> Snapshots::remove(const std::string& chain_id) {
  if (hex_of(chain_id).empty()) {
    return make_error(Errc::kInvalidArgument, "snapshot `" + chain_id + "`: bad chain ID");
  }
  // Rename first so that a crash mid-removal never leaves a half snapshot under its name.
  BERTH_TRY(fs::mkdir_all(root_ + "/tmp", 0700));
  std::string src = root_ + "/" + hex_of(chain_id);
  std::string tmp = root_ + "/tmp/remove-" + hex_of(chain_id);
  if (::rename(src.c_str(), tmp.c_str()) < 0) {
    return errno == ENOENT ? Result<void>() : sys_error(errno, "remove snapshot `" + src + "`");
  }
  return fs::remove_all(tmp);
}

std::string Snapshots::upper_dir(const std::string& key) const {
  return root_ + "/active/" + key + "/upper";
}

Result<std::string> Snapshots::init_layer(const std::vector<std::string>& chain,
                                          const std::vector<std::string>& entries) {
  std::string id = sha256_digest(str::join(chain, "\n") + "\ninit " + str::join(entries, " "));
  if (has(id)) return id;
  for (const auto& c : chain) {
    if (!has(c)) return make_error(Errc::kNotFound, "layer " + c + ": not unpacked");
  }
  // What the chain has at `rel` (top layer first, a whiteout hides what is below): nullopt
  // when nothing.
  auto find = [&](const std::string& rel) -> std::optional<struct stat> {
    auto slash = rel.rfind('/');
    std::string parent = slash == std::string::npos ? "" : rel.substr(0, slash + 1);
    std::string name = slash == std::string::npos ? rel : rel.substr(slash + 1);
    for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
      struct stat st {};
      if (::lstat((dir(*it) + "/" + rel).c_str(), &st) == 0) return st;
      if (::lstat((dir(*it) + "/" + parent + ".wh." + name).c_str(), &st) == 0) return std::nullopt;
    }
    return std::nullopt;
  };
  BERTH_TRY(fs::mkdir_all(root_ + "/tmp", 0700));
  std::string tmp = root_ + "/tmp/init-XXXXXX";
  if (!::mkdtemp(tmp.data())) return sys_error(errno, "create `" + tmp + "`");
  UniqueFd held(::open(tmp.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));  // see clean_temp
  if (!held || ::flock(held.get(), LOCK_EX) < 0 || ::mkdir((tmp + "/fs").c_str(), 0755) < 0) {
    int err = errno;
    (void)fs::remove_all(tmp);
    return sys_error(err, "create `" + tmp + "`");
  }
  // The root too shows the topmost layer's mode and owner.
  if (struct stat st {}; !chain.empty() && ::stat(dir(chain.back()).c_str(), &st) == 0) {
    (void)::chmod((tmp + "/fs").c_str(), st.st_mode & 07777);
    (void)::lchown((tmp + "/fs").c_str(), st.st_uid, st.st_gid);
  }
  for (const auto& e : entries) {
    bool is_dir = e.ends_with('/');
    std::string rel = is_dir ? e.substr(0, e.size() - 1) : e;
    if (find(rel)) continue;
    // Its parents: the chain's directories (same mode and owner, as the merged view shows the
    // topmost one's), or new ones; an entry under a non-directory is the runtime's business.
    bool placeable = true;
    for (size_t p = rel.find('/'); p != std::string::npos && placeable; p = rel.find('/', p + 1)) {
      std::string parent = rel.substr(0, p);
      std::string path = tmp + "/fs/" + parent;
      if (fs::exists(path)) continue;
      auto st = find(parent);
      if (st && !S_ISDIR(st->st_mode)) {
        placeable = false;
      } else if (mode_t mode = st ? (st->st_mode & 07777) : 0755;
                 ::mkdir(path.c_str(), mode) < 0 || ::chmod(path.c_str(), mode) < 0 ||
                 (st && ::lchown(path.c_str(), st->st_uid, st->st_gid) < 0)) {
        placeable = false;
      }
    }
    if (!placeable) continue;
    std::string path = tmp + "/fs/" + rel;
    if (is_dir) {
      (void)::mkdir(path.c_str(), 0755);
    } else {
      UniqueFd f(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    }
  }
  std::string dest = root_ + "/" + hex_of(id);
  if (::rename(tmp.c_str(), dest.c_str()) < 0) {
    int err = errno;
    (void)fs::remove_all(tmp);
    // Another container of the chain made it meanwhile: the same content.
    if (err != EEXIST && err != ENOTEMPTY) return sys_error(err, "commit snapshot `" + dest + "`");
  }
  return id;
}

Result<SnapshotMount> Snapshots::prepare(const std::string& key,
                                         const std::vector<std::string>& chain) {
  if (key.empty() || key.find('/') != std::string::npos || key[0] == '.') {
    return make_error(Errc::kInvalidArgument, "snapshot key `" + key + "`: bad name");
  }
  for (const auto& c : chain) {
    if (!has(c)) {
      return make_error(Errc::kNotFound, "layer " + c + ": not unpacked");
    }
  }
  std::string base = root_ + "/active/" + key;
  BERTH_TRY(fs::mkdir_all(root_ + "/active", 0700));
  if (::mkdir(base.c_str(), 0700) < 0) {
    return sys_error(errno, "create snapshot `" + key + "`");
  }
  std::string parents;
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
    parents += (parents.empty() ? "" : "\n") + *it;
  }
  std::vector<std::string> dirs = {"/upper", "/work"};
  if (chain.empty()) dirs.push_back("/empty");  // overlayfs needs a lower dir (see mounts)
  for (auto& d : dirs) {
    if (::mkdir((base + d).c_str(), 0755) < 0) {
      int err = errno;
      (void)fs::remove_all(base);
      return sys_error(err, "create snapshot `" + key + "`");
    }
  }
  BERTH_TRY(fs::write_file(base + "/parents", parents));  // the snapshot is new: no reader yet
  return mounts(key);
}

Result<SnapshotMount> Snapshots::mounts(const std::string& key) const {
  std::string base = root_ + "/active/" + key;
  auto parents = fs::read_file(base + "/parents");
  if (!parents) {
    return make_error(Errc::kNotFound, "snapshot `" + key + "`: not found");
  }
  std::string lower;
  for (auto& c : str::split(*parents, '\n')) {
    if (c.empty()) continue;
    lower += (lower.empty() ? "" : ":") + dir(c);
  }
  if (lower.empty()) {
    lower = base + "/empty";  // overlayfs needs one lower dir; an image may have no layers
  }
  SnapshotMount m;
  m.options = {"lowerdir=" + lower, "upperdir=" + base + "/upper", "workdir=" + base + "/work",
               "index=off"};
  return m;
}

std::vector<std::string> Snapshots::active_parents() const {
  std::vector<std::string> out;
  for (auto& key : fs::list_dir(root_ + "/active").value_or(std::vector<std::string>{})) {
    auto parents = fs::read_file(root_ + "/active/" + key + "/parents");
    for (auto& c : str::split(parents.value_or(""), '\n')) {
      if (!c.empty()) out.push_back(c);
    }
  }
  return out;
}

Result<void> Snapshots::remove_active(const std::string& key) {
  if (key.empty() || key.find('/') != std::string::npos || key[0] == '.') {
    return make_error(Errc::kInvalidArgument, "snapshot key `" + key + "`: bad name");
  }
  return fs::remove_all(root_ + "/active/" + key);
}

void Snapshots::clean_temp() {
  std::string tmp = root_ + "/tmp";
  for (auto& n : fs::list_dir(tmp).value_or(std::vector<std::string>{})) {
    std::string path = tmp + "/" + n;
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (fd && ::flock(fd.get(), LOCK_EX | LOCK_NB) == 0) {
      (void)fs::remove_all(path);
    }
  }
}

}  // namespace berth::image
