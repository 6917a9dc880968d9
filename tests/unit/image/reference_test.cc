// Expected values come from distribution/reference's normalize_test.go and reference_test.go,
// and go-digest's errors, unless a comment says otherwise.
#include "image/reference.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace berth::image {
namespace {

const std::string kSha256 =
    "sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff";
const std::string kBusyboxDigest =
    "sha256:e6693c20186f837fc393390135d8a598a96a833917917789d63766cab6c59582";

std::string repeat(std::string_view s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

// The canonical string of a parse, or "error: <message>" (always kInvalidArgument).
std::string canon(std::string_view s) {
  auto ref = parse_reference(s);
  if (!ref) {
    EXPECT_EQ(ref.error().code, Errc::kInvalidArgument) << s;
    return "error: " + ref.error().message;
  }
  return ref->string();
}

std::string error_of(std::string_view s) {
  auto ref = parse_reference(s);
  if (ref) return "parsed as " + ref->string();
  EXPECT_EQ(ref.error().code, Errc::kInvalidArgument) << s;
  return ref.error().message;
}

TEST(ParseReference, ShortNamesGoToDockerHubLibrary) {
  auto ref = parse_reference("busybox");
  ASSERT_TRUE(ref) << ref.error().message;
  EXPECT_EQ(ref->domain, "docker.io");
  EXPECT_EQ(ref->path, "library/busybox");
  EXPECT_EQ(ref->tag, "");  // no default tag here
  EXPECT_EQ(ref->digest, "");
  EXPECT_EQ(ref->name(), "docker.io/library/busybox");
  EXPECT_EQ(canon("library/busybox"), "docker.io/library/busybox");
  EXPECT_EQ(canon("docker.io/busybox"), "docker.io/library/busybox");
  EXPECT_EQ(canon("docker.io/library/busybox"), "docker.io/library/busybox");
  EXPECT_EQ(canon("redis:latest"), "docker.io/library/redis:latest");
  EXPECT_EQ(canon("dbcc1"), "docker.io/library/dbcc1");
}

TEST(ParseReference, NamespacedNamesGoToDockerHub) {
  EXPECT_EQ(canon("user/app"), "docker.io/user/app");
  EXPECT_EQ(canon("dmcgowan/myapp:latest"), "docker.io/dmcgowan/myapp:latest");
  EXPECT_EQ(canon("docker/migrator"), "docker.io/docker/migrator");
  EXPECT_EQ(canon("test_com/foo"), "docker.io/test_com/foo");  // '_' is not a host
  EXPECT_EQ(canon("docker.io/library/foo/bar"), "docker.io/library/foo/bar");
  EXPECT_EQ(canon("store/foo/bar"), "docker.io/store/foo/bar");
}

TEST(ParseReference, RewritesLegacyIndexDomain) {
  EXPECT_EQ(canon("index.docker.io/debian"), "docker.io/library/debian");
  EXPECT_EQ(canon("index.docker.io/library/debian"), "docker.io/library/debian");
  EXPECT_EQ(canon("index.docker.io/fooo/bar"), "docker.io/fooo/bar");
}

TEST(ParseReference, KeepsOtherRegistriesAsTyped) {
  struct Case {
    const char* input;
    const char* domain;
    const char* path;
  };
  for (const Case& c : std::vector<Case>{
           {"gcr.io/library/busybox", "gcr.io", "library/busybox"},
           {"example.com/privatebase", "example.com", "privatebase"},  // no "library/" added
           {"test.com/foo", "test.com", "foo"},
           {"test.com:8080/foo", "test.com:8080", "foo"},
           {"test-com:8080/foo", "test-com:8080", "foo"},
           {"xn--n3h.com:18080/foo", "xn--n3h.com:18080", "foo"},
           {"127.0.0.1:8000/private/moonbase", "127.0.0.1:8000", "private/moonbase"},
           {"192.168.0.1:8/debian", "192.168.0.1:8", "debian"},
           {"sub-dom1.foo.com/bar/baz/quux", "sub-dom1.foo.com", "bar/baz/quux"},
           {"b.gcr.io/test.example.com/my-app", "b.gcr.io", "test.example.com/my-app"},
       }) {
    auto ref = parse_reference(c.input);
    ASSERT_TRUE(ref) << c.input << ": " << ref.error().message;
    EXPECT_EQ(ref->domain, c.domain) << c.input;
    EXPECT_EQ(ref->path, c.path) << c.input;
    EXPECT_EQ(ref->string(), c.input);
  }
}

TEST(ParseReference, LocalhostIsAlwaysADomain) {
  auto ref = parse_reference("localhost/fooo");
  ASSERT_TRUE(ref);
  EXPECT_EQ(ref->domain, "localhost");
  EXPECT_EQ(ref->path, "fooo");
  EXPECT_EQ(canon("localhost:5000/app:v1"), "localhost:5000/app:v1");
  EXPECT_EQ(canon("localhost/library/debian"), "localhost/library/debian");
  // A single component is never a domain, even "localhost" (normalize.go's FIXME).
  EXPECT_EQ(canon("localhost"), "docker.io/library/localhost");
}

TEST(ParseReference, UppercaseFirstComponentIsADomain) {
  auto ref = parse_reference("Foo/bar");
  ASSERT_TRUE(ref);
  EXPECT_EQ(ref->domain, "Foo");
  EXPECT_EQ(ref->path, "bar");
  EXPECT_EQ(canon("LOCALDOMAIN/fooo/bar"), "LOCALDOMAIN/fooo/bar");
  EXPECT_EQ(canon("DOCKER/docker"), "DOCKER/docker");
}

TEST(ParseReference, NameWithoutSlashTakesColonAsTag) {
  auto ref = parse_reference("test.com:5000");
  ASSERT_TRUE(ref);
  EXPECT_EQ(ref->name(), "docker.io/library/test.com");
  EXPECT_EQ(ref->tag, "5000");
  EXPECT_EQ(canon("192.168.1.1:5000"), "docker.io/library/192.168.1.1:5000");
  EXPECT_EQ(canon("192.168.0.1"), "docker.io/library/192.168.0.1");
  EXPECT_EQ(canon("foo_bar.com:8080"), "docker.io/library/foo_bar.com:8080");
  EXPECT_EQ(canon("foo/foo_bar.com:8080"), "docker.io/foo/foo_bar.com:8080");
  EXPECT_EQ(canon("lowercase:Uppercase"), "docker.io/library/lowercase:Uppercase");
}

TEST(ParseReference, AcceptsBracketedIPv6Domains) {
  struct Case {
    const char* input;
    const char* domain;
  };
  for (const Case& c : std::vector<Case>{
           {"[::1]:5000/repo", "[::1]:5000"},
           {"[2001:db8::1]/repo", "[2001:db8::1]"},
           {"[2001:db8::]:5000/repo", "[2001:db8::]:5000"},
           {"[2001:db8:1:2:3:4:5:6]/repo:tag", "[2001:db8:1:2:3:4:5:6]"},
           {"[fc00:1:2:3:4:5:6:7]:5000/library/debian", "[fc00:1:2:3:4:5:6:7]:5000"},
       }) {
    auto ref = parse_reference(c.input);
    ASSERT_TRUE(ref) << c.input << ": " << ref.error().message;
    EXPECT_EQ(ref->domain, c.domain);
    EXPECT_EQ(ref->string(), c.input);
  }
}

TEST(ParseReference, RejectsMalformedIPv6) {
  for (const char* input : {"[fc00::1]", "[fc00::1]:5000", "[2001:db8::1]:tag",
                            "fc00::1:5000/debian", "[fe80::1%eth0]:5000/debian",
                            "[fe80::1%@invalidzone]:5000/repo",
                            "[2001:db8:3:4::192.0.2.33]:5000/debian", "[]:5000/repo"}) {
    EXPECT_EQ(error_of(input), "invalid reference format") << input;
  }
}

TEST(ParseReference, KeepsBothTagAndDigest) {
  const std::string short_ref =
      "busybox:latest@sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa";
  auto ref = parse_reference(short_ref);
  ASSERT_TRUE(ref) << ref.error().message;
  EXPECT_EQ(ref->tag, "latest");
  EXPECT_EQ(ref->digest,
            "sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa");
  EXPECT_EQ(ref->string(), "docker.io/library/" + short_ref);
  EXPECT_EQ(ref->familiar_string(), short_ref);

  auto hosted = parse_reference("test:5000/repo:tag@" + kSha256);
  ASSERT_TRUE(hosted);
  EXPECT_EQ(hosted->domain, "test:5000");
  EXPECT_EQ(hosted->path, "repo");
  EXPECT_EQ(hosted->tag, "tag");
  EXPECT_EQ(hosted->digest, kSha256);
  EXPECT_EQ(canon("[2001:db8::1]:5000/repo:tag@" + kSha256),
            "[2001:db8::1]:5000/repo:tag@" + kSha256);
  EXPECT_EQ(canon("xn--7o8h.com/myimage:xn--7o8h.com@" + kSha256),
            "xn--7o8h.com/myimage:xn--7o8h.com@" + kSha256);
  EXPECT_EQ(canon("redis@" + kBusyboxDigest), "docker.io/library/redis@" + kBusyboxDigest);
}

// normalize_test.go TestParseRepositoryInfo: the familiar, full and ambiguous spellings of a
// repository all parse to the same domain, path, full name and familiar name.
TEST(FamiliarReference, NameMatchesDockerUI) {
  struct Case {
    const char* path;
    const char* familiar;
    const char* full;
    const char* ambiguous;
    const char* domain;
  };
  for (const Case& c : std::vector<Case>{
           {"fooo", "localhost/fooo", "localhost/fooo", "", "localhost"},
           {"fooo/bar", "localhost/fooo/bar", "localhost/fooo/bar", "", "localhost"},
           {"fooo", "LOCALDOMAIN/fooo", "LOCALDOMAIN/fooo", "", "LOCALDOMAIN"},
           {"fooo/bar", "LOCALDOMAIN/fooo/bar", "LOCALDOMAIN/fooo/bar", "", "LOCALDOMAIN"},
           {"fooo/bar", "fooo/bar", "docker.io/fooo/bar", "index.docker.io/fooo/bar",
            "docker.io"},
           {"library/ubuntu", "ubuntu", "docker.io/library/ubuntu", "library/ubuntu", "docker.io"},
           {"nonlibrary/ubuntu", "nonlibrary/ubuntu", "docker.io/nonlibrary/ubuntu", "",
            "docker.io"},
           {"other/library", "other/library", "docker.io/other/library", "", "docker.io"},
           {"private/moonbase", "127.0.0.1:8000/private/moonbase",
            "127.0.0.1:8000/private/moonbase", "", "127.0.0.1:8000"},
           {"privatebase", "127.0.0.1:8000/privatebase", "127.0.0.1:8000/privatebase", "",
            "127.0.0.1:8000"},
           {"private/moonbase", "example.com/private/moonbase", "example.com/private/moonbase",
            "", "example.com"},
           {"privatebase", "example.com/privatebase", "example.com/privatebase", "",
            "example.com"},
           {"private/moonbase", "example.com:8000/private/moonbase",
            "example.com:8000/private/moonbase", "", "example.com:8000"},
           {"privatebasee", "example.com:8000/privatebasee", "example.com:8000/privatebasee", "",
            "example.com:8000"},
           {"library/ubuntu-12.04-base", "ubuntu-12.04-base",
            "docker.io/library/ubuntu-12.04-base", "index.docker.io/library/ubuntu-12.04-base",
            "docker.io"},
           {"library/foo", "foo", "docker.io/library/foo", "docker.io/foo", "docker.io"},
           {"library/foo/bar", "library/foo/bar", "docker.io/library/foo/bar", "", "docker.io"},
           {"store/foo/bar", "store/foo/bar", "docker.io/store/foo/bar", "", "docker.io"},
           {"bar", "Foo/bar", "Foo/bar", "", "Foo"},
           {"bar", "FOO/bar", "FOO/bar", "", "FOO"},
       }) {
    std::vector<std::string> inputs{c.familiar, c.full};
    if (*c.ambiguous != '\0') inputs.emplace_back(c.ambiguous);
    for (const std::string& input : inputs) {
      auto ref = parse_reference(input);
      ASSERT_TRUE(ref) << input << ": " << ref.error().message;
      EXPECT_EQ(ref->familiar_name(), c.familiar) << input;
      EXPECT_EQ(ref->string(), c.full) << input;
      EXPECT_EQ(ref->domain, c.domain) << input;
      EXPECT_EQ(ref->path, c.path) << input;
    }
  }
}

TEST(FamiliarReference, StringKeepsTagAndDigest) {
  auto ref = parse_reference("docker.io/library/redis:7@" + kBusyboxDigest);
  ASSERT_TRUE(ref);
  EXPECT_EQ(ref->familiar_string(), "redis:7@" + kBusyboxDigest);
  auto user = parse_reference("docker.io/user/app:v2");
  ASSERT_TRUE(user);
  EXPECT_EQ(user->familiar_string(), "user/app:v2");
  auto local = parse_reference("localhost:5000/app");
  ASSERT_TRUE(local);
  EXPECT_EQ(local->familiar_name(), "localhost:5000/app");
  EXPECT_EQ(local->familiar_string(), "localhost:5000/app");
}

TEST(ParseReference, AcceptsValidRemoteNames) {
  for (const char* input :
       {"docker/docker", "docker-rules/docker", "docker---rules/docker", "doc/docker",
        "d/docker", "jess/t", "dock__er/docker", "ab_cd__ef-gh--ij/k.l",
        "thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev",
        "docker.io/1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a"}) {
    auto ref = parse_reference(input);
    EXPECT_TRUE(ref) << input << ": " << ref.error().message;
  }
}

TEST(ParseReference, RejectsUppercaseRepository) {
  EXPECT_EQ(error_of("Busybox"),
            "invalid reference format: repository name (library/Busybox) must be lowercase");
  EXPECT_EQ(error_of("Uppercase:tag"),
            "invalid reference format: repository name (library/Uppercase) must be lowercase");
  EXPECT_EQ(error_of("docker/Docker"),
            "invalid reference format: repository name (docker/Docker) must be lowercase");
  EXPECT_EQ(error_of("docker.io/docker/Docker"),
            "invalid reference format: repository name (docker/Docker) must be lowercase");
  EXPECT_EQ(error_of("test:5000/Uppercase/lowercase:tag"),
            "invalid reference format: repository name (Uppercase/lowercase) must be lowercase");
}

TEST(ParseReference, RejectsPathLongerThan255) {
  EXPECT_EQ(error_of("domain.com/" + repeat("a", 256) + ":tag"),
            "repository name must not be more than 255 characters");
  EXPECT_EQ(canon("example.com/" + repeat("a", 255) + ":tag"),
            "example.com/" + repeat("a", 255) + ":tag");
  // The limit is on the path, so the domain and tag do not count...
  EXPECT_EQ(canon(repeat("a/", 127) + "a:tag-puts-this-over-max"),
            "docker.io/" + repeat("a/", 127) + "a:tag-puts-this-over-max");
  // ...but the implied "library/" does (our boundary case).
  EXPECT_TRUE(parse_reference(repeat("b", 247)));
  EXPECT_EQ(error_of(repeat("b", 248)), "repository name must not be more than 255 characters");
  EXPECT_EQ(error_of(repeat("this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255_",
                            4) +
                     "x/docker"),
            "repository name must not be more than 255 characters");
}

TEST(ParseReference, RejectsEmpty) { EXPECT_EQ(error_of(""), "invalid reference format"); }

TEST(ParseReference, RejectsBadTag) {
  for (const std::string& input :
       {std::string("busybox:-x"), std::string("busybox:.x"), std::string(":justtag"),
        std::string("busybox:"), std::string("busybox:a/b"), std::string("busybox:t!"),
        "busybox:" + repeat("t", 129)}) {
    EXPECT_EQ(error_of(input), "invalid reference format") << input;
  }
  EXPECT_EQ(canon("busybox:" + repeat("t", 128)), "docker.io/library/busybox:" + repeat("t", 128));
  EXPECT_EQ(canon("busybox:_x.y-Z"), "docker.io/library/busybox:_x.y-Z");
}

TEST(ParseReference, RejectsBadDigest) {
  EXPECT_EQ(error_of("repo@sha256:" + repeat("f", 34)), "invalid checksum digest length");
  EXPECT_EQ(error_of("repo@sha256:" + repeat("F", 64)), "invalid checksum digest format");
  EXPECT_EQ(error_of("validname@invaliddigest:" + repeat("f", 64)), "unsupported digest algorithm");
  // Under 32 hex digits the grammar itself fails.
  EXPECT_EQ(error_of("repo@sha256:" + repeat("f", 31)), "invalid reference format");
  EXPECT_EQ(error_of("repo@sha256:" + repeat("g", 64)), "invalid reference format");
  EXPECT_EQ(error_of("repo@" + repeat("f", 64)), "invalid reference format");
  EXPECT_EQ(error_of("repo@"), "invalid reference format");
  EXPECT_EQ(error_of("repo@" + kSha256 + "@" + kSha256), "invalid reference format");
  EXPECT_EQ(error_of("@" + kSha256), "invalid reference format");
  // sha512 is registered here (the Go test leaves crypto/sha512 out and expects "unsupported").
  EXPECT_EQ(canon("validname@sha512:" + repeat("f", 128)),
            "docker.io/library/validname@sha512:" + repeat("f", 128));
}

TEST(ParseReference, RejectsMalformedNames) {
  for (const char* input :
       {"://", "https://github.com/docker/docker", "docker///docker",
        "docker.io/docker///docker", "a//b", "docker/", "/docker", "-docker", "-docker/docker",
        "docker-/docker", "-docker-/docker", "-docker.io/docker/docker", "____/____",
        "_docker/_docker", "dock..er/docker", "dock_.er/docker", "dock-.er/docker",
        "dock___er/docker", "aa/asdf$$^/aa", "busybox:tag:tag", "a b", "ex ample.com/x"}) {
    EXPECT_EQ(error_of(input), "invalid reference format") << input;
  }
}

TEST(ParseReference, RejectsBareImageId) {
  const std::string id = "1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a";
  EXPECT_EQ(error_of(id),
            "invalid repository name (" + id + "), cannot specify 64-byte hexadecimal strings");
  // 63 hex digits, or a tag after the ID, are names like any other.
  EXPECT_EQ(canon(id.substr(1)), "docker.io/library/" + id.substr(1));
  EXPECT_EQ(canon(id + ":v1"), "docker.io/library/" + id + ":v1");
}

TEST(ParseReference, HostLikeFirstComponentOutsideHostGrammarStaysInPath) {
  // splitDockerDomain takes "foo_bar.com" as the domain (it has a '.'), but it is not a valid
  // host, so reference.go's anchored name regexp leaves it in the path with no domain.
  auto ref = parse_reference("foo_bar.com/x:1");
  ASSERT_TRUE(ref) << ref.error().message;
  EXPECT_EQ(ref->domain, "");
  EXPECT_EQ(ref->path, "foo_bar.com/x");
  EXPECT_EQ(ref->string(), "foo_bar.com/x:1");
  EXPECT_EQ(ref->familiar_string(), "foo_bar.com/x:1");
}

// normalize_test.go TestParseDockerRef.
TEST(ParseDockerReference, AddsLatestOnlyWithoutTagOrDigest) {
  struct Case {
    std::string input;
    std::string expected;
  };
  for (const Case& c : std::vector<Case>{
           {"busybox", "docker.io/library/busybox:latest"},
           {"busybox:latest", "docker.io/library/busybox:latest"},
           {"busybox:1.36", "docker.io/library/busybox:1.36"},
           {"busybox@" + kBusyboxDigest, "docker.io/library/busybox@" + kBusyboxDigest},
           {"library/busybox", "docker.io/library/busybox:latest"},
           {"docker.io/busybox", "docker.io/library/busybox:latest"},
           {"docker.io/library/busybox", "docker.io/library/busybox:latest"},
           {"docker.io/busybox:latest", "docker.io/library/busybox:latest"},
           {"library/busybox:latest", "docker.io/library/busybox:latest"},
           {"docker.io/library/busybox:latest", "docker.io/library/busybox:latest"},
           {"gcr.io/library/busybox", "gcr.io/library/busybox:latest"},
       }) {
    auto ref = parse_docker_reference(c.input);
    ASSERT_TRUE(ref) << c.input << ": " << ref.error().message;
    EXPECT_EQ(ref->string(), c.expected) << c.input;
  }
}

TEST(ParseDockerReference, DropsTagWhenDigestPresent) {
  auto ref = parse_docker_reference("gcr.io/library/busybox:latest@" + kBusyboxDigest);
  ASSERT_TRUE(ref);
  EXPECT_EQ(ref->tag, "");
  EXPECT_EQ(ref->string(), "gcr.io/library/busybox@" + kBusyboxDigest);
}

TEST(ParseDockerReference, PassesErrorsThrough) {
  auto ref = parse_docker_reference("Busybox");
  ASSERT_FALSE(ref);
  EXPECT_EQ(ref.error().code, Errc::kInvalidArgument);
  EXPECT_EQ(ref.error().message,
            "invalid reference format: repository name (library/Busybox) must be lowercase");
}

TEST(IsValidTag, FollowsTagGrammar) {
  for (const std::string& tag : {std::string("latest"), std::string("_x"), std::string("1.0"),
                                 std::string("A"), std::string("v1.2.3-rc_1"), repeat("t", 128)}) {
    EXPECT_TRUE(is_valid_tag(tag)) << tag;
  }
  for (const std::string& tag : {std::string(""), std::string("-x"), std::string(".x"),
                                 std::string("a/b"), std::string("a:b"), std::string("a@b"),
                                 std::string("é"), repeat("t", 129)}) {
    EXPECT_FALSE(is_valid_tag(tag)) << tag;
  }
}

TEST(ParseDigest, AcceptsRegisteredAlgorithms) {
  EXPECT_EQ(parse_digest(kBusyboxDigest), kBusyboxDigest);
  EXPECT_TRUE(parse_digest("sha384:" + repeat("0a", 48)));
  EXPECT_TRUE(parse_digest("sha512:" + repeat("0a", 64)));
}

TEST(ParseDigest, ErrorsFollowGoDigest) {
  struct Case {
    std::string input;
    std::string message;
  };
  for (const Case& c : std::vector<Case>{
           {"sha256", "invalid checksum digest format"},
           {"sha256:", "invalid checksum digest format"},
           {"foo", "invalid checksum digest format"},
           {":" + repeat("f", 64), "invalid checksum digest format"},
           {"sha256:" + repeat("F", 64), "invalid checksum digest format"},
           {"sha256:" + repeat("z", 64), "invalid checksum digest format"},
           {"SHA256:" + repeat("f", 64), "invalid checksum digest format"},
           {"md5:" + repeat("f", 32), "unsupported digest algorithm"},
           {"sha256+b64u:LCa0a2j_xo_5m0U8HTBBNBNCLXBkg7-g-YpeiGJm564",
            "unsupported digest algorithm"},
           {"sha256:" + repeat("f", 63), "invalid checksum digest length"},
           {"sha384:" + repeat("f", 64), "invalid checksum digest length"},
           {"sha512:" + repeat("f", 96), "invalid checksum digest length"},
       }) {
    auto d = parse_digest(c.input);
    ASSERT_FALSE(d) << c.input;
    EXPECT_EQ(d.error().code, Errc::kInvalidArgument);
    EXPECT_EQ(d.error().message, c.message) << c.input;
  }
}

TEST(ReferenceRegistryHost, DockerHubUsesRegistryOne) {
  auto hub = parse_reference("index.docker.io/library/busybox");
  ASSERT_TRUE(hub);
  EXPECT_EQ(registry_host(*hub), "registry-1.docker.io");
  for (const char* domain : {"localhost:5000", "[::1]:5000", "ghcr.io", "127.0.0.1:5000"}) {
    auto ref = parse_reference(std::string(domain) + "/app");
    ASSERT_TRUE(ref) << domain;
    EXPECT_EQ(registry_host(*ref), domain);
  }
}

TEST(ReferenceStruct, FormatsItsParts) {
  Reference ref{"quay.io", "ns/sub/name", "v1", kSha256};
  EXPECT_EQ(ref.name(), "quay.io/ns/sub/name");
  EXPECT_EQ(ref.string(), "quay.io/ns/sub/name:v1@" + kSha256);
  EXPECT_EQ(ref.familiar_string(), "quay.io/ns/sub/name:v1@" + kSha256);
  auto parsed = parse_reference(ref.string());
  ASSERT_TRUE(parsed);
  EXPECT_EQ(*parsed, ref);
}

}  // namespace
}  // namespace berth::image
