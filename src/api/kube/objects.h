// API objects as the store keeps them: their keys, the resourceVersion they are served with,
// and the metadata values the server makes (k8s.io/apiserver pkg/registry/generic/registry,
// pkg/storage/etcd3).
#pragma once

#include <string>

#include "api/kube/resources.h"
#include "common/json.h"
#include "store/store.h"

namespace berth::api::kube {

// "/registry/<resource>/[<namespace>/]<name>" (`ns` is ignored for cluster-scoped types).
std::string storage_key(const Resource& type, const std::string& ns, const std::string& name);
// The object stored in `kv`, with metadata.resourceVersion set to the key's mod_revision
// (an unreadable value serves as an empty object).
Json served(const store::KeyValue& kv);
// metav1.Time now: RFC 3339 in whole seconds, UTC ("2026-12-01T00:17:55Z").
std::string now_timestamp();
// A random (version 4) UUID for metadata.uid.
std::string new_uid();

}  // namespace berth::api::kube
