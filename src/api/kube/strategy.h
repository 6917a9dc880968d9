// What the API server does to an object of a built-in type before it stores it: the type's
// defaults, its create/update strategy (status kept apart from spec, metadata.generation) and
// its validation (k8s.io/kubernetes pkg/apis/{core,apps,batch,...}/v1/defaults.go,
// pkg/registry/<group>/<resource>/strategy.go, pkg/apis/*/validation/validation.go).
#pragma once

#include <string>
#include <vector>

#include "api/kube/resources.h"
#include "common/json.h"

namespace berth::api::kube {

// One validation failure (apimachinery pkg/util/validation/field.Error).
struct FieldError {
  std::string type;    // "Required", "Invalid", "Unsupported", "Duplicate", "Forbidden", "TooLong"
  std::string field;   // "spec.template.spec.containers[0].image"
  std::string detail;  // the whole text after the field: "Required value", "Invalid value: ..."
  // The metav1.StatusCause reason: "FieldValueRequired", "FieldValueInvalid", ...
  std::string reason() const;
  std::string text() const { return field + ": " + detail; }
};

// Whether the type has a status subresource (<resource>/status).
bool has_status(const Resource& type);

// Before a create: status reset to the type's initial one (a Pod's phase Pending and QoS
// class; a PVC's phase Pending), metadata.generation 1 for types that count spec changes.
void prepare_for_create(const Resource& type, Json& object);
// Before an update of the main resource: status kept from `old` (only <resource>/status changes
// it); generation bumped when anything outside metadata and status changed. With
// `status_only` (the status subresource) the reverse: all but status kept from `old`.
void prepare_for_update(const Resource& type, Json& object, const Json& old, bool status_only);
// Fills the defaults Kubernetes fills (a Pod's restartPolicy Always, dnsPolicy ClusterFirst,
// terminationGracePeriodSeconds 30, imagePullPolicy from the image's tag, a port's protocol
// TCP; a Deployment's replicas, strategy and revisionHistoryLimit; a Service's type, ports'
// targetPort; ...). Idempotent.
void apply_defaults(const Resource& type, Json& object);
// The object's validation errors (none = valid); `old` is the stored object on an update
// (immutable fields are checked against it), null on a create.
std::vector<FieldError> validate(const Resource& type, const Json& object, const Json& old);
// Kubernetes' message for a failed validation: `Deployment.apps "web" is invalid: <error>` or
// `... is invalid: [<error>, <error>]`.
std::string invalid_message(const Resource& type, const std::string& name, const std::vector<FieldError>& errors);

}  // namespace berth::api::kube
