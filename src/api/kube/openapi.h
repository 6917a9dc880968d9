// OpenAPI v3 schemas of the served types (resources.h) and what the API server does with
// them: the /openapi/v3 documents that `kubectl explain` reads and that tell kubectl the
// server validates fields, and server-side field validation (the unknown fields of a written
// object). The schemas come from berth's own table (openapi_types.cc), read once.
//
// Follows: k8s.io/kube-openapi pkg/handler3 (the index and per-group/version documents, with
// $refs wrapped as allOf [{$ref}] and default {}), k8s.io/apiserver pkg/endpoints/handlers
// (create.go, update.go, patch.go: fieldValidation Strict/Warn/Ignore) and sigs.k8s.io/json's
// strict decoding (how unknown fields are named).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "api/kube/resources.h"
#include "common/error.h"
#include "common/json.h"

namespace berth::api::kube {

// GET /openapi/v3: {"paths": {"api/v1": {"serverRelativeURL": "/openapi/v3/api/v1?hash=<h>"},
// "apis/<group>/<version>": {...}, ...}}, <h> a digest of the document (kubectl caches by it).
Json openapi_v3_index();

// GET /openapi/v3/<group_version_path> ("api/v1", "apis/apps/v1"): an OpenAPI 3.0 document
// with `paths`, each served type's PATCH operation on
// /<gv>/[namespaces/{namespace}/]<plural>/{name} carrying x-kubernetes-group-version-kind
// and the fieldValidation query parameter (what kubectl's query-parameter verifier and
// `kubectl explain` look for; no requestBody, so kubectl computes strategic merge patches from
// its own types), and `components.schemas`: every schema those types reach, keyed like
// "io.k8s.api.core.v1.Pod", the served ones with x-kubernetes-group-version-kind.
// Errors: kNotFound for a group/version that is not served; kInternal if the type table is
// malformed (a unit test keeps it from being).
Result<Json> openapi_v3_document(const std::string& group_version_path);

// The fields of `object` (an object of `type`, as JSON) that its schema does not have, named
// as kube-apiserver's strict decoding names them: "spec.foo",
// "spec.template.spec.containers[0].imagee", "metadata.labelz"; in the object's key order
// (sorted, as kubectl sends it). Free-form parts (x-kubernetes-preserve-unknown-fields, like
// ControllerRevision.data) and the values of maps (labels, annotations, data) have none, and
// values of another JSON type than the schema's are not looked into.
std::vector<std::string> unknown_fields(const Resource& type, const Json& object);

// Removes the fields unknown_fields names from `object` and returns their names: decoding into
// the Go types drops them from every object kube-apiserver stores, whatever the directive.
std::vector<std::string> drop_unknown_fields(const Resource& type, Json& object);

// The fieldValidation query parameter (metav1.CreateOptions/UpdateOptions/PatchOptions).
enum class FieldValidation {
  kIgnore,  // unknown fields are dropped silently
  kWarn,    // dropped, each named in a `Warning: 299 - "unknown field \"...\""` header
  kStrict,  // the request fails: strict decoding error: unknown field "...", ...
};
// "Ignore", "Warn", "Strict"; "" is Warn (kube-apiserver's default: kubectl sends Strict
// unless --validate=false or warn). nullopt for any other value (a 422 Unsupported value).
std::optional<FieldValidation> field_validation(const std::string& value);

// `strict decoding error: unknown field "a", unknown field "b"` (runtime.NewStrictDecodingError).
std::string strict_decoding_error(const std::vector<std::string>& unknown);
// The Warning header's value for `unknown`: `299 - "unknown field \"a\"", 299 - "unknown field
// \"b\""` (one warning each, as k8s.io/apiserver pkg/warning writes them).
std::string unknown_field_warnings(const std::vector<std::string>& unknown);

}  // namespace berth::api::kube
