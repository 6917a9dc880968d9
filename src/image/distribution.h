// Pull and push: images between the local store and a registry (OCI distribution spec,
// "Pulling manifests/blobs", "Pushing blobs/manifests"), as `docker pull` / `docker push`.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/error.h"
#include "image/oci.h"
#include "image/progress.h"
#include "image/registry.h"
#include "image/service.h"

namespace berth::image {

struct PullOptions {
  Platform platform = host_platform();  // which entry of a manifest list / index
  Progress* progress = nullptr;
  int max_concurrent = 4;               // layers downloading at once
  // Credentials sent by the client (X-Registry-Auth); nullopt = the auth config file's.
  std::optional<Credentials> credentials;
};

// Pulls `ref` ("busybox", "127.0.0.1:5000/app:1", "name@sha256:..."; default tag latest).
// Each layer is downloaded, verified and unpacked at the same time (one pipeline per layer,
// layers in parallel); a layer whose snapshot exists is skipped ("Already exists"); a
// download interrupted earlier resumes with a Range request. Nothing is used before its
// digest checks out. The image gets the name and `name@<digest>` (repo digest).
// Errors: kInvalidArgument (reference), kNotFound ("manifest unknown", no platform match),
// kUnauthenticated, kUnavailable (network), kDataLoss (digest mismatch), kResourceExhausted.
Result<Image> pull(ImageService& images, std::string_view ref, const PullOptions& opts = {});

struct PushOptions {
  Progress* progress = nullptr;
  int64_t chunk_bytes = 0;  // 0 = one monolithic PUT per blob; else chunked PATCH uploads
  int max_concurrent = 4;
  std::optional<Credentials> credentials;  // as PullOptions::credentials
};

// Pushes the image named `ref` to its registry: blobs the registry has are skipped (HEAD),
// blobs another repository of the same registry has are mounted, the rest uploaded; then the
// manifest under the tag. Returns the manifest digest.
// Errors: kNotFound (no such image), kUnauthenticated, kUnavailable, kInvalidArgument.
Result<std::string> push(ImageService& images, std::string_view ref, const PushOptions& opts = {});

}  // namespace berth::image
