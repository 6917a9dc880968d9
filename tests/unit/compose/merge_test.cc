// Merging compose files: each case is an example of compose-spec 13-merge.md (section named in
// the test) with the result the spec gives, or of 05-services.md "extends" / "Merging service
// definitions" as marked.
#include <gtest/gtest.h>

#include "common/fs.h"
#include "compose/canonical.h"
#include "compose/project.h"
#include "compose/yaml.h"
#include "support/process.h"

namespace berth::compose {
namespace {

// One YAML document, canonicalised unless `raw`.
Json doc(std::string_view yaml, bool raw = false) {
  auto docs = parse_yaml(yaml, "test.yaml");
  EXPECT_TRUE(docs) << docs.error().message;
  if (!docs || docs->empty()) return Json::object();
  Json tree = (*docs)[0].tree;
  if (!raw) {
    auto r = canonicalize(tree);
    EXPECT_TRUE(r) << r.error().message;
  }
  return tree;
}

Json merged(std::string_view base, std::string_view over, bool raw = false) {
  Json b = doc(base, raw);
  auto r = merge_models(b, doc(over, raw));
  EXPECT_TRUE(r) << r.error().message;
  return b;
}

// 13-merge.md "Mapping" (placeholder keys: the merge rules do not look at them).
TEST(ComposeMerge, MappingsMergeRecursively) {
  Json m = merged("services:\n  foo:\n    key1: value1\n    key2: value2\n",
                  "services:\n  foo:\n    key2: VALUE\n    key3: value3\n", true);
  EXPECT_EQ(m,
            doc("services:\n  foo:\n    key1: value1\n    key2: VALUE\n    key3: value3\n", true));
}

// 13-merge.md "Sequence".
TEST(ComposeMerge, SequencesAppend) {
  Json m = merged("services:\n  foo:\n    DNS:\n      - 1.1.1.1\n",
                  "services:\n  foo:\n    DNS:\n      - 8.8.8.8\n", true);
  EXPECT_EQ(m["services"]["foo"]["DNS"], Json::array({"1.1.1.1", "8.8.8.8"}));
}

// 13-merge.md "Shell commands": command, entrypoint and healthcheck.test are replaced.
TEST(ComposeMerge, CommandsAreReplaced) {
  Json m = merged(
      "services:\n  foo:\n    command: [\"echo\", \"foo\"]\n    entrypoint: /a\n"
      "    healthcheck:\n      test: [\"CMD\", \"true\"]\n      retries: 3\n",
      "services:\n  foo:\n    command: [\"echo\", \"bar\"]\n    entrypoint: /b\n"
      "    healthcheck:\n      test: exit 0\n");
  const Json& foo = m["services"]["foo"];
  EXPECT_EQ(foo["command"], Json::array({"echo", "bar"}));
  EXPECT_EQ(foo["entrypoint"], Json::array({"/b"}));
  EXPECT_EQ(foo["healthcheck"]["test"], Json::array({"CMD-SHELL", "exit 0"}));
  EXPECT_EQ(foo["healthcheck"]["retries"], 3);  // the rest of the mapping merges
}

// 13-merge.md "Unique resources": volumes are unique by target.
TEST(ComposeMerge, VolumesAreUniqueByTarget) {
  Json m = merged("services:\n  foo:\n    volumes:\n      - foo:/work\n",
                  "services:\n  foo:\n    volumes:\n      - bar:/work\n");
  EXPECT_EQ(
      m["services"]["foo"]["volumes"],
      doc("services:\n  foo:\n    volumes:\n      - bar:/work\n")["services"]["foo"]["volumes"]);
}

// 13-merge.md "Unique resources": ports by {ip, target, published, protocol}.
TEST(ComposeMerge, PortsAreUniqueByAddressAndProtocol) {
  Json m =
      merged("services:\n  foo:\n    ports: [\"8080:80\", \"53:53/udp\"]\n",
             "services:\n  foo:\n    ports: [\"8080:80\", \"53:53/tcp\", \"127.0.0.1:8080:80\"]\n");
  Json ports = m["services"]["foo"]["ports"];
  ASSERT_EQ(ports.size(), 4u) << ports.dump();
  EXPECT_EQ(ports[0]["published"], "8080");
  EXPECT_EQ(ports[1]["protocol"], "udp");
  EXPECT_EQ(ports[2]["protocol"], "tcp");
  EXPECT_EQ(ports[3]["host_ip"], "127.0.0.1");
}

// environment merges by variable whichever syntax each file uses (05-services.md "Mappings").
TEST(ComposeMerge, EnvironmentMergesByKeyAcrossSyntaxes) {
  Json m = merged("services:\n  foo:\n    environment:\n      - A=1\n      - B=2\n",
                  "services:\n  foo:\n    environment:\n      B: 3\n      C: \"\"\n");
  EXPECT_EQ(m["services"]["foo"]["environment"], (Json{{"A", "1"}, {"B", "3"}, {"C", ""}}));
}

class ComposeFilesTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = test::make_temp_dir("berth-compose"); }
  void TearDown() override { (void)fs::remove_all(dir_); }
  void write(const std::string& name, const std::string& text) {
    ASSERT_TRUE(fs::atomic_write(fs::join(dir_, name), text));
  }
  Result<Project> load(std::vector<std::string> files) {
    LoadOptions o;
    o.working_dir = dir_;
    o.files = std::move(files);
    o.project_name = "p";
    return load_project(o);
  }
  std::string dir_;
};

// 13-merge.md "Reset value".
TEST_F(ComposeFilesTest, ResetTagClearsInheritedValues) {
  write("compose.yaml",
        "services:\n  app:\n    image: myapp\n    ports:\n      - \"8080:80\"\n"
        "    environment:\n      FOO: BAR\n");
  write("compose.override.yaml",
        "services:\n  app:\n    image: myapp\n    ports: !reset []\n    environment:\n"
        "      FOO: !reset null\n");
  auto p = load({"compose.yaml", "compose.override.yaml"});
  ASSERT_TRUE(p) << p.error().message;
  const Json& app = p->model["services"]["app"];
  EXPECT_EQ(app["image"], "myapp");
  EXPECT_FALSE(app.contains("ports")) << app.dump();
  EXPECT_FALSE(app.contains("environment")) << app.dump();
}

// 13-merge.md "Replace value".
TEST_F(ComposeFilesTest, OverrideTagReplacesInsteadOfMerging) {
  write("compose.yaml", "services:\n  app:\n    image: myapp\n    ports:\n      - \"8080:80\"\n");
  write("override.yaml", "services:\n  app:\n    ports: !override\n      - \"8443:443\"\n");
  auto p = load({"compose.yaml", "override.yaml"});
  ASSERT_TRUE(p) << p.error().message;
  const Service& app = p->services.at(0);
  ASSERT_EQ(app.ports.size(), 1u);
  EXPECT_EQ(app.ports[0].target, 443u);
  EXPECT_EQ(app.ports[0].published, "8443");
  EXPECT_EQ(app.image, "myapp");
}

// Without a tag the sequences append (13-merge.md "Replace value", last sentence).
TEST_F(ComposeFilesTest, OverrideFileAppendsPorts) {
  write("compose.yaml", "services:\n  app:\n    image: myapp\n    ports:\n      - \"8080:80\"\n");
  write("override.yaml", "services:\n  app:\n    ports:\n      - \"8443:443\"\n");
  auto p = load({"compose.yaml", "override.yaml"});
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p->services.at(0).ports.size(), 2u);
}

// 05-services.md "extends", "Mappings": the main service's keys win.
TEST_F(ComposeFilesTest, ExtendsMergesEnvironment) {
  write(
      "compose.yaml",
      "services:\n  common:\n    image: busybox\n    environment:\n      TZ: utc\n      PORT: 80\n"
      "  cli:\n    extends:\n      service: common\n    environment:\n      PORT: 8080\n");
  auto p = load({"compose.yaml"});
  ASSERT_TRUE(p) << p.error().message;
  const Service* cli = p->service("cli");
  ASSERT_NE(cli, nullptr);
  EXPECT_EQ(cli->image, "busybox");
  EXPECT_EQ(cli->environment, (StringMap{{"PORT", "8080"}, {"TZ", "utc"}}));
  EXPECT_FALSE(cli->raw.contains("extends"));
}

// 05-services.md "extends": volumes are merged by their target.
TEST_F(ComposeFilesTest, ExtendsReplacesVolumeWithSameTarget) {
  write("compose.yaml",
        "services:\n  common:\n    image: busybox\n    volumes:\n"
        "      - common-volume:/var/lib/backup/data:rw\n"
        "  cli:\n    extends:\n      service: common\n    volumes:\n"
        "      - cli-volume:/var/lib/backup/data:ro\n"
        "volumes:\n  common-volume:\n  cli-volume:\n");
  auto p = load({"compose.yaml"});
  ASSERT_TRUE(p) << p.error().message;
  const Service* cli = p->service("cli");
  ASSERT_EQ(cli->volumes.size(), 1u);
  EXPECT_EQ(cli->volumes[0].source, "cli-volume");
  EXPECT_TRUE(cli->volumes[0].read_only);
}

// 05-services.md "extends": extends chains are followed to the end.
TEST_F(ComposeFilesTest, ExtendsChains) {
  write("compose.yaml",
        "services:\n  base:\n    image: busybox\n    user: root\n"
        "  common:\n    image: busybox\n    extends:\n      service: base\n"
        "  cli:\n    extends:\n      service: common\n");
  auto p = load({"compose.yaml"});
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p->service("cli")->image, "busybox");
  EXPECT_EQ(p->service("cli")->user, "root");
}

// 05-services.md "extends", "Sequences": security_opt items combine, base first.
TEST_F(ComposeFilesTest, ExtendsCombinesSequences) {
  write(
      "compose.yaml",
      "services:\n  common:\n    image: busybox\n    security_opt:\n      - label:role:ROLE\n"
      "  cli:\n    extends:\n      service: common\n    security_opt:\n      - label:user:USER\n");
  auto p = load({"compose.yaml"});
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p->service("cli")->raw["security_opt"],
            Json::array({"label:role:ROLE", "label:user:USER"}));
}

// extends.file: the other file's relative paths resolve against its own directory.
TEST_F(ComposeFilesTest, ExtendsFromAnotherFile) {
  ASSERT_TRUE(fs::mkdir_all(fs::join(dir_, "common")));
  write("common/base.yaml",
        "services:\n  webapp:\n    image: web:1\n    build: ./app\n    volumes:\n      - "
        "./data:/data\n"
        "    environment:\n      MODE: base\n");
  write("compose.yaml",
        "services:\n  web:\n    extends:\n      file: common/base.yaml\n      service: webapp\n"
        "    environment:\n      MODE: main\n");
  auto p = load({"compose.yaml"});
  ASSERT_TRUE(p) << p.error().message;
  const Service* web = p->service("web");
  EXPECT_EQ(web->image, "web:1");
  ASSERT_TRUE(web->build);
  EXPECT_EQ(web->build->context, dir_ + "/common/app");
  EXPECT_EQ(web->volumes.at(0).source, dir_ + "/common/data");
  EXPECT_EQ(web->environment.at("MODE"), "main");
}

TEST_F(ComposeFilesTest, ExtendsCycleIsAnError) {
  write("compose.yaml",
        "services:\n  a:\n    image: x\n    extends: b\n  b:\n    image: x\n    extends: a\n");
  auto p = load({"compose.yaml"});
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().message,
            "compose.yaml: services.a.extends: circular reference: a in compose.yaml extends b in "
            "compose.yaml extends a in compose.yaml");
}

}  // namespace
}  // namespace berth::compose
