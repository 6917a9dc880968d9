// Strategic merge patch (strategic_merge.h): lists merged by the built-in types' merge keys,
// the directives, the order $setElementOrder asks for, and the errors. Expected results are
// what k8s.io/apimachinery's strategicpatch.StrategicMergePatch gives for the same documents.
#include "api/kube/strategic_merge.h"

#include <gtest/gtest.h>

namespace berth::api::kube {
namespace {

const Resource& type(const std::string& kind) {
  for (auto& r : resources()) {
    if (r.kind == kind) return r;
  }
  ADD_FAILURE() << "no kind " << kind;
  return resources().front();
}

Json patched(const std::string& kind, const char* original, const char* patch) {
  auto out = strategic_merge_patch(Json::parse(original), Json::parse(patch), type(kind));
  EXPECT_TRUE(out.has_value()) << out.error().message;
  return out.value_or(Json());
}

std::string error(const std::string& kind, const char* original, const char* patch) {
  auto out = strategic_merge_patch(Json::parse(original), Json::parse(patch), type(kind));
  if (out) return "no error: " + out->dump();
  EXPECT_EQ(out.error().code, Errc::kInvalidArgument);
  return out.error().message;
}

constexpr const char* kPod = R"({"metadata":{"name":"p","labels":{"app":"web"}},
  "spec":{"containers":[
    {"name":"a","image":"nginx:1","env":[{"name":"X","value":"1"},{"name":"Y","value":"2"}],
     "ports":[{"containerPort":80,"name":"http"},{"containerPort":443}],
     "volumeMounts":[{"name":"data","mountPath":"/data"}]},
    {"name":"b","image":"busybox:1","args":["sleep","1"]}]}})";

TEST(StrategicMerge, ChangingOneContainersImageKeepsTheOther) {
  Json out = patched("Pod", kPod, R"({"spec":{"containers":[{"name":"b","image":"busybox:2"}]}})");
  Json want = Json::parse(kPod);
  want["spec"]["containers"][1]["image"] = "busybox:2";
  EXPECT_EQ(out, want);
}

TEST(StrategicMerge, EnvMergesByNameAndPortsByContainerPort) {
  Json out = patched("Pod", kPod, R"({"spec":{"containers":[{"name":"a",
      "env":[{"name":"Y","value":"3"},{"name":"Z","value":"4"}],
      "ports":[{"containerPort":80,"protocol":"TCP"},{"containerPort":8080}]}]}})");
  EXPECT_EQ(out["spec"]["containers"][0]["env"],
            Json::parse(R"([{"name":"X","value":"1"},{"name":"Y","value":"3"},{"name":"Z","value":"4"}])"));
  // The patch's elements in its order; 443, which it does not name, after what it followed.
  EXPECT_EQ(out["spec"]["containers"][0]["ports"],
            Json::parse(R"([{"containerPort":80,"name":"http","protocol":"TCP"},{"containerPort":8080},
                            {"containerPort":443}])"));
  EXPECT_EQ(out["spec"]["containers"][1], Json::parse(kPod)["spec"]["containers"][1]);
}

TEST(StrategicMerge, AddsAnElementWithANewKeyAndMergesVolumeMountsByMountPath) {
  Json out = patched("Pod", kPod, R"({"spec":{"containers":[
      {"name":"c","image":"redis","env":[{"name":"N","value":null}]},
      {"name":"a","volumeMounts":[{"mountPath":"/data","readOnly":true},{"name":"tmp","mountPath":"/tmp"}]}]}})");
  auto& cs = out["spec"]["containers"];
  ASSERT_EQ(cs.size(), 3u);
  // New elements are taken without their null members.
  EXPECT_EQ(cs[0], Json::parse(R"({"name":"c","image":"redis","env":[{"name":"N"}]})"));
  EXPECT_EQ(cs[1]["name"], "a");
  EXPECT_EQ(cs[1]["volumeMounts"],
            Json::parse(R"([{"name":"data","mountPath":"/data","readOnly":true},{"name":"tmp","mountPath":"/tmp"}])"));
  EXPECT_EQ(cs[2]["name"], "b");
}

TEST(StrategicMerge, ThePodTemplateOfEveryWorkloadKindMergesAlike) {
  for (auto [kind, at] : {std::pair{"Deployment", "/spec/template/spec"}, {"StatefulSet", "/spec/template/spec"},
                          {"DaemonSet", "/spec/template/spec"}, {"ReplicaSet", "/spec/template/spec"},
                          {"Job", "/spec/template/spec"}, {"CronJob", "/spec/jobTemplate/spec/template/spec"}}) {
    Json pod_spec = Json::parse(kPod)["spec"];
    Json original = Json::object(), patch = Json::object();
    original[Json::json_pointer(at)] = pod_spec;
    patch[Json::json_pointer(at)] = Json::parse(R"({"containers":[{"name":"a","env":[{"name":"X","value":"9"}]}]})");
    auto out = strategic_merge_patch(original, patch, type(kind));
    ASSERT_TRUE(out) << out.error().message;
    pod_spec["containers"][0]["env"][0]["value"] = "9";
    EXPECT_EQ(out->at(Json::json_pointer(at)), pod_spec) << kind;
  }
}

TEST(StrategicMerge, ServicePortsMergeByPort) {
  Json out = patched("Service", R"({"spec":{"ports":[{"port":80,"targetPort":8080},{"port":443}]}})",
                     R"({"spec":{"ports":[{"port":80,"targetPort":9090}]}})");
  EXPECT_EQ(out["spec"]["ports"], Json::parse(R"([{"port":80,"targetPort":9090},{"port":443}])"));
}

TEST(StrategicMerge, ListsWithoutAMergeKeyAreReplaced) {
  Json out = patched("Pod", kPod, R"({"spec":{"containers":[{"name":"b","args":["sleep","2"]}],
                                      "tolerations":[{"key":"k"}]}})");
  EXPECT_EQ(out["spec"]["containers"][1]["args"], Json::parse(R"(["sleep","2"])"));
  EXPECT_EQ(out["spec"]["tolerations"], Json::parse(R"([{"key":"k"}])"));
  // listType=atomic: EndpointSlice endpoints, rbac rules; and lists of kinds without merge keys.
  EXPECT_EQ(patched("Role", R"({"rules":[{"verbs":["get"]},{"verbs":["list"]}]})",
                    R"({"rules":[{"verbs":["watch"]}]})"),
            Json::parse(R"({"rules":[{"verbs":["watch"]}]})"));
  EXPECT_EQ(patched("EndpointSlice", R"({"endpoints":[{"addresses":["10.0.0.1"]}]})",
                    R"({"endpoints":[{"addresses":["10.0.0.2"]}]})"),
            Json::parse(R"({"endpoints":[{"addresses":["10.0.0.2"]}]})"));
  // The same path in a kind whose struct has no merge key there: replaced.
  EXPECT_EQ(patched("ConfigMap", R"({"spec":{"containers":[{"name":"a"}]}})",
                    R"({"spec":{"containers":[{"name":"b"}]}})"),
            Json::parse(R"({"spec":{"containers":[{"name":"b"}]}})"));
}

TEST(StrategicMerge, NullDeletesAKeyAndMapsMerge) {
  Json out = patched("Pod", kPod, R"({"metadata":{"labels":{"app":null,"tier":"web"},"annotations":{"a":"1"}},
                                      "spec":{"containers":[{"name":"a","image":null}]}})");
  EXPECT_EQ(out["metadata"], Json::parse(R"({"name":"p","labels":{"tier":"web"},"annotations":{"a":"1"}})"));
  EXPECT_FALSE(out["spec"]["containers"][0].contains("image"));
  // A value of another type replaces.
  EXPECT_EQ(patched("ConfigMap", R"({"data":{"a":"1"}})", R"({"data":"x"})"), Json::parse(R"({"data":"x"})"));
}

TEST(StrategicMerge, PatchReplaceOnAMapAndOnAList) {
  Json out = patched("Pod", kPod, R"({"metadata":{"labels":{"$patch":"replace","tier":"db"}},
      "spec":{"containers":[{"name":"a","env":[{"$patch":"replace"},{"name":"Q","value":"1"}]}]}})");
  EXPECT_EQ(out["metadata"]["labels"], Json::parse(R"({"tier":"db"})"));
  EXPECT_EQ(out["spec"]["containers"][0]["env"], Json::parse(R"([{"name":"Q","value":"1"}])"));
  // A whole list replaced, in the patch's order.
  out = patched("Pod", kPod, R"({"spec":{"containers":[{"name":"z","image":"z"},{"$patch":"replace"},{"name":"y"}]}})");
  EXPECT_EQ(out["spec"]["containers"], Json::parse(R"([{"name":"z","image":"z"},{"name":"y"}])"));
}

TEST(StrategicMerge, PatchDeleteOnAMapAndOnAListElement) {
  Json out = patched("Pod", kPod, R"({"metadata":{"labels":{"$patch":"delete"}},
      "spec":{"containers":[{"name":"a","$patch":"delete"}]}})");
  EXPECT_EQ(out["metadata"]["labels"], Json::object());  // emptied, as Kubernetes does
  ASSERT_EQ(out["spec"]["containers"].size(), 1u);
  EXPECT_EQ(out["spec"]["containers"][0]["name"], "b");
  // One env var of one container.
  out = patched("Pod", kPod, R"({"spec":{"containers":[{"name":"a","env":[{"name":"X","$patch":"delete"}]}]}})");
  EXPECT_EQ(out["spec"]["containers"][0]["env"], Json::parse(R"([{"name":"Y","value":"2"}])"));
  // A directive on a field the original lacks adds nothing.
  out = patched("Pod", kPod, R"({"spec":{"securityContext":{"$patch":"delete"}}})");
  EXPECT_FALSE(out["spec"].contains("securityContext"));
}

TEST(StrategicMerge, PatchMergeIsRefusedAsKubernetesDoes) {
  EXPECT_EQ(error("Pod", kPod, R"({"spec":{"containers":[{"name":"a","$patch":"merge"}]}})"),
            "merging lists cannot yet be specified in the patch");
  EXPECT_EQ(error("Pod", kPod, R"({"metadata":{"labels":{"$patch":"merge"}}})"),
            R"(unknown patch type: merge in map: {"$patch":"merge"})");
}

TEST(StrategicMerge, RetainKeysClearsWhatIsNotListed) {
  const char* dep = R"({"spec":{"replicas":2,"strategy":{"type":"RollingUpdate","rollingUpdate":{"maxSurge":1}}}})";
  EXPECT_EQ(patched("Deployment", dep, R"({"spec":{"strategy":{"$retainKeys":["type"],"type":"Recreate"}}})"),
            Json::parse(R"({"spec":{"replicas":2,"strategy":{"type":"Recreate"}}})"));
  // A volume's source switched from emptyDir to configMap (volumes are merge,retainKeys).
  EXPECT_EQ(patched("Pod", R"({"spec":{"volumes":[{"name":"v","emptyDir":{}},{"name":"w","emptyDir":{}}]}})",
                    R"({"spec":{"volumes":[
                        {"$retainKeys":["configMap","name"],"name":"v","configMap":{"name":"c"}}]}})"),
            Json::parse(R"({"spec":{"volumes":[{"name":"v","configMap":{"name":"c"}},{"name":"w","emptyDir":{}}]}})"));
  EXPECT_EQ(error("Deployment", dep, R"({"spec":{"strategy":{"$retainKeys":["type"],"rollingUpdate":{}}}})"),
            "invalid patch format of retainKeys");
  EXPECT_EQ(error("Deployment", dep, R"({"spec":{"strategy":{"$retainKeys":"type"}}})"),
            "invalid patch format of retainKeys");
}

TEST(StrategicMerge, SetElementOrderOrdersTheMergedList) {
  // What kubectl apply sends after the manifest swapped a and b and changed a's image.
  Json out = patched("Pod", kPod, R"({"spec":{"$setElementOrder/containers":[{"name":"b"},{"name":"a"}],
                                      "containers":[{"name":"a","image":"nginx:2"}]}})");
  EXPECT_EQ(out["spec"]["containers"][0]["name"], "b");
  EXPECT_EQ(out["spec"]["containers"][1]["name"], "a");
  EXPECT_EQ(out["spec"]["containers"][1]["image"], "nginx:2");
  // A new element where the order puts it; one the server added (not in the order) after
  // the element it followed.
  const char* env3 = R"({"spec":{"containers":[{"name":"a","env":[{"name":"X"},{"name":"Y"},{"name":"S"}]}]}})";
  out = patched("Pod", env3, R"({"spec":{"containers":[{"name":"a",
      "$setElementOrder/env":[{"name":"X"},{"name":"N"},{"name":"Y"}],"env":[{"name":"N","value":"n"}]}]}})");
  EXPECT_EQ(out["spec"]["containers"][0]["env"],
            Json::parse(R"([{"name":"X"},{"name":"N","value":"n"},{"name":"Y"},{"name":"S"}])"));
  // Only the order given: the list's contents stay.
  out = patched("Pod", env3,
                R"({"spec":{"containers":[{"name":"a","$setElementOrder/env":[{"name":"Y"},{"name":"X"}]}]}})");
  EXPECT_EQ(out["spec"]["containers"][0]["env"], Json::parse(R"([{"name":"Y"},{"name":"X"},{"name":"S"}])"));
  // Scalars.
  EXPECT_EQ(patched("ConfigMap", R"({"metadata":{"finalizers":["a","b"]}})",
                    R"({"metadata":{"$setElementOrder/finalizers":["c","b","a"],"finalizers":["c"]}})"),
            Json::parse(R"({"metadata":{"finalizers":["c","b","a"]}})"));
  // A patch list against its order is refused.
  EXPECT_EQ(error("Pod", kPod, R"({"spec":{"$setElementOrder/containers":[{"name":"a"},{"name":"b"}],
                                   "containers":[{"name":"b"},{"name":"a"}]}})"),
            R"(The order in patch list: [{"name":"b"},{"name":"a"}] doesn't match $setElementOrder list: )"
            R"([{"name":"a"},{"name":"b"}])");
  EXPECT_EQ(error("Pod", kPod, R"({"spec":{"$setElementOrder/containers":{"name":"a"}}})"),
            "expected a []interface {}, but received a map[string]interface {}");
}

TEST(StrategicMerge, FinalizersAreASetAndDeleteFromPrimitiveListRemoves) {
  const char* cm = R"({"metadata":{"finalizers":["a","b"]}})";
  EXPECT_EQ(patched("ConfigMap", cm, R"({"metadata":{"finalizers":["b","c"]}})"),
            Json::parse(R"({"metadata":{"finalizers":["a","b","c"]}})"));
  EXPECT_EQ(patched("ConfigMap", cm,
                    R"({"metadata":{"$deleteFromPrimitiveList/finalizers":["a"],"finalizers":["d"]}})"),
            Json::parse(R"({"metadata":{"finalizers":["d","b"]}})"));
  // Nothing to delete from: nothing happens.
  EXPECT_EQ(patched("ConfigMap", R"({"metadata":{}})", R"({"metadata":{"$deleteFromPrimitiveList/finalizers":["a"]}})"),
            Json::parse(R"({"metadata":{}})"));
  EXPECT_EQ(error("ConfigMap", cm, R"({"metadata":{"$deleteFromPrimitiveList":["a"]}})"),
            "invalid patch format of primitive list");
  EXPECT_EQ(error("ConfigMap", cm, R"({"metadata":{"$deleteFromPrimitiveListX/finalizers":["a"]}})"),
            "invalid patch format of primitive list");
}

TEST(StrategicMerge, OwnerReferencesMergeByUidAndConditionsByType) {
  // A new element goes before the elements the patch does not name, as Kubernetes puts it.
  EXPECT_EQ(patched("ConfigMap", R"({"metadata":{"ownerReferences":[{"uid":"1","name":"x"}]}})",
                    R"({"metadata":{"ownerReferences":[{"uid":"2","name":"y"}]}})"),
            Json::parse(R"({"metadata":{"ownerReferences":[{"uid":"2","name":"y"},{"uid":"1","name":"x"}]}})"));
  EXPECT_EQ(patched("Deployment",
                    R"({"status":{"conditions":[{"type":"Available","status":"False"},{"type":"Progressing"}]}})",
                    R"({"status":{"conditions":[{"type":"Available","status":"True"}]}})"),
            Json::parse(R"({"status":{"conditions":[{"type":"Available","status":"True"},{"type":"Progressing"}]}})"));
  // PodDisruptionBudget's selector has patchStrategy=replace.
  EXPECT_EQ(patched("PodDisruptionBudget", R"({"spec":{"selector":{"matchLabels":{"a":"1"}}}})",
                    R"({"spec":{"selector":{"matchExpressions":[]}}})"),
            Json::parse(R"({"spec":{"selector":{"matchExpressions":[]}}})"));
}

TEST(StrategicMerge, MalformedPatchesAreRefused) {
  auto not_object = strategic_merge_patch(Json::parse(kPod), Json::parse("[]"), type("Pod"));
  ASSERT_FALSE(not_object);
  EXPECT_EQ(not_object.error().message, "invalid JSON document");
  EXPECT_EQ(error("Pod", kPod, R"({"spec":{"containers":[{"image":"x"}]}})"),
            R"(map: {"image":"x"} does not contain declared merge key: name)");
  EXPECT_EQ(error("Pod", kPod, R"({"spec":{"containers":[{"$patch":"delete"}]}})"),
            R"(map: {"$patch":"delete"} does not contain declared merge key: name)");
  EXPECT_EQ(error("Pod", kPod, R"({"spec":{"containers":[{"name":"a","$patch":"bogus"}]}})"),
            R"(unknown patch type: bogus in map: {"$patch":"bogus","name":"a"})");
  EXPECT_EQ(error("Service", R"({"spec":{"ports":[{"port":80}]}})", R"({"spec":{"ports":["a"]}})"),
            R"(list element types are not identical: [[{"port":80}],["a"]])");
  EXPECT_EQ(error("ConfigMap", R"({"metadata":{"finalizers":[["a"]]}})", R"({"metadata":{"finalizers":[["b"]]}})"),
            "lists of lists are not supported");
}

}  // namespace
}  // namespace berth::api::kube
