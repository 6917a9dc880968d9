// The schemas of the served types, as a YAML table that openapi.cc reads once. The notation
// (not Kubernetes' swagger, which is generated from the Go types) is:
//
//   <package>:                      io.k8s.api.core.v1, io.k8s.apimachinery.pkg.apis.meta.v1, ...
//     <Type>:
//       doc: <what the type is>
//       like: <Type>                copy that type's fields first (EphemeralContainer from Container)
//       form: string|date-time|quantity|int-or-string|free     a scalar or free-form type (default: object)
//       fields:
//         <name>: <shape>[!] [| <description>]      ! = required
//
// A shape is a scalar (string, integer = int32, int64, number, boolean), `enum(A,B,C)` (a
// string with these values), `free` (any JSON, kept as given: x-kubernetes-preserve-unknown-
// fields), a type name (looked up in the same package, then meta/v1, then core/v1, or written
// in full), `<shape>[]` (a list) or `map[string]<shape>` (an object of name to value).
// The served kinds (resources.h) get apiVersion, kind and metadata without listing them.
//
// Every field of a described type is listed (the API server refuses unknown ones with
// fieldValidation=Strict); rarely used nested structures are `free` so that they are kept as
// given rather than refused. Descriptions are short, berth's own.
#include "api/kube/openapi_types.h"

namespace berth::api::kube {

const char* const kOpenApiMetaTypes = R"yaml(
io.k8s.apimachinery.pkg.apis.meta.v1:
  ObjectMeta:
    doc: Metadata that every persisted object has; name, namespace, labels, annotations, and what the server records about it.
    fields:
      annotations: map[string]string | Free-form key/value data for tools and people; not used to select objects.
      creationTimestamp: Time | When the server created the object (set by the server).
      deletionGracePeriodSeconds: int64 | Seconds the object has to go once deletion was requested (set by the server).
      deletionTimestamp: Time | When the object was asked to go; it stays while finalizers remain (set by the server).
      finalizers: string[] | Names of the controllers that must act before the object is removed.
      generateName: string | Prefix from which the server makes a unique name when name is empty.
      generation: int64 | Sequence number of the desired state, bumped on spec changes (set by the server).
      labels: map[string]string | Key/value pairs used to organize and select objects (label selectors).
      managedFields: ManagedFieldsEntry[] | Which manager set which fields (server-side apply bookkeeping).
      name: string | Name of the object, unique within its namespace (or the cluster for cluster-scoped types).
      namespace: string | Namespace the object lives in; empty for cluster-scoped types.
      ownerReferences: OwnerReference[] | Objects this one depends on; when all owners are gone it is garbage collected.
      resourceVersion: string | Opaque version of the object, used for optimistic concurrency and watches (set by the server).
      selfLink: string | Deprecated and unset.
      uid: string | Unique identifier for the object's lifetime (set by the server).
  ManagedFieldsEntry:
    doc: One manager's share of an object's fields.
    fields:
      apiVersion: string | API version of the fields.
      fieldsType: string | Format of fieldsV1; only "FieldsV1".
      fieldsV1: FieldsV1 | The set of fields owned.
      manager: string | Name of the manager (usually the client's field manager).
      operation: enum(Apply,Update) | How the fields were set.
      subresource: string | Subresource the fields were set through, if any.
      time: Time | When the entry was last changed.
  FieldsV1:
    doc: A set of field paths in the structured-merge-diff format.
    form: free
  OwnerReference:
    doc: Names an object that owns this one.
    fields:
      apiVersion: string! | API version of the owner.
      blockOwnerDeletion: boolean | If true, the owner cannot be deleted in the foreground before this object is gone.
      controller: boolean | If true, the owner is the managing controller.
      kind: string! | Kind of the owner.
      name: string! | Name of the owner.
      uid: string! | UID of the owner.
  LabelSelector:
    doc: Selects objects by their labels; all terms must match (an empty selector matches everything).
    fields:
      matchExpressions: LabelSelectorRequirement[] | Set-based requirements.
      matchLabels: map[string]string | Labels that must have exactly these values.
  LabelSelectorRequirement:
    doc: One set-based label requirement.
    fields:
      key: string! | The label key.
      operator: enum(In,NotIn,Exists,DoesNotExist)! | How the key relates to the values.
      values: string[] | Values for In and NotIn; empty for Exists and DoesNotExist.
  Condition:
    doc: One aspect of an object's current state.
    fields:
      lastTransitionTime: Time! | When the status last changed.
      message: string! | Human-readable details.
      observedGeneration: int64 | The metadata.generation the condition was computed for.
      reason: string! | Machine-readable CamelCase reason for the last transition.
      status: enum(True,False,Unknown)! | Status of the condition.
      type: string! | Type of the condition, in CamelCase.
  Time:
    doc: A timestamp in RFC 3339 form, to the second (2026-01-02T15:04:05Z).
    form: date-time
  MicroTime:
    doc: A timestamp in RFC 3339 form with microseconds.
    form: date-time

io.k8s.apimachinery.pkg.api.resource:
  Quantity:
    doc: A fixed-point amount of a resource, a number with an optional suffix (500m, 2, 128Mi, 1G).
    form: quantity

io.k8s.apimachinery.pkg.util.intstr:
  IntOrString:
    doc: Either an integer or a string (a port number or a port name, a count or a percentage).
    form: int-or-string

io.k8s.apimachinery.pkg.runtime:
  RawExtension:
    doc: An embedded JSON object, kept as given.
    form: free

)yaml";

}  // namespace berth::api::kube
