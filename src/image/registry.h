// A client of one repository on a registry, following the OCI distribution spec
// (spec.md: pull, push, content discovery) and Docker's token authentication
// (distribution docs/spec/auth/token.md): a 401 with `WWW-Authenticate: Bearer realm=...,
// service=..., scope=...` is answered by fetching a token from the realm (with Basic
// credentials when we have some) and retrying; `Basic` challenges get the credentials.
// HTTP through libcurl (TLS, redirects: blob downloads often go to object storage).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/error.h"
#include "image/layer.h"
#include "image/oci.h"

namespace berth::image {

struct Credentials {
  std::string username;
  std::string password;  // or an identity token when username is "<token>"
};

// The `docker login` file ($DOCKER_CONFIG/config.json, else ~/.docker/config.json) when
// `path` is empty.
std::string default_auth_config();
// Credentials for `registry` (host[:port]; "docker.io" is looked up as docker does, under
// "https://index.docker.io/v1/"). nullopt when there are none. Errors: kInvalidArgument
// (the file is not JSON or an `auth` is not base64 "user:pass").
Result<std::optional<Credentials>> load_credentials(const std::string& path,
                                                    const std::string& registry);
// Adds (or with nullopt removes) the entry for `registry`, keeping the rest of the file.
Result<void> store_credentials(const std::string& path, const std::string& registry,
                               const std::optional<Credentials>& creds);

// Whether `host` ("127.0.0.1:5000") is spoken to over plain HTTP: listed in `insecure`, or a
// loopback address / localhost (docker's default insecure range 127.0.0.0/8).
bool is_insecure_registry(const std::string& host, const std::vector<std::string>& insecure);

struct FetchedManifest {
  std::string bytes;
  std::string media_type;
  std::string digest;  // sha256 of bytes
};

class RegistryClient {
 public:
  // `host` is the registry to contact (registry_host(ref)), `repository` the path
  // ("library/busybox"). `push` asks tokens for pull+push.
  RegistryClient(std::string host, std::string repository, bool insecure,
                 std::optional<Credentials> creds, bool push = false);
  ~RegistryClient();
  RegistryClient(const RegistryClient&) = delete;
  RegistryClient& operator=(const RegistryClient&) = delete;

  // GET /v2/ with authentication: what `login` checks. Errors: kUnauthenticated,
  // kUnavailable (cannot connect).
  Result<void> ping();
  // GET /v2/<repo>/manifests/<reference> with every manifest media type accepted. The body
  // is refused above kMaxJsonBlobBytes; when `reference` is a digest the bytes must match it.
  // Errors: kNotFound ("manifest unknown"), kUnauthenticated, kDataLoss, kResourceExhausted.
  Result<FetchedManifest> get_manifest(const std::string& reference);
  // Streams the blob from byte `offset` to `sink`. `on_start(resumed)` is called before the
  // first byte: resumed is false when the server ignored the Range (the sink must start over).
  // Errors: kNotFound, kUnauthenticated, kUnavailable, and the sink's.
  Result<void> get_blob(const std::string& digest, int64_t offset,
                        const std::function<void(bool resumed)>& on_start,
                        const WriteFn& sink);
  // HEAD /v2/<repo>/blobs/<digest>.
  Result<bool> blob_exists(const std::string& digest);
  // Cross-repository mount (POST ...uploads/?mount=<digest>&from=<repo>): true when the
  // registry mounted it (201); false when it started an upload instead.
  Result<bool> mount_blob(const std::string& digest, const std::string& from_repository);
  // Uploads `size` bytes from `read`: one PUT when `chunk_bytes` is 0, else PATCH chunks of
  // that many bytes and a closing PUT. `on_progress(bytes_sent)`.
  Result<void> put_blob(const std::string& digest, int64_t size, const ReadFn& read,
                        int64_t chunk_bytes,
                        const std::function<void(int64_t)>& on_progress = nullptr);
  // PUT /v2/<repo>/manifests/<reference>; returns the digest the registry reports.
  Result<std::string> put_manifest(const std::string& reference, const std::string& bytes,
                                   const std::string& media_type);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace berth::image
