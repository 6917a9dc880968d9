#include "api/kube/resources.h"

#include <algorithm>

namespace berth::api::kube {

// Resource names are unique across groups here, so a type's storage key needs no group.
const std::vector<Resource>& resources() {
  static const std::vector<Resource> k = {
      {"", "v1", "namespaces", "Namespace", "namespace", false, {"ns"}},
      {"", "v1", "configmaps", "ConfigMap", "configmap", true, {"cm"}},
      {"", "v1", "secrets", "Secret", "secret", true, {}},
      {"", "v1", "pods", "Pod", "pod", true, {"po"}},
      {"", "v1", "services", "Service", "service", true, {"svc"}},
      {"", "v1", "endpoints", "Endpoints", "endpoints", true, {"ep"}},
      {"", "v1", "serviceaccounts", "ServiceAccount", "serviceaccount", true, {"sa"}},
      {"", "v1", "events", "Event", "event", true, {"ev"}},
      {"", "v1", "persistentvolumeclaims", "PersistentVolumeClaim", "persistentvolumeclaim", true, {"pvc"}},
      {"", "v1", "persistentvolumes", "PersistentVolume", "persistentvolume", false, {"pv"}},
      {"", "v1", "nodes", "Node", "node", false, {"no"}},
      {"", "v1", "resourcequotas", "ResourceQuota", "resourcequota", true, {"quota"}},
      {"", "v1", "limitranges", "LimitRange", "limitrange", true, {"limits"}},
      {"apps", "v1", "deployments", "Deployment", "deployment", true, {"deploy"}},
      {"apps", "v1", "replicasets", "ReplicaSet", "replicaset", true, {"rs"}},
      {"apps", "v1", "statefulsets", "StatefulSet", "statefulset", true, {"sts"}},
      {"apps", "v1", "daemonsets", "DaemonSet", "daemonset", true, {"ds"}},
      {"apps", "v1", "controllerrevisions", "ControllerRevision", "controllerrevision", true, {}},
      {"batch", "v1", "jobs", "Job", "job", true, {}},
      {"batch", "v1", "cronjobs", "CronJob", "cronjob", true, {"cj"}},
      {"autoscaling", "v2", "horizontalpodautoscalers", "HorizontalPodAutoscaler", "horizontalpodautoscaler", true, {"hpa"}},
      {"autoscaling", "v1", "horizontalpodautoscalers", "HorizontalPodAutoscaler", "horizontalpodautoscaler", true, {"hpa"},
       false, true},
      {"networking.k8s.io", "v1", "ingresses", "Ingress", "ingress", true, {"ing"}},
      {"networking.k8s.io", "v1", "ingressclasses", "IngressClass", "ingressclass", false, {}},
      {"networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy", "networkpolicy", true, {"netpol"}},
      {"policy", "v1", "poddisruptionbudgets", "PodDisruptionBudget", "poddisruptionbudget", true, {"pdb"}},
      {"discovery.k8s.io", "v1", "endpointslices", "EndpointSlice", "endpointslice", true, {}},
      {"coordination.k8s.io", "v1", "leases", "Lease", "lease", true, {}},
      {"rbac.authorization.k8s.io", "v1", "roles", "Role", "role", true, {}},
      {"rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding", "rolebinding", true, {}},
      {"rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", "clusterrole", false, {}},
      {"rbac.authorization.k8s.io", "v1", "clusterrolebindings", "ClusterRoleBinding", "clusterrolebinding", false, {}},
      {"authorization.k8s.io", "v1", "selfsubjectaccessreviews", "SelfSubjectAccessReview", "selfsubjectaccessreview", false, {}, true},
      {"authorization.k8s.io", "v1", "subjectaccessreviews", "SubjectAccessReview", "subjectaccessreview", false, {}, true},
      {"authentication.k8s.io", "v1", "selfsubjectreviews", "SelfSubjectReview", "selfsubjectreview", false, {}, true},
      {"authentication.k8s.io", "v1", "tokenreviews", "TokenReview", "tokenreview", false, {}, true},
  };
  return k;
}

const Resource* find_resource(const std::string& group, const std::string& version, const std::string& name) {
  for (auto& r : resources()) {
    if (r.group == group && r.version == version && r.name == name) return &r;
  }
  return nullptr;
}

std::vector<std::pair<std::string, std::string>> group_versions() {
  std::vector<std::pair<std::string, std::string>> out;
  for (auto& r : resources()) {
    std::pair<std::string, std::string> gv{r.group, r.version};
    if (!r.group.empty() && std::find(out.begin(), out.end(), gv) == out.end()) out.push_back(gv);
  }
  return out;
}

const Resource& storage_resource(const Resource& type) {
  if (!type.converted) return type;
  for (auto& r : resources()) {
    if (r.name == type.name && !r.converted) return r;
  }
  return type;
}

const Resource* find_kind(const std::string& group, const std::string& kind) {
  for (auto& r : resources()) {
    if (r.group == group && r.kind == kind) return &r;
  }
  return nullptr;
}

}  // namespace berth::api::kube
