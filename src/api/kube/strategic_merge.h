// Strategic merge patch (application/strategic-merge-patch+json), what `kubectl apply` and
// `kubectl patch --type=strategic` send: a JSON merge patch whose lists with a merge key are
// merged element by element instead of replaced, plus the patch directives. Follows
// k8s.io/apimachinery pkg/util/strategicpatch/patch.go (StrategicMergeMapPatch: mergeMap,
// mergeSlice, mergePatchIntoOriginal, applyRetainKeysDirective) with the merge keys and
// strategies of the Go struct tags (patchStrategy, patchMergeKey) in k8s.io/api.
#pragma once

#include "api/kube/resources.h"
#include "common/error.h"
#include "common/json.h"

namespace berth::api::kube {

// `original` (an object of type `type`, as stored) with `patch` (a JSON object) applied:
// - a member set to null is deleted; a map is merged key by key, anything else replaces;
// - a list with a merge key (containers by name, env by name, ports by containerPort, ...)
//   is merged element by element: an element whose key matches is merged into the one in
//   `original`, the others are appended; the result keeps the patch's order, `original`'s
//   elements not in the patch placed after the ones they followed; a merged list of scalars
//   (metadata.finalizers) is the union; every other list is replaced;
// - directives: `$patch: replace` (the map or, as an element of a merged list, the list is
//   replaced), `$patch: delete` (a map is emptied; an element of a merged list deletes the
//   element with its merge key), `$retainKeys: [...]` (fields not listed are cleared),
//   `$setElementOrder/<list>: [...]` (the merged list follows that order),
//   `$deleteFromPrimitiveList/<list>: [...]` (those scalars are removed from the list).
// Directives and the patch's null members never reach the result.
// Errors: kInvalidArgument, worded as Kubernetes words them, for a patch that is not an
// object ("invalid JSON document"), `$patch` with another value ("unknown patch type: ...";
// `$patch: merge` is refused too, as Kubernetes does), an element of a merged list without
// its merge key ("map: ... does not contain declared merge key: name"), a malformed
// `$retainKeys` / `$setElementOrder` / `$deleteFromPrimitiveList` ("invalid patch format of
// ..."), and lists whose elements differ in type. (Kubernetes' API answers the "invalid ..."
// ones with 400 BadRequest, the others with 422 or 500.)
Result<Json> strategic_merge_patch(const Json& original, const Json& patch, const Resource& type);

}  // namespace berth::api::kube
