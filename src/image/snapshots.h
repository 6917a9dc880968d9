// Overlay snapshots, after containerd's overlayfs snapshotter: each layer is unpacked once
// into <root>/<chain-id hex>/fs (shared by every image whose layer stack starts the same
// way), and a container gets a writable snapshot <root>/active/<key>/{upper,work} whose
// lower dirs are its image's layers, top first (overlayfs.rst, "Multiple lower layers").
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/error.h"
#include "image/layer.h"

namespace berth::image {

// An overlay mount for a writable snapshot: `mount -t overlay overlay -o <options> <target>`.
struct SnapshotMount {
  std::string type = "overlay";
  std::string source = "overlay";
  std::vector<std::string> options;  // lowerdir=..., upperdir=..., workdir=...
};

class Snapshots {
 public:
  explicit Snapshots(std::string root);

  bool has(const std::string& chain_id) const;
  // The layer's directory (lower dir): <root>/<hex>/fs.
  std::string dir(const std::string& chain_id) const;
  // Unpacks a layer as snapshot `chain_id`: into a private temp dir, then committed by
  // rename, so a crash never leaves a half-unpacked snapshot and two concurrent unpacks of
  // one chain keep one. When `diff_id` is not empty the tar must hash to it.
  // Errors: those of unpack_layer; kDataLoss when the diff_id does not match.
  Result<UnpackResult> unpack(const std::string& chain_id, const std::string& diff_id,
                              const ReadFn& read);
  // Bytes of file content in the snapshot (recorded at unpack; 0 when unknown).
  int64_t size(const std::string& chain_id) const;
  // Committed snapshots (chain IDs).
  std::vector<std::string> list() const;
  // Errors: kConflict (busy), kPermissionDenied.
  Result<void> remove(const std::string& chain_id);

  // The init layer of `chain` (docker's "-init" layer, here shared by every container of the
  // chain instead of made for each): an empty directory for each of `entries` ending in '/'
  // and an empty file for the others ("proc/", "etc/hosts"), for those the chain lacks. The
  // mount points a container needs then exist in a lower dir, and nothing is created in its
  // writable snapshot at start. A parent made for an entry takes the mode and owner of the
  // chain's directory of that name; an entry under a path the chain has as a non-directory is
  // left out. Returns its chain ID (put it on top of `chain`); an ordinary snapshot for
  // list/remove and GC. Errors: kNotFound (a layer is missing), the file system's.
  Result<std::string> init_layer(const std::vector<std::string>& chain,
                                 const std::vector<std::string>& entries);
  // A writable snapshot `key` over `chain` (the image's chain IDs, bottom layer first; may
  // be empty). Errors: kNotFound (a layer is missing), kAlreadyExists (key in use).
  Result<SnapshotMount> prepare(const std::string& key, const std::vector<std::string>& chain);
  // The mount of an existing writable snapshot. Errors: kNotFound.
  Result<SnapshotMount> mounts(const std::string& key) const;
  std::string upper_dir(const std::string& key) const;
  // Chain IDs the writable snapshot uses (so GC keeps them).
  std::vector<std::string> active_parents() const;
  // Removes a writable snapshot (not mounted). Missing is not an error.
  Result<void> remove_active(const std::string& key);
  // Removes temp dirs left by crashed unpacks (never one a running unpack holds).
  void clean_temp();

 private:
  std::string root_;
};

}  // namespace berth::image
