// load_project end to end on files in a temporary directory: normalisation of each syntax,
// interpolation and .env, project names, profiles, errors, and the printed model. Expected
// values follow compose-spec (section named per test) and what compose-go produces.
#include <gtest/gtest.h>

#include "common/fs.h"
#include "compose/project.h"
#include "support/process.h"

namespace berth::compose {
namespace {

using Strings = std::vector<std::string>;

class ComposeLoadTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = test::make_temp_dir("berth-compose"); }
  void TearDown() override { (void)fs::remove_all(dir_); }

  void write(const std::string& name, const std::string& text) {
    ASSERT_TRUE(fs::atomic_write(fs::join(dir_, name), text));
  }
  LoadOptions options() {
    LoadOptions o;
    o.working_dir = dir_;
    o.project_name = "demo";
    return o;
  }
  // compose.yaml with `text`, loaded; fails the test on an error.
  Project load(const std::string& text, LoadOptions o) {
    write("compose.yaml", text);
    auto p = load_project(o);
    EXPECT_TRUE(p) << p.error().message;
    return p ? *p : Project{};
  }
  Project load(const std::string& text) { return load(text, options()); }
  std::string error(const std::string& text, LoadOptions o) {
    write("compose.yaml", text);
    auto p = load_project(o);
    if (p) return "loaded";
    return p.error().message;
  }
  std::string error(const std::string& text) { return error(text, options()); }

  std::string dir_;
};

// ---- short and long syntax ----

TEST_F(ComposeLoadTest, EnvironmentListMapAndBareKeys) {
  LoadOptions o = options();
  o.environment = {{"FROM_HOST", "h"}};
  Project p = load(
      "services:\n"
      "  a:\n    image: x\n    environment:\n      - A=1\n      - EMPTY=\n      - FROM_HOST\n"
      "      - NOT_SET\n"
      "  b:\n    image: x\n    environment:\n      B: 2\n      ON: true\n      FROM_HOST:\n",
      o);
  EXPECT_EQ(p.service("a")->environment,
            (StringMap{{"A", "1"}, {"EMPTY", ""}, {"FROM_HOST", "h"}}));
  EXPECT_EQ(p.service("b")->environment,
            (StringMap{{"B", "2"}, {"ON", "true"}, {"FROM_HOST", "h"}}));
  // An unresolved bare key stays in the model without a value, as compose prints it.
  EXPECT_TRUE(p.model["services"]["a"]["environment"]["NOT_SET"].is_null());
}

// 05-services.md "env_file": files in order, then `environment` wins.
TEST_F(ComposeLoadTest, EnvFilesThenEnvironment) {
  write("a.env", "A=from-a\nSHARED=a\nREF=${HOST_VAR}\n");
  write("b.env", "# comment\nSHARED=b\n");
  LoadOptions o = options();
  o.environment = {{"HOST_VAR", "hv"}};
  Project p = load(
      "services:\n  web:\n    image: x\n    env_file:\n      - a.env\n      - path: b.env\n"
      "      - path: missing.env\n        required: false\n    environment:\n      A: explicit\n",
      o);
  const Service* web = p.service("web");
  EXPECT_EQ(web->environment, (StringMap{{"A", "explicit"}, {"SHARED", "b"}, {"REF", "hv"}}));
  ASSERT_EQ(web->env_file.size(), 3u);
  EXPECT_EQ(web->env_file[0].path, dir_ + "/a.env");
  EXPECT_FALSE(web->env_file[2].required);
}

// 05-services.md "label_file": files in order, then `labels` win.
TEST_F(ComposeLoadTest, LabelFilesThenLabels) {
  write("app.labels", "com.example.tier=web\ncom.example.owner=ops\n");
  Project p = load(
      "services:\n  web:\n    image: x\n    label_file: app.labels\n"
      "    labels:\n      com.example.owner: dev\n");
  EXPECT_EQ(p.service("web")->labels,
            (StringMap{{"com.example.tier", "web"}, {"com.example.owner", "dev"}}));
}

TEST_F(ComposeLoadTest, MissingRequiredEnvFile) {
  EXPECT_EQ(error("services:\n  web:\n    image: x\n    env_file: nope.env\n"),
            "services.web.env_file: env file " + dir_ + "/nope.env not found");
}

TEST_F(ComposeLoadTest, PortsShortAndLong) {
  Project p = load(
      "services:\n  web:\n    image: x\n    ports:\n      - 80\n      - \"127.0.0.1:8080:80/udp\"\n"
      "      - \"3000-3001\"\n      - target: 443\n        published: 8443\n        host_ip: "
      "0.0.0.0\n"
      "        protocol: TCP\n        mode: host\n");
  const auto& ports = p.service("web")->ports;
  ASSERT_EQ(ports.size(), 5u);
  EXPECT_EQ(ports[0].target, 80u);
  EXPECT_EQ(ports[0].published, "");
  EXPECT_EQ(ports[1].host_ip, "127.0.0.1");
  EXPECT_EQ(ports[1].protocol, "udp");
  EXPECT_EQ(ports[2].target, 3000u);
  EXPECT_EQ(ports[3].target, 3001u);
  EXPECT_EQ(ports[4].target, 443u);
  EXPECT_EQ(ports[4].published, "8443");  // a number in the file, a string in the model
  EXPECT_EQ(ports[4].protocol, "tcp");
  EXPECT_EQ(ports[4].mode, "host");
  EXPECT_EQ(p.model["services"]["web"]["ports"][1], (Json{{"mode", "ingress"},
                                                          {"host_ip", "127.0.0.1"},
                                                          {"target", 80},
                                                          {"published", "8080"},
                                                          {"protocol", "udp"}}));
}

TEST_F(ComposeLoadTest, VolumesShortAndLong) {
  LoadOptions o = options();
  o.environment = {{"HOME", "/home/u"}};
  Project p = load(
      "services:\n  db:\n    image: x\n    volumes:\n      - data:/var/lib/db\n"
      "      - ./conf/../etc:/etc/app:ro\n      - /srv:/srv\n      - /anon\n      - "
      "~/cache:/cache\n"
      "      - type: bind\n        source: ./src\n        target: /src\n        read_only: true\n"
      "        bind:\n          create_host_path: false\n"
      "      - type: volume\n        source: data\n        target: /other\n        volume:\n"
      "          nocopy: true\n"
      "      - type: tmpfs\n        target: /tmp\n        tmpfs:\n          size: 64m\n"
      "volumes:\n  data:\n",
      o);
  const auto& v = p.service("db")->volumes;
  ASSERT_EQ(v.size(), 8u);
  EXPECT_EQ(v[0].type, MountType::kVolume);
  EXPECT_EQ(v[0].source, "data");
  EXPECT_EQ(v[1].type, MountType::kBind);
  EXPECT_EQ(v[1].source, dir_ + "/etc");  // relative to working_dir, cleaned
  EXPECT_TRUE(v[1].read_only);
  EXPECT_TRUE(v[1].create_host_path);
  EXPECT_EQ(v[2].source, "/srv");
  EXPECT_EQ(v[3].type, MountType::kVolume);
  EXPECT_EQ(v[3].source, "");
  EXPECT_EQ(v[3].target, "/anon");
  EXPECT_EQ(v[4].source, "/home/u/cache");
  EXPECT_EQ(v[5].source, dir_ + "/src");
  EXPECT_TRUE(v[5].read_only);
  EXPECT_FALSE(v[5].create_host_path);
  EXPECT_TRUE(v[6].nocopy);
  EXPECT_EQ(v[7].type, MountType::kTmpfs);
  EXPECT_EQ(v[7].tmpfs_size, 64 * 1024 * 1024);
}

// 05-services.md "depends_on": short syntax is service_started and required.
TEST_F(ComposeLoadTest, DependsOnShortAndLong) {
  Project p = load(
      "services:\n  db:\n    image: x\n  cache:\n    image: x\n  init:\n    image: x\n"
      "  api:\n    image: x\n    depends_on: [cache]\n"
      "  web:\n    image: x\n    depends_on:\n      db:\n        condition: service_healthy\n"
      "        restart: true\n      init:\n        condition: service_completed_successfully\n"
      "      optional:\n        condition: service_started\n        required: false\n");
  const auto& api = p.service("api")->depends_on;
  ASSERT_EQ(api.size(), 1u);
  EXPECT_EQ(api[0].service, "cache");
  EXPECT_EQ(api[0].condition, DependsCondition::kStarted);
  EXPECT_TRUE(api[0].required);
  const auto& web = p.service("web")->depends_on;
  ASSERT_EQ(web.size(), 2u);  // the optional, undefined one is dropped
  EXPECT_EQ(web[0].service, "db");
  EXPECT_EQ(web[0].condition, DependsCondition::kHealthy);
  EXPECT_TRUE(web[0].restart);
  EXPECT_EQ(web[1].condition, DependsCondition::kCompletedSuccessfully);
}

// 05-services.md "healthcheck".
TEST_F(ComposeLoadTest, HealthcheckTestFormsAndDurations) {
  Project p = load(
      "services:\n"
      "  a:\n    image: x\n    healthcheck:\n      test: [\"CMD\", \"curl\", \"-f\", "
      "\"http://localhost\"]\n"
      "      interval: 1m30s\n      timeout: 10s\n      retries: 3\n      start_period: 40s\n"
      "      start_interval: 5s\n"
      "  b:\n    image: x\n    healthcheck:\n      test: curl -f http://localhost || exit 1\n"
      "  c:\n    image: x\n    healthcheck:\n      disable: true\n"
      "  d:\n    image: x\n    healthcheck:\n      test: [\"NONE\"]\n");
  const Healthcheck& a = *p.service("a")->healthcheck;
  EXPECT_EQ(a.test, (Strings{"CMD", "curl", "-f", "http://localhost"}));
  EXPECT_EQ(a.interval, 90'000'000'000);
  EXPECT_EQ(a.timeout, 10'000'000'000);
  EXPECT_EQ(a.start_period, 40'000'000'000);
  EXPECT_EQ(a.start_interval, 5'000'000'000);
  EXPECT_EQ(a.retries, 3u);
  EXPECT_EQ(p.model["services"]["a"]["healthcheck"]["interval"], "1m30s");
  EXPECT_EQ(p.service("b")->healthcheck->test,
            (Strings{"CMD-SHELL", "curl -f http://localhost || exit 1"}));
  EXPECT_TRUE(p.service("c")->healthcheck->disable);
  EXPECT_EQ(p.service("d")->healthcheck->test, Strings{"NONE"});
}

TEST_F(ComposeLoadTest, CommandEntrypointAndBuild) {
  Project p = load(
      "services:\n"
      "  a:\n    build: ./app\n    command: bundle exec thin -p 3000\n"
      "    entrypoint: [\"/bin/sh\", \"-c\"]\n"
      "  b:\n    image: x\n    build:\n      context: ctx\n      dockerfile: Dockerfile.dev\n"
      "      args:\n        - VERSION=1\n        - FROM_ENV\n      target: dev\n"
      "      labels:\n        com.example: yes\n    command: \"\"\n"
      "  c:\n    image: x\n    command: null\n");
  const Service* a = p.service("a");
  EXPECT_EQ(a->build->context, dir_ + "/app");
  EXPECT_EQ(a->build->dockerfile, "Dockerfile");
  EXPECT_EQ(*a->command, (Strings{"bundle", "exec", "thin", "-p", "3000"}));
  EXPECT_EQ(*a->entrypoint, (Strings{"/bin/sh", "-c"}));
  const Service* b = p.service("b");
  EXPECT_EQ(b->build->context, dir_ + "/ctx");
  EXPECT_EQ(b->build->dockerfile, "Dockerfile.dev");
  EXPECT_EQ(b->build->args, (StringMap{{"VERSION", "1"}}));  // FROM_ENV is not set: dropped
  EXPECT_EQ(b->build->target, "dev");
  EXPECT_EQ(b->build->labels.at("com.example"), "yes");
  EXPECT_EQ(*b->command, Strings{});  // "" clears the image's CMD
  EXPECT_FALSE(p.service("c")->command);
  EXPECT_FALSE(p.service("c")->entrypoint);
}

TEST_F(ComposeLoadTest, NetworksAndOtherServiceFields) {
  Project p = load(
      "version: \"3.8\"\n"
      "services:\n"
      "  web:\n    image: x\n    networks:\n      front:\n        aliases: [www]\n"
      "        ipv4_address: 172.16.238.10\n      back:\n"
      "    labels: [\"a=1\", \"b\"]\n    deploy:\n      replicas: 2\n    restart: unless-stopped\n"
      "    user: \"1000:1000\"\n    working_dir: /app\n    hostname: web1\n    expose: [3000]\n"
      "    extra_hosts: [\"somehost=162.242.195.82\", \"other:50.31.209.229\"]\n"
      "    dns: 8.8.8.8\n    cap_add: [NET_ADMIN]\n    cap_drop: [ALL]\n    privileged: true\n"
      "    read_only: \"true\"\n    tmpfs: /run\n    init: true\n    stop_signal: SIGINT\n"
      "    stop_grace_period: 1m\n    tty: true\n    stdin_open: true\n"
      "    container_name: my-web\n    pull_policy: if_not_present\n    platform: linux/amd64\n"
      "  worker:\n    image: x\n    network_mode: host\n    scale: 3\n"
      "  job:\n    image: x\n    networks: [back]\n"
      "networks:\n  front:\n    driver: bridge\n    ipam:\n      config:\n"
      "        - subnet: 172.16.238.0/24\n          gateway: 172.16.238.1\n"
      "  back:\n    internal: true\n    labels:\n      tier: back\n"
      "  outside:\n    external: true\n");
  const Service* web = p.service("web");
  ASSERT_EQ(web->networks.size(), 2u);
  EXPECT_EQ(web->networks[0].name, "back");
  EXPECT_EQ(web->networks[1].name, "front");
  EXPECT_EQ(web->networks[1].aliases, Strings{"www"});
  EXPECT_EQ(web->networks[1].ipv4_address, "172.16.238.10");
  EXPECT_EQ(web->labels, (StringMap{{"a", "1"}, {"b", ""}}));
  EXPECT_EQ(web->replicas(), 2);
  EXPECT_EQ(web->restart, "unless-stopped");
  EXPECT_EQ(web->user, "1000:1000");
  EXPECT_EQ(web->expose, Strings{"3000"});
  EXPECT_EQ(web->extra_hosts, (Strings{"other:50.31.209.229", "somehost:162.242.195.82"}));
  EXPECT_EQ(web->dns, Strings{"8.8.8.8"});
  EXPECT_TRUE(web->privileged);
  EXPECT_TRUE(web->read_only);
  EXPECT_EQ(web->tmpfs, Strings{"/run"});
  EXPECT_EQ(web->init, true);
  EXPECT_EQ(*web->stop_grace_period, 60'000'000'000);
  EXPECT_EQ(web->pull_policy, "missing");
  EXPECT_EQ(p.service("worker")->network_mode, "host");
  EXPECT_TRUE(p.service("worker")->networks.empty());
  EXPECT_EQ(p.service("worker")->replicas(), 3);

  // Declared networks get the project's prefix, external ones keep their name; `default`
  // exists only when a service uses it.
  EXPECT_EQ(p.networks.at("front").name, "demo_front");
  EXPECT_EQ(p.networks.at("front").ipam_config.at(0).subnet, "172.16.238.0/24");
  EXPECT_TRUE(p.networks.at("back").internal);
  EXPECT_EQ(p.networks.at("outside").name, "outside");
  EXPECT_EQ(p.networks.count("default"), 0u);
  EXPECT_FALSE(p.model.contains("version"));
}

// 05-services.md "networks", "implicit default network".
TEST_F(ComposeLoadTest, ImplicitDefaultNetworkAndResourceNames) {
  Project p = load(
      "services:\n  web:\n    image: x\n    volumes: [data:/d]\nvolumes:\n  data:\n"
      "  shared:\n    external: true\n  named:\n    name: custom\n");
  EXPECT_EQ(p.service("web")->networks.at(0).name, "default");
  EXPECT_EQ(p.networks.at("default").name, "demo_default");
  EXPECT_EQ(p.volumes.at("data").name, "demo_data");
  EXPECT_EQ(p.volumes.at("shared").name, "shared");
  EXPECT_EQ(p.volumes.at("named").name, "custom");
}

// 08-configs.md, 09-secrets.md: a secret's value never reaches the printed model.
TEST_F(ComposeLoadTest, ConfigsAndSecrets) {
  LoadOptions o = options();
  o.environment = {{"TOKEN", "s3cret"}, {"CONF", "k=v"}};
  Project p = load(
      "services:\n  web:\n    image: x\n    secrets: [token, {source: cert, target: /c.pem}]\n"
      "    configs: [app]\n"
      "secrets:\n  token:\n    environment: TOKEN\n  cert:\n    file: ./cert.pem\n"
      "configs:\n  app:\n    environment: CONF\n",
      o);
  EXPECT_EQ(p.secrets.at("token").content, "s3cret");
  EXPECT_EQ(p.secrets.at("cert").file, dir_ + "/cert.pem");
  EXPECT_EQ(p.configs.at("app").content, "k=v");
  EXPECT_EQ(dump_json(to_json(p)).find("s3cret"), std::string::npos);
  EXPECT_EQ(p.service("web")->raw["secrets"][1], (Json{{"source", "cert"}, {"target", "/c.pem"}}));
  EXPECT_EQ(error("services:\n  web:\n    image: x\n    secrets: [nope]\n"),
            "services.web.secrets[0]: secret \"nope\" is not defined");
}

// ---- interpolation and .env ----

TEST_F(ComposeLoadTest, InterpolationEnvironmentWinsOverDotenv) {
  write(".env", "TAG=from-dotenv\nONLY_DOTENV=dot\nPORT=8000\n");
  LoadOptions o = options();
  o.environment = {{"TAG", "from-env"}};
  Project p = load(
      "services:\n  web:\n    image: \"app:${TAG}\"\n    ports: [\"${PORT}:80\"]\n"
      "    environment:\n      X: $ONLY_DOTENV\n      LITERAL: $$HOME\n      D: ${UNSET:-dflt}\n"
      "    labels:\n      \"$NOT_A_KEY\": v\n",
      o);
  const Service* web = p.service("web");
  EXPECT_EQ(web->image, "app:from-env");
  EXPECT_EQ(web->ports.at(0).published, "8000");
  EXPECT_EQ(web->environment.at("X"), "dot");
  EXPECT_EQ(web->environment.at("LITERAL"), "$HOME");
  EXPECT_EQ(web->environment.at("D"), "dflt");
  EXPECT_EQ(web->labels.count("$NOT_A_KEY"), 1u);  // keys are never interpolated
  EXPECT_EQ(p.environment.at("ONLY_DOTENV"), "dot");
}

TEST_F(ComposeLoadTest, MissingRequiredVariableFailsWithItsMessage) {
  EXPECT_EQ(
      error("services:\n  web:\n    image: \"app:${X:?must be set}\"\n"),
      "compose.yaml: services.web.image: required variable X is missing a value: must be set");
}

TEST_F(ComposeLoadTest, InterpolatedBooleansAndNumbersAreTyped) {
  LoadOptions o = options();
  o.environment = {{"TTY", "true"}, {"N", "2"}, {"TARGET", "8080"}};
  Project p = load(
      "services:\n  web:\n    image: x\n    tty: ${TTY}\n    scale: ${N}\n"
      "    ports:\n      - target: ${TARGET}\n",
      o);
  EXPECT_TRUE(p.service("web")->tty);
  EXPECT_EQ(p.service("web")->replicas(), 2);
  EXPECT_EQ(p.service("web")->ports.at(0).target, 8080u);
}

TEST_F(ComposeLoadTest, ExplicitEnvFileMustExist) {
  LoadOptions o = options();
  o.env_file = "custom.env";
  EXPECT_EQ(error("services:\n  web:\n    image: x\n", o),
            "couldn't find env file: " + dir_ + "/custom.env");
  write("custom.env", "IMG=from-custom\n");
  EXPECT_EQ(load("services:\n  web:\n    image: $IMG\n", o).service("web")->image, "from-custom");
}

// ---- project name (04-version-and-name.md, docker compose's precedence) ----

TEST_F(ComposeLoadTest, ProjectNameFromOptionEnvironmentFileOrDirectory) {
  const std::string text = "name: \"${PREFIX:-}My Stack\"\nservices:\n  web:\n    image: x\n";
  LoadOptions o = options();
  EXPECT_EQ(load(text, o).name, "demo");  // -p wins

  o.project_name.clear();
  o.environment = {{"COMPOSE_PROJECT_NAME", "from_env"}};
  EXPECT_EQ(load(text, o).name, "from_env");

  o.environment = {{"PREFIX", "A-"}};
  Project p = load(text, o);
  EXPECT_EQ(p.name, "a-mystack");  // `name:` interpolated and normalised
  EXPECT_EQ(p.environment.at("COMPOSE_PROJECT_NAME"), "a-mystack");

  ASSERT_TRUE(fs::mkdir_all(fs::join(dir_, "My App_1")));
  ASSERT_TRUE(fs::atomic_write(fs::join(dir_, "My App_1/compose.yaml"),
                               "services:\n  web:\n    image: x\n"));
  LoadOptions d;
  d.working_dir = fs::join(dir_, "My App_1");
  auto from_dir = load_project(d);
  ASSERT_TRUE(from_dir) << from_dir.error().message;
  EXPECT_EQ(from_dir->name, "myapp_1");
  EXPECT_EQ(from_dir->files, Strings{dir_ + "/My App_1/compose.yaml"});
}

TEST_F(ComposeLoadTest, InvalidExplicitProjectName) {
  LoadOptions o = options();
  o.project_name = "My_App";
  EXPECT_EQ(error("services:\n  web:\n    image: x\n", o),
            "invalid project name \"My_App\": must consist only of lowercase alphanumeric "
            "characters, hyphens, and underscores as well as start with a letter or number");
  EXPECT_EQ(normalize_project_name("-_My App!2"), "myapp2");
}

TEST_F(ComposeLoadTest, DefaultFilesWithOverride) {
  write("docker-compose.yml", "services:\n  web:\n    image: old\n");
  write("compose.yaml", "services:\n  web:\n    image: base\n    environment: [A=1]\n");
  write("compose.override.yml", "services:\n  web:\n    environment: [B=2]\n");
  LoadOptions o = options();
  auto p = load_project(o);
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p->files, (Strings{dir_ + "/compose.yaml", dir_ + "/compose.override.yml"}));
  EXPECT_EQ(p->service("web")->image, "base");
  EXPECT_EQ(p->service("web")->environment, (StringMap{{"A", "1"}, {"B", "2"}}));
}

TEST_F(ComposeLoadTest, NoComposeFile) {
  auto p = load_project(options());
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().code, Errc::kNotFound);
  EXPECT_EQ(p.error().message, "no configuration file provided: not found");
}

// ---- profiles: the illustrative example of 15-profiles.md ----

class ComposeProfilesTest : public ComposeLoadTest {
 protected:
  static constexpr const char* kText =
      "services:\n  foo:\n    image: foo\n  bar:\n    image: bar\n    profiles: [test]\n"
      "  baz:\n    image: baz\n    depends_on: [bar]\n    profiles: [test]\n"
      "  zot:\n    image: zot\n    depends_on: [bar]\n    profiles: [debug]\n";
  Strings enabled(Strings profiles, Strings services = {}) {
    LoadOptions o = options();
    o.profiles = std::move(profiles);
    o.services = std::move(services);
    Project p = load(kText, o);
    Strings names;
    for (const Service& s : p.services) names.push_back(s.name);
    return names;
  }
  std::string failure(Strings profiles, Strings services = {}) {
    LoadOptions o = options();
    o.profiles = std::move(profiles);
    o.services = std::move(services);
    return error(kText, o);
  }
};

TEST_F(ComposeProfilesTest, ServicesFollowTheActiveProfiles) {
  EXPECT_EQ(enabled({}), Strings{"foo"});
  EXPECT_EQ(enabled({"test"}), (Strings{"bar", "baz", "foo"}));
  EXPECT_EQ(enabled({"debug", "test"}), (Strings{"bar", "baz", "foo", "zot"}));
  EXPECT_EQ(enabled({"*"}), (Strings{"bar", "baz", "foo", "zot"}));
}

TEST_F(ComposeProfilesTest, NamedServicesEnableTheirProfiles) {
  EXPECT_EQ(enabled({}, {"bar"}), (Strings{"bar", "baz", "foo"}));
  EXPECT_EQ(enabled({}, {"baz"}), (Strings{"bar", "baz", "foo"}));
  EXPECT_EQ(enabled({"test"}, {"zot"}), (Strings{"bar", "baz", "foo", "zot"}));
}

TEST_F(ComposeProfilesTest, DependencyOnADisabledServiceIsAnError) {
  const std::string msg =
      "services.zot.depends_on: service \"bar\" is not enabled by the active profiles";
  EXPECT_EQ(failure({"debug"}), msg);
  EXPECT_EQ(failure({}, {"zot"}), msg);
  EXPECT_EQ(failure({}, {"nope"}), "no such service: nope");
}

TEST_F(ComposeProfilesTest, ComposeProfilesVariable) {
  LoadOptions o = options();
  o.environment = {{"COMPOSE_PROFILES", "test, debug"}};
  EXPECT_EQ(load(kText, o).services.size(), 4u);
}

// ---- errors ----

TEST_F(ComposeLoadTest, UnknownKeys) {
  EXPECT_EQ(error("services:\n  web:\n    imagee: x\n"),
            "compose.yaml: services.web: unknown key \"imagee\"");
  EXPECT_EQ(error("servces:\n  web:\n    image: x\n"),
            "compose.yaml: unknown top-level key \"servces\"");
  EXPECT_EQ(error("services:\n  web:\n    image: x\n    healthcheck:\n      intervl: 1s\n"),
            "compose.yaml: services.web.healthcheck: unknown key \"intervl\"");
  // x-* extensions are allowed anywhere.
  Project p = load("x-common: &c\n  image: x\nservices:\n  web:\n    <<: *c\n    x-note: hi\n");
  EXPECT_EQ(p.service("web")->image, "x");
}

TEST_F(ComposeLoadTest, BadValues) {
  EXPECT_EQ(error("services:\n  web:\n    image: x\n    ports: [\"80:80:80:80\"]\n"),
            "compose.yaml: services.web.ports[0]: invalid port \"80:80:80:80\": invalid IP "
            "address: 80:80");
  EXPECT_EQ(
      error("services:\n  web:\n    image: x\n    volumes: [\"a::/b\"]\n"),
      "compose.yaml: services.web.volumes[0]: invalid spec: a::/b: empty section between colons");
  EXPECT_EQ(error("services:\n  web:\n    image: x\n    tty: maybe\n"),
            "compose.yaml: services.web.tty: must be a boolean");
  EXPECT_EQ(error("services:\n  web:\n    image: x\n    healthcheck:\n      interval: 10\n"),
            "compose.yaml: services.web.healthcheck.interval: invalid duration \"10\"");
  EXPECT_EQ(error("services:\n  web:\n    image: x\n    restart: sometimes\n"),
            "compose.yaml: services.web.restart: invalid restart policy \"sometimes\"");
  EXPECT_EQ(error("services:\n  web:\n    image: x\n    depends_on:\n      db:\n"
                  "        condition: service_ready\n"),
            "compose.yaml: services.web.depends_on.db.condition: invalid condition "
            "\"service_ready\": must be service_started, service_healthy or "
            "service_completed_successfully");
  EXPECT_EQ(
      error("services:\n  web:\n    build: .\n    healthcheck:\n      test: [\"RUN\", \"x\"]\n"),
      "compose.yaml: services.web.healthcheck.test: must start with \"CMD\", \"CMD-SHELL\" "
      "or \"NONE\"");
}

TEST_F(ComposeLoadTest, UndefinedReferences) {
  EXPECT_EQ(error("services:\n  api:\n    image: x\n    depends_on: [db]\n"),
            "services.api.depends_on: service \"db\" is not defined");
  EXPECT_EQ(error("services:\n  api:\n    image: x\n    networks: [front]\n"),
            "services.api.networks: network \"front\" is not defined");
  EXPECT_EQ(error("services:\n  api:\n    image: x\n    volumes: [\"data:/d\"]\n"),
            "services.api.volumes[0]: volume \"data\" is not defined");
  EXPECT_EQ(error("services:\n  api:\n    environment: [A=1]\n"),
            "services.api: neither an image nor a build context is specified");
}

TEST_F(ComposeLoadTest, DependencyCycle) {
  EXPECT_EQ(error("services:\n  a:\n    image: x\n    depends_on: [b]\n"
                  "  b:\n    image: x\n    depends_on: [a]\n"),
            "dependency cycle detected: a -> b -> a");
  EXPECT_EQ(error("services:\n  a:\n    image: x\n    depends_on: [b]\n  b:\n    image: x\n"
                  "    depends_on: [c]\n  c:\n    image: x\n    depends_on: [b]\n"),
            "dependency cycle detected: b -> c -> b");
}

TEST_F(ComposeLoadTest, SelfReferencingAliasIsRefused) {
  EXPECT_EQ(error("services:\n  a: &a\n    image: x\n    labels: [*a]\n"),
            "compose.yaml: document too deep or too large");
}

TEST_F(ComposeLoadTest, YamlSyntaxErrorsAreLocated) {
  EXPECT_EQ(error("services:\n  web:\n    image: x\n   ports: [80]\n"),
            "compose.yaml:4:4: end of map not found");
  EXPECT_EQ(error("services:\n  web:\n    image: [x\n"),
            "compose.yaml:4:1: end of sequence flow not found");
  EXPECT_EQ(error("services:\n  web:\n    image: x\n    image: y\n"),
            "compose.yaml:4:5: mapping key \"image\" already defined at line 3");
}

// ---- output ----

TEST_F(ComposeLoadTest, JsonAndYamlOutput) {
  Project p = load(
      "services:\n  web:\n    image: nginx\n    ports: [\"8080:80\"]\n    environment:\n"
      "      ZIP: \"01234\"\n    healthcheck:\n      test: curl -f localhost\n      interval: "
      "90s\n");
  Json j = to_json(p);
  EXPECT_EQ(j["name"], "demo");
  EXPECT_TRUE(j["services"]["web"]["command"].is_null());
  EXPECT_TRUE(j["services"]["web"]["entrypoint"].is_null());
  EXPECT_EQ(j["services"]["web"]["healthcheck"]["interval"], "1m30s");
  EXPECT_EQ(j["networks"], (Json{{"default", {{"name", "demo_default"}}}}));
  EXPECT_EQ(j["services"]["web"]["networks"], (Json{{"default", nullptr}}));

  std::string yaml = to_yaml(p);
  EXPECT_NE(yaml.find("name: demo\n"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("published: \"8080\""), std::string::npos) << yaml;  // stays a string
  EXPECT_NE(yaml.find("ZIP: \"01234\""), std::string::npos) << yaml;
  EXPECT_EQ(yaml.find("command"), std::string::npos) << yaml;

  // What to_yaml prints loads back to the same model.
  write("printed.yaml", yaml);
  LoadOptions o = options();
  o.files = {"printed.yaml"};
  auto again = load_project(o);
  ASSERT_TRUE(again) << again.error().message << "\n" << yaml;
  EXPECT_EQ(again->model, p.model);
}

}  // namespace
}  // namespace berth::compose
