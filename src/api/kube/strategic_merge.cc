#include "api/kube/strategic_merge.h"

#include <algorithm>
#include <map>
#include <optional>
#include <string_view>
#include <vector>

namespace berth::api::kube {
namespace {

// ---- The built-in types' list merge keys and patch strategies ----

// One field's Go struct tags in k8s.io/api (and metav1.ObjectMeta in apimachinery).
struct Row {
  // "*": every kind; "pod": every kind with a pod spec, `path` relative to it; "container":
  // each of those's containers, initContainers and ephemeralContainers; else kinds, by name.
  const char* where;
  const char* path;  // dotted; a list's elements add no segment ("containers.env")
  // patchStrategy: "merge" (a list merged by `merge_key`, or a set of scalars), "replace" (a
  // map replaced whole), "retainKeys" (the client sends $retainKeys, which the server honours
  // wherever it is: recorded for completeness); "atomic" is listType=atomic, replaced as every
  // list without a strategy is.
  const char* strategy;
  const char* merge_key;  // patchMergeKey
};

constexpr Row kFields[] = {
    // metav1.ObjectMeta
    {"*", "metadata.finalizers", "merge", ""},
    {"*", "metadata.ownerReferences", "merge", "uid"},
    // corev1.PodSpec
    {"pod", "containers", "merge", "name"},
    {"pod", "initContainers", "merge", "name"},
    {"pod", "ephemeralContainers", "merge", "name"},
    {"pod", "volumes", "merge,retainKeys", "name"},
    {"pod", "imagePullSecrets", "merge", "name"},
    {"pod", "hostAliases", "merge", "ip"},
    {"pod", "topologySpreadConstraints", "merge", "topologyKey"},
    {"pod", "schedulingGates", "merge", "name"},
    {"pod", "resourceClaims", "merge,retainKeys", "name"},
    // corev1.Container, corev1.EphemeralContainerCommon
    {"container", "ports", "merge", "containerPort"},
    {"container", "env", "merge", "name"},
    {"container", "volumeMounts", "merge", "mountPath"},
    {"container", "volumeDevices", "merge", "devicePath"},
    {"container", "envFrom", "atomic", ""},
    // The other types' specs
    {"Service", "spec.ports", "merge", "port"},
    {"ServiceAccount", "secrets", "merge", "name"},
    {"Node", "spec.podCIDRs", "merge", ""},
    {"Deployment", "spec.strategy", "retainKeys", ""},
    {"PodDisruptionBudget", "spec.selector", "replace", ""},
    {"Endpoints", "subsets", "atomic", ""},
    {"EndpointSlice", "endpoints", "atomic", ""},
    {"EndpointSlice", "ports", "atomic", ""},
    {"Role ClusterRole", "rules", "atomic", ""},
    {"RoleBinding ClusterRoleBinding", "subjects", "atomic", ""},
    // Statuses
    {"Pod Node Namespace PersistentVolumeClaim Service Deployment ReplicaSet StatefulSet DaemonSet Job "
     "HorizontalPodAutoscaler PodDisruptionBudget",
     "status.conditions", "merge", "type"},
    {"Pod", "status.podIPs", "merge", "ip"},
    {"Pod", "status.hostIPs", "merge", "ip"},
    {"Node", "status.addresses", "merge", "type"},
};

// Where each kind with a pod template keeps its pod spec.
const std::map<std::string, std::string, std::less<>> kPodSpecAt = {
    {"Pod", "spec"},
    {"Deployment", "spec.template.spec"},
    {"ReplicaSet", "spec.template.spec"},
    {"StatefulSet", "spec.template.spec"},
    {"DaemonSet", "spec.template.spec"},
    {"Job", "spec.template.spec"},
    {"CronJob", "spec.jobTemplate.spec.template.spec"},
};

struct Meta {
  bool merge = false;    // a list merged (by merge_key, or as a set of scalars), not replaced
  bool replace = false;  // a map replaced, not merged
  std::string merge_key;
};
using Schema = std::map<std::string, Meta, std::less<>>;  // by path from the object's root

bool names(std::string_view words, std::string_view word) {
  while (!words.empty()) {
    size_t end = std::min(words.find(' '), words.size());
    if (words.substr(0, end) == word) return true;
    words.remove_prefix(std::min(end + 1, words.size()));
  }
  return false;
}

Schema schema_of(const std::string& kind) {
  Schema s;
  auto pod = kPodSpecAt.find(kind);
  for (const Row& r : kFields) {
    std::string_view where = r.where, strategy = r.strategy;
    Meta m{strategy.find("merge") != std::string_view::npos, strategy == "replace", r.merge_key};
    if (where == "*" || (where != "pod" && where != "container" && names(where, kind))) {
      s[r.path] = m;
    } else if (where == "pod" && pod != kPodSpecAt.end()) {
      s[pod->second + "." + r.path] = m;
    } else if (where == "container" && pod != kPodSpecAt.end()) {
      for (const char* list : {"containers", "initContainers", "ephemeralContainers"}) {
        s[pod->second + "." + list + "." + r.path] = m;
      }
    }
  }
  return s;
}

// ---- Errors, worded as apimachinery's mergepatch and strategicpatch word them ----

constexpr std::string_view kDirective = "$patch";
constexpr std::string_view kRetainKeys = "$retainKeys";
constexpr std::string_view kSetElementOrder = "$setElementOrder";
constexpr std::string_view kDeleteFromPrimitiveList = "$deleteFromPrimitiveList";

tl::unexpected<Error> invalid(std::string message) { return make_error(Errc::kInvalidArgument, std::move(message)); }

constexpr const char* kMap = "map[string]interface {}";
constexpr const char* kList = "[]interface {}";

// The Go type a decoded JSON value has.
std::string go_type(const Json& j) {
  if (j.is_object()) return kMap;
  if (j.is_array()) return kList;
  if (j.is_string()) return "string";
  if (j.is_boolean()) return "bool";
  if (j.is_number_float()) return "float64";
  if (j.is_number()) return "int64";
  return "<nil>";
}

tl::unexpected<Error> bad_arg_type(const char* expected, const Json& actual) {
  return invalid(std::string("expected a ") + expected + ", but received a " + go_type(actual));
}

tl::unexpected<Error> no_merge_key(const Json& m, const std::string& key) {
  return invalid("map: " + dump_json(m) + " does not contain declared merge key: " + key);
}

tl::unexpected<Error> bad_patch_type(const Json& directive, const Json& m) {
  std::string type = directive.is_string() ? directive.get<std::string>() : dump_json(directive);
  return invalid("unknown patch type: " + type + " in map: " + dump_json(m));
}

// ---- Helpers ----

std::string child(const std::string& path, const std::string& key) { return path.empty() ? key : path + "." + key; }

bool parallel_list_key(std::string_view k) {
  return k.starts_with(kSetElementOrder) || k.starts_with(kDeleteFromPrimitiveList);
}

// The list that "$setElementOrder/<list>" or "$deleteFromPrimitiveList/<list>" is about.
Result<std::string> list_named(const std::string& key, std::string_view prefix, const char* malformed) {
  size_t slash = key.find('/');
  if (slash == std::string::npos || std::string_view(key).substr(0, slash) != prefix) return invalid(malformed);
  return key.substr(slash + 1);
}

// A patch value taken as it is (added, or replacing what was there): without null members or
// directives, or nullopt when it is itself a directive (a map with $patch). Go's
// discardNullValuesFromPatch and removeDirectives.
std::optional<Json> plain(const Json& v) {
  if (v.is_object()) {
    if (v.contains(kDirective)) return std::nullopt;
    Json out = Json::object();
    for (auto& [k, e] : v.items()) {
      if (e.is_null() || k == kRetainKeys || parallel_list_key(k)) continue;
      if (auto p = plain(e)) out[k] = std::move(*p);
    }
    return out;
  }
  if (v.is_array()) {
    Json out = Json::array();
    for (auto& e : v) {
      if (auto p = plain(e)) out.push_back(std::move(*p));
    }
    return out;
  }
  return v;
}

// What identifies a list element: its merge key's value, or the scalar itself.
const Json& identity(const Json& item, const std::string& key) {
  static const Json kNone;
  if (key.empty() || !item.is_object()) return item;
  auto it = item.find(key);
  return it == item.end() ? kNone : *it;
}

std::ptrdiff_t index_in(const Json& list, const Json& item, const std::string& key) {
  for (size_t i = 0; i < list.size(); ++i) {
    if (identity(list[i], key) == identity(item, key)) return static_cast<std::ptrdiff_t>(i);
  }
  return -1;
}

// The elements of both lists must have one JSON type (numbers are one), and not be lists.
Result<Json::value_t> element_type(const Json& a, const Json& b) {
  auto type = [](const Json& e) { return e.is_number() ? Json::value_t::number_float : e.type(); };
  std::optional<Json::value_t> t;
  for (const Json* list : {&a, &b}) {
    for (auto& e : *list) {
      if (!t) {
        t = type(e);
        if (*t == Json::value_t::array) return invalid("lists of lists are not supported");
      } else if (*t != type(e)) {
        return invalid("list element types are not identical: " + dump_json(Json::array({a, b})));
      }
    }
  }
  return t.value_or(Json::value_t::null);
}

// `merged` in the order kubectl asked for (Go's normalizeElementOrder): the elements `order`
// names, sorted as it has them, and the others sorted as `server` has them, interleaved so
// that one of the others comes first only when `server` has it before the named one.
Result<Json> in_order(const Json& merged, const Json& order, const Json& server, const std::string& key) {
  if (!key.empty()) {
    for (const Json* list : {&merged, &order}) {
      for (auto& e : *list) {
        if (!e.is_object()) return bad_arg_type(kMap, e);
        if (!e.contains(key)) return no_merge_key(e, key);
      }
    }
  }
  std::vector<Json> named, others;
  for (auto& e : merged) (index_in(order, e, key) >= 0 ? named : others).push_back(e);
  auto sort_by = [&](std::vector<Json>& v, const Json& ref) {
    auto rank = [&](const Json& e) {
      auto i = index_in(ref, e, key);
      return i < 0 ? static_cast<std::ptrdiff_t>(ref.size()) : i;
    };
    std::stable_sort(v.begin(), v.end(), [&](const Json& a, const Json& b) { return rank(a) < rank(b); });
  };
  sort_by(named, order);
  sort_by(others, server);
  Json out = Json::array();
  size_t i = 0, j = 0;
  while (i < others.size() || j < named.size()) {
    bool other_first = false;
    if (j >= named.size()) {
      other_first = true;
    } else if (i < others.size()) {
      auto oi = index_in(server, others[i], key), ni = index_in(server, named[j], key);
      other_first = oi >= 0 && ni >= 0 && oi < ni;
    }
    out.push_back(other_first ? others[i++] : named[j++]);
  }
  return out;
}

// Whether list element `e` is a map whose merge key `key` has the value `id`.
bool keyed(const Json& e, const std::string& key, const Json& id) {
  auto f = e.find(key);
  return f != e.end() && *f == id;
}

Result<bool> same_key(const Json& a, const Json& b, const std::string& key) {
  if (key.empty()) return a == b;
  if (!a.is_object()) return bad_arg_type(kMap, a);
  if (!b.is_object()) return bad_arg_type(kMap, b);
  if (!a.contains(key)) return no_merge_key(a, key);
  if (!b.contains(key)) return no_merge_key(b, key);
  return a[key] == b[key];
}

// The patch's elements must come in $setElementOrder's order and all be in it (Go's
// validatePatchWithSetOrderList); elements deleted by `$patch: delete` are not counted.
Result<void> check_order(const Json& list, const Json& order, const std::string& key) {
  if (order.empty() || list.empty()) return {};
  std::vector<const Json*> items;
  for (auto& e : list) {
    if (!key.empty()) {
      if (!e.is_object()) return bad_arg_type(kMap, e);
      if (e.value(kDirective, Json()) == "delete") continue;
    }
    items.push_back(&e);
  }
  size_t p = 0, o = 0;
  while (p < items.size() && o < order.size()) {
    if (items[p]->is_object() && items[p]->contains(kDirective)) {
      ++p;
      continue;
    }
    BERTH_ASSIGN_OR_RETURN(bool same, same_key(*items[p], order[o], key));
    if (same) ++p;
    ++o;
  }
  if (p < items.size()) {
    return invalid("The order in patch list: " + dump_json(list) + " doesn't match " + std::string(kSetElementOrder) +
                   " list: " + dump_json(order));
  }
  return {};
}

// ---- The merge (patch.go's mergeMap, mergeSlice and the directives' handlers) ----

class Merger {
 public:
  explicit Merger(Schema schema) : schema_(std::move(schema)) {}

  Result<Json> merge_map(Json original, Json patch, const std::string& path) const {
    if (auto d = patch.find(kDirective); d != patch.end()) {
      if (*d == "replace") {
        patch.erase(std::string(kDirective));
        return plain(patch).value_or(Json::object());
      }
      if (*d == "delete") return Json::object();
      return bad_patch_type(*d, patch);
    }
    if (!original.is_object()) original = Json::object();
    BERTH_TRY(retain_keys(original, patch));
    BERTH_TRY(set_element_orders(original, patch, path));
    for (auto& [k, v] : patch.items()) {
      std::string key = k;
      bool delete_list = k.starts_with(kDeleteFromPrimitiveList);
      if (delete_list) {
        BERTH_ASSIGN_OR_RETURN(key, list_named(k, kDeleteFromPrimitiveList, "invalid patch format of primitive list"));
      }
      if (v.is_null()) {
        original.erase(key);
        continue;
      }
      auto cur = original.find(key);
      bool both_maps = cur != original.end() && cur->is_object() && v.is_object();
      bool both_lists = cur != original.end() && cur->is_array() && v.is_array();
      std::string sub = child(path, key);
      const Meta& m = meta(sub);
      if (both_maps) {
        BERTH_ASSIGN_OR_RETURN(*cur, merge_map(m.replace ? Json::object() : std::move(*cur), v, sub));
      } else if (both_lists && (m.merge || delete_list)) {
        BERTH_ASSIGN_OR_RETURN(*cur, merge_list(std::move(*cur), v, sub, delete_list));
      } else if (delete_list) {
        // Nothing to delete from.
      } else if (auto p = plain(v)) {
        original[key] = std::move(*p);
      } else {
        original.erase(key);
      }
    }
    return original;
  }

 private:
  const Meta& meta(const std::string& path) const {
    static const Meta kDefault;
    auto it = schema_.find(path);
    return it == schema_.end() ? kDefault : it->second;
  }

  // $retainKeys: the fields of `original` not listed are cleared; every field the patch sets
  // must be listed (Go's applyRetainKeysDirective).
  static Result<void> retain_keys(Json& original, Json& patch) {
    auto it = patch.find(kRetainKeys);
    if (it == patch.end()) return {};
    Json keep = std::move(*it);
    patch.erase(it);
    constexpr const char* kMalformed = "invalid patch format of retainKeys";
    if (!keep.is_array()) return invalid(kMalformed);
    auto listed = [&](const std::string& k) { return std::find(keep.begin(), keep.end(), Json(k)) != keep.end(); };
    for (auto& [k, v] : patch.items()) {
      if (!v.is_null() && !parallel_list_key(k) && !listed(k)) return invalid(kMalformed);
    }
    for (auto f = original.begin(); f != original.end();) f = listed(f.key()) ? std::next(f) : original.erase(f);
    return {};
  }

  // Each "$setElementOrder/<list>": the list merged with the patch's and put in that order; the
  // patch's list is then done (Go's mergePatchIntoOriginal).
  Result<void> set_element_orders(Json& original, Json& patch, const std::string& path) const {
    std::vector<std::string> keys;
    for (auto& [k, v] : patch.items()) {
      if (k.starts_with(kSetElementOrder)) keys.push_back(k);
    }
    for (auto& k : keys) {
      Json order = std::move(patch[k]);
      patch.erase(k);
      if (!order.is_array()) return bad_arg_type(kList, order);
      BERTH_ASSIGN_OR_RETURN(std::string name,
                             list_named(k, kSetElementOrder, "invalid patch format of setElementOrder list"));
      auto o = original.find(name);
      auto p = patch.find(name);
      bool in_original = o != original.end(), in_patch = p != patch.end();
      if (in_original && !o->is_array()) return bad_arg_type(kList, *o);
      if (in_patch && !p->is_array()) return bad_arg_type(kList, *p);
      if (!in_original && !in_patch) continue;
      std::string sub = child(path, name);
      const Meta& m = meta(sub);
      BERTH_TRY(check_order(in_patch ? *p : Json::array(), order, m.merge_key));
      Json server = in_original ? *o : Json::array();
      Json merged;
      if (!in_patch) {
        merged = server;
      } else if (in_original && m.merge) {
        BERTH_ASSIGN_OR_RETURN(merged, merge_list(server, *p, sub, false));
      } else {
        merged = *plain(*p);
      }
      BERTH_ASSIGN_OR_RETURN(original[name], in_order(merged, order, server, m.merge_key));
      patch.erase(name);
    }
    return {};
  }

  // A list with the merge strategy, or a $deleteFromPrimitiveList (Go's mergeSlice).
  Result<Json> merge_list(Json original, const Json& patch, const std::string& path, bool delete_list) const {
    if (original.empty() && patch.empty()) return original;
    BERTH_ASSIGN_OR_RETURN(Json::value_t type, element_type(original, patch));
    const std::string& key = meta(path).merge_key;
    Json items = Json::array();  // the patch's elements that are not directives
    Json server;                 // `original` as the order of the others follows it
    if (type != Json::value_t::object) {
      if (delete_list) {
        Json kept = Json::array();
        for (auto& e : original) {
          if (std::find(patch.begin(), patch.end(), e) == patch.end()) kept.push_back(e);
        }
        return kept;
      }
      server = original;
      Json merged = Json::array();
      for (const Json* list : {static_cast<const Json*>(&original), &patch}) {
        for (auto& e : *list) {
          if (std::find(merged.begin(), merged.end(), e) == merged.end()) merged.push_back(e);
        }
      }
      original = std::move(merged);
      items = patch;
    } else {
      if (key.empty()) return invalid("cannot merge lists without merge key for " + path);
      bool replace = false;
      for (auto& e : patch) {
        auto d = e.find(kDirective);
        if (d == e.end()) {
          items.push_back(e);
        } else if (*d == "delete") {
          auto id = e.find(key);
          if (id == e.end()) return no_merge_key(e, key);
          original.erase(std::remove_if(original.begin(), original.end(),
                                        [&](const Json& o) { return keyed(o, key, *id); }),
                         original.end());
        } else if (*d == "replace") {
          replace = true;  // the list is the patch's other elements
        } else if (*d == "merge") {
          return invalid("merging lists cannot yet be specified in the patch");
        } else {
          return bad_patch_type(*d, e);
        }
      }
      if (replace) {
        original = *plain(items);
        items = Json::array();
      }
      server = original;
      for (auto& e : items) {
        auto id = e.find(key);
        if (id == e.end()) return no_merge_key(e, key);
        auto at = std::find_if(original.begin(), original.end(), [&](const Json& o) { return keyed(o, key, *id); });
        if (at != original.end()) {
          BERTH_ASSIGN_OR_RETURN(*at, merge_map(std::move(*at), e, path));
        } else {
          original.push_back(*plain(e));
        }
      }
    }
    return in_order(original, items, server, key);
  }

  Schema schema_;
};

}  // namespace

Result<Json> strategic_merge_patch(const Json& original, const Json& patch, const Resource& type) {
  if (!patch.is_object()) return invalid("invalid JSON document");
  return Merger(schema_of(type.kind)).merge_map(original.is_object() ? original : Json::object(), patch, "");
}

}  // namespace berth::api::kube
