// `berth server` driven by kubectl with the kubeconfig it writes: namespaces, configmaps and
// secrets created, read, replaced (with optimistic concurrency), watched and deleted, as on a
// Kubernetes cluster; errors as Kubernetes words them; state kept across a restart.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <fstream>
#include <set>

#include "common/strings.h"
#include "support/bundle.h"
#include "support/kube_server.h"
#include "support/process.h"
#include "support/registry.h"

namespace berth::test {
namespace {

// Each test runs on the SQLite store and on a private etcd (--datastore-endpoint).
class KubeServerTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (sh("command -v kubectl").status != 0) GTEST_SKIP() << "kubectl is not installed";
    dir_ = make_temp_dir("berth-kube");
    port_ = free_tcp_port();
    if (GetParam() == "etcd") {
      if (sh("command -v etcd").status != 0) GTEST_SKIP() << "etcd is not installed";
      int client = free_tcp_port(), peer = free_tcp_port();
      etcd_url_ = "http://127.0.0.1:" + std::to_string(client);
      std::string peer_url = "http://127.0.0.1:" + std::to_string(peer);
      ASSERT_TRUE(etcd_.start({"etcd", "--data-dir", dir_ + "/etcd", "--listen-client-urls", etcd_url_,
                               "--advertise-client-urls", etcd_url_, "--listen-peer-urls", peer_url,
                               "--initial-advertise-peer-urls", peer_url, "--initial-cluster", "default=" + peer_url},
                              dir_ + "/etcd.log"));
      for (int i = 0; i < 200 && sh("curl -sf " + etcd_url_ + "/health >/dev/null").status != 0; ++i) usleep(50000);
    }
    start();
  }
  void TearDown() override {
    server_.stop();
    etcd_.stop();
    if (!dir_.empty()) sh("rm -rf " + dir_);
  }
  void start() {
    // A static token for a user with no role, and every request in the audit log.
    std::ofstream(dir_ + "/tokens.csv") << "t0ken-alice,alice,1001,\"devs,qa\"\n";
    ASSERT_TRUE(server_.start(dir_, port_,
                              {"--token-auth-file", dir_ + "/tokens.csv", "--audit-log-path", dir_ + "/audit.log",
                               "--datastore-endpoint", etcd_url_, "--etcd-compaction-interval", compaction_}));
  }
  Output kubectl(const std::string& args) { return server_.kubectl(args); }

  std::string dir_;
  int port_ = 0;
  std::string etcd_url_;  // "" = SQLite
  std::string compaction_ = "5m";
  KubeServer server_;
  Daemon etcd_;
};

TEST_P(KubeServerTest, KubectlCreatesReadsReplacesAndDeletes) {
  EXPECT_NE(kubectl("version").out.find("Server Version: v1.31.0+berth"), std::string::npos);
  EXPECT_EQ(kubectl("get namespaces -o name").out,
            "namespace/default\nnamespace/kube-node-lease\nnamespace/kube-public\nnamespace/kube-system\n");
  ASSERT_EQ(kubectl("create namespace team-a").out, "namespace/team-a created\n");
  ASSERT_EQ(kubectl("create configmap app -n team-a --from-literal=color=blue").status, 0);
  ASSERT_EQ(kubectl("create secret generic db -n team-a --from-literal=password=s3cret").status, 0);
  EXPECT_EQ(kubectl("get configmap app -n team-a -o jsonpath='{.data.color} {.metadata.namespace}'").out, "blue team-a");
  EXPECT_EQ(kubectl("get secret db -n team-a -o jsonpath='{.type} {.data.password}'").out, "Opaque czNjcmV0");
  EXPECT_EQ(kubectl("get cm -A -o name").out, "configmap/app\n");
  // Replace with the current resourceVersion works; with a stale one it is a conflict.
  ASSERT_EQ(kubectl("get cm app -n team-a -o json > " + dir_ + "/cm.json").status, 0);
  ASSERT_EQ(sh("sed -i s/blue/green/ " + dir_ + "/cm.json").status, 0);
  auto replaced = kubectl("replace --validate=false -f " + dir_ + "/cm.json");
  ASSERT_EQ(replaced.status, 0) << replaced.err;
  EXPECT_EQ(kubectl("get cm app -n team-a -o jsonpath='{.data.color}'").out, "green");
  auto stale = kubectl("replace --validate=false -f " + dir_ + "/cm.json");
  EXPECT_NE(stale.status, 0);
  EXPECT_NE(stale.err.find("the object has been modified; please apply your changes to the latest version"),
            std::string::npos) << stale.err;
  // Kubernetes' errors.
  EXPECT_NE(kubectl("create configmap app -n team-a").err.find("configmaps \"app\" already exists"), std::string::npos);
  EXPECT_NE(kubectl("create configmap Bad_Name -n team-a").err.find("metadata.name: Invalid value: \"Bad_Name\""),
            std::string::npos);
  EXPECT_NE(kubectl("create configmap x -n missing").err.find("namespaces \"missing\" not found"), std::string::npos);
  EXPECT_NE(kubectl("get cm nope -n team-a").err.find("configmaps \"nope\" not found"), std::string::npos);
  // State survives a restart; deleting a namespace deletes what is in it.
  server_.stop();
  start();
  EXPECT_EQ(kubectl("get cm app -n team-a -o jsonpath='{.data.color}'").out, "green");
  ASSERT_EQ(kubectl("delete namespace team-a --wait=false").status, 0);
  EXPECT_EQ(kubectl("get ns team-a -o jsonpath='{.status.phase}'").out, "Terminating");
  EXPECT_NE(kubectl("create configmap late -n team-a").err.find("because it is being terminated"), std::string::npos);
  for (int i = 0; i < 200 && kubectl("get ns team-a").status == 0; ++i) usleep(100000);
  EXPECT_NE(kubectl("get ns team-a").status, 0);
  EXPECT_EQ(kubectl("get cm,secrets -A -o name").out, "");
}

TEST_P(KubeServerTest, ApplyLabelAnnotateAndPatch) {
  std::string file = dir_ + "/app.yaml";
  auto write = [&](const std::string& text) { std::ofstream(file) << text; };
  // (Keys such as y, n, on or off are YAML 1.1 booleans to kubectl's decoder: it sends "true".)
  write("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  x: \"1\"\n  w: \"2\"\n---\n"
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\nstringData:\n  user: admin\n");
  auto first = kubectl("apply -f " + file);
  ASSERT_EQ(first.status, 0) << first.err;
  EXPECT_EQ(first.out, "configmap/settings created\nsecret/creds created\n");
  // The second apply sends only what changed (a strategic merge patch): w goes, z comes.
  write("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  x: \"1\"\n  z: \"3\"\n---\n"
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\nstringData:\n  user: admin\n");
  // (A Secret with stringData is "configured" again each time, as on Kubernetes: the live
  // object holds data, not stringData.)
  EXPECT_EQ(kubectl("apply -f " + file).out, "configmap/settings configured\nsecret/creds configured\n");
  EXPECT_EQ(kubectl("get cm settings -o jsonpath='{.data}'").out, "{\"x\":\"1\",\"z\":\"3\"}");
  EXPECT_EQ(kubectl("get secret creds -o jsonpath='{.data.user}'").out, "YWRtaW4=");  // stringData folded in
  ASSERT_EQ(kubectl("label cm settings tier=web").status, 0);
  ASSERT_EQ(kubectl("annotate cm settings note=hi").status, 0);
  ASSERT_EQ(kubectl("patch cm settings --type=merge -p '{\"data\":{\"m\":\"1\"}}'").status, 0);
  ASSERT_EQ(kubectl("patch cm settings --type=json -p '[{\"op\":\"remove\",\"path\":\"/data/x\"}]'").status, 0);
  EXPECT_EQ(kubectl("get cm -l tier=web -o jsonpath='{.items[0].data} {.items[0].metadata.annotations.note}'").out,
            "{\"m\":\"1\",\"z\":\"3\"} hi");
  EXPECT_EQ(kubectl("get cm -l tier!=web -o name").out, "");
  EXPECT_NE(kubectl("patch cm settings --type=json -p '[{\"op\":\"remove\",\"path\":\"/data/nope\"}]'").status, 0);
  ASSERT_EQ(kubectl("delete -f " + file).status, 0);
  EXPECT_EQ(kubectl("get cm,secrets -o name").out, "");
}

TEST_P(KubeServerTest, AnAppManifestAcrossApiGroupsAppliesAndDeletes) {
  std::string file = dir_ + "/shop.yaml";
  std::ofstream(file) << R"(apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: web-config, namespace: shop}
data: {GREETING: hello}
---
apiVersion: v1
kind: Secret
metadata: {name: web-secret, namespace: shop}
stringData: {token: abc}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop, labels: {app: web}}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: webapp:latest, ports: [{containerPort: 8080}]}]
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web, namespace: shop}
spec:
  rules:
  - host: shop.local
    http:
      paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web, namespace: shop}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 2
  maxReplicas: 5
)";
  auto applied = kubectl("apply -f " + file);
  ASSERT_EQ(applied.status, 0) << applied.err;
  EXPECT_NE(applied.out.find("deployment.apps/web created"), std::string::npos) << applied.out;
  EXPECT_NE(applied.out.find("ingress.networking.k8s.io/web created"), std::string::npos);
  EXPECT_NE(applied.out.find("horizontalpodautoscaler.autoscaling/web created"), std::string::npos);
  EXPECT_EQ(kubectl("get all -n shop -o name").out,
            "service/web\ndeployment.apps/web\nhorizontalpodautoscaler.autoscaling/web\n");
  ASSERT_EQ(sh("sed -i 's/replicas: 2/replicas: 3/' " + file).status, 0);
  EXPECT_NE(kubectl("apply -f " + file).out.find("deployment.apps/web configured"), std::string::npos);
  EXPECT_EQ(kubectl("get deploy web -n shop -o jsonpath='{.spec.replicas}'").out, "3");
  ASSERT_EQ(kubectl("scale deployment web -n shop --replicas=5").status, 0);  // the scale subresource
  EXPECT_EQ(kubectl("get deploy web -n shop -o jsonpath='{.spec.replicas}'").out, "5");
  EXPECT_NE(kubectl("api-resources --api-group=apps -o name").out.find("deployments.apps\n"), std::string::npos);
  auto deleted = kubectl("delete -f " + file);
  EXPECT_EQ(deleted.status, 0) << deleted.err;
}

TEST_P(KubeServerTest, WatchSeesAddsChangesAndDeletes) {
  ASSERT_EQ(kubectl("create configmap first").status, 0);
  // A watch from the list's resourceVersion, in the background, then three changes.
  std::string out = dir_ + "/watch.out";
  ASSERT_EQ(sh("(timeout 10 kubectl --kubeconfig " + dir_ + "/kubeconfig --cache-dir " + dir_ +
               "/cache get cm -w --output-watch-events > " + out + " 2>&1 &)").status, 0);
  for (int i = 0; i < 100 && sh("grep -q first " + out).status != 0; ++i) usleep(50000);
  ASSERT_EQ(kubectl("create configmap second").status, 0);
  ASSERT_EQ(kubectl("delete configmap first").status, 0);
  for (int i = 0; i < 100 && sh("grep -q DELETED " + out).status != 0; ++i) usleep(50000);
  EXPECT_EQ(sh("awk '{print $1, $2}' " + out).out, "EVENT NAME\nADDED first\nADDED second\nDELETED first\n");
  sh("pkill -f 'cache-dir " + dir_ + "/cache get cm -w'");
  // A watch without a resourceVersion starts with what exists; sendInitialEvents ends those
  // with a bookmark (the watch-list protocol).
  auto raw = kubectl("get --raw '/api/v1/namespaces/default/configmaps?watch=1&timeoutSeconds=1' | "
                     "/usr/bin/python3 -c 'import sys, json; [print(e[\"type\"], e[\"object\"][\"metadata\"][\"name\"]) "
                     "for e in map(json.loads, sys.stdin)]'");
  EXPECT_EQ(raw.out, "ADDED second\n") << raw.err;
  auto list = kubectl("get --raw '/api/v1/namespaces/default/configmaps?watch=1&sendInitialEvents=true&"
                      "allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan&timeoutSeconds=1' | "
                      "/usr/bin/python3 -c 'import sys, json; [print(e[\"type\"], "
                      "e[\"object\"][\"metadata\"].get(\"name\") or e[\"object\"][\"metadata\"][\"annotations\"]) "
                      "for e in map(json.loads, sys.stdin)]'");
  EXPECT_EQ(list.out, "ADDED second\nBOOKMARK {'k8s.io/initial-events-end': 'true'}\n") << list.err;
}

TEST_P(KubeServerTest, PythonClientListsAndWatchesPods) {
  if (sh("/usr/bin/python3 -c 'import kubernetes'").status != 0) GTEST_SKIP() << "python3-kubernetes is not installed";
  for (auto* name : {"one", "two"}) {
    ASSERT_EQ(kubectl(std::string("run ") + name + " --image=busybox --restart=Never -- sleep 1").status, 0);
  }
  std::string script = dir_ + "/pods.py";
  std::ofstream(script) << R"(import sys, threading, subprocess
from kubernetes import client, config, watch
config.load_kube_config(config_file=sys.argv[1])
v1 = client.CoreV1Api()
pods = v1.list_namespaced_pod("default")
print("list", sorted(p.metadata.name for p in pods.items), pods.items[0].spec.containers[0].image)
w = watch.Watch()
threading.Timer(1.0, lambda: subprocess.run(sys.argv[2:], check=True, capture_output=True)).start()
for event in w.stream(v1.list_namespaced_pod, "default", resource_version=pods.metadata.resource_version,
                      timeout_seconds=10):
    print("watch", event["type"], event["object"].metadata.name)
    w.stop()
)";
  auto out = sh("timeout 30 /usr/bin/python3 " + script + " " + dir_ + "/kubeconfig kubectl --kubeconfig " + dir_ +
                "/kubeconfig --cache-dir " + dir_ + "/cache run three --image=busybox --restart=Never");
  EXPECT_EQ(out.status, 0) << out.err;
  EXPECT_EQ(out.out, "list ['one', 'two'] busybox\nwatch ADDED three\n") << out.err;
}

TEST_P(KubeServerTest, ClientsWithoutCertificateOrTokenAreUnauthorized) {
  std::string url = "https://127.0.0.1:" + std::to_string(port_);
  for (auto* path : {"/api", "/api/v1/namespaces/default/pods", "/nonexistent"}) {
    auto anonymous = sh("curl -sk --max-time 5 -o /dev/null -w '%{http_code}' " + url + path);
    EXPECT_EQ(anonymous.out, "401") << path;
  }
  auto forged = sh("curl -sk --max-time 5 -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer x.y.z' " + url + "/api");
  EXPECT_EQ(forged.out, "401");
  auto bad = run({berth_binary(), "server", "--data-dir", dir_ + "/other", "--https-listen-port", "0"});
  EXPECT_NE(bad.status, 0);
}

// A ServiceAccount token bound to a namespaced Role reads that namespace's pods and nothing
// else; static tokens authenticate; every decision is in the audit log.
TEST_P(KubeServerTest, RbacConfinesAServiceAccountTokenToItsRole) {
  ASSERT_EQ(kubectl("create namespace team").status, 0);
  ASSERT_EQ(kubectl("create serviceaccount reader -n team").status, 0);
  ASSERT_EQ(kubectl("create role pod-reader -n team --verb=get,list,watch --resource=pods").status, 0);
  ASSERT_EQ(kubectl("create rolebinding reader -n team --role=pod-reader --serviceaccount=team:reader").status, 0);
  ASSERT_EQ(kubectl("run web -n team --image=busybox").status, 0);
  ASSERT_EQ(kubectl("create secret generic s -n team --from-literal=a=b").status, 0);
  auto token = kubectl("create token reader -n team --duration=20m");
  ASSERT_EQ(token.status, 0) << token.err;
  ASSERT_EQ(kubectl("config view --raw -o jsonpath='{.clusters[0].cluster.certificate-authority-data}' | base64 -d > " +
                    dir_ + "/ca.crt").status, 0);
  auto as = [&](const std::string& tok, const std::string& args) {
    return sh("kubectl --kubeconfig /dev/null --server https://127.0.0.1:" + std::to_string(port_) +
              " --certificate-authority " + dir_ + "/ca.crt --cache-dir " + dir_ + "/cache2 --token " + tok + " " + args);
  };
  std::string t(str::trim(token.out));
  EXPECT_EQ(as(t, "get pods -n team -o name").out, "pod/web\n");
  EXPECT_EQ(as(t, "get pod web -n team -o jsonpath='{.metadata.name}'").out, "web");
  auto other_ns = as(t, "get pods -n default");
  EXPECT_NE(other_ns.err.find("pods is forbidden: User \"system:serviceaccount:team:reader\" cannot list resource "
                              "\"pods\" in API group \"\" in the namespace \"default\""),
            std::string::npos) << other_ns.err;
  EXPECT_NE(as(t, "get secrets -n team").err.find("cannot list resource \"secrets\""), std::string::npos);
  EXPECT_NE(as(t, "delete pod web -n team").err.find("pods \"web\" is forbidden"), std::string::npos);
  EXPECT_NE(as(t, "get namespaces").err.find("at the cluster scope"), std::string::npos);
  EXPECT_EQ(kubectl("get pod web -n team -o name").out, "pod/web\n");
  // A user who may write roles and bindings cannot grant more than it holds (RBAC's
  // escalation check); roleRef never changes.
  ASSERT_EQ(kubectl("create serviceaccount deployer -n team").status, 0);
  ASSERT_EQ(kubectl("create role rbac-writer -n team --verb=create,get,list --resource=roles.rbac.authorization.k8s.io,"
                    "rolebindings.rbac.authorization.k8s.io,pods").status, 0);
  ASSERT_EQ(kubectl("create rolebinding deployer -n team --role=rbac-writer --serviceaccount=team:deployer").status, 0);
  std::string d(str::trim(kubectl("create token deployer -n team").out));
  auto all = as(d, "create role everything -n team --verb='*' --resource='*'");
  EXPECT_NE(all.err.find("is attempting to grant RBAC permissions not currently held"), std::string::npos) << all.err;
  auto admin = as(d, "create rolebinding takeover -n team --clusterrole=cluster-admin --serviceaccount=team:deployer");
  EXPECT_NE(admin.err.find("is attempting to grant RBAC permissions not currently held"), std::string::npos) << admin.err;
  EXPECT_EQ(as(d, "create role pod-lister -n team --verb=list --resource=pods").status, 0);
  EXPECT_EQ(as(d, "get secrets -n team").status, 1);
  auto moved = kubectl("patch rolebinding reader -n team --type=merge -p '{\"roleRef\":{\"name\":\"admin\",\"kind\":\"ClusterRole\"}}'");
  EXPECT_NE(moved.err.find("cannot change roleRef"), std::string::npos) << moved.err;
  // The static token's user is authenticated but has no role; the token dies with its account.
  EXPECT_NE(as("t0ken-alice", "get pods").err.find("User \"alice\" cannot list resource"), std::string::npos);
  ASSERT_EQ(kubectl("delete serviceaccount reader -n team").status, 0);
  EXPECT_NE(as(t, "get pods -n team").err.find("Unauthorized"), std::string::npos);
  auto audit = sh("grep -c '\"username\":\"system:serviceaccount:team:reader\"' " + dir_ + "/audit.log");
  EXPECT_GE(std::stoi("0" + audit.out), 6);
  auto denied = sh("grep '\"verb\":\"list\"' " + dir_ + "/audit.log | grep '\"namespace\":\"default\"' | grep -c '\"code\":403'");
  EXPECT_NE(std::string(str::trim(denied.out)), "0");  // kubectl may ask twice
}

// Defaults as Kubernetes fills them, and invalid objects refused with its field errors and
// nothing stored.
TEST_P(KubeServerTest, BuiltInTypesAreDefaultedAndValidated) {
  ASSERT_EQ(kubectl("create deployment web --image=busybox:1.36").status, 0);
  EXPECT_EQ(kubectl("get deploy web -o jsonpath='{.spec.replicas} {.spec.strategy.type} "
                    "{.spec.strategy.rollingUpdate.maxSurge} {.spec.revisionHistoryLimit} {.metadata.generation} "
                    "{.spec.template.spec.restartPolicy} {.spec.template.spec.containers[0].imagePullPolicy} "
                    "{.spec.template.spec.terminationGracePeriodSeconds}'").out,
            "1 RollingUpdate 25% 10 1 Always IfNotPresent 30");
  ASSERT_EQ(kubectl("run p1 --image=busybox --labels=tier=web").status, 0);
  EXPECT_EQ(kubectl("get pod p1 -o jsonpath='{.spec.containers[0].imagePullPolicy} {.spec.dnsPolicy} "
                    "{.spec.serviceAccountName} {.status.phase} {.status.qosClass}'").out,
            "Always ClusterFirst default Pending BestEffort");
  ASSERT_EQ(kubectl("create service nodeport web --tcp=80:8080").status, 0);
  auto svc = kubectl("get svc web -o jsonpath='{.spec.type} {.spec.ports[0].targetPort} {.spec.clusterIP} "
                     "{.spec.ports[0].nodePort}'").out;
  EXPECT_TRUE(svc.starts_with("NodePort 8080 10.43.0.")) << svc;
  EXPECT_TRUE(svc.ends_with(" 30000")) << svc;
  EXPECT_EQ(kubectl("get svc kubernetes -o jsonpath='{.spec.clusterIP}'").out, "10.43.0.1");
  EXPECT_EQ(kubectl("get sa default -o name").out, "serviceaccount/default\n");
  // describe reads the same objects (and their events by field selector).
  auto described = kubectl("describe deploy web");
  ASSERT_EQ(described.status, 0) << described.err;
  EXPECT_NE(described.out.find("RollingUpdateStrategy:  25% max unavailable, 25% max surge"), std::string::npos)
      << described.out;
  EXPECT_NE(kubectl("describe pod p1").out.find("QoS Class:        BestEffort"), std::string::npos);
  EXPECT_EQ(sh("kubectl --kubeconfig " + dir_ + "/kubeconfig --cache-dir " + dir_ +
               "/cache api-resources --no-headers | grep -cE '^(deployments +deploy +apps/v1 +true +Deployment|"
               "pods +po +v1 +true +Pod|clusterroles +rbac.authorization.k8s.io/v1 +false +ClusterRole) *$'").out,
            "3\n");

  // Generation counts spec changes; status changes only through the status subresource.
  ASSERT_EQ(kubectl("set image deploy/web busybox=busybox:1.37").status, 0);
  EXPECT_EQ(kubectl("get deploy web -o jsonpath='{.metadata.generation}'").out, "2");
  ASSERT_EQ(kubectl("patch deploy web --type=merge -p '{\"status\":{\"replicas\":5}}'").status, 0);
  EXPECT_EQ(kubectl("get deploy web -o jsonpath='{.status.replicas}'").out, "");
  auto st = kubectl("patch deploy web --subresource=status --type=merge -p '{\"status\":{\"replicas\":3}}'");
  ASSERT_EQ(st.status, 0) << st.err;
  EXPECT_EQ(kubectl("get deploy web -o jsonpath='{.status.replicas} {.metadata.generation}'").out, "3 2");

  std::ofstream(dir_ + "/bad.yaml") << R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: bad
spec:
  selector:
    matchLabels: {app: one}
  template:
    metadata:
      labels: {app: two}
    spec:
      containers:
      - name: c
        image: busybox
---
apiVersion: v1
kind: Pod
metadata:
  name: noimage
spec:
  containers:
  - name: c
  - name: c
    image: busybox
)";
  auto bad = kubectl("apply -f " + dir_ + "/bad.yaml");
  EXPECT_NE(bad.status, 0);
  EXPECT_NE(bad.err.find("Deployment.apps \"bad\" is invalid: spec.template.metadata.labels: Invalid value: "
                         "map[string]string{\"app\":\"two\"}: `selector` does not match template `labels`"),
            std::string::npos) << bad.err;
  EXPECT_NE(bad.err.find("Pod \"noimage\" is invalid: [spec.containers[0].image: Required value, "
                         "spec.containers[1].name: Duplicate value: \"c\"]"),
            std::string::npos) << bad.err;
  EXPECT_EQ(kubectl("get deploy bad").status, 1);
  EXPECT_EQ(kubectl("get pod noimage").status, 1);
  auto pod_update = kubectl("patch pod p1 --type=merge -p '{\"spec\":{\"restartPolicy\":\"Never\"}}'");
  EXPECT_NE(pod_update.err.find("pod updates may not change fields other than"), std::string::npos) << pod_update.err;
}

TEST_P(KubeServerTest, LabelAndFieldSelectorsChooseObjects) {
  for (auto [name, tier] : {std::pair{"a", "web"}, {"b", "api"}, {"c", "db"}}) {
    ASSERT_EQ(kubectl(std::string("run ") + name + " --image=busybox --labels=tier=" + tier).status, 0);
  }
  EXPECT_EQ(kubectl("get pods -l 'tier in (web,api)' -o name").out, "pod/a\npod/b\n");
  EXPECT_EQ(kubectl("get pods -l 'tier notin (web,api)' -o name").out, "pod/c\n");
  EXPECT_EQ(kubectl("get pods -l '!missing,tier' -o name").out, "pod/a\npod/b\npod/c\n");
  EXPECT_EQ(kubectl("get pods --field-selector metadata.name=b -o name").out, "pod/b\n");
  EXPECT_EQ(kubectl("get pods --field-selector status.phase=Pending,metadata.name!=a -o name").out, "pod/b\npod/c\n");
  auto bad = kubectl("get pods --field-selector spec.nope=x");
  EXPECT_NE(bad.err.find("field label not supported: spec.nope"), std::string::npos) << bad.err;
  auto bad_label = kubectl("get pods -l 'tier in web'");
  EXPECT_NE(bad_label.status, 0);
  // deletecollection with a selector.
  auto dc = kubectl("delete --raw '/api/v1/namespaces/default/pods?labelSelector=tier%3Dapi'");
  ASSERT_EQ(dc.status, 0) << dc.err;
  EXPECT_EQ(kubectl("get pods -o name").out, "pod/a\npod/c\n");
}

// ownerReferences: the garbage collector deletes dependents of a deleted owner (background and
// foreground) or orphans them; finalizers hold an object until they are removed.
TEST_P(KubeServerTest, GarbageCollectorAndFinalizersFollowDeletionPolicy) {
  auto owned = [&](const std::string& owner, const std::string& name) {
    std::string uid = kubectl("get cm " + owner + " -o jsonpath='{.metadata.uid}'").out;
    std::ofstream(dir_ + "/dep.yaml") << "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " << name
                                      << "\n  ownerReferences:\n  - apiVersion: v1\n    kind: ConfigMap\n    name: "
                                      << owner << "\n    uid: " << uid << "\n";
    return kubectl("apply -f " + dir_ + "/dep.yaml").status;
  };
  auto gone_within = [&](const std::string& what) {
    for (int i = 0; i < 100; ++i) {
      if (kubectl("get " + what).status != 0) return true;
      usleep(100000);
    }
    return false;
  };
  for (auto* o : {"o1", "o2", "o3"}) ASSERT_EQ(kubectl(std::string("create cm ") + o).status, 0);
  ASSERT_EQ(owned("o1", "d1"), 0);
  ASSERT_EQ(owned("o2", "d2"), 0);
  ASSERT_EQ(owned("o3", "d3"), 0);
  ASSERT_EQ(kubectl("delete cm o1").status, 0);
  EXPECT_TRUE(gone_within("cm d1"));
  ASSERT_EQ(kubectl("delete cm o2 --cascade=orphan").status, 0);
  EXPECT_TRUE(gone_within("cm o2"));
  EXPECT_EQ(kubectl("get cm d2 -o jsonpath='{.metadata.ownerReferences}'").out, "");
  ASSERT_EQ(kubectl("delete cm o3 --cascade=foreground").status, 0);
  EXPECT_TRUE(gone_within("cm d3"));
  EXPECT_TRUE(gone_within("cm o3"));
  // A dependent whose owner never existed goes too.
  std::ofstream(dir_ + "/lost.yaml") << "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: lost\n  ownerReferences:\n"
                                        "  - {apiVersion: v1, kind: ConfigMap, name: nobody, uid: \"1234\"}\n";
  ASSERT_EQ(kubectl("apply -f " + dir_ + "/lost.yaml").status, 0);
  EXPECT_TRUE(gone_within("cm lost"));

  ASSERT_EQ(kubectl("create cm held").status, 0);
  ASSERT_EQ(kubectl("patch cm held --type=merge -p '{\"metadata\":{\"finalizers\":[\"example.com/hold\"]}}'").status, 0);
  ASSERT_EQ(kubectl("delete cm held --wait=false").status, 0);
  EXPECT_NE(kubectl("get cm held -o jsonpath='{.metadata.deletionTimestamp}'").out, "");
  ASSERT_EQ(kubectl("patch cm held --type=json -p '[{\"op\":\"remove\",\"path\":\"/metadata/finalizers\"}]'").status, 0);
  EXPECT_NE(kubectl("get cm held").status, 0);
  EXPECT_EQ(kubectl("get cm -o name").out, "configmap/d2\n");
}

// A namespace's LimitRange fills in and bounds container resources; its ResourceQuota refuses
// what would exceed it and shows what is used.
TEST_P(KubeServerTest, LimitRangesAndQuotasAdmitPods) {
  ASSERT_EQ(kubectl("create namespace q").status, 0);
  std::ofstream(dir_ + "/limits.yaml") << R"(apiVersion: v1
kind: LimitRange
metadata: {name: limits, namespace: q}
spec:
  limits:
  - type: Container
    default: {cpu: 200m, memory: 128Mi}
    max: {cpu: "1"}
)";
  ASSERT_EQ(kubectl("apply -f " + dir_ + "/limits.yaml").status, 0);
  ASSERT_EQ(kubectl("create quota q -n q --hard=pods=2,requests.cpu=1,configmaps=1").status, 0);
  ASSERT_EQ(kubectl("run a -n q --image=busybox").status, 0);
  EXPECT_EQ(kubectl("get pod a -n q -o jsonpath='{.spec.containers[0].resources.limits.cpu} "
                    "{.spec.containers[0].resources.requests.memory}'").out,
            "200m 128Mi");
  EXPECT_NE(kubectl("get pod a -n q -o jsonpath='{.metadata.annotations}'").out.find("LimitRanger plugin set: cpu"),
            std::string::npos);
  auto big = kubectl("run big -n q --image=busybox --overrides='{\"spec\":{\"containers\":[{\"name\":\"big\","
                     "\"image\":\"busybox\",\"resources\":{\"limits\":{\"cpu\":\"2\"}}}]}}'");
  EXPECT_NE(big.err.find("pods \"big\" is forbidden: maximum cpu usage per Container is 1, but limit is 2"),
            std::string::npos) << big.err;
  ASSERT_EQ(kubectl("run b -n q --image=busybox").status, 0);
  auto third = kubectl("run c -n q --image=busybox");
  EXPECT_NE(third.err.find("pods \"c\" is forbidden: exceeded quota: q, requested: pods=1, used: pods=2, limited: pods=2"),
            std::string::npos) << third.err;
  EXPECT_EQ(kubectl("get pods -n q -o name").out, "pod/a\npod/b\n");
  ASSERT_EQ(kubectl("create cm one -n q").status, 0);
  EXPECT_NE(kubectl("create cm two -n q").err.find("exceeded quota: q, requested: configmaps=1"), std::string::npos);
  std::string used;
  for (int i = 0; i < 50; ++i) {
    used = kubectl("get quota q -n q -o jsonpath='{.status.used.pods} {.status.used.requests\\.cpu} "
                   "{.status.used.configmaps}'").out;
    if (used == "2 400m 1") break;
    usleep(100000);
  }
  EXPECT_EQ(used, "2 400m 1");
  // Deleting a pod frees its share.
  ASSERT_EQ(kubectl("delete pod a -n q").status, 0);
  EXPECT_EQ(kubectl("run c -n q --image=busybox").status, 0);
}

// kill -9 under write load: after a restart every write the server acknowledged is there, whole.
TEST_P(KubeServerTest, AcknowledgedWritesSurviveKillDashNine) {
  std::string tls = dir_ + "/server/tls";
  std::string url = "https://127.0.0.1:" + std::to_string(port_) + "/api/v1/namespaces/default/configmaps";
  std::ofstream(dir_ + "/load.sh") << "for i in $(seq 1 5000); do\n"
                                      "  curl -s --fail -o /dev/null --max-time 5 --cacert " << tls << "/ca.crt --cert "
                                   << tls << "/admin.crt --key " << tls << "/admin.key -H 'Content-Type: application/json' "
                                   << "-d \"{\\\"metadata\\\":{\\\"name\\\":\\\"w$1-$i\\\"},\\\"data\\\":{\\\"i\\\":\\\"$i\\\"}}\" "
                                   << url << " || exit 0\n"
                                      "  echo w$1-$i >> " << dir_ << "/acked\n"
                                      "done\n";
  ASSERT_EQ(sh("for w in 1 2 3 4; do (sh " + dir_ + "/load.sh $w &) ; done").status, 0);
  for (int i = 0; i < 300 && std::stoi("0" + sh("cat " + dir_ + "/acked 2>/dev/null | wc -l").out) < 200; ++i) usleep(20000);
  ASSERT_EQ(::kill(server_.pid(), SIGKILL), 0);
  server_.stop();
  for (int i = 0; i < 100 && sh("pgrep -f '" + dir_ + "/load.sh'").status == 0; ++i) usleep(50000);
  auto acked = sh("sort " + dir_ + "/acked").out;
  ASSERT_GT(std::count(acked.begin(), acked.end(), '\n'), 150);
  start();
  auto stored = kubectl("get cm -o go-template='{{range .items}}{{.metadata.name}} {{.data.i}}{{\"\\n\"}}{{end}}'");
  ASSERT_EQ(stored.status, 0) << stored.err;
  // Every acknowledged name is stored with its own data; at most the writes in flight at the
  // kill (one per writer) are there without an acknowledgement.
  std::set<std::string> names;
  for (auto& line : str::split(stored.out, '\n')) {
    if (line.empty()) continue;
    auto sp = line.find(' ');
    std::string name = line.substr(0, sp), i = line.substr(sp + 1);
    EXPECT_EQ(name.substr(name.find('-') + 1), i) << line;
    names.insert(name);
  }
  size_t acked_count = 0;
  for (auto& name : str::split(acked, '\n')) {
    if (name.empty()) continue;
    ++acked_count;
    EXPECT_TRUE(names.count(name)) << name << " was acknowledged but is not stored";
  }
  EXPECT_LE(names.size(), acked_count + 4);
}

// The server compacts its history every --etcd-compaction-interval; a watch from before the
// last compaction gets 410 Expired (informers then relist), a current one goes on.
TEST_P(KubeServerTest, CompactionExpiresOldWatches) {
  server_.stop();
  compaction_ = "1s";
  start();
  ASSERT_EQ(kubectl("create cm c1").status, 0);
  std::string old_rv = kubectl("get cm c1 -o jsonpath='{.metadata.resourceVersion}'").out;
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(kubectl("label cm c1 --overwrite round=" + std::to_string(i)).status, 0);
    usleep(1200000);
  }
  auto expired = kubectl("get --raw '/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=" + old_rv +
                         "&timeoutSeconds=1'");
  EXPECT_NE(expired.err.find("Error from server (Expired): too old resource version"), std::string::npos)
      << expired.out << expired.err;
  // The current state is all there, and a watch from now on works.
  auto current = kubectl("get --raw '/api/v1/namespaces/default/configmaps?watch=1&timeoutSeconds=1'");
  EXPECT_NE(current.out.find("\"type\":\"ADDED\""), std::string::npos) << current.err;
  EXPECT_EQ(kubectl("get cm c1 -o jsonpath='{.metadata.labels.round}'").out, "2");
}

// A list at an exact resourceVersion sees the state of then; one from the future is refused.
TEST_P(KubeServerTest, ListsHonourResourceVersion) {
  ASSERT_EQ(kubectl("create cm v --from-literal=k=old").status, 0);
  std::string then = kubectl("get cm v -o jsonpath='{.metadata.resourceVersion}'").out;
  ASSERT_EQ(kubectl("patch cm v --type=merge -p '{\"data\":{\"k\":\"new\"}}'").status, 0);
  auto data = [&](const std::string& query) {
    return sh("kubectl --kubeconfig " + dir_ + "/kubeconfig get --raw '/api/v1/namespaces/default/configmaps?" + query +
              "' | /usr/bin/python3 -c 'import sys, json; print(json.load(sys.stdin)[\"items\"][0][\"data\"][\"k\"])'").out;
  };
  EXPECT_EQ(data("resourceVersion=" + then + "&resourceVersionMatch=Exact"), "old\n");
  EXPECT_EQ(data("resourceVersion=" + then), "new\n");  // NotOlderThan: the current state
  EXPECT_EQ(data(""), "new\n");
  auto future = kubectl("get --raw '/api/v1/namespaces/default/configmaps?resourceVersion=99999999'");
  EXPECT_NE(future.err.find("Too large resource version"), std::string::npos) << future.err;
}

// kubectl autoscale creates an autoscaling/v1 HPA; it is stored as v2 and each version shows
// its own form of the same object (the CPU target; other v2 metrics kept across v1 writes).
TEST_P(KubeServerTest, AutoscalersAreServedAsV1AndV2) {
  ASSERT_EQ(kubectl("create deployment web --image=nginx").status, 0);
  auto made = kubectl("autoscale deployment web --min=2 --max=5 --cpu-percent=70");
  ASSERT_EQ(made.status, 0) << made.err;
  EXPECT_EQ(kubectl("get hpa web -o jsonpath='{.apiVersion} {.spec.metrics[0].resource.target.averageUtilization}'").out,
            "autoscaling/v2 70");
  EXPECT_EQ(kubectl("get horizontalpodautoscalers.v1.autoscaling web -o jsonpath='{.apiVersion} "
                    "{.spec.targetCPUUtilizationPercentage} {.metadata.annotations}'").out,
            "autoscaling/v1 70 ");
  ASSERT_EQ(kubectl("patch hpa web --type=json -p '[{\"op\":\"add\",\"path\":\"/spec/metrics/-\",\"value\":"
                    "{\"type\":\"Resource\",\"resource\":{\"name\":\"memory\",\"target\":{\"type\":\"AverageValue\","
                    "\"averageValue\":\"100Mi\"}}}}]'").status, 0);
  ASSERT_EQ(kubectl("patch horizontalpodautoscalers.v1.autoscaling web --type=merge -p "
                    "'{\"spec\":{\"targetCPUUtilizationPercentage\":60}}'").status, 0);
  EXPECT_EQ(kubectl("get hpa web -o jsonpath='{.spec.metrics[*].resource.name} "
                    "{.spec.metrics[0].resource.target.averageUtilization}'").out,
            "cpu memory 60");
  EXPECT_NE(kubectl("get --raw /apis/autoscaling").out.find(
                "\"preferredVersion\":{\"groupVersion\":\"autoscaling/v2\",\"version\":\"v2\"},\"versions\":["
                "{\"groupVersion\":\"autoscaling/v2\",\"version\":\"v2\"},{\"groupVersion\":\"autoscaling/v1\""),
            std::string::npos);
  ASSERT_EQ(kubectl("delete horizontalpodautoscalers.v1.autoscaling web").status, 0);
  EXPECT_EQ(kubectl("get hpa -o name").out, "");
}

// Hostile or careless requests get Kubernetes' refusals and change nothing: HEAD reads, dry
// runs store nothing, a stale resourceVersion in a patch conflicts, bodies too big or too deep
// and ill-typed metadata are refused, and the server stays up.
TEST_P(KubeServerTest, BadRequestsAreRefusedAndChangeNothing) {
  std::string tls = dir_ + "/server/tls";
  std::string url = "https://127.0.0.1:" + std::to_string(port_);
  auto curl = [&](const std::string& args) {
    return sh("curl -s -o /dev/null -w '%{http_code}' --cacert " + tls + "/ca.crt --cert " + tls + "/admin.crt --key " +
              tls + "/admin.key " + args).out;
  };
  ASSERT_EQ(kubectl("create cm keep --from-literal=a=1").status, 0);
  EXPECT_EQ(curl("-I " + url + "/api/v1/namespaces/default/configmaps/keep"), "200");
  EXPECT_EQ(kubectl("delete cm keep --dry-run=server").status, 0);
  ASSERT_EQ(kubectl("label cm keep tier=x --dry-run=server").status, 0);
  EXPECT_EQ(kubectl("get cm keep -o jsonpath='{.metadata.name} {.metadata.labels}'").out, "keep ");
  std::string rv = kubectl("get cm keep -o jsonpath='{.metadata.resourceVersion}'").out;
  ASSERT_EQ(kubectl("label cm keep tier=y").status, 0);
  auto stale = kubectl("patch cm keep --type=merge -p '{\"metadata\":{\"resourceVersion\":\"" + rv +
                       "\"},\"data\":{\"a\":\"2\"}}'");
  EXPECT_NE(stale.err.find("the object has been modified"), std::string::npos) << stale.err;
  EXPECT_EQ(kubectl("get cm keep -o jsonpath='{.data.a}'").out, "1");
  auto post = [&](const std::string& file) {
    return curl("-X POST -H 'Content-Type: application/json' --data-binary @" + file + " " + url +
                "/api/v1/namespaces/default/configmaps");
  };
  ASSERT_EQ(sh("/usr/bin/python3 -c \"import sys; sys.stdout.write('{\\\"metadata\\\":{\\\"name\\\":\\\"deep\\\","
               "\\\"annotations\\\":' + '[' * 100000 + ']' * 100000 + '}}')\" > " + dir_ + "/deep.json").status, 0);
  EXPECT_EQ(post(dir_ + "/deep.json"), "400");
  ASSERT_EQ(sh("head -c 4000000 /dev/zero | tr '\\0' a | sed 's/^/{\"metadata\":{\"name\":\"big\"},\"data\":{\"k\":\"/; "
               "s/$/\"}}/' > " + dir_ + "/big.json").status, 0);
  EXPECT_EQ(post(dir_ + "/big.json"), "413");
  ASSERT_EQ(sh("head -c 1500000 /dev/zero | tr '\\0' a | sed 's/^/{\"metadata\":{\"name\":\"large\"},\"data\":{\"k\":\"/; "
               "s/$/\"}}/' > " + dir_ + "/large.json").status, 0);
  EXPECT_EQ(post(dir_ + "/large.json"), "422");
  std::ofstream(dir_ + "/typed.json") << R"({"metadata":{"name":"typed","labels":"x","finalizers":{}}})";
  EXPECT_EQ(post(dir_ + "/typed.json"), "422");
  std::ofstream(dir_ + "/token.json") << R"({"spec":{"expirationSeconds":99999999999999}})";
  EXPECT_EQ(curl("-X POST -H 'Content-Type: application/json' --data-binary @" + dir_ + "/token.json " + url +
                 "/api/v1/namespaces/default/serviceaccounts/default/token"),
            "422");
  EXPECT_EQ(kubectl("get cm -o name").out, "configmap/keep\n");
  EXPECT_EQ(kubectl("get --raw /healthz").out, "ok");
}

INSTANTIATE_TEST_SUITE_P(Stores, KubeServerTest, ::testing::Values("sqlite", "etcd"),
                         [](const auto& p) { return p.param; });

}  // namespace
}  // namespace berth::test
