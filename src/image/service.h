// ImageService: the images of one data root, as `docker image ...` shows them. Ties the
// content store (blobs), the snapshots (unpacked layers) and the image metadata (SQLite:
// image IDs and the names that point at them) together. Image IDs are config digests and
// names are normalised references, as in moby's image and reference stores.
//
// Safe for several processes on one data root: metadata goes through SQLite, blobs and
// snapshots appear by rename, and deletions of blobs/snapshots (remove, prune) hold an
// exclusive lock that pulls, loads and imports share.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/json.h"
#include "image/content_store.h"
#include "image/oci.h"
#include "image/progress.h"
#include "image/snapshots.h"

namespace berth::image {

struct ServiceOptions {
  std::string root;  // data root: content/, snapshots/, images.db
  // Registries spoken to over plain HTTP ("host:port"); loopback ones always are (docker's
  // default insecure range 127.0.0.0/8).
  std::vector<std::string> insecure_registries;
  // Credentials file `docker login` writes ("" = $DOCKER_CONFIG/config.json or
  // ~/.docker/config.json).
  std::string auth_config;
};

struct Image {
  std::string id;                         // "sha256:<hex>" of the config
  std::vector<std::string> repo_tags;     // normalised "docker.io/library/busybox:latest"
  std::vector<std::string> repo_digests;  // "docker.io/library/busybox@sha256:<manifest>"
  Descriptor manifest;                    // the manifest this image is stored as
  std::vector<Descriptor> layers;         // as in the manifest
  ImageConfig config;
  int64_t size = 0;                       // bytes unpacked (what `docker images` shows)
  int64_t added = 0;                      // unix seconds when stored here
};

// One step of `docker rmi`'s answer.
struct RemoveAction {
  std::string untagged;  // a name removed
  std::string deleted;   // an image ID removed
};

struct PruneReport {
  std::vector<RemoveAction> removed;
  int64_t reclaimed = 0;  // bytes
};

struct DiskUsage {
  int64_t images = 0, active_images = 0;
  int64_t layers_bytes = 0;   // unpacked snapshots
  int64_t content_bytes = 0;  // blobs
};

class ImageService {
 public:
  // Opens (creating) the data root. Errors: kPermissionDenied, kUnavailable (database).
  static Result<std::unique_ptr<ImageService>> open(ServiceOptions opts);
  ~ImageService();

  ContentStore& content();
  Snapshots& snapshots();
  const ServiceOptions& options() const;

  // An image by name ("busybox" = docker.io/library/busybox:latest), name@digest, full ID
  // ("sha256:<hex>"), or a unique prefix of the ID's hex (at least 1 char, as docker).
  // Errors: kNotFound ("No such image: <ref>"), kInvalidArgument (bad reference),
  // kConflict (ambiguous ID prefix).
  Result<Image> get(std::string_view ref);
  Result<std::vector<Image>> list();
  // `target` (a reference with or without tag) now names the image `source`.
  // Errors: those of get(); kInvalidArgument (target has a digest or is bad).
  Result<void> tag(std::string_view source, std::string_view target);
  // docker rmi: a name is untagged; the image is deleted when no name is left. An ID with
  // several names needs `force`. `in_use(id)` says whether a container uses an image (then
  // deleting needs `force`, and even then only names are removed).
  // Errors: kNotFound, kConflict (docker's "image is referenced in multiple repositories" /
  // "image is being used by ..." messages).
  Result<std::vector<RemoveAction>> remove(std::string_view ref, bool force,
                                           const std::function<bool(const std::string&)>& in_use);
  // Stores an image made of `layers` (blobs already in the content store; bottom first,
  // each with its uncompressed diff_id in `config`) and `config` (serialised here).
  // Unpacks missing snapshots. Returns the image; `name` (may be "") is tagged to it.
  Result<Image> create(const Json& config, const std::vector<Descriptor>& layers,
                       std::string_view name);
  // Stores manifest + config + layer blobs already in the content store as an image under
  // `names` (normalised references; "name@digest" entries become repo digests) and
  // unpacks its layers. Used by pull and load. Errors: kDataLoss, kInvalidArgument.
  Result<Image> register_manifest(const Descriptor& manifest,
                                  const std::vector<std::string>& names,
                                  Progress* progress = nullptr);
  // The chain IDs of an image's layers, bottom first.
  static std::vector<std::string> chain(const Image& image);
  // Removes unused images (dangling only unless `all`), then blobs and snapshots no image
  // or container uses. `keep(id)` protects images (containers). Errors: kUnavailable.
  Result<PruneReport> prune(bool all, const std::function<bool(const std::string&)>& keep);
  // Deletes blobs and snapshots no image or writable snapshot uses (what a failed load left).
  // Waits for running pulls/loads (exclusive lock). Returns bytes freed.
  Result<int64_t> collect_garbage();
  Result<DiskUsage> disk_usage();

  // Takes the lock that keeps prune/remove from deleting blobs mid-operation (shared) or
  // that deletions hold (exclusive). Released with the returned handle.
  Result<std::shared_ptr<void>> lock(bool exclusive);

  struct Impl;  // defined in service.cc; public so that the pull/push/archive files reach it

 private:
  explicit ImageService(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace berth::image
