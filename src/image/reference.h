// Image references ("busybox", "ghcr.io/ns/app:1.0@sha256:…"), parsed and normalised exactly as
// Docker does. Follows github.com/distribution/reference (regexp.go grammar, reference.go Parse,
// normalize.go ParseNormalizedNamed/ParseDockerRef, helpers.go FamiliarName/FamiliarString) and
// github.com/opencontainers/go-digest for digests, down to the error messages, so that what
// users type and what berth prints match `docker pull`/`docker images`.
//
// Grammar (reference.go):
//   reference      := name [ ":" tag ] [ "@" digest ]
//   name           := [domain "/"] path
//   domain         := host [":" port]         host := domain-name | "[" IPv6 "]"
//   domain-name    := component ("." component)*
//   component      := [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]
//   path           := path-component ("/" path-component)*
//   path-component := [a-z0-9]+ (([._]|__|-+) [a-z0-9]+)*
//   tag            := [\w][\w.-]{0,127}
//   digest         := algorithm ":" hex{32,}  (then checked as go-digest does, see parse_digest)
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "common/error.h"

namespace berth::image {

inline constexpr std::string_view kDefaultDomain = "docker.io";
// Docker Hub's old "index" name; rewritten to kDefaultDomain when parsing.
inline constexpr std::string_view kLegacyDefaultDomain = "index.docker.io";
// The host that actually serves Docker Hub's registry API.
inline constexpr std::string_view kDefaultRegistryHost = "registry-1.docker.io";
// Namespace of Docker Hub's official images: "busybox" is "library/busybox".
inline constexpr std::string_view kOfficialRepoPrefix = "library/";
inline constexpr std::string_view kDefaultTag = "latest";
// Longest accepted path (the name without its domain), as reference.go's NameTotalLengthMax.
inline constexpr std::size_t kNameTotalLengthMax = 255;

struct Reference {
  // "docker.io", "localhost:5000", "127.0.0.1:5000", "[::1]:5000". Empty only in
  // distribution/reference's corner case of a first component that looks like a host (has '.'
  // or ':') but does not match the host grammar, e.g. "foo_bar.com/x": it stays in the path.
  std::string domain;
  std::string path;    // "library/busybox", "ns/sub/name"
  std::string tag;     // "" when none
  std::string digest;  // "sha256:<64 hex>" or "" when none

  // domain + "/" + path ("docker.io/library/busybox"); just path when domain is empty.
  std::string name() const;
  // name()[":" tag]["@" digest]: the canonical form ("docker.io/library/busybox:latest").
  std::string string() const;
  // Docker's short form: "docker.io/" dropped, and "library/" too when one component remains.
  // "busybox", "user/app", "library/foo/bar", "localhost:5000/app".
  std::string familiar_name() const;
  // familiar_name()[":" tag]["@" digest], as `docker images` and `docker ps` show it.
  std::string familiar_string() const;

  bool operator==(const Reference&) const = default;
};

// Parses a user-typed reference and normalises it (ParseNormalizedNamed): "busybox" ->
// docker.io/library/busybox, "user/app" -> docker.io/user/app, "index.docker.io/x" ->
// docker.io/library/x. No default tag is added. The first component is a domain only when it is
// "localhost", contains '.' or ':', or has an uppercase letter (namespaces are lowercase, so
// "Foo/bar" is host "Foo"); a name without '/' is never a domain ("test.com:5000" is
// docker.io/library/test.com with tag "5000"). Tag and digest may both be present and are kept.
// Errors, all kInvalidArgument, with Docker's messages:
//   "invalid reference format" (grammar; includes the empty string and a bad tag),
//   "invalid reference format: repository name (<path>) must be lowercase",
//   "repository name must be lowercase" (a whole-string retry lowercased parses),
//   "repository name must not be more than 255 characters" (path, "library/" included),
//   "invalid repository name (<s>), cannot specify 64-byte hexadecimal strings" (bare image ID),
//   and parse_digest's errors for the digest.
Result<Reference> parse_reference(std::string_view s);

// parse_reference, then as ParseDockerRef: tag "latest" added when there is neither tag nor
// digest; when both are present the tag is dropped (the digest alone decides what is pulled).
// Same errors as parse_reference.
Result<Reference> parse_docker_reference(std::string_view s);

// Whether `tag` matches [\w][\w.-]{0,127} (ASCII word characters; 1 to 128 of them).
bool is_valid_tag(std::string_view tag);

// Validates "<algorithm>:<hex>" as go-digest's Digest.Validate with the OCI image-spec registered
// algorithms available: sha256 (64), sha384 (96) and sha512 (128 lowercase hex). Returns the
// digest unchanged. Errors (kInvalidArgument): "invalid checksum digest format" (no ':', empty
// hex, uppercase or non-hex, or not a digest at all), "invalid checksum digest length" (wrong
// hex length for the algorithm), "unsupported digest algorithm" (well-formed, other algorithm).
Result<std::string> parse_digest(std::string_view s);

// The registry host to contact for `ref`: kDefaultRegistryHost for docker.io, else its domain.
std::string registry_host(const Reference& ref);

}  // namespace berth::image
