// Images in and out of files: `docker import` (a rootfs tarball), `docker save`/`load`
// (moby image/tarexport: manifest.json + repositories, with the OCI image layout beside it
// as docker 25+ writes it), and OCI image layout directories (image-spec image-layout.md),
// which skopeo's `oci:` transport reads and writes.
#pragma once

#include <string>
#include <vector>

#include "common/error.h"
#include "image/layer.h"
#include "image/progress.h"
#include "image/service.h"

namespace berth::image {

// Applies one `--change` instruction of `docker import`/`commit` to an image config's
// "config" object: CMD, ENTRYPOINT (JSON or shell form), ENV k=v / ENV k v, EXPOSE,
// LABEL, ONBUILD, USER, VOLUME, WORKDIR, STOPSIGNAL (moby builder/dockerfile, the subset
// `docker import --change` allows). Errors: kInvalidArgument ("unknown instruction", bad form).
Result<void> apply_change(Json& container_config, std::string_view change);

struct ImportOptions {
  std::vector<std::string> changes;
  std::string message;    // history comment; "" = "Imported from <source>"
  std::string source = "-";
  Platform platform = host_platform();
};

// `docker import`: the tar read from `read` (any compression) becomes the single layer of a
// new image (stored uncompressed), tagged `name` when not empty.
// Errors: kInvalidArgument (not a tar, bad --change, bad name), disk errors.
Result<Image> import_rootfs(ImageService& images, const ReadFn& read, std::string_view name,
                            const ImportOptions& opts);

// `docker save`: the images (references or IDs) as one tar written to `write`: docker-archive
// (manifest.json, repositories, <config>.json) and an OCI layout (oci-layout, index.json,
// blobs/sha256/...) sharing the same blobs. Errors: kNotFound (an image), `write`'s errors.
Result<void> save(ImageService& images, const std::vector<std::string>& refs,
                  const WriteFn& write);

// Writes the images as an OCI image layout directory `dir` (created; existing blobs and
// index entries are kept), with `org.opencontainers.image.ref.name` annotations = tags.
Result<void> save_oci_layout(ImageService& images, const std::vector<std::string>& refs,
                             const std::string& dir);

// `docker load`: a docker-archive tar or an OCI archive (from `read`, any compression), or
// an OCI layout directory (`load_dir`). Returns what docker prints: "Loaded image: <name>"
// or "Loaded image ID: <id>" lines' subjects. Errors: kInvalidArgument (neither format,
// bad manifest), kDataLoss (a blob that does not match its digest).
Result<std::vector<std::string>> load(ImageService& images, const ReadFn& read,
                                      Progress* progress = nullptr);
Result<std::vector<std::string>> load_dir(ImageService& images, const std::string& dir,
                                          Progress* progress = nullptr);

}  // namespace berth::image
