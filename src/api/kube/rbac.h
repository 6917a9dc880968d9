// What a request asks to do and whether RBAC allows it (k8s.io/apiserver pkg/endpoints/request
// RequestInfoFactory; k8s.io/kubernetes plugin/pkg/auth/authorizer/rbac and
// pkg/apis/rbac/v1/evaluation_helpers.go; the bootstrap roles of
// plugin/pkg/auth/authorizer/rbac/bootstrappolicy).
#pragma once

#include <string>

#include "api/kube/authn.h"
#include "common/json.h"
#include "common/error.h"
#include "store/store.h"

namespace berth::api::kube {

// The authorization attributes of one request.
struct RequestInfo {
  bool resource_request = false;  // false: a non-resource path such as /version or /healthz
  std::string verb;         // get, list, watch, create, update, patch, delete, deletecollection; or the HTTP verb
  std::string api_group;    // "" for core
  std::string api_version;
  std::string resource;     // "pods"
  std::string subresource;  // "status", "scale", "token", ""
  std::string ns;           // "" when cluster-scoped or across namespaces
  std::string name;
  std::string path;
};

// Parses `method` and `path` (without query) the way the API server does; `watch` is whether the
// query asked for a watch.
RequestInfo request_info(const std::string& method, const std::string& path, bool watch);

// RBAC over the Roles, ClusterRoles and their bindings in the store, read on each decision (so a
// change applies to the next request). Members of system:masters are allowed everything.
class Authorizer {
 public:
  explicit Authorizer(store::Store& s) : s_(s) {}
  // "" when `user` may do `r`; else Kubernetes' reason text ("User \"x\" cannot list resource
  // \"pods\" in API group \"\" in the namespace \"team\"").
  std::string denied(const UserInfo& user, const RequestInfo& r) const;
  // RBAC's escalation check on a Role or ClusterRole being written (`rules`, in namespace `ns`,
  // "" for a ClusterRole) or a binding to one (`rules` = the referenced role's): "" when
  // `user` holds every permission the rules grant, else the first one missing, written as
  // Kubernetes writes it ("{APIGroups:[\"*\"], Resources:[\"*\"], Verbs:[\"*\"]}")
  // (pkg/registry/rbac/validation ConfirmNoEscalation).
  std::string missing_permission(const UserInfo& user, const Json& rules, const std::string& ns) const;
  // The escalation check of a create or update `r` of `object` (a Role, ClusterRole,
  // RoleBinding or ClusterRoleBinding; other resources pass): "" when allowed — the user
  // holds what it grants, or may `escalate` (roles) or `bind` (the referenced role) — else the
  // reason for a 403.
  std::string escalation(const UserInfo& user, const RequestInfo& r, const Json& object) const;

 private:
  store::Store& s_;
};

// The bootstrap ClusterRoles (cluster-admin, admin, edit, view, system:discovery,
// system:basic-user, system:public-info-viewer) and their ClusterRoleBindings, made when missing.
// Errors: the store's.
Result<void> ensure_bootstrap_policy(store::Store& s);

}  // namespace berth::api::kube
