// Label and field selectors of list, watch and deletecollection requests
// (k8s.io/apimachinery pkg/labels/selector.go Parse, pkg/fields/selector.go ParseSelector; the
// field labels each type supports come from its registry strategy's GetAttrs / field label
// conversion functions in k8s.io/kubernetes pkg/registry and pkg/apis/*/v1/conversion.go).
#pragma once

#include <string>
#include <vector>

#include "api/kube/resources.h"
#include "common/error.h"
#include "common/json.h"

namespace berth::api::kube {

// One parsed selector. An empty selector selects everything.
class Selector {
 public:
  // A labelSelector: comma-separated requirements `k`, `!k`, `k=v`, `k==v`, `k!=v`,
  // `k in (v1,v2)`, `k notin (v1,v2)`. Errors: kInvalidArgument with apimachinery's wording
  // ("unable to parse requirement: ...").
  static Result<Selector> labels(const std::string& text);
  // A fieldSelector for objects of `type`: `f=v`, `f==v`, `f!=v`, comma-separated, where `f` is
  // metadata.name, metadata.namespace or one of the type's own field labels (a Pod's
  // spec.nodeName, status.phase, ...). Errors: kInvalidArgument
  // ("field label not supported: f").
  static Result<Selector> fields(const Resource& type, const std::string& text);
  // Whether `object` (a whole API object) matches.
  bool matches(const Json& object) const;
  bool empty() const { return terms_.empty(); }

 private:
  enum class Op { kEquals, kNotEquals, kIn, kNotIn, kExists, kNotExists };
  struct Term {
    std::string key;  // a label key, or a field path ("spec.nodeName")
    Op op;
    std::vector<std::string> values;
  };
  bool on_fields_ = false;
  std::vector<Term> terms_;
};

}  // namespace berth::api::kube
