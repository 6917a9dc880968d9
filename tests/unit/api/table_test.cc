// Server-side printing (api/kube/table.h): the Tables kube-apiserver gives kubectl get, column
// for column and cell for cell as k8s.io/kubernetes pkg/printers/internalversion/printers.go
// prints them, and apimachinery's duration.HumanDuration for the AGE cells.
#include "api/kube/table.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace berth::api::kube {
namespace {

// 2026-01-01T00:00:00Z, when the objects below were created.
constexpr int64_t kT0 = 1767225600;
const char* kCreated = "2026-01-01T00:00:00Z";

const Resource& type(const std::string& kind) {
  for (auto& r : resources()) {
    if (r.kind == kind) return r;
  }
  throw std::runtime_error("no type " + kind);
}

Json object(const std::string& name, Json rest = Json::object()) {
  rest["metadata"]["name"] = name;
  rest["metadata"]["namespace"] = "default";
  rest["metadata"]["creationTimestamp"] = kCreated;
  return rest;
}

// The one row's cells of `obj` seen `age` seconds after its creation.
Json cells(const std::string& kind, const Json& obj, int64_t age = 5) {
  auto t = to_table(type(kind), obj, "", kT0 + age);
  EXPECT_TRUE(t.has_value());
  if (!t) return Json();
  EXPECT_EQ((*t)["rows"].size(), 1u);
  return (*t)["rows"][0]["cells"];
}

// "Name:0 Ready:0 ..." for the column definitions: name and priority.
std::string columns(const std::string& kind) {
  auto t = to_table(type(kind), object("x"), "", kT0);
  std::string out;
  for (auto& c : (*t)["columnDefinitions"]) {
    out += (out.empty() ? "" : " ") + c["name"].get<std::string>() + ":" + std::to_string(c["priority"].get<int>());
  }
  return out;
}

TEST(HumanDuration, FollowsApimachineryAtEveryBoundary) {
  const std::pair<int64_t, const char*> cases[] = {
      {-2, "<invalid>"}, {-1, "0s"}, {0, "0s"}, {5, "5s"}, {119, "119s"}, {120, "2m"}, {121, "2m1s"}, {182, "3m2s"},
      {599, "9m59s"}, {600, "10m"}, {10799, "179m"}, {10800, "3h"}, {10860, "3h1m"}, {28799, "7h59m"},
      {28800, "8h"}, {172799, "47h"}, {172800, "2d"}, {183600, "2d3h"}, {691199, "7d23h"}, {691200, "8d"},
      {63071999, "729d"}, {63072000, "2y"}, {63158400, "2y1d"}, {252287999, "7y364d"}, {252288000, "8y"},
      {3153600000, "100y"}};
  for (auto& [seconds, text] : cases) EXPECT_EQ(human_duration(seconds), text) << seconds;
}

TEST(WantsTable, OnlyForAV1TableInJson) {
  EXPECT_TRUE(wants_table("application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;"
                          "g=meta.k8s.io,application/json"));
  EXPECT_TRUE(wants_table("application/json; g=meta.k8s.io; v=v1; as=Table"));
  EXPECT_FALSE(wants_table("application/json"));
  EXPECT_FALSE(wants_table(""));
  EXPECT_FALSE(wants_table("application/json;as=Table;v=v1beta1;g=meta.k8s.io"));
  EXPECT_FALSE(wants_table("application/yaml;as=Table;v=v1;g=meta.k8s.io"));
  EXPECT_FALSE(wants_table("application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io"));
}

TEST(Table, PodColumnsAndAPodWithoutStatus) {
  EXPECT_EQ(columns("Pod"), "Name:0 Ready:0 Status:0 Restarts:0 Age:0 IP:1 Node:1 Nominated Node:1 Readiness Gates:1");
  // As created, before anything runs it: Kubernetes' create strategy makes it Pending.
  Json pod = object("web", {{"spec", {{"containers", {{{"name", "web"}, {"image", "nginx"}}, {{"name", "log"}}}}}}});
  EXPECT_EQ(cells("Pod", pod), Json::parse(R"(["web","0/2","Pending","0","5s","<none>","<none>","<none>","<none>"])"));
}

TEST(Table, PodStatesAsPrintPodComputesThem) {
  Json spec = {{"containers", {{{"name", "web"}}}}, {"nodeName", "node-1"}};
  auto pod = [&](Json status, Json extra_spec = Json::object()) {
    Json s = spec;
    s.update(extra_spec);
    return object("p", {{"spec", s}, {"status", status}});
  };
  // Running and ready, restarted twice, the last time a minute after creation.
  Json running = pod({{"phase", "Running"},
                      {"podIP", "10.42.0.7"},
                      {"podIPs", {{{"ip", "10.42.0.7"}}}},
                      {"conditions", {{{"type", "Ready"}, {"status", "True"}}}},
                      {"containerStatuses", {{{"name", "web"}, {"ready", true}, {"restartCount", 2},
                                              {"state", {{"running", {{"startedAt", "2026-01-01T00:01:00Z"}}}}},
                                              {"lastState", {{"terminated", {{"exitCode", 1},
                                                                             {"finishedAt", "2026-01-01T00:01:00Z"}}}}}}}}});
  EXPECT_EQ(cells("Pod", running, 3600),
            Json::parse(R"j(["p","1/1","Running","2 (59m ago)","60m","10.42.0.7","node-1","<none>","<none>"])j"));
  // A container waiting with a reason shows the reason.
  Json crashing = pod({{"phase", "Running"},
                       {"containerStatuses", {{{"name", "web"}, {"restartCount", 5},
                                               {"state", {{"waiting", {{"reason", "CrashLoopBackOff"}}}}}}}}});
  EXPECT_EQ(cells("Pod", crashing)[1], "0/1");
  EXPECT_EQ(cells("Pod", crashing)[2], "CrashLoopBackOff");
  EXPECT_EQ(cells("Pod", crashing)[3], "5");  // no last termination time, so no "(... ago)"
  // Terminated: by its reason, else by signal or exit code.
  Json done = pod({{"phase", "Succeeded"},
                   {"containerStatuses", {{{"name", "web"}, {"state", {{"terminated", {{"exitCode", 0}, {"reason", "Completed"}}}}}}}}});
  EXPECT_EQ(cells("Pod", done)[2], "Completed");
  auto t = to_table(type("Pod"), done, "", kT0);
  EXPECT_EQ((*t)["rows"][0]["conditions"], Json::parse(R"([{"type":"Completed","status":"True","reason":"Succeeded",
                                                             "message":"The pod has completed successfully."}])"));
  Json killed = pod({{"phase", "Failed"},
                     {"containerStatuses", {{{"name", "web"}, {"state", {{"terminated", {{"exitCode", 137}, {"signal", 9}}}}}}}}});
  EXPECT_EQ(cells("Pod", killed)[2], "Signal:9");
  Json exited = pod({{"phase", "Failed"},
                     {"containerStatuses", {{{"name", "web"}, {"state", {{"terminated", {{"exitCode", 3}}}}}}}}});
  EXPECT_EQ(cells("Pod", exited)[2], "ExitCode:3");
  // Init containers: the first unfinished one decides.
  Json inits = {{"initContainers", {{{"name", "a"}}, {{"name", "b"}}}}};
  Json init_running = pod({{"phase", "Pending"},
                           {"initContainerStatuses", {{{"name", "a"}, {"state", {{"terminated", {{"exitCode", 0}}}}}},
                                                      {{"name", "b"}, {"state", {{"running", Json::object()}}}}}}},
                          inits);
  EXPECT_EQ(cells("Pod", init_running)[2], "Init:1/2");
  Json init_failed = pod({{"phase", "Pending"},
                          {"initContainerStatuses", {{{"name", "a"}, {"state", {{"terminated", {{"exitCode", 2}}}}}}}}},
                         inits);
  EXPECT_EQ(cells("Pod", init_failed)[2], "Init:ExitCode:2");
  Json init_pulling = pod({{"phase", "Pending"},
                           {"initContainerStatuses", {{{"name", "a"}, {"state", {{"waiting", {{"reason", "ErrImagePull"}}}}}}}}},
                          inits);
  EXPECT_EQ(cells("Pod", init_pulling)[2], "Init:ErrImagePull");
  // A sidecar (an init container that restarts Always) counts as a container once started.
  Json sidecar = pod({{"phase", "Running"},
                      {"initContainerStatuses", {{{"name", "proxy"}, {"started", true}, {"ready", true},
                                                  {"state", {{"running", Json::object()}}}}}},
                      {"containerStatuses", {{{"name", "web"}, {"ready", true}, {"state", {{"running", Json::object()}}}}}}},
                     {{"initContainers", {{{"name", "proxy"}, {"restartPolicy", "Always"}}}}});
  EXPECT_EQ(cells("Pod", sidecar)[1], "2/2");
  EXPECT_EQ(cells("Pod", sidecar)[2], "Running");
  // Being deleted: Terminating, unless it already finished.
  Json deleting = pod({{"phase", "Running"}});
  deleting["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:03Z";
  EXPECT_EQ(cells("Pod", deleting)[2], "Terminating");
  done["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:03Z";
  EXPECT_EQ(cells("Pod", done)[2], "Completed");
  // Readiness gates: how many of the named conditions are true.
  Json gated = pod({{"phase", "Running"},
                    {"conditions", {{{"type", "example.com/lb"}, {"status", "True"}}, {{"type", "example.com/dns"}, {"status", "False"}}}}},
                   {{"readinessGates", {{{"conditionType", "example.com/lb"}}, {{"conditionType", "example.com/dns"}}}}});
  EXPECT_EQ(cells("Pod", gated)[8], "1/2");
  Json gated_scheduling = pod({{"phase", "Pending"}, {"conditions", {{{"type", "PodScheduled"}, {"reason", "SchedulingGated"}}}}});
  EXPECT_EQ(cells("Pod", gated_scheduling)[2], "SchedulingGated");
}

TEST(Table, Deployments) {
  EXPECT_EQ(columns("Deployment"), "Name:0 Ready:0 Up-to-date:0 Available:0 Age:0 Containers:1 Images:1 Selector:1");
  Json d = object("web", {{"spec", {{"replicas", 3},
                                    {"selector", {{"matchLabels", {{"app", "web"}}},
                                                  {"matchExpressions", {{{"key", "tier"}, {"operator", "In"}, {"values", {"front", "edge"}}},
                                                                        {{"key", "canary"}, {"operator", "DoesNotExist"}}}}}},
                                    {"template", {{"spec", {{"containers", {{{"name", "web"}, {"image", "nginx:1.27"}},
                                                                            {{"name", "log"}, {"image", "busybox"}}}}}}}}}},
                          {"status", {{"readyReplicas", 1}, {"updatedReplicas", 2}, {"availableReplicas", 1}}}});
  EXPECT_EQ(cells("Deployment", d, 200),
            Json::parse(R"j(["web","1/3",2,1,"3m20s","web,log","nginx:1.27,busybox","app=web,!canary,tier in (edge,front)"])j"));
  // As created by kubectl create deployment, before a controller writes a status.
  Json fresh = object("api", {{"spec", {{"selector", {{"matchLabels", {{"app", "api"}}}}},
                                        {"template", {{"spec", {{"containers", {{{"name", "api"}, {"image", "api:v2"}}}}}}}}}}});
  EXPECT_EQ(cells("Deployment", fresh), Json::parse(R"(["api","0/1",0,0,"5s","api","api:v2","app=api"])"));
}

TEST(Table, ServicesOfEveryType) {
  EXPECT_EQ(columns("Service"), "Name:0 Type:0 Cluster-IP:0 External-IP:0 Port(s):0 Age:0 Selector:1");
  Json cluster = object("web", {{"spec", {{"type", "ClusterIP"}, {"clusterIP", "10.43.0.10"}, {"clusterIPs", {"10.43.0.10"}},
                                          {"ports", {{{"port", 80}, {"protocol", "TCP"}, {"targetPort", 8080}}}},
                                          {"selector", {{"app", "web"}, {"tier", "front"}}}}}});
  EXPECT_EQ(cells("Service", cluster), Json::parse(R"(["web","ClusterIP","10.43.0.10","<none>","80/TCP","5s","app=web,tier=front"])"));
  Json node_port = object("np", {{"spec", {{"type", "NodePort"}, {"externalIPs", {"192.0.2.1"}},
                                           {"ports", {{{"port", 80}, {"nodePort", 30080}}, {{"port", 53}, {"protocol", "UDP"}, {"nodePort", 30053}}}}}}});
  EXPECT_EQ(cells("Service", node_port), Json::parse(R"(["np","NodePort","<none>","192.0.2.1","80:30080/TCP,53:30053/UDP","5s","<none>"])"));
  Json pending = object("lb", {{"spec", {{"type", "LoadBalancer"}, {"clusterIP", "10.43.0.11"}, {"ports", {{{"port", 443}, {"nodePort", 31443}}}}}}});
  EXPECT_EQ(cells("Service", pending)[3], "<pending>");
  EXPECT_EQ(cells("Service", pending)[4], "443:31443/TCP");
  Json balanced = pending;
  balanced["status"]["loadBalancer"]["ingress"] = {{{"ip", "203.0.113.9"}}, {{"hostname", "lb.example.com"}}, {{"ip", "203.0.113.2"}}};
  EXPECT_EQ(cells("Service", balanced)[3], "203.0.113.2,203.0.113.9,lb.example.com");  // sorted, unclipped
  balanced["spec"]["externalIPs"] = {"192.0.2.7"};
  EXPECT_EQ(cells("Service", balanced)[3], "203.0.113.2,203.0.113.9,lb.example.com,192.0.2.7");
  Json external = object("ext", {{"spec", {{"type", "ExternalName"}, {"externalName", "db.example.com"}}}});
  EXPECT_EQ(cells("Service", external), Json::parse(R"(["ext","ExternalName","<none>","db.example.com","<none>","5s","<none>"])"));
  Json headless = object("hl", {{"spec", {{"clusterIP", "None"}, {"ports", {{{"port", 5432}}}}}}});
  EXPECT_EQ(cells("Service", headless), Json::parse(R"(["hl","ClusterIP","None","<none>","5432/TCP","5s","<none>"])"));
}

TEST(Table, SecretsAndConfigMapsCountTheirKeys) {
  EXPECT_EQ(columns("Secret"), "Name:0 Type:0 Data:0 Age:0");
  EXPECT_EQ(cells("Secret", object("db", {{"type", "Opaque"}, {"data", {{"user", "YQ=="}, {"password", "Yg=="}}}})),
            Json::parse(R"(["db","Opaque",2,"5s"])"));
  EXPECT_EQ(cells("Secret", object("tls", {{"type", "kubernetes.io/tls"}})), Json::parse(R"(["tls","kubernetes.io/tls",0,"5s"])"));
  EXPECT_EQ(columns("ConfigMap"), "Name:0 Data:0 Age:0");
  EXPECT_EQ(cells("ConfigMap", object("cfg", {{"data", {{"a", "1"}, {"b", "2"}}}, {"binaryData", {{"c", "AA=="}}}})),
            Json::parse(R"(["cfg",3,"5s"])"));
  EXPECT_EQ(cells("ConfigMap", object("empty")), Json::parse(R"(["empty",0,"5s"])"));
}

TEST(Table, OtherWorkloadsAndTypes) {
  Json sts = object("db", {{"spec", {{"replicas", 3}, {"template", {{"spec", {{"containers", {{{"name", "pg"}, {"image", "postgres"}}}}}}}}}},
                           {"status", {{"readyReplicas", 2}}}});
  EXPECT_EQ(cells("StatefulSet", sts), Json::parse(R"(["db","2/3","5s","pg","postgres"])"));
  Json rs = object("web-5d8", {{"spec", {{"replicas", 2}, {"selector", {{"matchLabels", {{"app", "web"}}}}}}},
                               {"status", {{"replicas", 2}, {"readyReplicas", 1}}}});
  EXPECT_EQ(cells("ReplicaSet", rs), Json::parse(R"(["web-5d8",2,2,1,"5s","","","app=web"])"));
  Json ds = object("agent", {{"spec", {{"template", {{"spec", {{"nodeSelector", {{"kubernetes.io/os", "linux"}}}}}}}}},
                             {"status", {{"desiredNumberScheduled", 1}, {"numberReady", 1}}}});
  EXPECT_EQ(cells("DaemonSet", ds), Json::parse(R"(["agent",1,0,1,0,0,"kubernetes.io/os=linux","5s","","","<none>"])"));
  Json job = object("once", {{"spec", {{"completions", 3}}},
                             {"status", {{"succeeded", 3}, {"startTime", "2026-01-01T00:00:01Z"}, {"completionTime", "2026-01-01T00:01:05Z"},
                                         {"conditions", {{{"type", "Complete"}, {"status", "True"}}}}}}});
  EXPECT_EQ(cells("Job", job, 600), Json::parse(R"(["once","Complete","3/3","64s","10m","","","<none>"])"));
  Json cron = object("nightly", {{"spec", {{"schedule", "0 3 * * *"}}}});
  EXPECT_EQ(cells("CronJob", cron), Json::parse(R"(["nightly","0 3 * * *","<none>","False",0,"<none>","5s","","","<none>"])"));
  Json ns = object("team", {{"status", {{"phase", "Active"}}}});
  EXPECT_EQ(cells("Namespace", ns), Json::parse(R"(["team","Active","5s"])"));
  Json ep = object("web", {{"subsets", {{{"addresses", {{{"ip", "10.42.0.1"}}, {{"ip", "10.42.0.2"}}}}, {"ports", {{{"port", 80}}, {{"port", 443}}}}}}}});
  EXPECT_EQ(cells("Endpoints", ep)[1], "10.42.0.1:80,10.42.0.2:80,10.42.0.1:443 + 1 more...");
  Json ing = object("web", {{"spec", {{"ingressClassName", "traefik"}, {"rules", {{{"host", "a.example"}}, {{"host", "b.example"}}}},
                                      {"tls", {{{"hosts", {"a.example"}}}}}}}});
  EXPECT_EQ(cells("Ingress", ing), Json::parse(R"(["web","traefik","a.example,b.example","","80, 443","5s"])"));
  Json hpa = object("web", {{"spec", {{"scaleTargetRef", {{"kind", "Deployment"}, {"name", "web"}}}, {"maxReplicas", 5}}}});
  EXPECT_EQ(cells("HorizontalPodAutoscaler", hpa), Json::parse(R"(["web","Deployment/web","cpu: <unknown>/80%","1",5,0,"5s"])"));
  Json pvc = object("data", {{"spec", {{"storageClassName", "local-path"}}}});
  EXPECT_EQ(cells("PersistentVolumeClaim", pvc), Json::parse(R"(["data","Pending","","","","local-path","<unset>","5s","Filesystem"])"));
  Json pdb = object("web", {{"spec", {{"minAvailable", 1}}}, {"status", {{"disruptionsAllowed", 0}}}});
  EXPECT_EQ(cells("PodDisruptionBudget", pdb), Json::parse(R"(["web","1","N/A",0,"5s"])"));
  Json rb = object("read", {{"roleRef", {{"kind", "Role"}, {"name", "reader"}}},
                            {"subjects", {{{"kind", "User"}, {"name", "ann"}}, {{"kind", "ServiceAccount"}, {"namespace", "ci"}, {"name", "bot"}}}}});
  EXPECT_EQ(cells("RoleBinding", rb), Json::parse(R"(["read","Role/reader","5s","ann","","ci/bot"])"));
  Json quota = object("q", {{"status", {{"hard", {{"limits.cpu", "2"}, {"pods", "10"}, {"requests.cpu", "1"}}}, {"used", {{"pods", "3"}}}}}});
  EXPECT_EQ(cells("ResourceQuota", quota), Json::parse(R"(["q","5s","pods: 3/10, requests.cpu: 0/1","limits.cpu: 0/2"])"));
  Json ev = object("web.1", {{"involvedObject", {{"kind", "Pod"}, {"name", "web"}}}, {"reason", "Pulled"}, {"type", "Normal"},
                             {"message", "pulled \n"}, {"source", {{"component", "kubelet"}, {"host", "node-1"}}},
                             {"firstTimestamp", "2026-01-01T00:00:01Z"}, {"lastTimestamp", "2026-01-01T00:00:03Z"}, {"count", 2}});
  EXPECT_EQ(columns("Event"), "Last Seen:0 Type:0 Reason:0 Object:0 Subobject:1 Source:1 Message:0 First Seen:1 Count:1 Name:1");
  EXPECT_EQ(cells("Event", ev), Json::parse(R"(["2s","Normal","Pulled","pod/web","","kubelet, node-1","pulled","4s",2,"web.1"])"));
}

TEST(Table, TypesWithoutAPrinterGetNameAndCreatedAt) {
  auto t = to_table(type("Role"), object("reader"), "", kT0);
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ((*t)["columnDefinitions"], Json::parse(R"([
      {"name":"Name","type":"string","format":"name","description":"","priority":0},
      {"name":"Created At","type":"date","format":"","description":"","priority":0}])"));
  EXPECT_EQ((*t)["rows"][0]["cells"], Json::parse(R"(["reader","2026-01-01T00:00:00Z"])"));
  EXPECT_EQ(cells("LimitRange", object("limits")), Json::parse(R"(["limits","2026-01-01T00:00:00Z"])"));
}

TEST(Table, ListsCarryTheirMetadataAndRowsTheRequestedObject) {
  Json list = {{"kind", "ConfigMapList"}, {"apiVersion", "v1"},
               {"metadata", {{"resourceVersion", "42"}, {"continue", "next"}}},
               {"items", {object("a", {{"data", {{"k", "v"}}}}), object("b")}}};
  auto t = to_table(type("ConfigMap"), list, "", kT0 + 61);
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ((*t)["kind"], "Table");
  EXPECT_EQ((*t)["apiVersion"], "meta.k8s.io/v1");
  EXPECT_EQ((*t)["metadata"], Json::parse(R"({"resourceVersion":"42","continue":"next"})"));
  ASSERT_EQ((*t)["rows"].size(), 2u);
  EXPECT_EQ((*t)["rows"][1]["cells"], Json::parse(R"(["b",0,"61s"])"));
  EXPECT_EQ((*t)["rows"][0]["object"],
            Json::parse(R"({"kind":"PartialObjectMetadata","apiVersion":"meta.k8s.io/v1",
                            "metadata":{"name":"a","namespace":"default","creationTimestamp":"2026-01-01T00:00:00Z"}})"));
  auto whole = to_table(type("ConfigMap"), list, "Object", kT0);
  EXPECT_EQ((*whole)["rows"][0]["object"]["data"], Json::parse(R"({"k":"v"})"));
  EXPECT_EQ((*whole)["rows"][0]["object"]["kind"], "ConfigMap");
  EXPECT_TRUE((*to_table(type("ConfigMap"), list, "None", kT0))["rows"][0]["object"].is_null());
  // One object: a Table of one row with the object's resourceVersion.
  Json one = object("a");
  one["metadata"]["resourceVersion"] = "7";
  EXPECT_EQ((*to_table(type("ConfigMap"), one, "", kT0))["metadata"], Json::parse(R"({"resourceVersion":"7"})"));
  // An empty list: the columns, no rows.
  auto empty = to_table(type("Pod"), {{"kind", "PodList"}, {"metadata", {{"resourceVersion", "9"}}}, {"items", Json::array()}}, "", kT0);
  EXPECT_EQ((*empty)["rows"], Json::array());
  EXPECT_EQ((*empty)["columnDefinitions"].size(), 9u);
}

TEST(Table, Errors) {
  auto bad = to_table(type("Pod"), object("p"), "Everything", kT0);
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code, Errc::kInvalidArgument);
  EXPECT_EQ(bad.error().message, "unrecognized includeObject value: \"Everything\"");
  EXPECT_FALSE(to_table(type("Pod"), Json::array(), "", kT0).has_value());
  // An object without a creation time: AGE "<unknown>".
  EXPECT_EQ(cells("Namespace", {{"metadata", {{"name", "x"}}}})[2], "<unknown>");
}

}  // namespace
}  // namespace berth::api::kube
