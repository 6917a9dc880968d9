// The content store (image/content_store.h): blobs by digest, verified writes, resumes.
#include "image/content_store.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace berth::image {
namespace {

// A fresh directory under /tmp, removed with everything in it when the test ends.
class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/berth-cs-XXXXXX";
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
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::vector<std::string> names_in(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    out.push_back(e.path().filename().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

bool lexists(const std::string& p) {
  struct stat st {};
  return ::lstat(p.c_str(), &st) == 0;
}

std::string read_all(const std::string& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

class ContentStoreTest : public ::testing::Test {
 protected:
  TempDir tmp_;
  std::string root_ = tmp_.path() + "/store";
  ContentStore store_{root_};
  std::string blobs() const { return root_ + "/blobs/sha256"; }
  std::string ingest() const { return root_ + "/ingest"; }
};

TEST_F(ContentStoreTest, PutAndReadRoundTrip) {
  const std::string data = "{\"schemaVersion\": 2}";
  const std::string want = sha256_digest(data);
  EXPECT_FALSE(store_.exists(want));
  auto d = store_.put(data);
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(*d, want);
  EXPECT_TRUE(store_.exists(want));
  EXPECT_EQ(store_.blob_path(want), blobs() + "/" + std::string(digest_hex(want)));
  EXPECT_EQ(read_all(store_.blob_path(want)), data);
  EXPECT_EQ(*store_.size(want), static_cast<int64_t>(data.size()));
  auto r = store_.read(want);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(*r, data);

  // With the right expected digest, and a second time (already there): same answer.
  d = store_.put(data, want);
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(*d, want);
  EXPECT_EQ(*store_.list(), std::vector<std::string>{want});
  EXPECT_TRUE(names_in(ingest()).empty());

  // Empty blob.
  d = store_.put("");
  ASSERT_TRUE(d);
  EXPECT_EQ(*d, sha256_digest(""));
  EXPECT_EQ(*store_.read(*d), "");

  auto missing = store_.read(sha256_digest("nope"));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, Errc::kNotFound);
}

TEST_F(ContentStoreTest, PutWithWrongDigestStoresNothing) {
  auto d = store_.put("real content", sha256_digest("other content"));
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().code, Errc::kDataLoss);
  EXPECT_TRUE(store_.list()->empty());
  EXPECT_TRUE(names_in(blobs()).empty());
  EXPECT_TRUE(names_in(ingest()).empty());
  EXPECT_FALSE(store_.exists(sha256_digest("other content")));
  EXPECT_FALSE(store_.exists(sha256_digest("real content")));
}

TEST_F(ContentStoreTest, WriterWithWrongSizeOrDigestCommitsNothing) {
  const std::string data = "0123456789";
  {  // Fewer bytes than announced.
    auto w = store_.writer(sha256_digest(data), 20);
    ASSERT_TRUE(w) << w.error().message;
    const std::string path = (*w)->path();
    ASSERT_TRUE((*w)->write(data.data(), data.size()));
    EXPECT_TRUE(lexists(path));
    auto c = (*w)->commit();
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error().code, Errc::kDataLoss) << c.error().message;
    EXPECT_FALSE(lexists(path));
  }
  {  // More bytes than announced: refused at write.
    auto w = store_.writer(sha256_digest(data), 4);
    ASSERT_TRUE(w);
    auto wr = (*w)->write(data.data(), data.size());
    ASSERT_FALSE(wr);
    EXPECT_EQ(wr.error().code, Errc::kResourceExhausted);
    EXPECT_FALSE((*w)->commit());
  }
  {  // Right size, other bytes.
    auto w = store_.writer(sha256_digest(data), 10);
    ASSERT_TRUE(w);
    const std::string path = (*w)->path();
    ASSERT_TRUE((*w)->write("9876543210", 10));
    auto c = (*w)->commit();
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error().code, Errc::kDataLoss);
    EXPECT_FALSE(lexists(path));
  }
  {  // Unknown size: the digest is still checked.
    auto w = store_.writer(sha256_digest("x"), -1);
    ASSERT_TRUE(w);
    ASSERT_TRUE((*w)->write(data.data(), data.size()));
    auto c = (*w)->commit();
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error().code, Errc::kDataLoss);
  }
  EXPECT_TRUE(store_.list()->empty());
  EXPECT_TRUE(names_in(blobs()).empty());
  EXPECT_TRUE(names_in(ingest()).empty()) << names_in(ingest()).size();
  EXPECT_FALSE(store_.exists(sha256_digest(data)));
}

TEST_F(ContentStoreTest, WriterWithoutExpectedDigest) {
  const std::string data = "anything at all";
  auto w = store_.writer("", -1);
  ASSERT_TRUE(w);
  ASSERT_TRUE((*w)->write(data.data(), 5));
  ASSERT_TRUE((*w)->write(data.data() + 5, data.size() - 5));
  EXPECT_EQ((*w)->offset(), static_cast<int64_t>(data.size()));
  auto c = (*w)->commit();
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(*c, sha256_digest(data));
  EXPECT_EQ(*store_.read(*c), data);
  w->reset();
  EXPECT_TRUE(names_in(ingest()).empty());

  // Not a digest.
  auto bad = store_.writer("md5:abc", 3);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Errc::kInvalidArgument);
}

TEST_F(ContentStoreTest, ReadRefusesBlobLargerThanTheLimit) {
  const std::string data(5000, 'x');
  auto d = store_.put(data);
  ASSERT_TRUE(d);
  auto r = store_.read(*d, 4999);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kResourceExhausted);
  EXPECT_TRUE(store_.read(*d, 5000));

  // The default limit is kMaxJsonBlobBytes.
  const std::string big(static_cast<size_t>(kMaxJsonBlobBytes) + 1, 'y');
  auto bd = store_.put(big);
  ASSERT_TRUE(bd);
  r = store_.read(*bd);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kResourceExhausted);
  r = store_.read(*bd, kMaxJsonBlobBytes + 1);
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, big);
}

TEST_F(ContentStoreTest, InterruptedWriteResumes) {
  std::string data;
  for (int i = 0; i < 100000; ++i) data += static_cast<char>('a' + i % 26);
  const std::string digest = sha256_digest(data);
  const size_t half = data.size() / 2;
  {
    auto w = store_.writer(digest, static_cast<int64_t>(data.size()));
    ASSERT_TRUE(w);
    EXPECT_EQ((*w)->offset(), 0);
    ASSERT_TRUE((*w)->write(data.data(), half));
    EXPECT_EQ((*w)->offset(), static_cast<int64_t>(half));
  }  // destroyed without commit
  EXPECT_FALSE(store_.exists(digest));
  EXPECT_TRUE(store_.list()->empty());

  auto w = store_.writer(digest, static_cast<int64_t>(data.size()));
  ASSERT_TRUE(w);
  ASSERT_EQ((*w)->offset(), static_cast<int64_t>(half));
  ASSERT_TRUE((*w)->write(data.data() + half, data.size() - half));
  auto c = (*w)->commit();
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(*c, digest);
  EXPECT_EQ(read_all(store_.blob_path(digest)), data);
  EXPECT_TRUE(store_.read(digest, 1 << 20));
  w->reset();
  EXPECT_TRUE(names_in(ingest()).empty());

  // restart() when the server ignores the Range request.
  const std::string other(3000, 'q');
  const std::string od = sha256_digest(other);
  {
    auto w1 = store_.writer(od, 3000);
    ASSERT_TRUE(w1);
    ASSERT_TRUE((*w1)->write(other.data(), 1000));
  }
  auto w2 = store_.writer(od, 3000);
  ASSERT_TRUE(w2);
  EXPECT_EQ((*w2)->offset(), 1000);
  ASSERT_TRUE((*w2)->restart());
  EXPECT_EQ((*w2)->offset(), 0);
  ASSERT_TRUE((*w2)->write(other.data(), other.size()));
  auto c2 = (*w2)->commit();
  ASSERT_TRUE(c2) << c2.error().message;
  EXPECT_EQ(*store_.read(od), other);
}

TEST_F(ContentStoreTest, ConcurrentWritersOfOneDigestBothCommit) {
  const std::string data(20000, 'c');
  const std::string digest = sha256_digest(data);
  auto w1 = store_.writer(digest, static_cast<int64_t>(data.size()));
  ASSERT_TRUE(w1);
  auto w2 = store_.writer(digest, static_cast<int64_t>(data.size()));
  ASSERT_TRUE(w2);
  EXPECT_NE((*w1)->path(), (*w2)->path());  // never the same file
  // Interleaved writes.
  ASSERT_TRUE((*w1)->write(data.data(), 7000));
  ASSERT_TRUE((*w2)->write(data.data(), 12000));
  ASSERT_TRUE((*w1)->write(data.data() + 7000, data.size() - 7000));
  ASSERT_TRUE((*w2)->write(data.data() + 12000, data.size() - 12000));
  auto c2 = (*w2)->commit();
  ASSERT_TRUE(c2) << c2.error().message;
  auto c1 = (*w1)->commit();
  ASSERT_TRUE(c1) << c1.error().message;
  EXPECT_EQ(*c1, digest);
  EXPECT_EQ(*c2, digest);
  EXPECT_EQ(*store_.read(digest), data);
  w1->reset();
  w2->reset();
  EXPECT_TRUE(names_in(ingest()).empty());
  EXPECT_EQ(*store_.list(), std::vector<std::string>{digest});
}

// Many threads storing the same blob at once (parallel pulls of images sharing a layer):
// every commit succeeds, and a blob once visible is never seen with other bytes.
TEST_F(ContentStoreTest, ManyConcurrentWritersOfOneDigest) {
  const std::string data(4096, 'm');
  const std::string digest = sha256_digest(data);
  constexpr int kThreads = 8;
  std::vector<std::string> errors(kThreads);
  std::atomic<bool> done{false};
  std::atomic<int> corrupt_reads{0};
  std::thread reader([&] {
    while (!done) {
      auto r = store_.read(digest, 1 << 20);
      if (!r && r.error().code == Errc::kDataLoss) ++corrupt_reads;
    }
  });
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::string& err = errors[static_cast<size_t>(t)];
      for (int i = 0; i < 1000; ++i) {
        auto w = store_.writer(digest, static_cast<int64_t>(data.size()));
        if (!w) {
          err = "writer: " + w.error().message;
          return;
        }
        if ((*w)->offset() != 0) {
          if (auto r = (*w)->restart(); !r) {
            err = "restart: " + r.error().message;
            return;
          }
        }
        if (auto r = (*w)->write(data.data(), data.size()); !r) {
          err = "write: " + r.error().message;
          return;
        }
        auto c = (*w)->commit();
        if (!c || *c != digest) {
          err = "commit: " + (c ? *c : c.error().message);
          return;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  done = true;
  reader.join();
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(errors[static_cast<size_t>(t)], "") << "thread " << t;
  }
  EXPECT_EQ(corrupt_reads.load(), 0) << "the committed blob was seen with other bytes";
  auto r = store_.read(digest, 1 << 20);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(*r, data);
}

TEST_F(ContentStoreTest, CorruptedBlobIsDataLoss) {
  auto d = store_.put("original bytes");
  ASSERT_TRUE(d);
  {
    std::ofstream f(store_.blob_path(*d), std::ios::binary | std::ios::trunc);
    f << "original bytez";
  }
  auto r = store_.read(*d);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kDataLoss);
}

TEST_F(ContentStoreTest, RemoveAndList) {
  EXPECT_TRUE(store_.list()->empty());  // nothing created yet
  EXPECT_FALSE(lexists(root_));
  auto a = store_.put("a");
  auto b = store_.put("b");
  auto c = store_.put("c");
  ASSERT_TRUE(a && b && c);
  std::vector<std::string> want{*a, *b, *c};
  std::sort(want.begin(), want.end());
  auto l = store_.list();
  ASSERT_TRUE(l);
  std::sort(l->begin(), l->end());
  EXPECT_EQ(*l, want);

  ASSERT_TRUE(store_.remove(*b));
  EXPECT_FALSE(store_.exists(*b));
  EXPECT_FALSE(lexists(store_.blob_path(*b)));
  auto rb = store_.read(*b);
  ASSERT_FALSE(rb);
  EXPECT_EQ(rb.error().code, Errc::kNotFound);
  l = store_.list();
  std::sort(l->begin(), l->end());
  want.erase(std::find(want.begin(), want.end(), *b));
  EXPECT_EQ(*l, want);

  auto again = store_.remove(*b);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, Errc::kNotFound);
  auto bad = store_.remove("sha256:zz");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Errc::kNotFound);
  EXPECT_EQ(*store_.read(*a), "a");
}

// A digest is "sha256:" and 64 lowercase hex digits; anything else (a manifest from a
// registry is untrusted input) must never name a file outside the store.
TEST_F(ContentStoreTest, DigestWithPathCharactersNeverLeavesTheStore) {
  ASSERT_TRUE(store_.put("make the dirs"));
  auto evil = [](const std::string& rel) {  // 64 characters: "../.." then slashes then name
    std::string hex = rel;
    hex.insert(rel.rfind('/') + 1, std::string(64 - rel.size(), '/'));
    EXPECT_EQ(hex.size(), 64u);
    return "sha256:" + hex;
  };
  const std::string victim = tmp_.path() + "/victim";
  { std::ofstream(victim) << "keep me"; }

  // blobs/sha256/../../../victim is tmp/victim.
  const std::string from_blobs = evil("../../../victim");
  EXPECT_FALSE(store_.exists(from_blobs));
  EXPECT_FALSE(store_.size(from_blobs));
  auto rm = store_.remove(from_blobs);
  EXPECT_FALSE(rm);
  EXPECT_EQ(read_all(victim), "keep me");

  // ingest/../../outside is tmp/outside.
  const std::string from_ingest = evil("../../outside");
  auto w = store_.writer(from_ingest, 4);
  if (w) {
    (void)(*w)->write("evil", 4);
  }
  EXPECT_FALSE(w);
  if (!w) {
    EXPECT_EQ(w.error().code, Errc::kInvalidArgument);
  }
  EXPECT_FALSE(lexists(tmp_.path() + "/outside"));
  EXPECT_EQ(names_in(tmp_.path()), (std::vector<std::string>{"store", "victim"}));
}

}  // namespace
}  // namespace berth::image
