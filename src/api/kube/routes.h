// The Kubernetes API's first resources over the store (store/store.h): discovery (/version,
// /api, /api/v1, /apis) and the REST verbs get, list (labelSelector equality terms, limit and
// continue), watch (chunked JSON events from a resourceVersion; 410 Gone after compaction),
// create (generateName, uid, creationTimestamp), update (optimistic concurrency: 409 on a
// stale resourceVersion) and delete for core/v1 Namespaces, ConfigMaps and Secrets. Errors are
// metav1.Status objects with Kubernetes' reasons and codes. Objects are stored as JSON under
// /registry/<resource>/[<namespace>/]<name>, their resourceVersion the store's mod_revision
// (k8s.io/apiserver pkg/registry/generic/registry, pkg/storage/etcd3).
#pragma once

#include "api/docker/http.h"
#include "api/kube/audit.h"
#include "api/kube/authn.h"
#include "api/kube/rbac.h"
#include "store/store.h"

namespace berth::api::kube {

// Who may do what: every route first authenticates the request (401 Unauthorized without a
// user), asks the authorizer (403 Forbidden), and afterwards writes an audit event. Null
// members switch that part off; the pointers must outlive the router.
struct Access {
  const Authenticator* authn = nullptr;
  const Authorizer* authz = nullptr;
  AuditLog* audit = nullptr;
};

// Adds the routes to `r`; `s` must outlive the router. Also makes what every cluster has when
// missing: the namespaces default, kube-system, kube-public and kube-node-lease with their
// default ServiceAccounts, the `kubernetes` Service, and the bootstrap RBAC policy.
Result<void> add_kube_routes(Router& r, store::Store& s, const Access& access);

}  // namespace berth::api::kube
