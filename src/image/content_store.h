// Content store: blobs by digest, laid out as an OCI image layout's blobs/ directory
// (image-spec image-layout.md): <root>/blobs/sha256/<hex>. Follows containerd's content
// store: a write goes to <root>/ingest/, is checked against its expected digest and size,
// and only then becomes visible by rename, so a half-written or corrupt blob is never used.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/digest.h"
#include "common/error.h"
#include "common/unique_fd.h"

namespace berth::image {

// Manifests, indexes and configs larger than this are refused (bytes; Docker's limit).
inline constexpr int64_t kMaxJsonBlobBytes = 4 << 20;

class BlobWriter;

class ContentStore {
 public:
  // `root` is created on first write.
  explicit ContentStore(std::string root);

  const std::string& root() const { return root_; }
  // Path of the blob (it may not exist). `digest` must be "sha256:<hex>".
  std::string blob_path(std::string_view digest) const;
  bool exists(std::string_view digest) const;
  // Size in bytes. Errors: kNotFound.
  Result<int64_t> size(std::string_view digest) const;
  // Whole blob, refused when larger than `max_bytes`; its digest is checked again.
  // Errors: kNotFound, kResourceExhausted (too large), kDataLoss (bytes do not match).
  Result<std::string> read(std::string_view digest, int64_t max_bytes = kMaxJsonBlobBytes) const;
  // Stores `data`; returns its digest. When `expected` is not empty the data must match it.
  // Errors: kDataLoss (mismatch), kInternal/kResourceExhausted (disk).
  Result<std::string> put(std::string_view data, std::string_view expected = {});
  // A writer for a blob of digest `expected` ("" when unknown) and `size` bytes (-1 when
  // unknown). When an earlier interrupted write of the same digest left bytes in ingest/, the
  // writer continues after them (offset() > 0), so a download can resume with a Range request.
  // Concurrent writers of one digest never share a file. Errors: kInvalidArgument (digest).
  Result<std::unique_ptr<BlobWriter>> writer(std::string_view expected, int64_t size);
  // Errors: kNotFound.
  Result<void> remove(std::string_view digest);
  // Every stored digest.
  Result<std::vector<std::string>> list() const;
  // Removes ingest files no writer holds (left by crashed writers older than `min_age_s`).
  void clean_ingest(int64_t min_age_s);

 private:
  std::string root_;
};

class BlobWriter {
 public:
  ~BlobWriter();  // not committed: the partial file stays for a resume only if resumable
  BlobWriter(const BlobWriter&) = delete;
  BlobWriter& operator=(const BlobWriter&) = delete;

  // Bytes already present (resumed) plus bytes written.
  int64_t offset() const { return offset_; }
  // Appends. Errors: kResourceExhausted (disk full, or more than the expected size), kInternal.
  Result<void> write(const void* data, size_t len);
  // Starts over from byte 0 (the server ignored our Range request).
  Result<void> restart();
  // Verifies size and digest, then makes the blob visible. Returns the digest.
  // Errors: kDataLoss (mismatch: the partial file is deleted), kInternal.
  Result<std::string> commit();
  // Path of the file being written (readable while writing, e.g. to unpack from it).
  const std::string& path() const { return path_; }

 private:
  friend class ContentStore;
  BlobWriter() = default;

  ContentStore* store_ = nullptr;
  std::string expected_;
  int64_t size_ = -1;
  std::string path_;
  bool resumable_ = false;  // our file is ingest/<hex> under our flock
  UniqueFd fd_;
  Sha256 hash_;
  int64_t offset_ = 0;
  bool done_ = false;
};

}  // namespace berth::image
