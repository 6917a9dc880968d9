// Compose apps on a private berth daemon: `berth compose` and Debian's docker-compose 1.29
// (DOCKER_HOST) bring up the same stack — an API built from a Dockerfile, a database-like
// service with a named volume and a healthcheck, a cache — and take it down again; bad files
// fail before anything is created.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>

#include "support/berth_daemon.h"
#include "support/bundle.h"

namespace berth::test {
namespace {

// The API answers /cgi-bin/status with what it reached by service name.
const char* kStack = R"(services:
  api:
    build: ./api
    ports:
      - "${API_PORT:?API_PORT must be set}:8000"
    environment:
      GREETING: ${GREETING:-hello}
    depends_on:
      db:
        condition: service_healthy
      cache:
        condition: service_started
    stop_grace_period: 1s
  db:
    image: busybox:latest
    command: ["sh", "-c", "echo ok-from-db > /data/value && exec httpd -f -p 5432 -h /data"]
    volumes:
      - dbdata:/data
    healthcheck:
      test: ["CMD", "wget", "-q", "--spider", "http://localhost:5432/value"]
      interval: 1s
      retries: 20
    stop_grace_period: 1s
  cache:
    image: busybox:latest
    command: ["sh", "-c", "echo PONG > /tmp/ping && exec httpd -f -p 6379 -h /tmp"]
    stop_grace_period: 1s
volumes:
  dbdata:
)";

class ComposeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root";
    host_before_ = container_host_state();
    ASSERT_TRUE(d_.start("berth-compose")) << d_.error;
    app_ = d_.dir() + "/stack";
    port_ = free_tcp_port();
    write("api/Dockerfile",
          "FROM busybox:latest\nCOPY cgi-bin/ /www/cgi-bin/\nRUN chmod +x /www/cgi-bin/*\n"
          "EXPOSE 8000\nCMD [\"httpd\", \"-f\", \"-p\", \"8000\", \"-h\", \"/www\"]\n");
    write("api/cgi-bin/status",
          "#!/bin/sh\necho 'Content-Type: text/plain'\necho\n"
          "echo \"db: $(wget -qO- http://db:5432/value)\"\n"
          "echo \"cache: $(wget -qO- http://cache:6379/ping)\"\necho \"greeting: $GREETING\"\n");
    write("compose.yaml", kStack);
  }
  void TearDown() override {
    d_.stop();
    EXPECT_EQ(container_host_state(host_before_), host_before_)
        << "containers left state on the host";
  }
  void write(const std::string& rel, const std::string& text) {
    sh("mkdir -p $(dirname " + app_ + "/" + rel + ")");
    std::ofstream(app_ + "/" + rel) << text;
  }
  // `berth compose ARGS` in the app directory with API_PORT set.
  Output compose(const std::string& args, const std::string& env = "") {
    return d_.shell("API_PORT=" + std::to_string(port_) + " " + env + " " + berth_binary() +
                        " compose " + args,
                    app_);
  }
  Output docker_compose(const std::string& args, const std::string& env = "") {
    return d_.shell("API_PORT=" + std::to_string(port_) + " " + env + " docker-compose " + args, app_);
  }
  std::string status_page() {
    return sh("curl -s --max-time 5 http://127.0.0.1:" + std::to_string(port_) + "/cgi-bin/status").out;
  }
  // What the engine holds: containers, networks and volumes, one per line.
  std::string engine_objects() {
    return d_.docker("ps -a --format '{{.Names}}'").out +
           d_.docker("network ls --format '{{.Name}}' | grep -v '^bridge$\\|^host$\\|^none$'").out +
           d_.docker("volume ls -q").out;
  }

  BerthDaemon d_;
  std::string app_, host_before_;
  int port_ = 0;
};

TEST_F(ComposeTest, StackComesUpHealthyInOrderAndGoesDownWithItsVolumes) {
  auto up = compose("up -d --wait");
  ASSERT_EQ(up.status, 0) << up.out << up.err;
  // The API was created only after the database reported healthy.
  auto healthy = up.err.find("Container stack-db-1  Healthy");
  auto api_created = up.err.find("Container stack-api-1  Created");
  ASSERT_NE(healthy, std::string::npos) << up.err;
  ASSERT_NE(api_created, std::string::npos) << up.err;
  EXPECT_LT(healthy, api_created) << up.err;
  EXPECT_EQ(status_page(), "db: ok-from-db\ncache: PONG\ngreeting: hello\n");

  // Names, labels and resources as docker compose makes them.
  EXPECT_EQ(compose("ps --format '{{.Name}} {{.Service}} {{.State}}'").out,
            "stack-api-1 api running\nstack-cache-1 cache running\nstack-db-1 db running\n");
  EXPECT_EQ(d_.docker("inspect -f '{{index .Config.Labels \"com.docker.compose.project\"}} "
                      "{{index .Config.Labels \"com.docker.compose.container-number\"}} "
                      "{{.State.Health.Status}}' stack-db-1").out,
            "stack 1 healthy\n");
  EXPECT_EQ(d_.docker("volume ls -q").out, "stack_dbdata\n");
  EXPECT_EQ(d_.docker("network ls -q -f name=stack_default | wc -l").out, "1\n");
  EXPECT_NE(compose("ls").out.find("stack"), std::string::npos);

  // A second up with nothing changed touches nothing; a changed environment recreates only
  // the API.
  std::string db_id = d_.docker("inspect -f '{{.Id}}' stack-db-1").out;
  std::string api_id = d_.docker("inspect -f '{{.Id}}' stack-api-1").out;
  auto same = compose("up -d");
  ASSERT_EQ(same.status, 0) << same.err;
  EXPECT_EQ(same.err.find("Recreate"), std::string::npos) << same.err;
  EXPECT_EQ(d_.docker("inspect -f '{{.Id}}' stack-api-1").out, api_id);
  auto changed = compose("up -d --wait", "GREETING=bye");
  ASSERT_EQ(changed.status, 0) << changed.err;
  EXPECT_NE(changed.err.find("Container stack-api-1  Recreate"), std::string::npos) << changed.err;
  EXPECT_EQ(changed.err.find("Container stack-db-1  Recreate"), std::string::npos) << changed.err;
  EXPECT_EQ(changed.err.find("Container stack-cache-1  Recreate"), std::string::npos) << changed.err;
  EXPECT_EQ(d_.docker("inspect -f '{{.Id}}' stack-db-1").out, db_id);
  EXPECT_NE(d_.docker("inspect -f '{{.Id}}' stack-api-1").out, api_id);
  EXPECT_EQ(status_page(), "db: ok-from-db\ncache: PONG\ngreeting: bye\n");

  auto down = compose("down -v", "GREETING=bye");
  ASSERT_EQ(down.status, 0) << down.err;
  EXPECT_EQ(engine_objects(), "");
}

TEST_F(ComposeTest, ExecRunLogsScaleStopAndStart) {
  write("compose.yaml", R"(services:
  worker:
    image: busybox:latest
    command: ["sh", "-c", "echo started $$HOSTNAME; exec sleep 300"]
    deploy:
      replicas: 2
    stop_grace_period: 1s
  job:
    image: busybox:latest
    command: ["sh", "-c", "echo job done"]
    depends_on:
      worker:
        condition: service_started
)");
  ASSERT_EQ(compose("up -d").status, 0);
  EXPECT_EQ(compose("ps -a --format '{{.Name}}'").out, "stack-job-1\nstack-worker-1\nstack-worker-2\n");
  EXPECT_EQ(compose("exec -T --index 2 worker sh -c 'echo in $HOSTNAME; exit 7'").status, 7);
  auto run = compose("run --rm -T worker echo one-off");
  EXPECT_EQ(run.status, 0) << run.err;
  EXPECT_EQ(run.out, "one-off\n");
  EXPECT_EQ(compose("ps -a -q | wc -l").out, "3\n");  // the one-off is gone (--rm)
  auto logs = compose("logs --no-color job worker");
  EXPECT_NE(logs.out.find("stack-job-1     | job done\n"), std::string::npos) << logs.out;
  EXPECT_NE(logs.out.find("stack-worker-2  | started "), std::string::npos) << logs.out;
  // Scaling down removes the highest replica; stop and start keep the containers.
  write("compose.yaml", "services:\n  worker:\n    image: busybox:latest\n"
                        "    command: [\"sh\", \"-c\", \"echo started $$HOSTNAME; exec sleep 300\"]\n"
                        "    stop_grace_period: 1s\n  job:\n    image: busybox:latest\n"
                        "    command: [\"sh\", \"-c\", \"echo job done\"]\n");
  ASSERT_EQ(compose("up -d worker").status, 0);
  EXPECT_EQ(compose("ps --format '{{.Name}}' worker").out, "stack-worker-1\n");
  ASSERT_EQ(compose("stop -t 1").status, 0);
  EXPECT_EQ(compose("ps -q").out, "");
  ASSERT_EQ(compose("start worker").status, 0);
  EXPECT_EQ(compose("ps --format '{{.Name}} {{.State}}'").out, "stack-worker-1 running\n");
  ASSERT_EQ(compose("down -t 1").status, 0);
  EXPECT_EQ(engine_objects(), "");
}

TEST_F(ComposeTest, SecretsConfigsInlineDockerfileAndScaleFlag) {
  write("pw.txt", "s3cret\n");
  write("app.conf", "key=value\n");
  write("compose.yaml", R"(services:
  tool:
    build:
      context: .
      dockerfile_inline: |
        FROM busybox:latest
        RUN echo inline-built > /built
    command: ["sh", "-c", "cat /built /run/secrets/pw /etc/app.conf; exec sleep 300"]
    secrets: [pw]
    configs:
      - source: app
        target: /etc/app.conf
    stop_grace_period: 1s
secrets:
  pw:
    file: ./pw.txt
configs:
  app:
    file: ./app.conf
)");
  auto up = compose("up -d --scale tool=2");
  ASSERT_EQ(up.status, 0) << up.err;
  EXPECT_EQ(compose("ps -q | wc -l").out, "2\n");
  EXPECT_EQ(compose("exec -T --index 2 tool sh -c 'cat /built /run/secrets/pw /etc/app.conf'").out,
            "inline-built\ns3cret\nkey=value\n");
  // Read-only: the container cannot change the host's file.
  EXPECT_NE(compose("exec -T tool sh -c 'echo x > /run/secrets/pw'").status, 0);
  EXPECT_EQ(sh("cat " + app_ + "/pw.txt").out, "s3cret\n");
  ASSERT_EQ(compose("down -t 0 --rmi local").status, 0);
  EXPECT_NE(d_.docker("image inspect stack-tool").status, 0);  // --rmi local: the built image
  EXPECT_EQ(engine_objects(), "");
}

TEST_F(ComposeTest, BadFilesFailBeforeAnythingIsCreated) {
  struct Case {
    const char* yaml;
    const char* message;
  } cases[] = {
      {"services:\n  a:\n    image: busybox\n    depends_on: [b]\n  b:\n    image: busybox\n"
       "    depends_on: [a]\n",
       "dependency cycle detected"},
      {"services:\n  a:\n    image: busybox\n    depends_on: [nope]\n", "\"nope\""},
      {"services:\n  a:\n    image: busybox\n   ports: [80]\n", "compose.yaml:"},
      {"services:\n  a:\n    image: busybox:${TAG:?must be set}\n", "must be set"},
  };
  for (auto& c : cases) {
    write("compose.yaml", c.yaml);
    auto up = compose("up -d");
    EXPECT_NE(up.status, 0) << c.yaml;
    EXPECT_NE(up.err.find(c.message), std::string::npos) << c.yaml << up.err;
    EXPECT_EQ(str_lines(up.err).size(), 1u) << up.err;
    EXPECT_EQ(engine_objects(), "") << c.yaml;
  }
  // The API_PORT the stack needs, missing: its own message, nothing created.
  auto unset = d_.shell(berth_binary() + " compose up -d", app_);
  EXPECT_NE(unset.status, 0);
  write("compose.yaml", kStack);
  unset = d_.shell(berth_binary() + " compose up -d", app_);
  EXPECT_NE(unset.err.find("API_PORT must be set"), std::string::npos) << unset.err;
  EXPECT_EQ(engine_objects(), "");
}

TEST_F(ComposeTest, PortConflictLeavesNoHalfStartedProject) {
  // Something on the host already listens on the API's port: the API cannot start, and what
  // this up made (db, cache, network, volume) is taken back.
  int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port_));
  ASSERT_EQ(::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(::listen(s, 1), 0);
  auto up = compose("up -d");
  ::close(s);
  EXPECT_NE(up.status, 0);
  EXPECT_NE(up.err.find("port is already allocated"), std::string::npos) << up.err;
  EXPECT_EQ(engine_objects(), "");
}

TEST_F(ComposeTest, DockerCompose129BringsUpTheSameFile) {
  if (sh("command -v docker-compose").status != 0) GTEST_SKIP() << "docker-compose is not installed";
  auto up = docker_compose("up -d");
  ASSERT_EQ(up.status, 0) << up.out << up.err;
  // docker-compose 1.29 waits for service_healthy itself; the page needs all three.
  EXPECT_EQ(status_page(), "db: ok-from-db\ncache: PONG\ngreeting: hello\n");
  EXPECT_EQ(d_.docker("ps --format '{{.Names}}' | sort").out, "stack_api_1\nstack_cache_1\nstack_db_1\n");
  auto changed = docker_compose("up -d", "GREETING=bye");
  ASSERT_EQ(changed.status, 0) << changed.err;
  EXPECT_NE(changed.err.find("Recreating stack_api_1"), std::string::npos) << changed.err;
  EXPECT_NE(changed.err.find("stack_db_1 is up-to-date"), std::string::npos) << changed.err;
  EXPECT_EQ(status_page(), "db: ok-from-db\ncache: PONG\ngreeting: bye\n");
  // berth compose sees docker-compose's containers by their labels.
  EXPECT_EQ(compose("ps --format '{{.Service}}'").out, "api\ncache\ndb\n");
  auto down = docker_compose("down -v -t 1");
  ASSERT_EQ(down.status, 0) << down.err;
  EXPECT_EQ(engine_objects(), "");
}

TEST_F(ComposeTest, UnusualInputFailsCleanlyWithOneLine) {
  write("compose.yaml", R"(services:
  a:
    image: busybox:latest
    container_name: fixed
    deploy:
      replicas: 2
)");
  // A fixed name cannot go to two replicas: refused before the network or a container is made.
  auto up = compose("up -d");
  EXPECT_NE(up.status, 0);
  EXPECT_NE(up.err.find("custom container name \"fixed\""), std::string::npos) << up.err;
  EXPECT_EQ(str_lines(up.err).size(), 1u) << up.err;
  EXPECT_EQ(engine_objects(), "");
  write("compose.yaml", "services:\n  a:\n    image: busybox:latest\n    command: sleep 300\n"
                        "    stop_grace_period: 1s\n");
  // Unknown services, on every verb that names them, and a verb on a project that is down.
  for (const char* args : {"up -d --scale nosuch=2", "ps nosuch", "logs nosuch", "stop nosuch",
                           "start nosuch", "restart nosuch", "exec -T nosuch true"}) {
    auto r = compose(args);
    EXPECT_NE(r.status, 0) << args;
    EXPECT_EQ(r.err, "berth: no such service: nosuch\n") << args;
  }
  auto start = compose("start");
  EXPECT_NE(start.status, 0);
  EXPECT_EQ(start.err, "berth: service \"a\" has no container to start\n");
  auto exec = compose("exec a");
  EXPECT_NE(exec.status, 0);
  EXPECT_NE(exec.err.find("a command is required"), std::string::npos) << exec.err;
  EXPECT_EQ(engine_objects(), "");
}

TEST_F(ComposeTest, RecreateKeepsAnonymousVolumesAndRejoinsNetworkMode) {
  write("compose.yaml", R"(services:
  b:
    image: busybox:latest
    command: ["sh", "-c", "exec httpd -f -p 80"]
    volumes: [/cache]
    ports: ["${API_PORT}-${PORT_END}:80"]
    deploy:
      replicas: 2
    stop_grace_period: 1s
  side:
    image: busybox:latest
    command: ["sleep", "300"]
    network_mode: "service:b"
    stop_grace_period: 1s
)");
  std::string end = "PORT_END=" + std::to_string(port_ + 1);
  auto up = compose("up -d", end);
  ASSERT_EQ(up.status, 0) << up.err;
  // The replicas take successive ports of the published range.
  EXPECT_EQ(d_.docker("port stack-b-2 80/tcp").out, "0.0.0.0:" + std::to_string(port_ + 1) + "\n");
  ASSERT_EQ(d_.docker("exec stack-b-1 sh -c 'echo kept > /cache/x'").status, 0);
  std::string volumes = d_.docker("volume ls -q | sort").out;
  ASSERT_EQ(str_lines(volumes).size(), 2u) << volumes;
  // A recreate hands the anonymous volume to the new container: same data, no new volume.
  auto again = compose("up -d --force-recreate b", end);
  ASSERT_EQ(again.status, 0) << again.err;
  EXPECT_EQ(d_.docker("exec stack-b-1 cat /cache/x").out, "kept\n");
  EXPECT_EQ(d_.docker("volume ls -q | sort").out, volumes);
  // side joined the old b-1's namespace; the next up makes it join the new one.
  auto rejoin = compose("up -d", end);
  ASSERT_EQ(rejoin.status, 0) << rejoin.err;
  EXPECT_NE(rejoin.err.find("Container stack-side-1  Recreate"), std::string::npos) << rejoin.err;
  EXPECT_EQ(rejoin.err.find("Container stack-b-1  Recreate"), std::string::npos) << rejoin.err;
  EXPECT_EQ(compose("exec -T side ip -4 addr show eth0 | grep -c inet", end).out, "1\n");
  ASSERT_EQ(compose("down -v -t 0", end).status, 0);
  EXPECT_EQ(engine_objects(), "");
}

TEST_F(ComposeTest, InterruptedAttachedUpStopsTheProjectAndExits130) {
  write("compose.yaml", "services:\n  a:\n    image: busybox:latest\n"
                        "    command: [\"sh\", \"-c\", \"while true; do echo tick; sleep 1; done\"]\n"
                        "    stop_grace_period: 1s\n");
  auto up = d_.shell("(" + berth_binary() + " compose up & pid=$!; sleep 3; kill -INT $pid; wait $pid)", app_);
  EXPECT_EQ(up.status, 130) << up.err;
  EXPECT_NE(up.out.find("stack-a-1  | tick"), std::string::npos) << up.out;
  EXPECT_EQ(compose("ps -a --format '{{.State}}'").out, "exited\n");
  ASSERT_EQ(compose("down").status, 0);
  EXPECT_EQ(engine_objects(), "");
}

}  // namespace
}  // namespace berth::test
