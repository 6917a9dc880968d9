// Layer tars in and out of directories. Unpack follows the OCI image-spec layer.md
// (changesets, whiteouts `.wh.<name>` and opaque `.wh..wh..opq`) and moby's
// pkg/archive (overlay whiteout conversion: a whiteout becomes a 0/0 character device, an
// opaque directory gets trusted.overlay.opaque=y). Every path is resolved with
// openat2(RESOLVE_IN_ROOT), so no entry (`..`, absolute, through a symlink, a hardlink
// target) can reach outside the target directory.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "common/error.h"

namespace berth::image {

// Fills `buf` with up to `cap` bytes of the (possibly compressed) layer; 0 = end.
using ReadFn = std::function<Result<size_t>(char* buf, size_t cap)>;
// Takes the next `len` bytes of output.
using WriteFn = std::function<Result<void>(const char* data, size_t len)>;

struct UnpackOptions {
  // Whiteouts become overlayfs ones (snapshots); false keeps `.wh.` files as they are.
  bool overlay_whiteouts = true;
  // Keep uid/gid, devices and xattrs from the tar (root); false: files belong to the caller.
  bool keep_owner = true;
};

struct UnpackResult {
  std::string diff_id;  // "sha256:" of the uncompressed tar (config.md rootfs.diff_ids)
  int64_t size = 0;     // bytes of regular file content written
};

// Unpacks the tar read from `read` (plain, gzip, zstd, xz, bzip2; detected from the bytes)
// into the existing directory `dir`. Errors: kInvalidArgument (not a tar, an entry whose
// path escapes with `..`, a hardlink to a missing file), kDataLoss (truncated input), and
// the errors of `read` and of the file system.
Result<UnpackResult> unpack_layer(const ReadFn& read, const std::string& dir,
                                  const UnpackOptions& opts = {});

// A reader of the file at `path` for unpack_layer. Errors at read time: kNotFound.
ReadFn file_reader(const std::string& path);

// Writes the directory `dir` as a tar (PAX) to `write`. With `overlay_upper`, `dir` is an
// overlayfs upper dir: 0/0 character devices become `.wh.<name>` and opaque directories
// get `.wh..wh..opq` (the layer a container's changes make, for commit and build).
// Entries are sorted by name; hardlinks inside `dir` stay hardlinks.
// Errors: kNotFound, kPermissionDenied, and the errors of `write`.
Result<void> write_layer(const std::string& dir, bool overlay_upper, const WriteFn& write);

// The file or directory at `path` (not followed when a symlink) as a tar whose entries are
// named `name`, `name/child`, ...: docker's archive of one resource (moby pkg/archive
// TarResourceRebase, for `docker cp` and the builder's COPY). Errors: kNotFound,
// kPermissionDenied, and the errors of `write`.
Result<void> write_resource(const std::string& path, const std::string& name, const WriteFn& write);

// Decompresses a layer blob (any compression) to `write`; returns the digest of the
// uncompressed bytes (the diff_id). Errors: kInvalidArgument (unknown format), kDataLoss.
Result<std::string> decompress(const ReadFn& read, const WriteFn& write);

}  // namespace berth::image
