// The OpenAPI v3 documents of the served types (what `kubectl explain` reads) and the
// unknown-field check of server-side field validation.
#include "api/kube/openapi.h"

#include <gtest/gtest.h>

#include <functional>
#include <set>

namespace berth::api::kube {
namespace {

std::string gv_path(const Resource& r) { return r.group.empty() ? "api/v1" : "apis/" + r.api_version(); }

Json document_of(const std::string& gv) {
  auto doc = openapi_v3_document(gv);
  EXPECT_TRUE(doc.has_value()) << gv << ": " << (doc ? "" : doc.error().message);
  return doc ? *doc : Json::object();
}

const Resource& served(const std::string& group, const std::string& name) {
  const Resource* r = find_resource(group, group == "autoscaling" ? "v2" : "v1", name);
  EXPECT_NE(r, nullptr) << name;
  return *r;
}

TEST(OpenApi, EveryServedTypeHasASchemaWithItsGroupVersionKind) {
  for (auto& r : resources()) {
    Json doc = document_of(gv_path(r));
    Json gvk = {{"group", r.group}, {"kind", r.kind}, {"version", r.version}};
    bool found = false;
    for (auto& [name, schema] : doc["components"]["schemas"].items()) {
      if (schema.value("x-kubernetes-group-version-kind", Json::array()) != Json::array({gvk})) continue;
      EXPECT_FALSE(found) << r.kind << " twice";
      found = true;
      EXPECT_EQ(name.substr(name.rfind('.') + 1), r.kind);
      EXPECT_EQ(schema["type"], "object") << name;
      EXPECT_FALSE(schema.value("description", "").empty()) << name;
      for (auto* f : {"apiVersion", "kind", "metadata"}) EXPECT_TRUE(schema["properties"].contains(f)) << name << " " << f;
    }
    EXPECT_TRUE(found) << r.kind;
    // The PATCH operation kubectl's query-parameter verifier and explain look for.
    std::string path = "/" + gv_path(r) + "/" + (r.namespaced ? "namespaces/{namespace}/" : "") + r.name + "/{name}";
    ASSERT_TRUE(doc["paths"].contains(path)) << path;
    Json op = doc["paths"][path]["patch"];
    EXPECT_EQ(op["x-kubernetes-group-version-kind"], gvk);
    EXPECT_EQ(op["parameters"][0]["name"], "fieldValidation");
    EXPECT_EQ(op["parameters"][0]["in"], "query");
  }
  EXPECT_EQ(openapi_v3_document("apis/nope/v1").error().code, Errc::kNotFound);
}

TEST(OpenApi, EveryRefResolvesInItsOwnDocument) {
  std::set<std::string> gvs;
  for (auto& r : resources()) gvs.insert(gv_path(r));
  for (auto& gv : gvs) {
    Json doc = document_of(gv);
    const Json& schemas = doc["components"]["schemas"];
    int refs = 0;
    std::function<void(const Json&, const std::string&)> walk = [&](const Json& j, const std::string& at) {
      if (j.is_object()) {
        if (j.contains("$ref")) {
          ++refs;
          std::string ref = j["$ref"];
          ASSERT_TRUE(ref.starts_with("#/components/schemas/")) << at << ": " << ref;
          EXPECT_TRUE(schemas.contains(ref.substr(21))) << gv << " " << at << ": " << ref;
          EXPECT_EQ(j.size(), 1u) << at << ": a $ref is wrapped in allOf when it has siblings";
        }
        for (auto& [k, v] : j.items()) walk(v, at + "/" + k);
      } else if (j.is_array()) {
        for (auto& v : j) walk(v, at + "[]");
      }
    };
    walk(doc, gv);
    EXPECT_GT(refs, 0) << gv;
  }
}

TEST(OpenApi, SchemasAreShapedAsKubeOpenApiWritesThem) {
  Json schemas = document_of("api/v1")["components"]["schemas"];
  Json pod = schemas["io.k8s.api.core.v1.Pod"];
  EXPECT_EQ(pod["x-kubernetes-group-version-kind"], Json::parse(R"([{"group":"","kind":"Pod","version":"v1"}])"));
  EXPECT_EQ(pod["properties"]["spec"]["allOf"], Json::parse(R"([{"$ref":"#/components/schemas/io.k8s.api.core.v1.PodSpec"}])"));
  EXPECT_EQ(pod["properties"]["spec"]["default"], Json::object());
  EXPECT_EQ(pod["properties"]["spec"]["description"], "What the pod runs and how.");
  EXPECT_EQ(pod["properties"]["metadata"]["allOf"][0]["$ref"],
            "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta");
  Json spec = schemas["io.k8s.api.core.v1.PodSpec"];
  EXPECT_EQ(spec["required"], Json::array({"containers"}));
  EXPECT_EQ(spec["properties"]["containers"]["type"], "array");
  EXPECT_EQ(spec["properties"]["containers"]["items"],
            Json::parse(R"({"allOf":[{"$ref":"#/components/schemas/io.k8s.api.core.v1.Container"}],"default":{}})"));
  EXPECT_EQ(spec["properties"]["restartPolicy"]["enum"], Json::array({"Always", "OnFailure", "Never"}));
  EXPECT_EQ(spec["properties"]["nodeSelector"], Json::parse(R"({"type":"object","additionalProperties":{"type":"string"},
      "description":"Labels a node must have for the pod to be placed on it."})"));
  EXPECT_EQ(schemas["io.k8s.api.core.v1.Container"]["required"], Json::array({"name"}));
  EXPECT_EQ(schemas["io.k8s.api.core.v1.ResourceRequirements"]["properties"]["limits"]["additionalProperties"]["allOf"][0]["$ref"],
            "#/components/schemas/io.k8s.apimachinery.pkg.api.resource.Quantity");
  // EphemeralContainer has Container's fields and its own.
  Json eph = schemas["io.k8s.api.core.v1.EphemeralContainer"]["properties"];
  EXPECT_TRUE(eph.contains("image") && eph.contains("targetContainerName"));
  // Scalars and free-form types.
  EXPECT_EQ(schemas["io.k8s.apimachinery.pkg.apis.meta.v1.Time"]["format"], "date-time");
  EXPECT_EQ(schemas["io.k8s.apimachinery.pkg.util.intstr.IntOrString"]["x-kubernetes-int-or-string"], true);
  EXPECT_FALSE(schemas["io.k8s.apimachinery.pkg.util.intstr.IntOrString"].contains("type"));  // explain shows <IntOrString>
  Json apps = document_of("apis/apps/v1")["components"]["schemas"];
  EXPECT_EQ(apps["io.k8s.apimachinery.pkg.runtime.RawExtension"]["x-kubernetes-preserve-unknown-fields"], true);
  EXPECT_TRUE(apps.contains("io.k8s.api.core.v1.PodTemplateSpec"));  // each document holds what it reaches
  EXPECT_FALSE(apps.contains("io.k8s.api.core.v1.Pod"));
}

TEST(OpenApi, TheIndexNamesEveryGroupVersionWithAHash) {
  Json paths = openapi_v3_index()["paths"];
  EXPECT_EQ(paths.size(), group_versions().size() + 1);
  std::string url = paths["apis/apps/v1"]["serverRelativeURL"];
  EXPECT_TRUE(url.starts_with("/openapi/v3/apis/apps/v1?hash=")) << url;
  EXPECT_EQ(url.size(), std::string("/openapi/v3/apis/apps/v1?hash=").size() + 64);
  EXPECT_NE(paths["api/v1"]["serverRelativeURL"], paths["apis/batch/v1"]["serverRelativeURL"]);
}

TEST(OpenApi, UnknownFieldsAreFoundInNestedObjectsAndLists) {
  Json deploy = Json::parse(R"({
    "apiVersion": "apps/v1", "kind": "Deployment",
    "metadata": {"name": "web", "labelz": {"a": "b"}, "labels": {"any.key/x": "y"}, "annotations": {"n": "1"}},
    "spec": {
      "replicas": 2, "foo": 1,
      "selector": {"matchLabels": {"app": "web"}, "matchExpressions": [{"key": "a", "operator": "In", "valuez": []}]},
      "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 1}},
      "template": {
        "metadata": {"labels": {"app": "web"}},
        "spec": {
          "containers": [
            {"name": "a", "image": "nginx", "resources": {"limits": {"cpu": "1", "example.com/gpu": 2}}},
            {"name": "b", "imagee": "nginx",
             "env": [{"name": "X", "value": "1"}, {"name": "Y", "valueFrom": {"secretKeyRef": {"name": "s", "kee": "k"}}}],
             "ports": [{"containerPort": 80, "protocol": "TCP"}]}
          ],
          "volumes": [{"name": "v", "awsElasticBlockStore": {"anything": {"goes": true}}}]
        }
      }
    },
    "status": {"replicas": 1, "color": "red"}
  })");
  const Resource& deployments = served("apps", "deployments");
  std::vector<std::string> want = {"metadata.labelz",
                                   "spec.foo",
                                   "spec.selector.matchExpressions[0].valuez",
                                   "spec.template.spec.containers[1].env[1].valueFrom.secretKeyRef.kee",
                                   "spec.template.spec.containers[1].imagee",
                                   "status.color"};
  EXPECT_EQ(unknown_fields(deployments, deploy), want);
  Json pruned = deploy;
  EXPECT_EQ(drop_unknown_fields(deployments, pruned), want);
  EXPECT_EQ(unknown_fields(deployments, pruned), std::vector<std::string>{});
  EXPECT_FALSE(pruned["spec"].contains("foo"));
  EXPECT_FALSE(pruned["spec"]["template"]["spec"]["containers"][1].contains("imagee"));
  EXPECT_EQ(pruned["spec"]["template"]["spec"]["containers"][1]["env"][1]["valueFrom"]["secretKeyRef"], Json({{"name", "s"}}));
  EXPECT_EQ(pruned["metadata"]["labels"], deploy["metadata"]["labels"]);
  EXPECT_EQ(pruned["spec"]["template"]["spec"]["volumes"], deploy["spec"]["template"]["spec"]["volumes"]);
  EXPECT_EQ(pruned["spec"]["replicas"], 2);
}

TEST(OpenApi, MapsOfStringsAndFreeFormFieldsHaveNoUnknownFields) {
  Json cm = Json::parse(R"({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "annotations": {"x": "y"}},
                            "data": {"anything": "goes", "apiVersion": "too"}, "binaryData": {"b": "AA=="}})");
  EXPECT_EQ(unknown_fields(served("", "configmaps"), cm), std::vector<std::string>{});
  Json secret = Json::parse(R"({"kind": "Secret", "stringData": {"user": "admin"}, "type": "Opaque", "extra": 1})");
  EXPECT_EQ(unknown_fields(served("", "secrets"), secret), std::vector<std::string>{"extra"});
  Json rev = Json::parse(R"({"apiVersion": "apps/v1", "kind": "ControllerRevision", "metadata": {"name": "r"},
                             "revision": 3, "data": {"spec": {"template": {"whatever": [1, {"deep": true}]}}}})");
  EXPECT_EQ(unknown_fields(served("apps", "controllerrevisions"), rev), std::vector<std::string>{});
  // Fields of another JSON type than the schema's are not looked into (decoding refuses them).
  Json odd = Json::parse(R"({"kind": "Service", "spec": "not an object", "status": {"loadBalancer": []}})");
  EXPECT_EQ(unknown_fields(served("", "services"), odd), std::vector<std::string>{});
  // IntOrString, Quantity and Time values of either JSON type.
  Json svc = Json::parse(R"({"kind": "Service", "spec": {"ports": [{"port": 80, "targetPort": "http", "portt": 1}]},
                             "metadata": {"creationTimestamp": null}})");
  EXPECT_EQ(unknown_fields(served("", "services"), svc), std::vector<std::string>{"spec.ports[0].portt"});
}

TEST(OpenApi, KnownFieldsOfEveryKindPass) {
  // What kubectl's generators and the python client send, and what the server stores.
  Json pod = Json::parse(R"({"apiVersion": "v1", "kind": "Pod",
    "metadata": {"name": "p", "namespace": "default", "uid": "u", "resourceVersion": "1", "creationTimestamp": "2026-01-01T00:00:00Z",
                 "labels": {"run": "p"}, "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "r", "uid": "u",
                 "controller": true, "blockOwnerDeletion": true}], "managedFields": [{"manager": "kubectl", "operation": "Update",
                 "fieldsType": "FieldsV1", "fieldsV1": {"f:metadata": {}}, "time": "2026-01-01T00:00:00Z"}]},
    "spec": {"containers": [{"name": "p", "image": "busybox", "args": ["sleep", "1"], "resources": {},
                             "livenessProbe": {"httpGet": {"path": "/", "port": 8080}, "periodSeconds": 5},
                             "securityContext": {"capabilities": {"drop": ["ALL"]}, "runAsNonRoot": true},
                             "volumeMounts": [{"name": "v", "mountPath": "/v"}]}],
             "restartPolicy": "Never", "dnsPolicy": "ClusterFirst", "volumes": [{"name": "v", "emptyDir": {}}],
             "tolerations": [{"key": "k", "operator": "Exists", "effect": "NoSchedule"}],
             "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms":
                 [{"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a"]}]}]}}}},
    "status": {"phase": "Running", "podIP": "10.0.0.2", "conditions": [{"type": "Ready", "status": "True"}],
               "containerStatuses": [{"name": "p", "ready": true, "restartCount": 0, "image": "busybox", "imageID": "",
                                      "state": {"running": {"startedAt": "2026-01-01T00:00:00Z"}}}]}})");
  EXPECT_EQ(unknown_fields(served("", "pods"), pod), std::vector<std::string>{});
  Json hpa = Json::parse(R"({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "h"},
    "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}, "minReplicas": 1, "maxReplicas": 5,
             "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 50}}}],
             "behavior": {"scaleDown": {"stabilizationWindowSeconds": 300, "policies": [{"type": "Pods", "value": 1, "periodSeconds": 60}]}}}})");
  EXPECT_EQ(unknown_fields(served("autoscaling", "horizontalpodautoscalers"), hpa), std::vector<std::string>{});
  Json cj = Json::parse(R"({"kind": "CronJob", "spec": {"schedule": "*/5 * * * *", "timeZone": "UTC",
    "jobTemplate": {"spec": {"backoffLimit": 2, "template": {"spec": {"restartPolicy": "OnFailure",
                                                                       "containers": [{"name": "j", "image": "busybox"}]}}}}}})");
  EXPECT_EQ(unknown_fields(served("batch", "cronjobs"), cj), std::vector<std::string>{});
  Json role = Json::parse(R"({"kind": "ClusterRole", "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}],
                              "aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {"a": "b"}}]}})");
  EXPECT_EQ(unknown_fields(served("rbac.authorization.k8s.io", "clusterroles"), role), std::vector<std::string>{});
  Json event = Json::parse(R"({"kind": "Event", "involvedObject": {"kind": "Pod", "name": "p"}, "reason": "Started",
                               "source": {"component": "kubelet"}, "count": 1, "type": "Normal", "eventTime": null})");
  EXPECT_EQ(unknown_fields(served("", "events"), event), std::vector<std::string>{});
}

TEST(OpenApi, FieldValidationDirectivesAndMessages) {
  EXPECT_EQ(field_validation("Strict"), FieldValidation::kStrict);
  EXPECT_EQ(field_validation("Warn"), FieldValidation::kWarn);
  EXPECT_EQ(field_validation(""), FieldValidation::kWarn);
  EXPECT_EQ(field_validation("Ignore"), FieldValidation::kIgnore);
  EXPECT_EQ(field_validation("strict"), std::nullopt);
  EXPECT_EQ(strict_decoding_error({"spec.foo", "spec.template.spec.containers[0].imagee"}),
            R"(strict decoding error: unknown field "spec.foo", unknown field "spec.template.spec.containers[0].imagee")");
  EXPECT_EQ(unknown_field_warnings({"spec.foo", "a\"b"}),
            R"(299 - "unknown field \"spec.foo\"", 299 - "unknown field \"a\\\"b\"")");
}

}  // namespace
}  // namespace berth::api::kube
