// Layer tars in and out of directories (image/layer.h), as root on the real file system:
// contents and metadata, whiteouts, and every way an entry could try to leave the root.
#include "image/layer.h"

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "common/digest.h"
#include "common/unique_fd.h"

namespace berth::image {
namespace {

// A fresh directory under /tmp, removed with everything in it (symlinks not followed) when
// the test ends, failed or not. Paths outside it that a broken unpack could create are
// registered with also_remove() and removed too.
class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/berth-layer-XXXXXX";
    const char* p = ::mkdtemp(tmpl);
    if (p == nullptr) {
      ADD_FAILURE() << "mkdtemp: " << std::strerror(errno);
      return;
    }
    path_ = p;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
    for (const auto& p : outside_) std::filesystem::remove_all(p, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // A new directory inside.
  std::string sub(const std::string& name) const {
    std::string p = path_ + "/" + name;
    EXPECT_EQ(::mkdir(p.c_str(), 0755), 0) << p;
    return p;
  }
  void also_remove(std::string p) { outside_.push_back(std::move(p)); }

 private:
  std::string path_;
  std::vector<std::string> outside_;
};

bool lexists(const std::string& p) {
  struct stat st {};
  return ::lstat(p.c_str(), &st) == 0;
}

struct stat lstat_of(const std::string& p) {
  struct stat st {};
  EXPECT_EQ(::lstat(p.c_str(), &st), 0) << p << ": " << std::strerror(errno);
  return st;
}

std::string read_all(const std::string& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::optional<std::string> xattr_of(const std::string& p, const char* name) {
  char buf[256];
  ssize_t n = ::lgetxattr(p.c_str(), name, buf, sizeof buf);
  if (n < 0) return std::nullopt;
  return std::string(buf, static_cast<size_t>(n));
}

std::vector<std::string> names_in(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    out.push_back(e.path().filename().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

la_ssize_t append_cb(archive*, void* ctx, const void* buf, size_t len) {
  static_cast<std::string*>(ctx)->append(static_cast<const char*>(buf), len);
  return static_cast<la_ssize_t>(len);
}

using EntryPtr = std::unique_ptr<archive_entry, decltype(&archive_entry_free)>;

// A pax tar built in memory, entry by entry.
class TarBuilder {
 public:
  TarBuilder() : a_(archive_write_new()) {
    archive_write_set_format_pax(a_);
    archive_write_add_filter_none(a_);
    EXPECT_EQ(archive_write_open(a_, &out_, nullptr, append_cb, nullptr), ARCHIVE_OK);
  }
  ~TarBuilder() { archive_write_free(a_); }
  TarBuilder(const TarBuilder&) = delete;
  TarBuilder& operator=(const TarBuilder&) = delete;

  static EntryPtr entry(const std::string& path, mode_t type, mode_t perm) {
    EntryPtr e(archive_entry_new(), archive_entry_free);
    archive_entry_set_pathname(e.get(), path.c_str());
    archive_entry_set_filetype(e.get(), type);
    archive_entry_set_perm(e.get(), perm);
    archive_entry_set_mtime(e.get(), 1700000000, 0);
    archive_entry_set_size(e.get(), 0);
    return e;
  }
  TarBuilder& add(archive_entry* e, std::string_view data = {}) {
    EXPECT_EQ(archive_write_header(a_, e), ARCHIVE_OK)
        << archive_entry_pathname(e) << ": " << archive_error_string(a_);
    if (!data.empty()) {
      EXPECT_EQ(archive_write_data(a_, data.data(), data.size()),
                static_cast<la_ssize_t>(data.size()));
    }
    return *this;
  }
  TarBuilder& dir(const std::string& path, mode_t perm = 0755) {
    return add(entry(path, AE_IFDIR, perm).get());
  }
  TarBuilder& file(const std::string& path, std::string_view data, mode_t perm = 0644,
                   int64_t uid = 0, int64_t gid = 0,
                   const std::vector<std::pair<std::string, std::string>>& xattrs = {}) {
    auto e = entry(path, AE_IFREG, perm);
    archive_entry_set_size(e.get(), static_cast<la_int64_t>(data.size()));
    archive_entry_set_uid(e.get(), uid);
    archive_entry_set_gid(e.get(), gid);
    for (const auto& [k, v] : xattrs) {
      archive_entry_xattr_add_entry(e.get(), k.c_str(), v.data(), v.size());
    }
    return add(e.get(), data);
  }
  TarBuilder& symlink(const std::string& path, const std::string& target) {
    auto e = entry(path, AE_IFLNK, 0777);
    archive_entry_set_symlink(e.get(), target.c_str());
    return add(e.get());
  }
  TarBuilder& hardlink(const std::string& path, const std::string& target) {
    auto e = entry(path, AE_IFREG, 0644);
    archive_entry_set_hardlink(e.get(), target.c_str());
    return add(e.get());
  }
  TarBuilder& node(const std::string& path, mode_t type, mode_t perm, dev_t rdev) {
    auto e = entry(path, type, perm);
    archive_entry_set_rdev(e.get(), rdev);
    return add(e.get());
  }
  // The whole tar (with libarchive's padding to 10 KiB after the end marker).
  std::string finish() {
    EXPECT_EQ(archive_write_close(a_), ARCHIVE_OK);
    return out_;
  }

 private:
  archive* a_;
  std::string out_;
};

// `data` gzip-compressed (libarchive's raw format: the bytes as they are, through the filter).
std::string gzip(std::string_view data) {
  std::string out;
  archive* a = archive_write_new();
  archive_write_set_format_raw(a);
  archive_write_add_filter_gzip(a);
  archive_write_set_bytes_in_last_block(a, 1);
  EXPECT_EQ(archive_write_open(a, &out, nullptr, append_cb, nullptr), ARCHIVE_OK);
  auto e = TarBuilder::entry("data", AE_IFREG, 0644);
  archive_entry_set_size(e.get(), static_cast<la_int64_t>(data.size()));
  EXPECT_EQ(archive_write_header(a, e.get()), ARCHIVE_OK) << archive_error_string(a);
  EXPECT_EQ(archive_write_data(a, data.data(), data.size()), static_cast<la_ssize_t>(data.size()));
  EXPECT_EQ(archive_write_close(a), ARCHIVE_OK);
  archive_write_free(a);
  EXPECT_EQ(out.substr(0, 2), std::string("\x1f\x8b"));
  return out;
}

// Reads `data` in chunks of at most `chunk` bytes (odd, so entries straddle reads).
ReadFn string_reader(std::string data, size_t chunk = 4093) {
  auto s = std::make_shared<std::string>(std::move(data));
  auto off = std::make_shared<size_t>(0);
  return [s, off, chunk](char* buf, size_t cap) -> Result<size_t> {
    size_t n = std::min({cap, chunk, s->size() - *off});
    std::memcpy(buf, s->data() + *off, n);
    *off += n;
    return n;
  };
}

Result<UnpackResult> unpack(const std::string& tar, const std::string& dir,
                            const UnpackOptions& opts = {}) {
  return unpack_layer(string_reader(tar), dir, opts);
}

// One entry of a tar as read back with libarchive.
struct ReadEntry {
  std::string path;
  mode_t type = 0;
  std::string hardlink, symlink;
  int64_t size = 0;
  std::vector<std::string> xattrs;
  std::string data;
};

std::vector<ReadEntry> read_tar(const std::string& tar) {
  std::vector<ReadEntry> out;
  archive* a = archive_read_new();
  archive_read_support_format_tar(a);
  EXPECT_EQ(archive_read_open_memory(a, tar.data(), tar.size()), ARCHIVE_OK);
  archive_entry* e = nullptr;
  int r = 0;
  while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
    ReadEntry re;
    re.path = archive_entry_pathname(e);
    re.type = archive_entry_filetype(e);
    if (archive_entry_hardlink(e)) re.hardlink = archive_entry_hardlink(e);
    if (archive_entry_symlink(e)) re.symlink = archive_entry_symlink(e);
    re.size = archive_entry_size(e);
    const char* xn = nullptr;
    const void* xv = nullptr;
    size_t xs = 0;
    archive_entry_xattr_reset(e);
    while (archive_entry_xattr_next(e, &xn, &xv, &xs) == ARCHIVE_OK) {
      // libarchive's pax writer stores each xattr twice (LIBARCHIVE.xattr. and SCHILY.xattr.)
      // and its reader returns both.
      std::string x = std::string(xn) + "=" + std::string(static_cast<const char*>(xv), xs);
      if (std::find(re.xattrs.begin(), re.xattrs.end(), x) == re.xattrs.end()) {
        re.xattrs.push_back(std::move(x));
      }
    }
    char buf[4096];
    la_ssize_t n = 0;
    while ((n = archive_read_data(a, buf, sizeof buf)) > 0) {
      re.data.append(buf, static_cast<size_t>(n));
    }
    out.push_back(std::move(re));
  }
  EXPECT_EQ(r, ARCHIVE_EOF) << archive_error_string(a);
  archive_read_free(a);
  return out;
}

// ---------------------------------------------------------------------------------------

void check_round_trip_tree(const std::string& root) {
  struct stat st = lstat_of(root + "/d");
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0750u);
  EXPECT_TRUE(S_ISDIR(lstat_of(root + "/d/sub").st_mode));

  st = lstat_of(root + "/d/f");
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0751u);
  EXPECT_EQ(st.st_uid, 1000u);
  EXPECT_EQ(st.st_gid, 1001u);
  EXPECT_EQ(st.st_mtime, 1700000000);
  EXPECT_EQ(read_all(root + "/d/f"), "hello layer\n");
  EXPECT_EQ(xattr_of(root + "/d/f", "user.x"), std::optional<std::string>("1"));

  EXPECT_EQ(read_all(root + "/d/sub/big"), std::string(70000, 'z'));

  st = lstat_of(root + "/sym");
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  char target[64] = {};
  EXPECT_EQ(::readlink((root + "/sym").c_str(), target, sizeof target - 1), 3);
  EXPECT_STREQ(target, "d/f");

  struct stat h1 = lstat_of(root + "/d/sub/big");
  struct stat h2 = lstat_of(root + "/hl");
  EXPECT_EQ(h1.st_ino, h2.st_ino);
  EXPECT_EQ(h1.st_dev, h2.st_dev);
  EXPECT_EQ(h2.st_nlink, 2u);

  st = lstat_of(root + "/fifo");
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0640u);

  st = lstat_of(root + "/null");
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_EQ(major(st.st_rdev), 1u);
  EXPECT_EQ(minor(st.st_rdev), 3u);
  EXPECT_EQ(st.st_mode & 07777, 0666u);

  EXPECT_EQ(names_in(root),
            (std::vector<std::string>{"d", "fifo", "hl", "null", "sym"}));
}

std::string round_trip_tar() {
  TarBuilder t;
  t.dir("d/", 0750)
      .file("d/f", "hello layer\n", 0751, 1000, 1001, {{"user.x", "1"}})
      .dir("d/sub/")
      .file("d/sub/big", std::string(70000, 'z'))
      .symlink("sym", "d/f")
      .hardlink("hl", "d/sub/big")
      .node("fifo", AE_IFIFO, 0640, 0)
      .node("null", AE_IFCHR, 0666, makedev(1, 3));
  return t.finish();
}

TEST(LayerUnpack, RoundTripPlainAndGzip) {
  TempDir tmp;
  const std::string tar = round_trip_tar();
  const std::string want_diff = sha256_digest(tar);
  const int64_t want_size = 12 + 70000;  // the hardlink's bytes count once

  const std::string plain = tmp.sub("plain");
  auto r = unpack(tar, plain);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->diff_id, want_diff);
  EXPECT_EQ(r->size, want_size);
  check_round_trip_tree(plain);

  const std::string gz = gzip(tar);
  ASSERT_NE(gz, tar);
  const std::string zipped = tmp.sub("gzip");
  r = unpack(gz, zipped);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->diff_id, want_diff);  // of the uncompressed tar, not of the blob
  EXPECT_NE(r->diff_id, sha256_digest(gz));
  EXPECT_EQ(r->size, want_size);
  check_round_trip_tree(zipped);
}

TEST(LayerUnpack, WhiteoutsBecomeOverlayWhiteoutsOrStayFiles) {
  TempDir tmp;
  TarBuilder t;
  t.file(".wh.foo", "")
      .dir("dir/")
      .file("dir/keep", "k")
      .file("dir/.wh..wh..opq", "")
      .dir("other/")
      .file("other/.wh.gone", "");
  const std::string tar = t.finish();

  const std::string ov = tmp.sub("overlay");
  // A `foo` already there (a directory with content) is replaced by the whiteout; removing
  // it never follows the symlink inside it.
  ASSERT_EQ(::mkdir((ov + "/foo").c_str(), 0755), 0);
  std::ofstream(ov + "/foo/old") << "old";
  const std::string outside = tmp.sub("outside");
  std::ofstream(outside + "/precious") << "keep";
  ASSERT_EQ(::symlink(outside.c_str(), (ov + "/foo/esc").c_str()), 0);
  auto r = unpack(tar, ov);
  EXPECT_EQ(read_all(outside + "/precious"), "keep");
  ASSERT_TRUE(r) << r.error().message;
  for (const char* w : {"/foo", "/other/gone"}) {
    struct stat st = lstat_of(ov + w);
    EXPECT_TRUE(S_ISCHR(st.st_mode)) << w;
    EXPECT_EQ(st.st_rdev, makedev(0, 0)) << w;
  }
  EXPECT_FALSE(lexists(ov + "/.wh.foo"));
  EXPECT_FALSE(lexists(ov + "/other/.wh.gone"));
  EXPECT_FALSE(lexists(ov + "/dir/.wh..wh..opq"));
  EXPECT_EQ(xattr_of(ov + "/dir", "trusted.overlay.opaque"), std::optional<std::string>("y"));
  EXPECT_EQ(xattr_of(ov + "/other", "trusted.overlay.opaque"), std::nullopt);
  EXPECT_EQ(read_all(ov + "/dir/keep"), "k");
  EXPECT_EQ(names_in(ov), (std::vector<std::string>{"dir", "foo", "other"}));

  const std::string plain = tmp.sub("plain");
  r = unpack(tar, plain, UnpackOptions{.overlay_whiteouts = false});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(S_ISREG(lstat_of(plain + "/.wh.foo").st_mode));
  EXPECT_TRUE(S_ISREG(lstat_of(plain + "/dir/.wh..wh..opq").st_mode));
  EXPECT_TRUE(S_ISREG(lstat_of(plain + "/other/.wh.gone").st_mode));
  EXPECT_FALSE(lexists(plain + "/foo"));
  EXPECT_FALSE(lexists(plain + "/other/gone"));
  EXPECT_EQ(xattr_of(plain + "/dir", "trusted.overlay.opaque"), std::nullopt);
}

// A later entry of the same path replaces the earlier one (a file, a symlink, a device), as
// when a layer is unpacked over what is already there.
TEST(LayerUnpack, LaterEntryReplacesAnEarlierOne) {
  TempDir tmp;
  const std::string root = tmp.sub("root");
  TarBuilder t;
  t.file("f", "one")
      .file("f", "two")
      .symlink("s", "/etc/passwd")
      .file("s", "not a link")
      .file("l", "file first")
      .symlink("l", "f");
  auto r = unpack(t.finish(), root);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(read_all(root + "/f"), "two");
  EXPECT_TRUE(S_ISREG(lstat_of(root + "/s").st_mode));
  EXPECT_EQ(read_all(root + "/s"), "not a link");
  EXPECT_TRUE(S_ISLNK(lstat_of(root + "/l").st_mode));
}

TEST(LayerUnpack, SymlinkGetsTheMtimeOfItsEntry) {
  TempDir tmp;
  const std::string root = tmp.sub("root");
  TarBuilder t;
  t.file("f", "x").symlink("s", "f");
  auto r = unpack(t.finish(), root);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(lstat_of(root + "/f").st_mtime, 1700000000);
  EXPECT_EQ(lstat_of(root + "/s").st_mtime, 1700000000);
}

// ---------------------------------------------------------------------------------------
// Security: nothing outside the root, ever.

TEST(LayerSecurity, DotDotEntryIsRejectedAndNothingLeavesTheRoot) {
  TempDir tmp;
  const std::string root = tmp.sub("root");
  tmp.also_remove(tmp.path() + "/evil");
  for (const char* bad : {"../evil", "a/../../evil", "./../evil"}) {
    TarBuilder t;
    t.dir("a/").file(bad, "pwned");
    auto r = unpack(t.finish(), root);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, Errc::kInvalidArgument) << bad << ": " << r.error().message;
    EXPECT_EQ(names_in(tmp.path()), std::vector<std::string>{"root"}) << bad;
    EXPECT_FALSE(lexists(tmp.path() + "/evil"));
    EXPECT_FALSE(lexists(root + "/evil"));
  }
}

TEST(LayerSecurity, AbsolutePathLandsInsideTheRoot) {
  TempDir tmp;
  const std::string root = tmp.sub("root");
  const std::string name = "berth-layer-test-" + std::to_string(::getpid());
  ASSERT_FALSE(lexists("/etc/" + name));
  tmp.also_remove("/etc/" + name);
  TarBuilder t;
  t.file("/etc/" + name, "inside");
  auto r = unpack(t.finish(), root);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(read_all(root + "/etc/" + name), "inside");
  EXPECT_FALSE(lexists("/etc/" + name));
}

TEST(LayerSecurity, EntriesThroughSymlinksStayInsideTheRoot) {
  TempDir tmp;
  const std::string root = tmp.sub("root");
  const std::string n1 = "berth-layer-evil1-" + std::to_string(::getpid());
  const std::string n2 = "berth-layer-evil2-" + std::to_string(::getpid());
  const std::string n3 = "berth-layer-evil3-" + std::to_string(::getpid());
  for (const auto& n : {n1, n2, n3}) {
    ASSERT_FALSE(lexists("/" + n));
    ASSERT_FALSE(lexists("/tmp/" + n));
    tmp.also_remove("/" + n);
    tmp.also_remove("/tmp/" + n);
  }
  TarBuilder t;
  t.dir("tmp/")
      .symlink("link", "/")
      .file("link/" + n1, "one")
      .symlink("up", "../../..")
      .file("up/" + n2, "two")
      .symlink("tmplink", "/tmp")
      .file("tmplink/" + n3, "three");
  auto r = unpack(t.finish(), root);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(read_all(root + "/" + n1), "one");
  EXPECT_EQ(read_all(root + "/" + n2), "two");
  EXPECT_EQ(read_all(root + "/tmp/" + n3), "three");  // /tmp made inside the root
  for (const auto& n : {n1, n2, n3}) {
    EXPECT_FALSE(lexists("/" + n)) << n;
    EXPECT_FALSE(lexists("/tmp/" + n)) << n;
  }
  EXPECT_EQ(names_in(tmp.path()), std::vector<std::string>{"root"});
  // The symlinks themselves are kept as they are.
  EXPECT_TRUE(S_ISLNK(lstat_of(root + "/link").st_mode));
  EXPECT_TRUE(S_ISLNK(lstat_of(root + "/up").st_mode));

  // Through a symlink to a directory the root does not have: an error, nothing made outside.
  const std::string n4 = "berth-layer-evil4-" + std::to_string(::getpid());
  ASSERT_FALSE(lexists("/" + n4));
  tmp.also_remove("/" + n4);
  const std::string root2 = tmp.sub("root2");
  TarBuilder t2;
  t2.symlink("dangling", "/" + n4).file("dangling/f", "x");
  r = unpack(t2.finish(), root2);
  EXPECT_FALSE(r);
  EXPECT_FALSE(lexists("/" + n4));
  EXPECT_FALSE(lexists(root2 + "/" + n4 + "/f"));
}

// True when some name in `dir` (recursively) is the inode of `host`.
bool links_host_file(const std::string& dir, const std::string& host) {
  struct stat hs = lstat_of(host);
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    struct stat st {};
    if (::lstat(e.path().c_str(), &st) == 0 && st.st_ino == hs.st_ino && st.st_dev == hs.st_dev) {
      return true;
    }
  }
  return false;
}

TEST(LayerSecurity, HardlinkTargetOutsideTheRootIsRefused) {
  TempDir tmp;
  struct stat before = lstat_of("/etc/passwd");
  struct Case {
    const char* target;
    bool with_etc;  // root/etc exists (from the tar), root/etc/passwd does not
  };
  for (const Case& c : {Case{"../../etc/passwd", false}, Case{"/etc/passwd", false},
                        Case{"/etc/passwd", true}, Case{"etc/passwd", true},
                        Case{"./../etc/passwd", true}}) {
    const std::string root = tmp.sub("root");
    TarBuilder t;
    if (c.with_etc) t.dir("etc/");
    t.hardlink("h", c.target);
    auto r = unpack(t.finish(), root);
    ASSERT_FALSE(r) << c.target;
    EXPECT_EQ(r.error().code, Errc::kInvalidArgument) << c.target << ": " << r.error().message;
    EXPECT_FALSE(lexists(root + "/h")) << c.target;
    EXPECT_FALSE(links_host_file(root, "/etc/passwd")) << c.target;
    std::filesystem::remove_all(root);
  }
  // Absolute targets resolve in the root: a root/etc/passwd of the layer is linked.
  const std::string root = tmp.sub("root");
  TarBuilder t;
  t.dir("etc/").file("etc/passwd", "layer's own\n").hardlink("h", "/etc/passwd");
  auto r = unpack(t.finish(), root);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(lstat_of(root + "/h").st_ino, lstat_of(root + "/etc/passwd").st_ino);
  EXPECT_EQ(read_all(root + "/h"), "layer's own\n");
  EXPECT_FALSE(links_host_file(root, "/etc/passwd"));
  struct stat after = lstat_of("/etc/passwd");
  EXPECT_EQ(before.st_nlink, after.st_nlink);
}

TEST(LayerSecurity, HardlinkThroughSymlinkNeverReachesAHostFile) {
  TempDir tmp;
  struct stat before = lstat_of("/etc/passwd");
  // Through a symlinked directory: `e -> /etc`, link to `e/passwd`.
  for (const char* target : {"e/passwd", "l/passwd", "l/x"}) {
    const std::string root = tmp.sub("root");
    TarBuilder t;
    t.symlink("e", "/etc").symlink("l", "/etc/passwd").hardlink("h", target);
    auto r = unpack(t.finish(), root);
    ASSERT_FALSE(r) << target;
    EXPECT_EQ(r.error().code, Errc::kInvalidArgument) << target << ": " << r.error().message;
    EXPECT_FALSE(lexists(root + "/h")) << target;
    EXPECT_FALSE(links_host_file(root, "/etc/passwd")) << target;
    std::filesystem::remove_all(root);
  }
  // A link to the symlink `l` itself links the symlink, not the file it names.
  const std::string root = tmp.sub("root");
  TarBuilder t;
  t.symlink("l", "/etc/passwd").hardlink("h", "l");
  auto r = unpack(t.finish(), root);
  ASSERT_TRUE(r) << r.error().message;
  struct stat st = lstat_of(root + "/h");
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  EXPECT_EQ(st.st_ino, lstat_of(root + "/l").st_ino);
  EXPECT_FALSE(links_host_file(root, "/etc/passwd"));
  EXPECT_EQ(lstat_of("/etc/passwd").st_nlink, before.st_nlink);
}

TEST(LayerSecurity, TruncatedTarIsAnError) {
  TempDir tmp;
  TarBuilder t;
  t.file("a", "first").file("big", std::string(200000, 'b')).file("c", "after");
  const std::string tar = t.finish();
  const size_t cut = tar.find(std::string(1000, 'b')) + 50000;  // in the middle of `big`
  ASSERT_LT(cut, tar.size());
  const std::string truncated = tar.substr(0, cut);

  for (bool compressed : {false, true}) {
    const std::string root = tmp.sub(compressed ? "gz" : "plain");
    auto r = unpack(compressed ? gzip(truncated) : truncated, root);
    ASSERT_FALSE(r) << "compressed=" << compressed;
    EXPECT_TRUE(r.error().code == Errc::kDataLoss || r.error().code == Errc::kInvalidArgument)
        << errc_name(r.error().code) << ": " << r.error().message;
    EXPECT_FALSE(lexists(root + "/c"));
  }
}

// A gzip stream cut short with the tar inside it complete up to some block: an error, not a
// crash. Run in a child process (EXPECT_EXIT), since this case crashed the process.
TEST(LayerSecurityDeathTest, GzipStreamCutShortIsAnErrorNotACrash) {
  TempDir tmp;
  TarBuilder t;
  t.file("a", "first").file("big", std::string(200000, 'b')).file("c", "after");
  const std::string gz = gzip(t.finish());
  int i = 0;
  for (size_t cut : {gz.size() - 8, gz.size() - 4, gz.size() - 1}) {
    const std::string root = tmp.sub("cut" + std::to_string(i++));
    const std::string input = gz.substr(0, cut);
    EXPECT_EXIT(
        {
          auto r = unpack(input, root);
          bool ok = !r && (r.error().code == Errc::kDataLoss ||
                           r.error().code == Errc::kInvalidArgument);
          std::fprintf(stderr, "%s\n", r ? "unpacked without error" : r.error().message.c_str());
          std::_Exit(ok ? 0 : 1);
        },
        ::testing::ExitedWithCode(0), "")
        << "gzip cut to " << cut << " of " << gz.size() << " bytes";
  }
}

TEST(LayerSecurity, NotATarIsAnError) {
  TempDir tmp;
  std::string junk;
  for (int i = 0; i < 200; ++i) junk += "this is not a tar archive, just some text\n";
  for (const std::string& input : {junk, gzip(junk)}) {
    const std::string root = tmp.sub(input == junk ? "plain" : "gz");
    auto r = unpack(input, root);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::kInvalidArgument) << r.error().message;
    EXPECT_TRUE(names_in(root).empty());
  }
}

TEST(LayerSecurity, WhiteoutOfDotDotIsAnError) {
  TempDir tmp;
  for (const char* bad : {"d/.wh...", "d/.wh..", "d/.wh.", ".wh..."}) {
    const std::string root = tmp.sub("root");
    TarBuilder t;
    t.dir("d/").file("d/keep", "k").file(bad, "");
    auto r = unpack(t.finish(), root);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, Errc::kInvalidArgument) << bad << ": " << r.error().message;
    // Neither the directory nor the root was whited out.
    EXPECT_TRUE(S_ISDIR(lstat_of(root + "/d").st_mode)) << bad;
    EXPECT_EQ(read_all(root + "/d/keep"), "k") << bad;
    EXPECT_EQ(names_in(root), std::vector<std::string>{"d"}) << bad;
    EXPECT_EQ(names_in(tmp.path()), std::vector<std::string>{"root"});
    std::filesystem::remove_all(root);
  }
}

TEST(LayerUnpack, OverlayXattrsFromTheTarAreNotApplied) {
  TempDir tmp;
  const std::string root = tmp.sub("root");
  TarBuilder t;
  auto d = TarBuilder::entry("d/", AE_IFDIR, 0755);
  archive_entry_xattr_add_entry(d.get(), "trusted.overlay.opaque", "y", 1);
  archive_entry_xattr_add_entry(d.get(), "user.ok", "dir", 3);
  t.add(d.get());
  t.file("d/f", "x", 0644, 0, 0,
         {{"trusted.overlay.redirect", "/etc"},
          {"trusted.overlay.metacopy", ""},
          {"trusted.overlay.origin", "zzz"},
          {"user.ok", "file"}});
  // Check the tar really carries them.
  const std::string tar = t.finish();
  auto entries = read_tar(tar);
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_NE(std::find(entries[0].xattrs.begin(), entries[0].xattrs.end(),
                      "trusted.overlay.opaque=y"),
            entries[0].xattrs.end());

  auto r = unpack(tar, root);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(xattr_of(root + "/d", "trusted.overlay.opaque"), std::nullopt);
  EXPECT_EQ(xattr_of(root + "/d/f", "trusted.overlay.redirect"), std::nullopt);
  EXPECT_EQ(xattr_of(root + "/d/f", "trusted.overlay.metacopy"), std::nullopt);
  EXPECT_EQ(xattr_of(root + "/d/f", "trusted.overlay.origin"), std::nullopt);
  // Other xattrs are applied.
  EXPECT_EQ(xattr_of(root + "/d", "user.ok"), std::optional<std::string>("dir"));
  EXPECT_EQ(xattr_of(root + "/d/f", "user.ok"), std::optional<std::string>("file"));
}

// ---------------------------------------------------------------------------------------

void write_file(const std::string& p, const std::string& data, mode_t mode = 0644) {
  std::ofstream(p, std::ios::binary) << data;
  ASSERT_EQ(::chmod(p.c_str(), mode), 0) << p;
}

TEST(LayerWrite, OverlayUpperDirBecomesLayerAndUnpacksBack) {
  TempDir tmp;
  const std::string src = tmp.sub("src");
  write_file(src + "/a.txt", "alpha\n", 0640);
  ASSERT_EQ(::setxattr((src + "/a.txt").c_str(), "user.x", "1", 1, 0), 0);
  ASSERT_EQ(::mkdir((src + "/b").c_str(), 0711), 0);
  ASSERT_EQ(::link((src + "/a.txt").c_str(), (src + "/b/hl").c_str()), 0);
  write_file(src + "/b/z.txt", std::string(5000, 'z'), 0600);
  ASSERT_EQ(::lchown((src + "/b/z.txt").c_str(), 1000, 1001), 0);
  ASSERT_EQ(::mknod((src + "/gone").c_str(), S_IFCHR | 0600, makedev(0, 0)), 0);
  ASSERT_EQ(::mkdir((src + "/opq").c_str(), 0755), 0);
  ASSERT_EQ(::setxattr((src + "/opq").c_str(), "trusted.overlay.opaque", "y", 1, 0), 0);
  write_file(src + "/opq/inner", "in");
  ASSERT_EQ(::symlink("a.txt", (src + "/sym").c_str()), 0);
  ASSERT_EQ(::mknod((src + "/tty").c_str(), S_IFCHR | 0620, makedev(5, 0)), 0);
  ASSERT_EQ(::chmod((src + "/tty").c_str(), 0620), 0);  // past the umask

  std::string tar;
  auto w = write_layer(src, /*overlay_upper=*/true, [&](const char* p, size_t n) -> Result<void> {
    tar.append(p, n);
    return {};
  });
  ASSERT_TRUE(w) << w.error().message;

  auto entries = read_tar(tar);
  std::vector<std::string> paths;
  for (const auto& e : entries) paths.push_back(e.path);
  // Sorted by name directory by directory, a whiteout where its name is, the opaque marker
  // right after its directory.
  EXPECT_EQ(paths, (std::vector<std::string>{"a.txt", "b/", "b/hl", "b/z.txt", ".wh.gone", "opq/",
                                             "opq/.wh..wh..opq", "opq/inner", "sym", "tty"}));
  auto find = [&](const std::string& p) -> const ReadEntry* {
    for (const auto& e : entries) {
      if (e.path == p) return &e;
    }
    ADD_FAILURE() << "no entry " << p;
    return nullptr;
  };
  if (auto* e = find("a.txt")) {
    EXPECT_EQ(e->type, static_cast<mode_t>(AE_IFREG));
    EXPECT_EQ(e->data, "alpha\n");
    EXPECT_EQ(e->xattrs, std::vector<std::string>{"user.x=1"});
  }
  // In the form docker and Go's archive/tar read (a PAX record "<len> SCHILY.xattr.user.x=1").
  EXPECT_NE(tar.find(" SCHILY.xattr.user.x=1\n"), std::string::npos);
  if (auto* e = find("b/hl")) {
    EXPECT_EQ(e->hardlink, "a.txt");
    EXPECT_EQ(e->size, 0);
  }
  if (auto* e = find(".wh.gone")) {
    EXPECT_EQ(e->type, static_cast<mode_t>(AE_IFREG));
    EXPECT_EQ(e->size, 0);
  }
  if (auto* e = find("opq/")) {
    EXPECT_EQ(e->type, static_cast<mode_t>(AE_IFDIR));
    EXPECT_TRUE(e->xattrs.empty());  // trusted.overlay.* never goes into a layer
  }
  if (auto* e = find("opq/.wh..wh..opq")) {
    EXPECT_EQ(e->type, static_cast<mode_t>(AE_IFREG));
    EXPECT_EQ(e->size, 0);
  }
  if (auto* e = find("sym")) {
    EXPECT_EQ(e->type, static_cast<mode_t>(AE_IFLNK));
    EXPECT_EQ(e->symlink, "a.txt");
  }
  if (auto* e = find("tty")) {
    EXPECT_EQ(e->type, static_cast<mode_t>(AE_IFCHR));
  }

  // Back into a directory: the same tree, whiteout and opaque marker included.
  const std::string dst = tmp.sub("dst");
  auto r = unpack(tar, dst);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->diff_id, sha256_digest(tar));
  EXPECT_EQ(r->size, 6 + 5000 + 2);
  EXPECT_EQ(names_in(dst), names_in(src));
  EXPECT_EQ(names_in(dst + "/b"), (std::vector<std::string>{"hl", "z.txt"}));
  EXPECT_EQ(names_in(dst + "/opq"), std::vector<std::string>{"inner"});
  EXPECT_EQ(read_all(dst + "/a.txt"), "alpha\n");
  EXPECT_EQ(lstat_of(dst + "/a.txt").st_mode & 07777, 0640u);
  EXPECT_EQ(xattr_of(dst + "/a.txt", "user.x"), std::optional<std::string>("1"));
  EXPECT_EQ(lstat_of(dst + "/b").st_mode & 07777, 0711u);
  EXPECT_EQ(lstat_of(dst + "/b/hl").st_ino, lstat_of(dst + "/a.txt").st_ino);
  struct stat z = lstat_of(dst + "/b/z.txt");
  EXPECT_EQ(z.st_uid, 1000u);
  EXPECT_EQ(z.st_gid, 1001u);
  EXPECT_EQ(z.st_mode & 07777, 0600u);
  EXPECT_EQ(read_all(dst + "/b/z.txt"), std::string(5000, 'z'));
  struct stat g = lstat_of(dst + "/gone");
  EXPECT_TRUE(S_ISCHR(g.st_mode));
  EXPECT_EQ(g.st_rdev, makedev(0, 0));
  EXPECT_EQ(xattr_of(dst + "/opq", "trusted.overlay.opaque"), std::optional<std::string>("y"));
  EXPECT_EQ(read_all(dst + "/opq/inner"), "in");
  char target[16] = {};
  EXPECT_EQ(::readlink((dst + "/sym").c_str(), target, sizeof target - 1), 5);
  EXPECT_STREQ(target, "a.txt");
  struct stat tty = lstat_of(dst + "/tty");
  EXPECT_TRUE(S_ISCHR(tty.st_mode));
  EXPECT_EQ(tty.st_rdev, makedev(5, 0));
  EXPECT_EQ(tty.st_mode & 07777, 0620u);

  // Without overlay_upper, the 0/0 device is just a device and no marker is written.
  std::string plain;
  ASSERT_TRUE(write_layer(src, false, [&](const char* p, size_t n) -> Result<void> {
    plain.append(p, n);
    return {};
  }));
  paths.clear();
  for (const auto& e : read_tar(plain)) paths.push_back(e.path);
  EXPECT_EQ(paths, (std::vector<std::string>{"a.txt", "b/", "b/hl", "b/z.txt", "gone", "opq/",
                                             "opq/inner", "sym", "tty"}));
}

// A unix socket in the directory (a container's /run/x.sock) is left out of the layer, as
// docker does (tar cannot hold sockets); the rest of the layer is written.
TEST(LayerWrite, SocketsAreLeftOut) {
  TempDir tmp;
  const std::string src = tmp.sub("src");
  write_file(src + "/a", "a");
  const std::string sock_path = src + "/s.sock";
  UniqueFd sock(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  ASSERT_GE(sock.get(), 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  ASSERT_LT(sock_path.size(), sizeof addr.sun_path);
  std::memcpy(addr.sun_path, sock_path.c_str(), sock_path.size() + 1);
  ASSERT_EQ(::bind(sock.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_TRUE(S_ISSOCK(lstat_of(sock_path).st_mode));
  write_file(src + "/z", "z");

  std::string tar;
  auto w = write_layer(src, true, [&](const char* p, size_t n) -> Result<void> {
    tar.append(p, n);
    return {};
  });
  ASSERT_TRUE(w) << w.error().message;
  std::vector<std::string> paths;
  for (const auto& e : read_tar(tar)) paths.push_back(e.path);
  EXPECT_EQ(paths, (std::vector<std::string>{"a", "z"}));
}

TEST(LayerDecompress, GzipGivesTheUncompressedBytesAndTheirDigest) {
  std::string data;
  for (uint32_t i = 0; i < 300000; ++i) data += static_cast<char>((i * 7919u) % 251u);
  const std::string gz = gzip(data);
  ASSERT_LT(gz.size(), data.size());
  std::string out;
  auto sink = [&](const char* p, size_t n) -> Result<void> {
    out.append(p, n);
    return {};
  };
  auto d = decompress(string_reader(gz), sink);
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(out, data);
  EXPECT_EQ(*d, sha256_digest(data));

  // Uncompressed input comes through unchanged.
  out.clear();
  d = decompress(string_reader(data), sink);
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(out, data);
  EXPECT_EQ(*d, sha256_digest(data));

  // The error of the writer is returned.
  d = decompress(string_reader(gz), [](const char*, size_t) -> Result<void> {
    return make_error(Errc::kResourceExhausted, "disk full");
  });
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().code, Errc::kResourceExhausted);

  // A gzip stream cut short is data loss, not success.
  out.clear();
  d = decompress(string_reader(gz.substr(0, gz.size() / 2)), sink);
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().code, Errc::kDataLoss) << d.error().message;
}

}  // namespace
}  // namespace berth::image
