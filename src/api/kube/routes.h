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
#include "store/store.h"

namespace berth::api::kube {

// Adds the routes to `r`; `s` must outlive the router. Also makes the namespaces every
// cluster has (default, kube-system, kube-public, kube-node-lease) when missing.
Result<void> add_kube_routes(Router& r, store::Store& s);

}  // namespace berth::api::kube
