// Builds through the real clients: the docker CLI's legacy builder (DOCKER_BUILDKIT=0) and
// python3-docker's images.build, both against `berth daemon` (POST /build).
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "support/berth_daemon.h"
#include "support/bundle.h"
#include "support/process.h"
#include "support/registry.h"

namespace berth::test {
namespace {

class BuildTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root";
    ASSERT_TRUE(d_.start("berth-build")) << d_.error;
    host_before_ = container_host_state();
    ctx_ = d_.dir() + "/ctx";
    ASSERT_EQ(sh("mkdir -p " + ctx_).status, 0);
  }
  void TearDown() override { d_.stop(); }
  Output docker(const std::string& args) { return d_.shell("DOCKER_BUILDKIT=0 docker " + args, ctx_); }
  void write(const std::string& rel, const std::string& text) {
    sh("mkdir -p $(dirname " + ctx_ + "/" + rel + ")");
    std::ofstream(ctx_ + "/" + rel) << text;
  }
  BerthDaemon d_;
  std::string ctx_, host_before_;
};

TEST_F(BuildTest, MultiStageImageRunsAsItsUserAndTurnsHealthy) {
  write("src/app.sh", "#!/bin/sh\necho \"app says $GREETING from $(id -un)\"\n");
  write("Dockerfile", R"DF(# syntax=docker/dockerfile:1
ARG BASE=busybox
FROM ${BASE} AS build
WORKDIR /work
COPY src/ ./
RUN echo compiler > /work/compiler.txt && chmod 755 app.sh
RUN <<EOF
echo "built $(date +%Y)" > /work/stamp
EOF

FROM busybox
LABEL org.example.role=web \
      org.example.tier="front end"
ENV GREETING=hello
RUN echo 'app:x:1000:1000::/app:/bin/sh' >> /etc/passwd
COPY --from=build --chown=1000:1000 /work/app.sh /work/stamp /app/
COPY <<EOF /app/motd
welcome
EOF
USER app
WORKDIR /app
EXPOSE 8080/tcp 9090
HEALTHCHECK --interval=1s --retries=2 CMD test -f /app/stamp
CMD ["/app/app.sh"]
)DF");
  auto b = docker("build -t app:1 -t app:latest .");
  ASSERT_EQ(b.status, 0) << b.out << b.err;
  EXPECT_NE(b.out.find("Successfully tagged app:1\n"), std::string::npos) << b.out;
  EXPECT_EQ(docker("run --rm app:1").out, "app says hello from app\n");
  // Only the final stage: no compiler, the copied files owned by the app user.
  EXPECT_NE(docker("run --rm app:1 ls /work").status, 0);
  EXPECT_EQ(docker("run --rm app:1 sh -c 'cat /app/motd; stat -c %u /app/app.sh; pwd'").out,
            "welcome\n1000\n/app\n");
  EXPECT_EQ(docker("inspect -f '{{.Config.User}} {{json .Config.ExposedPorts}} "
                   "{{index .Config.Labels \"org.example.tier\"}}' app:latest").out,
            "app {\"8080/tcp\":{},\"9090/tcp\":{}} front end\n");
  ASSERT_EQ(docker("run -d --name web app:1 sleep 100").status, 0);
  std::string health;
  for (int i = 0; i < 100 && health != "healthy\n"; ++i) {
    usleep(100000);
    health = docker("inspect -f '{{.State.Health.Status}}' web").out;
  }
  EXPECT_EQ(health, "healthy\n");
  EXPECT_GE(std::stoi(docker("history -q app:1 | wc -l").out), 8);
}

TEST_F(BuildTest, RunMountsCacheBindTmpfsAndSecretLeaveNothingInTheImage) {
  write("src/input.txt", "from-context\n");
  write("Dockerfile", R"DF(FROM busybox AS tools
RUN mkdir -p /opt && echo tool-v1 > /opt/tool.txt

FROM busybox
RUN --mount=type=cache,target=/cache sh -c 'echo run >> /cache/count; wc -l < /cache/count > /runs'
RUN --mount=type=bind,source=src,target=/in sh -c 'cat /in/input.txt > /copied; ! touch /in/x'
RUN --mount=type=bind,from=tools,source=/opt,target=/opt2,rw sh -c 'cat /opt2/tool.txt > /tool; echo scratch > /opt2/w'
RUN --mount=type=tmpfs,target=/scratch grep -q ' /scratch tmpfs' /proc/mounts
RUN --mount=type=secret,id=token,required sh -c 'wc -c < /run/secrets/token > /secret-size'
RUN --mount=type=secret,id=absent test ! -e /run/secrets/absent
)DF");
  sh("printf topsecret > " + d_.dir() + "/token");
  std::string build = berth_binary() + " build --secret id=token,src=" + d_.dir() + "/token -q -t mounts .";
  auto b = d_.shell(build, ctx_);
  ASSERT_EQ(b.status, 0) << b.out << b.err;
  EXPECT_EQ(docker("run --rm mounts cat /runs /copied /tool /secret-size").out, "1\nfrom-context\ntool-v1\n9\n");
  // The mounts and their mount points are not in the image, nor is the secret.
  EXPECT_EQ(docker("run --rm mounts sh -c 'ls -d /cache /in /opt2 /scratch /run 2>/dev/null | wc -l'").out, "0\n");
  EXPECT_NE(docker("run --rm mounts grep -rq topsecret /bin /etc /root /tmp /var /copied /tool").status, 0);
  // The cache mount outlives the build; a changed bind source reruns its step.
  ASSERT_EQ(d_.shell(berth_binary() + " build --no-cache --secret id=token,src=" + d_.dir() +
                         "/token -q -t mounts .", ctx_).status, 0);
  EXPECT_EQ(docker("run --rm mounts cat /runs").out, "2\n");
  write("src/input.txt", "changed\n");
  ASSERT_EQ(d_.shell(build, ctx_).status, 0);
  EXPECT_EQ(docker("run --rm mounts cat /copied /runs").out, "changed\n2\n");
  // builder prune forgets the steps and the cache mounts.
  ASSERT_EQ(docker("builder prune -af").status, 0);
  ASSERT_EQ(d_.shell(build, ctx_).status, 0);
  EXPECT_EQ(docker("run --rm mounts cat /runs").out, "1\n");
  // A required secret that is not given fails the step with its name.
  write("Dockerfile", "FROM busybox\nRUN --mount=type=secret,id=needed,required true\n");
  auto missing = d_.shell(berth_binary() + " build -t nosecret .", ctx_);
  EXPECT_NE(missing.status, 0);
  EXPECT_NE(missing.err.find("secret needed: not provided"), std::string::npos) << missing.out << missing.err;
  EXPECT_NE(docker("image inspect nosecret").status, 0);
}

TEST_F(BuildTest, AddFromUrlChecksumPlatformAndLocatedErrors) {
  // A file server on loopback (the daemon downloads from the host's network namespace).
  std::string www = d_.dir() + "/www";
  ASSERT_EQ(sh("mkdir -p " + www + " && echo remote content > " + www + "/file.txt && tar -C " + www +
               " -cf " + www + "/arch.tar file.txt").status, 0);
  Daemon server;
  int port = 20000 + static_cast<int>(getpid() % 20000);
  ASSERT_TRUE(server.start({"python3", "-m", "http.server", std::to_string(port), "--bind", "127.0.0.1",
                            "--directory", www}, d_.dir() + "/www.log"));
  std::string base = "http://127.0.0.1:" + std::to_string(port);
  for (int i = 0; i < 100 && sh("curl -sf " + base + "/file.txt >/dev/null").status != 0; ++i) usleep(50000);
  std::string sum = sh("sha256sum " + www + "/file.txt | cut -c1-64").out;
  sum.pop_back();
  write("Dockerfile", "FROM busybox\nADD " + base + "/file.txt /downloads/\nADD --checksum=sha256:" + sum + " " +
                          base + "/file.txt /checked.txt\nADD " + base + "/arch.tar /\n");
  auto b = docker("build --platform linux/amd64 -t fetched .");
  ASSERT_EQ(b.status, 0) << b.out << b.err;
  // Downloaded as is (an archive is not extracted), mode 0600.
  EXPECT_EQ(docker("run --rm fetched sh -c 'cat /downloads/file.txt /checked.txt; stat -c %a /arch.tar'").out,
            "remote content\nremote content\n600\n");
  EXPECT_EQ(sh("echo '" + docker("build -t fetched .").out + "' | grep -c 'Using cache'").out, "3\n");
  // Bad checksum, a 404, a foreign platform: one line naming file:line, no image.
  write("Dockerfile", "FROM busybox\nADD --checksum=sha256:" + std::string(64, '0') + " " + base + "/file.txt /x\n");
  auto bad = docker("build -t badsum .");
  EXPECT_NE(bad.err.find("Dockerfile:2: digest mismatch"), std::string::npos) << bad.err;
  write("Dockerfile", "FROM busybox\nADD " + base + "/missing.txt /x\n");
  auto missing = docker("build -t missing .");
  EXPECT_NE(missing.err.find("Dockerfile:2: failed to GET " + base + "/missing.txt with status 404"),
            std::string::npos) << missing.err;
  write("Dockerfile", "FROM --platform=linux/arm64 busybox\nRUN true\n");
  auto foreign = docker("build -t foreign .");
  EXPECT_NE(foreign.err.find("Dockerfile:1: FROM --platform linux/arm64: only the host platform linux/amd64"),
            std::string::npos) << foreign.err;
  EXPECT_NE(docker("build --platform linux/s390x -t foreign .").status, 0);
  for (auto* name : {"badsum", "missing", "foreign"}) EXPECT_NE(docker(std::string("image inspect ") + name).status, 0);
  server.stop();
}

TEST_F(BuildTest, IndependentStagesBuildAtTheSameTime) {
  // Each of the two stages waits (up to 30 s) for the other's mark in a shared cache mount:
  // built one after the other they would both give up; at the same time both finish.
  write("Dockerfile", R"DF(FROM busybox AS a
RUN --mount=type=cache,id=meet,target=/meet sh -c 'touch /meet/a; for i in $(seq 300); do [ -e /meet/b ] && echo met > /a && exit 0; sleep 0.1; done; exit 1'

FROM busybox AS b
RUN --mount=type=cache,id=meet,target=/meet sh -c 'touch /meet/b; for i in $(seq 300); do [ -e /meet/a ] && echo met > /b && exit 0; sleep 0.1; done; exit 1'

FROM busybox
COPY --from=a /a /a
COPY --from=b /b /b
CMD ["cat", "/a", "/b"]
)DF");
  auto b = d_.shell(berth_binary() + " build -t waves .", ctx_);
  ASSERT_EQ(b.status, 0) << b.out << b.err;
  EXPECT_EQ(docker("run --rm waves").out, "met\nmet\n");
  // The output stays in step order: stage b's (held) after stage a's.
  std::vector<int> steps;
  for (auto& line : str_lines(b.out)) {
    if (line.starts_with("Step ")) steps.push_back(std::stoi(line.substr(5)));
  }
  EXPECT_EQ(steps, (std::vector<int>{1, 2, 3, 4, 5, 6, 7, 8}));
}

TEST_F(BuildTest, CacheReusesUnchangedStepsAndRebuildsFromAChange) {
  write("deps.txt", "dep-1\n");
  write("main.txt", "v1\n");
  write("Dockerfile",
        "FROM busybox\nCOPY deps.txt /deps.txt\nRUN cp /deps.txt /installed\n"
        "COPY main.txt /main.txt\nRUN cat /installed /main.txt > /out\nCMD [\"cat\", \"/out\"]\n");
  auto first = docker("build -q -t cached .");
  ASSERT_EQ(first.status, 0) << first.err;
  auto again = docker("build -t cached .");
  ASSERT_EQ(again.status, 0);
  // Every step but FROM comes from the cache, and the image is the same.
  EXPECT_EQ(sh("echo '" + again.out + "' | grep -c 'Using cache'").out, "5\n");
  EXPECT_NE(again.out.find("Successfully built " + first.out.substr(7, 12)), std::string::npos)
      << first.out << again.out;
  // A change to main.txt reruns its COPY and what follows; the dependency step stays cached.
  write("main.txt", "v2\n");
  auto changed = docker("build -t cached .");
  ASSERT_EQ(changed.status, 0);
  EXPECT_EQ(sh("echo '" + changed.out + "' | grep -c 'Using cache'").out, "2\n") << changed.out;
  EXPECT_EQ(docker("run --rm cached").out, "dep-1\nv2\n");
  // A change to the dependency manifest reruns the install step and everything after it.
  write("deps.txt", "dep-2\n");
  auto deps = docker("build -t cached .");
  EXPECT_EQ(sh("echo '" + deps.out + "' | grep -c 'Using cache'").out, "0\n") << deps.out;
  EXPECT_EQ(docker("run --rm cached").out, "dep-2\nv2\n");
  // --no-cache runs everything.
  auto fresh = docker("build --no-cache -t cached .");
  EXPECT_EQ(fresh.out.find("Using cache"), std::string::npos) << fresh.out;
  // The cache outlives the daemon.
  ASSERT_TRUE(d_.restart()) << d_.error;
  EXPECT_EQ(sh("echo '" + docker("build -t cached .").out + "' | grep -c 'Using cache'").out, "5\n");
}

TEST_F(BuildTest, DockerignoreKeepsFilesOutOfTheContext) {
  write("app/main.txt", "main\n");
  write(".env", "SECRET=1\n");
  write("node_modules/left-pad/index.js", "module.exports = 1\n");
  write("out/bin.o", "object\n");
  write("out/keep.txt", "kept\n");
  write(".dockerignore", "# build outputs and secrets\n.env\nnode_modules/\nout/\n!out/keep.txt\n");
  write("Dockerfile", "FROM busybox\nCOPY . /ctx\n");
  ASSERT_EQ(docker("build -t ignored .").status, 0);
  EXPECT_EQ(docker("run --rm ignored find /ctx -type f").out.find(".env"), std::string::npos);
  std::string files = docker("run --rm ignored sh -c 'cd /ctx && find . -type f | sort'").out;
  EXPECT_EQ(files, "./.dockerignore\n./Dockerfile\n./app/main.txt\n./out/keep.txt\n");
}

// The docker CLI and berth's CLI send the same context and options: the images match in config
// and content (history timestamps aside), and the second build reuses the first one's cache.
TEST_F(BuildTest, DockerCliAndBerthCliBuildTheSameImage) {
  write("app/run.sh", "#!/bin/sh\necho run\n");
  write(".dockerignore", "*.log\n");
  write("debug.log", "noise\n");
  write("Dockerfile",
        "FROM busybox\nENV MODE=prod\nWORKDIR /srv\nCOPY . .\nRUN chmod +x app/run.sh && ls > files\n"
        "USER 1000\nEXPOSE 80\nCMD [\"app/run.sh\"]\n");
  ASSERT_EQ(docker("build -t fromdocker .").status, 0);
  auto b = sh(berth_binary() + " -H unix://" + d_.socket() + " build --no-cache -t fromberth " + ctx_);
  ASSERT_EQ(b.status, 0) << b.err;
  std::string fmt = "inspect -f '{{json .Config}} {{len .RootFS.Layers}}' ";
  EXPECT_EQ(docker(fmt + "fromdocker").out, docker(fmt + "fromberth").out);
  std::string list = " --entrypoint sh -c 'find / -xdev -path /proc -prune -o -print | sort | md5sum; cat /srv/files'";
  EXPECT_EQ(docker("run --rm --user 0 fromdocker" + list).out, docker("run --rm --user 0 fromberth" + list).out);
  EXPECT_EQ(docker("run --rm fromberth cat /srv/files").out, "Dockerfile\napp\nfiles\n");  // no debug.log
  auto again = sh(berth_binary() + " -H unix://" + d_.socket() + " build -q -t fromberth " + ctx_);
  EXPECT_EQ(again.out.substr(0, 71), docker("inspect -f '{{.Id}}' fromberth").out.substr(0, 71));
}

// ONBUILD: the triggers of a base image run in the build that uses it, then leave the config.
TEST_F(BuildTest, OnbuildTriggersRunInTheChildBuild) {
  write("base/Dockerfile", "FROM busybox\nONBUILD COPY marker.txt /marker\nONBUILD RUN echo triggered > /ran\n");
  ASSERT_EQ(docker("build -t onbase base").status, 0);
  EXPECT_EQ(docker("inspect -f '{{json .Config.OnBuild}}' onbase").out,
            "[\"COPY marker.txt /marker\",\"RUN echo triggered > /ran\"]\n");
  write("child/marker.txt", "from the child's context\n");
  write("child/Dockerfile", "FROM onbase\nCMD [\"cat\", \"/marker\", \"/ran\"]\n");
  auto b = docker("build -t onchild child");
  ASSERT_EQ(b.status, 0) << b.out << b.err;
  EXPECT_NE(b.out.find("# Executing 2 build trigger(s)"), std::string::npos) << b.out;
  EXPECT_EQ(docker("run --rm onchild").out, "from the child's context\ntriggered\n");
  EXPECT_EQ(docker("inspect -f '{{json .Config.OnBuild}}' onchild").out, "null\n");
}

TEST_F(BuildTest, ArgsTargetAndThePythonSdk) {
  write("Dockerfile",
        "ARG VERSION=1.0\nFROM busybox AS base\nARG VERSION\nARG FLAVOUR=plain\n"
        "RUN echo \"$VERSION $FLAVOUR\" > /version\nFROM base AS final\nRUN echo final > /stage\n");
  ASSERT_EQ(docker("build --build-arg FLAVOUR=spicy --target base -t args .").status, 0);
  EXPECT_EQ(docker("run --rm args cat /version").out, "1.0 spicy\n");
  EXPECT_NE(docker("run --rm args cat /stage").status, 0);  // the target stops before it
  auto unused = docker("build --build-arg NOPE=1 -t args2 .");
  EXPECT_NE(unused.out.find("[Warning] One or more build-args [NOPE] were not consumed"),
            std::string::npos) << unused.out;
  std::string py = system_python3();
  if (py.empty() || sh(py + " -c 'import docker'").status != 0) return;
  std::ofstream(d_.dir() + "/build.py") << R"(import docker, sys
c = docker.DockerClient(base_url="unix://" + sys.argv[1])
img, logs = c.images.build(path=sys.argv[2], tag="sdk:1", buildargs={"VERSION": "2.0"})
print(img.tags[0])
print(c.containers.run("sdk:1", ["cat", "/stage", "/version"], remove=True).decode(), end="")
)";
  auto r = sh(py + " " + d_.dir() + "/build.py " + d_.socket() + " " + ctx_);
  EXPECT_EQ(r.out, "sdk:1\nfinal\n2.0 plain\n") << r.err;
}

TEST_F(BuildTest, BadDockerfilesAndFailingStepsReportAndLeaveNothing) {
  write("Dockerfile", "FROM busybox\nRUNN echo hi\n");
  auto syntax = docker("build .");
  EXPECT_NE(syntax.status, 0);
  EXPECT_NE(syntax.err.find("Dockerfile:2:1: unknown instruction: RUNN (did you mean RUN?)"),
            std::string::npos) << syntax.err;
  write("Dockerfile", "FROM busybox\nRUN echo before && false\n");
  auto failing = docker("build .");
  EXPECT_NE(failing.status, 0);
  EXPECT_NE(failing.out.find("before"), std::string::npos) << failing.out;
  EXPECT_NE(failing.err.find("The command '/bin/sh -c echo before && false' returned a non-zero code: 1"),
            std::string::npos) << failing.err;
  write("Dockerfile", "FROM busybox\nCOPY missing.txt /\n");
  auto missing = docker("build .");
  EXPECT_NE(missing.err.find("missing.txt"), std::string::npos) << missing.err;
  write("Dockerfile", "FROM nosuchbase:1\n");
  EXPECT_NE(docker("build .").status, 0);
  // The reference's other bad inputs, each with its line or its reason.
  write("Dockerfile", "FROM busybox\nRUN <<EOF\necho never ends\n");
  auto heredoc = docker("build .");
  EXPECT_NE(heredoc.status, 0);
  EXPECT_NE(heredoc.err.find("Dockerfile:2:"), std::string::npos) << heredoc.err;
  write("Dockerfile", "FROM busybox\nSHELL [\"/bin/sh\", \n");
  auto json = docker("build .");
  EXPECT_NE(json.err.find("Dockerfile:2:1:"), std::string::npos) << json.err;
  write("Dockerfile", "FROM busybox\nCOPY ../outside.txt /\n");
  auto outside = docker("build .");
  EXPECT_NE(outside.err.find("forbidden path outside the build context: ../outside.txt"),
            std::string::npos) << outside.err;
  write("Dockerfile", "FROM busybox AS one\nFROM busybox\nCOPY --from=5 /etc/passwd /p\n");
  auto stage = docker("build .");
  EXPECT_NE(stage.err.find("invalid from flag value 5"), std::string::npos) << stage.err;
  // No step's container, mount or namespace is left; no image was made.
  EXPECT_EQ(sh("grep -c " + d_.dir() + " /proc/mounts").out, "0\n");
  EXPECT_EQ(container_host_state(host_before_), host_before_);
  EXPECT_EQ(docker("images -q | wc -l").out, "1\n");  // busybox only
  EXPECT_EQ(sh("ls " + d_.dir() + "/root/build/mnt " + d_.dir() + "/root/builds 2>/dev/null | grep -v : | grep -c .").out, "0\n");
}

}  // namespace
}  // namespace berth::test
