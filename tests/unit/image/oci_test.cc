#include "image/oci.h"

#include <gtest/gtest.h>

#include "common/digest.h"
#include "image/archive.h"

namespace berth::image {
namespace {

const std::string kA = "sha256:" + std::string(64, 'a');
const std::string kB = "sha256:" + std::string(64, 'b');

TEST(Oci, ManifestParsesConfigAndLayers) {
  std::string doc = R"({"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",
    "config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":7,"digest":")" +
                    kA + R"("},
    "layers":[{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","size":32,"digest":")" +
                    kB + R"("}]})";
  auto mt = detect_media_type(doc, "");
  ASSERT_TRUE(mt) << mt.error().message;
  EXPECT_EQ(*mt, media::kDockerManifest);
  auto m = parse_manifest(doc, *mt);
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(m->config.digest, kA);
  ASSERT_EQ(m->layers.size(), 1u);
  EXPECT_EQ(m->layers[0].size, 32);
  EXPECT_TRUE(media::is_layer(m->layers[0].media_type));
}

TEST(Oci, MediaTypeFromTransportWinsAndOciMayOmitIt) {
  EXPECT_EQ(*detect_media_type("{}", "application/vnd.oci.image.index.v1+json; charset=utf-8"),
            media::kOciIndex);
  EXPECT_EQ(*detect_media_type(R"({"schemaVersion":2,"manifests":[]})", "application/json"),
            media::kOciIndex);
  EXPECT_EQ(*detect_media_type(R"({"schemaVersion":2,"config":{},"layers":[]})", ""),
            media::kOciManifest);
  auto v1 = detect_media_type(R"({"schemaVersion":1,"fsLayers":[]})", "");
  ASSERT_FALSE(v1);
  EXPECT_EQ(v1.error().code, Errc::kNotImplemented);
}

TEST(Oci, BadDescriptorsAreRefusedWithTheField) {
  auto bad_digest = parse_manifest(
      R"({"schemaVersion":2,"config":{"digest":"sha256:xyz","size":1},"layers":[]})", "");
  ASSERT_FALSE(bad_digest);
  EXPECT_NE(bad_digest.error().message.find("not a sha256 digest"), std::string::npos);
  auto negative = parse_manifest(R"({"schemaVersion":2,"config":{"digest":")" + kA +
                                     R"(","size":-1},"layers":[]})",
                                 "");
  ASSERT_FALSE(negative);
  EXPECT_NE(negative.error().message.find("size"), std::string::npos);
  EXPECT_FALSE(parse_manifest(R"({"schemaVersion":3,"config":{},"layers":[]})", ""));
  EXPECT_FALSE(parse_manifest("not json", ""));
}

TEST(Oci, PlatformSelectionNormalisesArchitectures) {
  std::string idx = R"({"schemaVersion":2,"manifests":[
    {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" + kA +
                    R"(","size":1,"platform":{"os":"linux","architecture":"arm64","variant":"v8"}},
    {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" + kB +
                    R"(","size":1,"platform":{"os":"linux","architecture":"amd64"}}]})";
  auto index = parse_index(idx, media::kOciIndex);
  ASSERT_TRUE(index);
  EXPECT_EQ(select_platform(*index, *parse_platform("linux/x86_64"))->digest, kB);
  EXPECT_EQ(select_platform(*index, *parse_platform("linux/aarch64"))->digest, kA);
  auto none = select_platform(*index, *parse_platform("linux/s390x"));
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().message,
            "no matching manifest for linux/s390x in the manifest list entries");
  EXPECT_FALSE(parse_platform("linux"));
  EXPECT_EQ(to_string(*parse_platform("Linux/ARMHF")), "linux/arm/v7");
}

// config.md's ChainID definition, computed independently.
TEST(Oci, ChainIdsFollowTheImageSpec) {
  auto c = chain_ids({kA, kB});
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0], kA);
  EXPECT_EQ(c[1], sha256_digest(kA + " " + kB));
}

TEST(Oci, ConfigNeedsLayersRootfs) {
  auto ok = parse_config(R"({"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[")" +
                         kA + R"("]}})");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->diff_ids, std::vector<std::string>{kA});
  EXPECT_EQ(ok->platform.architecture, "amd64");
  EXPECT_FALSE(parse_config(R"({"rootfs":{"type":"other"}})"));
  EXPECT_FALSE(parse_config(R"({"rootfs":{"type":"layers","diff_ids":["md5:x"]}})"));
}

TEST(ApplyChange, CommandsInBothForms) {
  Json c;
  ASSERT_TRUE(apply_change(c, R"(CMD ["sh", "-c", "echo hi"])"));
  EXPECT_EQ(c["Cmd"], Json::array({"sh", "-c", "echo hi"}));
  ASSERT_TRUE(apply_change(c, "entrypoint /start --fast"));
  EXPECT_EQ(c["Entrypoint"], Json::array({"/bin/sh", "-c", "/start --fast"}));
}

TEST(ApplyChange, EnvLabelExposeVolumeUserWorkdir) {
  Json c;
  ASSERT_TRUE(apply_change(c, "ENV A=1 B=\"two words\""));
  ASSERT_TRUE(apply_change(c, "ENV A 3"));  // legacy form replaces A
  EXPECT_EQ(c["Env"], Json::array({"A=3", "B=two words"}));
  ASSERT_TRUE(apply_change(c, "LABEL org.example=yes"));
  EXPECT_EQ(c["Labels"]["org.example"], "yes");
  ASSERT_TRUE(apply_change(c, "EXPOSE 80 53/udp"));
  EXPECT_TRUE(c["ExposedPorts"].contains("80/tcp"));
  EXPECT_TRUE(c["ExposedPorts"].contains("53/udp"));
  ASSERT_TRUE(apply_change(c, R"(VOLUME ["/data"])"));
  EXPECT_TRUE(c["Volumes"].contains("/data"));
  ASSERT_TRUE(apply_change(c, "USER 1000:1000"));
  ASSERT_TRUE(apply_change(c, "WORKDIR /app"));
  EXPECT_EQ(c["User"], "1000:1000");
  EXPECT_EQ(c["WorkingDir"], "/app");
}

TEST(ApplyChange, UnknownOrEmptyInstructionsAreRefused) {
  Json c;
  auto bad = apply_change(c, "RUN rm -rf /");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "RUN is not a valid change command");
  EXPECT_FALSE(apply_change(c, "CMD"));
  EXPECT_FALSE(apply_change(c, "EXPOSE eighty"));
  EXPECT_FALSE(apply_change(c, ""));
}

}  // namespace
}  // namespace berth::image
