// Strategic merge patch through the real kubectl against `berth server`: a second `kubectl
// apply` of a Deployment changes only what its manifest changed (containers merged by name,
// env by name), keeping what `kubectl label` and `kubectl set env` added meanwhile; `kubectl
// patch --type=strategic` changes one container, and `$patch: delete` removes one. The
// server does no defaulting yet, so only fields the tests set are compared.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "support/kube_server.h"
#include "support/process.h"

namespace berth::test {
namespace {

class KubePatchTest : public KubectlTest {
 protected:
  KubePatchTest() : KubectlTest("berth-kube-patch") {}

  // Each container as "name image env ports mounts;".
  std::string containers() {
    return kubectl("get deploy x -o jsonpath='{range .spec.template.spec.containers[*]}{.name} {.image} "
                   "{range .env[*]}{.name}={.value},{end} {.ports[*].containerPort} "
                   "{.volumeMounts[*].mountPath};{end}'")
        .out;
  }
};

constexpr const char* kDeployment = R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: x
  labels: {app: x}
spec:
  replicas: 1
  selector: {matchLabels: {app: x}}
  template:
    metadata: {labels: {app: x}}
    spec:
      containers:
      - name: a
        image: nginx:1
        env: [{name: MODE, value: one}, {name: LEVEL, value: "1"}]
        ports: [{containerPort: 80}]
        volumeMounts: [{name: data, mountPath: /data}]
      - name: b
        image: busybox:1
        env: [{name: B, value: b}]
        ports: [{containerPort: 9000}]
      volumes: [{name: data, emptyDir: {}}]
)";

TEST_F(KubePatchTest, ReapplyChangesOnlyWhatTheManifestChanged) {
  std::string file = dir_ + "/x.yaml";
  std::ofstream(file) << kDeployment;
  auto created = kubectl("apply -f " + file);
  ASSERT_EQ(created.status, 0) << created.err;
  EXPECT_EQ(created.out, "deployment.apps/x created\n");
  EXPECT_EQ(containers(), "a nginx:1 MODE=one,LEVEL=1, 80 /data;b busybox:1 B=b, 9000 ;");
  EXPECT_EQ(kubectl("apply -f " + file).out, "deployment.apps/x unchanged\n");
  // Changes made by others meanwhile.
  ASSERT_EQ(kubectl("label deploy x tier=web").status, 0);
  auto set_env = kubectl("set env deploy/x -c a EXTRA=yes");
  ASSERT_EQ(set_env.status, 0) << set_env.err;
  EXPECT_EQ(containers(), "a nginx:1 MODE=one,LEVEL=1,EXTRA=yes, 80 /data;b busybox:1 B=b, 9000 ;");
  // The manifest changes container a's image and one env value.
  ASSERT_EQ(sh("sed -i -e 's/nginx:1/nginx:2/' -e 's/value: \"1\"/value: \"2\"/' " + file).status, 0);
  auto configured = kubectl("apply -f " + file);
  ASSERT_EQ(configured.status, 0) << configured.err;
  EXPECT_EQ(configured.out, "deployment.apps/x configured\n");
  EXPECT_EQ(containers(), "a nginx:2 MODE=one,LEVEL=2,EXTRA=yes, 80 /data;b busybox:1 B=b, 9000 ;");
  EXPECT_EQ(kubectl("get deploy x -o jsonpath='{.metadata.labels.app} {.metadata.labels.tier} "
                    "{.spec.template.spec.volumes[*].name}'")
                .out,
            "x web data");
  // Applying it again sends only $setElementOrder (the live env has EXTRA too): nothing moves.
  ASSERT_EQ(kubectl("apply -f " + file).status, 0);
  EXPECT_EQ(containers(), "a nginx:2 MODE=one,LEVEL=2,EXTRA=yes, 80 /data;b busybox:1 B=b, 9000 ;");
}

TEST_F(KubePatchTest, StrategicPatchChangesOneContainerAndDeletesOneByName) {
  std::string file = dir_ + "/x.yaml";
  std::ofstream(file) << kDeployment;
  ASSERT_EQ(kubectl("apply -f " + file).status, 0);
  auto patched = kubectl(
      "patch deploy x --type=strategic -p "
      "'{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"b\",\"image\":\"busybox:2\"}]}}}}'");
  ASSERT_EQ(patched.status, 0) << patched.err;
  EXPECT_EQ(patched.out, "deployment.apps/x patched\n");
  EXPECT_EQ(containers(), "a nginx:1 MODE=one,LEVEL=1, 80 /data;b busybox:2 B=b, 9000 ;");
  // An env var added to b (new elements go first, as on Kubernetes); MODE of a changed.
  ASSERT_EQ(kubectl("patch deploy x -p '{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"a\","
                    "\"env\":[{\"name\":\"MODE\",\"value\":\"two\"}]},{\"name\":\"b\",\"env\":[{\"name\":\"C\","
                    "\"value\":\"c\"}]}]}}}}'")
                .status,
            0);
  EXPECT_EQ(containers(), "a nginx:1 MODE=two,LEVEL=1, 80 /data;b busybox:2 C=c,B=b, 9000 ;");
  auto deleted = kubectl(
      "patch deploy x --type=strategic -p "
      "'{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"a\",\"$patch\":\"delete\"}]}}}}'");
  ASSERT_EQ(deleted.status, 0) << deleted.err;
  EXPECT_EQ(containers(), "b busybox:2 C=c,B=b, 9000 ;");
  // A malformed directive is refused with Kubernetes' message, and nothing changes.
  auto bad = kubectl(
      "patch deploy x --type=strategic -p "
      "'{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"image\":\"x\"}]}}}}'");
  EXPECT_NE(bad.status, 0);
  EXPECT_NE(bad.err.find("does not contain declared merge key: name"), std::string::npos) << bad.err;
  EXPECT_EQ(containers(), "b busybox:2 C=c,B=b, 9000 ;");
}

}  // namespace
}  // namespace berth::test
