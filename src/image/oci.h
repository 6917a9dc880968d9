// OCI image-spec and Docker v2.2 documents: descriptors, manifests, indexes (manifest
// lists), image configs and platform selection. Follows image-spec 1.1 (descriptor.md,
// manifest.md, image-index.md, config.md) and Docker's "Image Manifest V 2, Schema 2".
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "common/json.h"

namespace berth::image {

namespace media {
inline constexpr std::string_view kOciIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view kOciManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view kOciConfig = "application/vnd.oci.image.config.v1+json";
inline constexpr std::string_view kOciLayer = "application/vnd.oci.image.layer.v1.tar";
inline constexpr std::string_view kOciLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
inline constexpr std::string_view kOciLayerZstd = "application/vnd.oci.image.layer.v1.tar+zstd";
inline constexpr std::string_view kDockerManifestList =
    "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr std::string_view kDockerManifest =
    "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr std::string_view kDockerConfig = "application/vnd.docker.container.image.v1+json";
inline constexpr std::string_view kDockerLayerGzip =
    "application/vnd.docker.image.rootfs.diff.tar.gzip";
inline constexpr std::string_view kDockerForeignLayer =
    "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";

bool is_index(std::string_view m);     // OCI index or Docker manifest list
bool is_manifest(std::string_view m);  // OCI or Docker image manifest
bool is_layer(std::string_view m);     // any tar layer type, compressed or not
}  // namespace media

struct Platform {
  std::string os = "linux";
  std::string architecture = "amd64";
  std::string variant;
};

// The platform of this machine (linux/amd64 here; arm64/v8 on aarch64 ...).
Platform host_platform();
// "os/arch[/variant]"; arch aliases (x86_64, aarch64) are normalised as containerd's
// platforms package does. Errors: kInvalidArgument.
Result<Platform> parse_platform(std::string_view s);
std::string to_string(const Platform& p);
// True when an image for `have` runs on `want` (variant empty on either side matches).
bool platform_matches(const Platform& want, const Platform& have);

struct Descriptor {
  std::string media_type;
  std::string digest;  // "sha256:<hex>"
  int64_t size = 0;    // bytes
  std::optional<Platform> platform;
  std::map<std::string, std::string> annotations;
  std::vector<std::string> urls;
};

// Errors: kInvalidArgument naming the bad field (`what` prefixes the message).
Result<Descriptor> parse_descriptor(const Json& j, std::string_view what);
Json to_json(const Descriptor& d);

struct Manifest {
  std::string media_type;  // from the document or the transport
  Descriptor config;
  std::vector<Descriptor> layers;
};

struct Index {
  std::string media_type;
  std::vector<Descriptor> manifests;
};

// What kind of document `bytes` is: the transport's Content-Type when it is a known
// manifest type, else the document's own mediaType, else guessed from its fields (an
// OCI document may omit mediaType). Errors: kInvalidArgument.
Result<std::string> detect_media_type(std::string_view bytes, std::string_view content_type);
// Errors: kInvalidArgument (not JSON, schemaVersion != 2, missing config/layers, a
// descriptor with a bad digest or negative size).
Result<Manifest> parse_manifest(std::string_view bytes, std::string_view media_type);
Result<Index> parse_index(std::string_view bytes, std::string_view media_type);
// The entry of `index` for `want`. Errors: kNotFound ("no matching manifest for linux/arm64
// in the manifest list entries", docker's message).
Result<Descriptor> select_platform(const Index& index, const Platform& want);

// The parts of an image config (config.md) berth reads; the bytes stay the image's.
struct ImageConfig {
  Json doc;                           // the whole document
  std::vector<std::string> diff_ids;  // rootfs.diff_ids
  Platform platform;
  std::string created;                // RFC 3339 or ""
};
// Errors: kInvalidArgument (not JSON, rootfs.type != "layers", bad diff_id).
Result<ImageConfig> parse_config(std::string_view bytes);

// Chain IDs of a layer stack (config.md "Layer ChainID"): chain[0] = diff_ids[0],
// chain[n] = sha256(chain[n-1] + " " + diff_ids[n]).
std::vector<std::string> chain_ids(const std::vector<std::string>& diff_ids);

}  // namespace berth::image
