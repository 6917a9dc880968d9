// Server-side printing: the meta.k8s.io/v1 Table that `kubectl get` asks for, with the columns
// and cell text of k8s.io/kubernetes pkg/printers/internalversion/printers.go for the served
// types and the default Name / Created At table (k8s.io/apiserver pkg/registry/rest/table.go)
// for the rest; rows' objects as k8s.io/apiserver pkg/endpoints/handlers/response.go (asTable)
// makes them.
#pragma once

#include <cstdint>
#include <string>

#include "api/kube/resources.h"
#include "common/error.h"
#include "common/json.h"

namespace berth::api::kube {

// Whether an Accept header asks for a meta.k8s.io/v1 Table in JSON: one of its comma-separated
// media ranges is application/json with the parameters as=Table, g=meta.k8s.io and v=v1 (in
// any order; quality values are not weighed). kubectl sends
// "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json".
// A request for a v1beta1 Table alone is answered with the plain object, which kubectl prints too.
bool wants_table(const std::string& accept_header);

// The meta.k8s.io/v1 Table for `list_or_object`, a served object of `type` as stored or a list
// of them ("kind": "<Kind>List", "items": [...]):
//  - a list gives a row per item, and its metadata.resourceVersion, metadata.continue and
//    metadata.remainingItemCount become the Table's metadata;
//  - anything else is one object: a Table of one row with the object's resourceVersion.
// Every column is there with its priority (0 = default, 1 = shown by `kubectl get -o wide`):
// the API server always prints wide and kubectl hides what it does not show. Column
// descriptions are left empty (kubectl shows none).
// Each row's "object" follows `include_object` (the includeObject query parameter):
// "" or "Metadata" = a meta.k8s.io/v1 PartialObjectMetadata with the object's metadata (what
// kubectl reads for -A, --show-labels, `get all`), "Object" = the object itself, "None" = null.
// AGE cells are human_duration(now_seconds - creationTimestamp), "<unknown>" without one.
// Fields that the API server's defaulting would have filled (berth does not default yet) read
// as their defaults: a Pod's phase Pending, a Service's type ClusterIP and ports' protocol TCP,
// replicas 1, a CronJob's suspend false, an HPA's minReplicas 1 and CPU 80% target, a PV's
// reclaim policy Retain and phase Pending, a PVC's phase Pending, volumeMode Filesystem.
// Quantities (capacity, quota) are printed as stored, not canonicalized.
// Errors: kInvalidArgument "unrecognized includeObject value: \"<v>\"" for any other
// include_object (the API server's 400 BadRequest), and for a list_or_object that is not a
// JSON object.
Result<Json> to_table(const Resource& type, const Json& list_or_object, const std::string& include_object,
                      int64_t now_seconds);

// apimachinery pkg/util/duration HumanDuration for a whole number of seconds: "<invalid>"
// below -1, "0s" for -1, then "119s", "2m", "9m59s", "10m", "179m", "3h", "7h59m", "8h",
// "47h", "2d", "7d23h", "8d", "729d", "2y", "7y364d", "8y".
std::string human_duration(int64_t seconds);

}  // namespace berth::api::kube
