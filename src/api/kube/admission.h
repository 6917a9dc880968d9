// Admission of new objects into a namespace by its LimitRanges and ResourceQuotas
// (k8s.io/kubernetes plugin/pkg/admission/limitranger, and plugin/pkg/admission/resourcequota
// with pkg/quota/v1/evaluator/core for what a Pod, Service or PVC counts against a quota).
#pragma once

#include <string>

#include "api/kube/resources.h"
#include "common/error.h"
#include "common/json.h"
#include "store/store.h"

namespace berth::api::kube {

// LimitRanger on a new Pod in `ns`: containers without limits or requests get the
// LimitRanges' `default` / `defaultRequest` (default falls back to max, defaultRequest to
// default), then each container is checked against `min` and `max`. Errors:
// kPermissionDenied with Kubernetes' text ("maximum cpu usage per Container is 500m, but limit
// is 1"); the store's.
Result<void> admit_limit_ranges(store::Store& s, const std::string& ns, Json& pod);

// ResourceQuota on a new object of `type` in `ns`: what it adds to each quota's tracked
// resources (pods, services, configmaps, secrets, persistentvolumeclaims, count/<resource>,
// requests.cpu/memory/storage, limits.cpu/memory, services.nodeports, ...) must stay within
// spec.hard. Errors: kPermissionDenied ("exceeded quota: q, requested: pods=1, used: pods=2,
// limited: pods=2", or "failed quota: q: must specify limits.cpu for: c"); the store's.
// Callers serialize admission and create so that two creates cannot both take the last unit.
Result<void> admit_quota(store::Store& s, const Resource& type, const std::string& ns, const Json& object);

// Sets status.hard and status.used of every ResourceQuota in `ns` from what is stored now (the
// quota controller's work); writes only what changed. Errors: the store's.
Result<void> refresh_quota_status(store::Store& s, const std::string& ns);

}  // namespace berth::api::kube
