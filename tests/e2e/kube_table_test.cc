// `kubectl get` against `berth server` prints Kubernetes' columns: the server answers kubectl's
// Accept: application/json;as=Table;v=v1;g=meta.k8s.io with the Table kube-apiserver would
// give (k8s.io/kubernetes pkg/printers/internalversion/printers.go), for lists, single objects,
// `get all` and watches. Objects come from kubectl create/apply; nothing runs the pods, so
// they stay Pending as on a cluster without nodes.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <regex>

#include "support/kube_server.h"
#include "support/process.h"

namespace berth::test {
namespace {

class KubeTableTest : public KubectlTest {
 protected:
  KubeTableTest() : KubectlTest("berth-kube-table") {}
};

// Whether `out` is `expected`, where each "~" stands for an AGE cell ("0s" to "999s") and
// the spaces after a "~" for its padding, whatever its width.
bool matches(const std::string& out, const std::string& expected) {
  std::string re;
  for (size_t i = 0; i < expected.size(); ++i) {
    if (expected[i] == '~') {
      re += "[0-9]{1,3}s";
      size_t j = i + 1;
      while (j < expected.size() && expected[j] == ' ') ++j;
      if (j > i + 1) re += " +";
      i = j - 1;
      continue;
    }
    if (std::strchr("\\^$.|?*+()[]{}", expected[i])) re += '\\';
    re += expected[i];
  }
  return std::regex_match(out, std::regex(re));
}

TEST_F(KubeTableTest, GetPrintsKubernetesColumns) {
  std::string file = dir_ + "/shop.yaml";
  std::ofstream(file) << R"(apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop, labels: {app: web}}
spec:
  containers: [{name: web, image: nginx:1.27}, {name: log, image: busybox}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: nginx:1.27}]
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: edge, namespace: shop}
spec:
  type: NodePort
  selector: {app: web}
  ports: [{name: http, port: 80, nodePort: 30080}, {name: dns, port: 53, protocol: UDP, nodePort: 30053}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: web, namespace: shop}
data: {color: blue, size: L}
)";
  auto applied = kubectl("apply -f " + file);
  ASSERT_EQ(applied.status, 0) << applied.err;
  ASSERT_EQ(kubectl("create secret generic db -n shop --from-literal=user=admin --from-literal=password=x").status, 0);

  auto pods = kubectl("get pods -n shop").out;
  EXPECT_TRUE(matches(pods, "NAME   READY   STATUS    RESTARTS   AGE\n"
                            "web    0/2     Pending   0          ~\n")) << pods;
  auto wide = kubectl("get pods -n shop -o wide").out;
  EXPECT_TRUE(matches(wide, "NAME   READY   STATUS    RESTARTS   AGE   IP       NODE     NOMINATED NODE   READINESS GATES\n"
                            "web    0/2     Pending   0          ~     <none>   <none>   <none>           <none>\n")) << wide;
  auto one = kubectl("get pod web -n shop").out;  // a single object: a Table of one row
  EXPECT_TRUE(matches(one, "NAME   READY   STATUS    RESTARTS   AGE\n"
                           "web    0/2     Pending   0          ~\n")) << one;
  auto all_namespaces = kubectl("get pods -A --show-labels").out;  // namespace and labels from the rows' metadata
  EXPECT_TRUE(matches(all_namespaces, "NAMESPACE   NAME   READY   STATUS    RESTARTS   AGE   LABELS\n"
                                      "shop        web    0/2     Pending   0          ~     app=web\n")) << all_namespaces;
  auto deploy = kubectl("get deploy -n shop").out;
  EXPECT_TRUE(matches(deploy, "NAME   READY   UP-TO-DATE   AVAILABLE   AGE\n"
                              "web    0/2     0            0           ~\n")) << deploy;
  auto deploy_wide = kubectl("get deploy -n shop -o wide").out;
  EXPECT_TRUE(matches(deploy_wide, "NAME   READY   UP-TO-DATE   AVAILABLE   AGE   CONTAINERS   IMAGES       SELECTOR\n"
                                   "web    0/2     0            0           ~     web          nginx:1.27   app=web\n"))
      << deploy_wide;
  auto svc = kubectl("get svc -n shop").out;
  EXPECT_TRUE(matches(svc, "NAME   TYPE        CLUSTER-IP   EXTERNAL-IP   PORT(S)                     AGE\n"
                           "edge   NodePort    10.43.0.11   <none>        80:30080/TCP,53:30053/UDP   ~\n"
                           "web    ClusterIP   10.43.0.10   <none>        80/TCP                      ~\n")) << svc;
  auto cm = kubectl("get cm -n shop").out;
  EXPECT_TRUE(matches(cm, "NAME   DATA   AGE\n"
                          "web    2      ~\n")) << cm;
  auto secrets = kubectl("get secrets -n shop").out;
  EXPECT_TRUE(matches(secrets, "NAME   TYPE     DATA   AGE\n"
                               "db     Opaque   2      ~\n")) << secrets;
  auto ns = kubectl("get ns").out;
  EXPECT_TRUE(matches(ns, "NAME              STATUS   AGE\n"
                          "default           Active   ~\n"
                          "kube-node-lease   Active   ~\n"
                          "kube-public       Active   ~\n"
                          "kube-system       Active   ~\n"
                          "shop              Active   ~\n")) << ns;
  // (kubectl lists the "all" category in discovery order, which puts services before pods here.)
  auto all = kubectl("get all -n shop").out;
  EXPECT_TRUE(matches(all, "NAME      READY   STATUS    RESTARTS   AGE\n"
                           "pod/web   0/2     Pending   0          ~\n"
                           "\n"
                           "NAME           TYPE        CLUSTER-IP   EXTERNAL-IP   PORT(S)                     AGE\n"
                           "service/edge   NodePort    10.43.0.11   <none>        80:30080/TCP,53:30053/UDP   ~\n"
                           "service/web    ClusterIP   10.43.0.10   <none>        80/TCP                      ~\n"
                           "\n"
                           "NAME                  READY   UP-TO-DATE   AVAILABLE   AGE\n"
                           "deployment.apps/web   0/2     0            0           ~\n")) << all;
  // A type without a printer: the API server's default Name / Created At table.
  ASSERT_EQ(kubectl("create role reader -n shop --verb=get --resource=pods").status, 0);
  auto roles = kubectl("get roles -n shop").out;
  EXPECT_TRUE(std::regex_match(roles, std::regex("NAME     CREATED AT\nreader   20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z\n")))
      << roles;
  // Asked for plain JSON, the server still answers the objects themselves.
  EXPECT_EQ(kubectl("get pods -n shop -o jsonpath='{.items[0].spec.containers[1].image}'").out, "busybox");
}

TEST_F(KubeTableTest, GetWatchPrintsARowForANewPod) {
  std::string out = dir_ + "/watch.out", log = dir_ + "/watch.log";
  // -v=6 logs each request once answered: the watch's line says the stream is open.
  auto started = sh("timeout 20 " + server_.kubectl_command("get pods -w -v=6") + " > " + out + " 2> " + log + " & echo $!");
  ASSERT_EQ(started.status, 0);
  std::string pid(str_lines(started.out).at(0));
  for (int i = 0; i < 200 && sh("grep -q 'watch=true.* 200 OK' " + log).status != 0; ++i) usleep(50000);
  ASSERT_EQ(kubectl("run one --image=busybox --restart=Never -- sleep 1").status, 0);
  for (int i = 0; i < 100 && sh("grep -q one " + out).status != 0; ++i) usleep(50000);
  ASSERT_EQ(kubectl("run two --image=busybox --restart=Never -- sleep 1").status, 0);
  for (int i = 0; i < 100 && sh("grep -q two " + out).status != 0; ++i) usleep(50000);
  sh("kill " + pid);
  std::ifstream in(out);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // The list was empty; the first event brings the columns (so the header), the second only its row.
  EXPECT_TRUE(matches(text, "NAME   READY   STATUS    RESTARTS   AGE\n"
                            "one    0/1     Pending   0          ~\n"
                            "two    0/1     Pending   0          ~\n")) << text;
}

}  // namespace
}  // namespace berth::test
