// Deleting API objects as the registry does (k8s.io/apiserver pkg/registry/generic/registry
// store.go Delete, BeforeDelete; pkg/registry/core/pod/strategy.go CheckGracefulDelete):
// preconditions, graceful deletion (a Pod bound to a node gets deletionTimestamp and
// deletionGracePeriodSeconds, its kubelet removes it), finalizers (an object that has any is
// only marked; the last finalizer's removal deletes it) and the propagationPolicy finalizers
// `orphan` and `foregroundDeletion` that the garbage collector acts on.
#pragma once

#include <optional>
#include <string>

#include "api/kube/resources.h"
#include "common/error.h"
#include "common/json.h"
#include "store/store.h"

namespace berth::api::kube {

// metav1.DeleteOptions, as far as the registry reads it.
struct DeleteOptions {
  std::optional<int64_t> grace_period_seconds;  // nullopt = the object's own (a Pod's spec)
  std::string propagation_policy;               // "", "Orphan", "Background" or "Foreground"
  std::string precondition_uid;                 // "" = none
  std::string precondition_resource_version;    // "" = none
  bool dry_run = false;                         // dryRun: ["All"] in the body
  // Reads the options from a DELETE's JSON body (may be empty) and its query parameters.
  // Errors: kInvalidArgument (unparsable body, unknown propagationPolicy).
  static Result<DeleteOptions> parse(const std::string& body, const std::string& query_grace,
                                     const std::string& query_propagation);
};

struct Deleted {
  Json object;   // the object as deleted, or as marked for deletion
  bool gone;     // removed from the store now (false: finalizers or a grace period remain)
};

// Deletes the object stored at `key`. Errors: kNotFound; kConflict when a precondition does
// not hold ("Precondition failed: UID in precondition: ..."), or the object kept changing;
// the store's.
Result<Deleted> delete_object(store::Store& s, const Resource& type, const std::string& key, const DeleteOptions& o);

// Takes `finalizer` out of the object at `key` (nothing when it is not there); when that leaves
// an object being deleted without finalizers, the object is removed. Errors: the store's
// (kNotFound when the object is gone).
Result<void> remove_finalizer(store::Store& s, const std::string& key, const std::string& finalizer);

}  // namespace berth::api::kube
