// The runner's Engine API requests: a service's create body as docker compose makes it
// (pkg/compose/create.go), the config hash, and up's order and roll-back, against a recording
// engine that answers like the Docker Engine API. The real engine path is tests/e2e/compose_test.
#include <gtest/gtest.h>

#include <algorithm>
#include <mutex>
#include <set>

#include "common/fs.h"
#include "compose/project.h"
#include "compose/runner.h"
#include "support/process.h"

namespace berth::compose {
namespace {

// An engine with no objects at first: records every call, creates what it is asked to, and
// fails the start of the containers named in `fail_start`.
class RecordingEngine : public EngineApi {
 public:
  std::vector<std::string> calls;
  std::set<std::string> fail_start;
  std::set<std::string> images;  // built or pulled
  Json containers = Json::array();

  std::mutex mu;  // the runner calls from a thread per service

  Result<Json> call(const std::string& method, const std::string& path, const ApiQuery& query,
                    const Json& body) override {
    std::lock_guard<std::mutex> l(mu);
    std::string name;
    for (auto& [k, v] : query) {
      if (k == "name") name = v;
    }
    calls.push_back(method + " " + path + (name.empty() ? "" : " " + name));
    if (method == "GET" && path == "/containers/json") return containers;
    if (method == "GET" && path.starts_with("/images/") && images.count(path.substr(8, path.size() - 13))) {
      return Json{{"Id", "sha256:" + path.substr(8, path.size() - 13)}};
    }
    if (method == "GET") return make_error(Errc::kNotFound, "no such object");
    if (path == "/containers/create") {
      containers.push_back({{"Id", name + "-id"}, {"Names", {"/" + name}}, {"State", "created"},
                            {"Labels", body["Labels"]}});
      return Json{{"Id", name + "-id"}};
    }
    if (path.ends_with("/start") && fail_start.count(path.substr(12, path.size() - 12 - 6))) {
      return make_error(Errc::kConflict, "Bind for 0.0.0.0:8080 failed: port is already allocated");
    }
    return Json();
  }
  Result<void> build(const BuildConfig&, const std::string& tag) override {
    std::lock_guard<std::mutex> l(mu);
    calls.push_back("BUILD " + tag);
    images.insert(tag);
    return {};
  }
  Result<void> pull(const std::string& image) override {
    std::lock_guard<std::mutex> l(mu);
    calls.push_back("PULL " + image);
    images.insert(image);
    return {};
  }
};

class ComposeRunnerTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = test::make_temp_dir("berth-compose-runner"); }
  void TearDown() override { (void)fs::remove_all(dir_); }
  Project load(const std::string& yaml) {
    EXPECT_TRUE(fs::atomic_write(fs::join(dir_, "compose.yaml"), yaml));
    LoadOptions o;
    o.working_dir = dir_;
    o.project_name = "demo";
    auto p = load_project(o);
    EXPECT_TRUE(p) << p.error().message;
    return p ? *p : Project{};
  }
  std::string dir_;
};

TEST_F(ComposeRunnerTest, CreateBodyCarriesTheServiceAsTheEngineApiSpellsIt) {
  Project p = load(R"(services:
  web:
    image: nginx:1
    command: ["serve", "--port", "80"]
    environment: {A: "1"}
    ports: ["127.0.0.1:8080:80", "9000-9001:9000-9001/udp"]
    volumes: ["data:/var/lib/data:ro", "./site:/site", {type: tmpfs, target: /run, tmpfs: {size: 1024}}]
    networks:
      front: {aliases: [www]}
    healthcheck: {test: ["CMD", "true"], interval: 2s, retries: 5}
    restart: on-failure:3
    stop_grace_period: 5s
    labels: {team: a}
networks:
  front: {}
volumes:
  data: {}
)");
  const Service* web = p.service("web");
  ASSERT_NE(web, nullptr);
  auto body = container_create_body(p, *web, 2, "nginx:1", "sha256:abc", [](auto&) { return ""; });
  ASSERT_TRUE(body) << body.error().message;
  Json& b = *body;
  EXPECT_EQ(b["Image"], "nginx:1");
  EXPECT_EQ(b["Cmd"], Json::array({"serve", "--port", "80"}));
  EXPECT_FALSE(b.contains("Entrypoint"));  // the image's
  EXPECT_EQ(b["Env"], Json::array({"A=1"}));
  EXPECT_EQ(b["StopTimeout"], 5);
  EXPECT_EQ(b["Healthcheck"], (Json{{"Test", {"CMD", "true"}}, {"Interval", 2000000000}, {"Retries", 5}}));
  Json& l = b["Labels"];
  EXPECT_EQ(l["team"], "a");
  EXPECT_EQ(l["com.docker.compose.project"], "demo");
  EXPECT_EQ(l["com.docker.compose.service"], "web");
  EXPECT_EQ(l["com.docker.compose.container-number"], "2");
  EXPECT_EQ(l["com.docker.compose.oneoff"], "False");
  EXPECT_EQ(l["com.docker.compose.image"], "sha256:abc");
  EXPECT_EQ(l["com.docker.compose.config-hash"], config_hash(*web));
  Json& hc = b["HostConfig"];
  EXPECT_EQ(hc["RestartPolicy"], (Json{{"Name", "on-failure"}, {"MaximumRetryCount", 3}}));
  EXPECT_EQ(hc["PortBindings"]["80/tcp"], Json::array({{{"HostIp", "127.0.0.1"}, {"HostPort", "8080"}}}));
  EXPECT_EQ(hc["PortBindings"]["9001/udp"], Json::array({{{"HostIp", ""}, {"HostPort", "9001"}}}));
  EXPECT_TRUE(b["ExposedPorts"].contains("9000/udp"));
  // Named volumes by their engine name; a short-syntax bind as a Bind (its host path is made).
  EXPECT_EQ(hc["Mounts"][0], (Json{{"Type", "volume"}, {"Source", "demo_data"}, {"Target", "/var/lib/data"},
                                   {"ReadOnly", true}}));
  EXPECT_EQ(hc["Mounts"][1]["Type"], "tmpfs");
  EXPECT_EQ(hc["Mounts"][1]["TmpfsOptions"]["SizeBytes"], 1024);
  EXPECT_EQ(hc["Binds"], Json::array({dir_ + "/site:/site"}));
  // The network by its engine name, with the service name as an alias.
  EXPECT_EQ(hc["NetworkMode"], "demo_front");
  EXPECT_EQ(b["NetworkingConfig"]["EndpointsConfig"]["demo_front"]["Aliases"], Json::array({"web", "www"}));
}

TEST_F(ComposeRunnerTest, ConfigHashIgnoresTheReplicaCountOnly) {
  Project one = load("services:\n  a:\n    image: x\n");
  Project three = load("services:\n  a:\n    image: x\n    scale: 3\n");
  Project other = load("services:\n  a:\n    image: x\n    environment: [B=1]\n");
  EXPECT_EQ(config_hash(*one.service("a")), config_hash(*three.service("a")));
  EXPECT_NE(config_hash(*one.service("a")), config_hash(*other.service("a")));
  EXPECT_EQ(config_hash(*one.service("a")).size(), 64u);
}

TEST_F(ComposeRunnerTest, UpCreatesDependenciesFirstAndTakesBackAFailedStart) {
  Project p = load(R"(services:
  api:
    build: .
    depends_on: [db]
  db:
    image: db:1
    volumes: [data:/data]
volumes:
  data: {}
)");
  RecordingEngine engine;
  engine.fail_start = {"demo-api-1-id"};
  Runner runner(p, engine, [](auto&, auto&, auto&) {});
  auto up = runner.up({});
  ASSERT_FALSE(up);
  EXPECT_NE(up.error().message.find("port is already allocated"), std::string::npos);
  auto pos = [&](const std::string& call) {
    auto it = std::find(engine.calls.begin(), engine.calls.end(), call);
    EXPECT_NE(it, engine.calls.end()) << call;
    return it - engine.calls.begin();
  };
  // Resources, then the image (built: it is missing), then db before api.
  EXPECT_LT(pos("POST /networks/create"), pos("POST /containers/create demo-db-1"));
  EXPECT_LT(pos("POST /volumes/create"), pos("POST /containers/create demo-db-1"));
  EXPECT_LT(pos("BUILD demo-api"), pos("POST /containers/create demo-db-1"));
  EXPECT_LT(pos("PULL db:1"), pos("POST /containers/create demo-db-1"));
  EXPECT_LT(pos("POST /containers/demo-db-1-id/start"), pos("POST /containers/create demo-api-1"));
  // The failed up removes both containers it made, the network and the volume.
  EXPECT_GT(pos("DELETE /containers/demo-db-1-id"), pos("POST /containers/demo-api-1-id/start"));
  EXPECT_GT(pos("DELETE /containers/demo-api-1-id"), pos("POST /containers/demo-api-1-id/start"));
  EXPECT_GT(pos("DELETE /networks/demo_default"), pos("POST /containers/demo-api-1-id/start"));
  EXPECT_GT(pos("DELETE /volumes/demo_data"), pos("POST /containers/demo-api-1-id/start"));
}

TEST_F(ComposeRunnerTest, ReplicasTakeSuccessivePortsOfAPublishedRange) {
  Project p = load("services:\n  web:\n    image: x\n    ports: [\"8000-8003:80\", \"9000:90\"]\n");
  auto port_of = [&](int number) {
    auto body = container_create_body(p, *p.service("web"), number, "x", "", [](auto&) { return ""; });
    EXPECT_TRUE(body);
    return body ? (*body)["HostConfig"]["PortBindings"]["80/tcp"][0]["HostPort"].get<std::string>() : "";
  };
  EXPECT_EQ(port_of(1), "8000");
  EXPECT_EQ(port_of(2), "8001");
  EXPECT_EQ(port_of(4), "8003");
}

TEST_F(ComposeRunnerTest, UpRefusesAScaledFixedNameAndUnknownScaleBeforeAnyCall) {
  Project p = load("services:\n  a:\n    image: x\n    container_name: fixed\n    scale: 2\n  b:\n    image: x\n");
  RecordingEngine engine;
  Runner runner(p, engine, [](auto&, auto&, auto&) {});
  auto up = runner.up({});
  ASSERT_FALSE(up);
  EXPECT_NE(up.error().message.find("custom container name \"fixed\""), std::string::npos) << up.error().message;
  EXPECT_TRUE(engine.calls.empty());  // nothing made, nothing to take back
  UpOptions typo;
  typo.services = {"b"};
  typo.scale = {{"nosuch", 2}};
  auto up2 = runner.up(typo);
  ASSERT_FALSE(up2);
  EXPECT_EQ(up2.error().message, "no such service: nosuch");
  UpOptions one;
  one.scale = {{"a", 1}};  // one replica may keep the fixed name
  engine.calls.clear();
  EXPECT_TRUE(runner.up(one));
  EXPECT_NE(std::find(engine.calls.begin(), engine.calls.end(), "POST /containers/create fixed"), engine.calls.end());
}

}  // namespace
}  // namespace berth::compose
