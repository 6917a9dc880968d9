#include "api/kube/deletion.h"

#include <algorithm>
#include <ctime>

#include "api/kube/objects.h"
#include "common/strings.h"
#include "common/time.h"

namespace berth::api::kube {
namespace {

bool has(const Json& list, const std::string& v) {
  return list.is_array() && std::find(list.begin(), list.end(), Json(v)) != list.end();
}
void drop(Json& list, const std::string& v) {
  if (!list.is_array()) return;
  list.erase(std::remove(list.begin(), list.end(), Json(v)), list.end());
}

// A Pod not bound to a node, or finished, goes at once; one on a node gets its grace period
// (the request's, else its spec's terminationGracePeriodSeconds) for the kubelet to stop it.
int64_t grace_period(const Resource& type, const Json& obj, const DeleteOptions& o) {
  if (type.name != "pods") return 0;
  const Json spec = obj.value("spec", Json::object());
  std::string phase = obj.value("status", Json::object()).value("phase", "");
  if (spec.value("nodeName", "").empty() || phase == "Succeeded" || phase == "Failed") return 0;
  int64_t g = o.grace_period_seconds ? *o.grace_period_seconds : spec.value("terminationGracePeriodSeconds", int64_t{30});
  return std::max<int64_t>(g, 0);
}

}  // namespace

Result<DeleteOptions> DeleteOptions::parse(const std::string& body, const std::string& query_grace,
                                           const std::string& query_propagation) {
  DeleteOptions o;
  Json b = Json::object();
  if (!str::trim(body).empty()) {
    auto parsed = parse_json(body, "DeleteOptions");
    if (!parsed || !parsed->is_object()) return tl::unexpected(Error{Errc::kInvalidArgument, "the body of DeleteOptions is not a JSON object"});
    b = *parsed;
  }
  if (b.contains("gracePeriodSeconds") && b["gracePeriodSeconds"].is_number_integer()) {
    o.grace_period_seconds = b["gracePeriodSeconds"].get<int64_t>();
  } else if (auto g = str::parse_int(query_grace)) {
    o.grace_period_seconds = *g;
  }
  o.propagation_policy = b.contains("propagationPolicy") && b["propagationPolicy"].is_string()
                             ? b["propagationPolicy"].get<std::string>()
                             : query_propagation;
  if (b.value("orphanDependents", Json()).is_boolean() && o.propagation_policy.empty()) {
    o.propagation_policy = b["orphanDependents"].get<bool>() ? "Orphan" : "Background";
  }
  if (b.contains("dryRun")) {
    const Json& d = b["dryRun"];
    if (!d.is_array() || !(d.empty() || (d.size() == 1 && d[0] == "All"))) {
      return tl::unexpected(Error{Errc::kInvalidArgument, "dryRun: Unsupported value: " + dump_json(d) +
                                                              ": supported values: \"All\""});
    }
    o.dry_run = !d.empty();
  }
  const Json pre = b.value("preconditions", Json::object());
  if (pre.is_object()) {
    o.precondition_uid = pre.value("uid", "");
    o.precondition_resource_version = pre.value("resourceVersion", "");
  }
  const std::string& p = o.propagation_policy;
  if (!p.empty() && p != "Orphan" && p != "Background" && p != "Foreground") {
    return tl::unexpected(Error{Errc::kInvalidArgument,
                                "DeleteOptions.meta.k8s.io \"\" is invalid: propagationPolicy: Unsupported value: \"" + p +
                                    "\": supported values: \"Foreground\", \"Background\", \"Orphan\", \"nil\""});
  }
  return o;
}

Result<Deleted> delete_object(store::Store& s, const Resource& type, const std::string& key, const DeleteOptions& o) {
  for (int attempt = 0; attempt < 8; ++attempt) {
    BERTH_ASSIGN_OR_RETURN(store::KeyValue cur, s.get(key));
    Json obj = served(cur);
    Json& meta = obj["metadata"];
    if (!o.precondition_uid.empty() && meta.value("uid", "") != o.precondition_uid) {
      return tl::unexpected(Error{Errc::kConflict, "Precondition failed: UID in precondition: " + o.precondition_uid +
                                                       ", UID in object meta: " + meta.value("uid", "")});
    }
    if (!o.precondition_resource_version.empty() && meta.value("resourceVersion", "") != o.precondition_resource_version) {
      return tl::unexpected(Error{Errc::kConflict, "Precondition failed: ResourceVersion in precondition: " +
                                                       o.precondition_resource_version + ", ResourceVersion in object meta: " +
                                                       meta.value("resourceVersion", "")});
    }
    Json before = meta.value("finalizers", Json::array());
    Json finalizers = before.is_array() ? before : Json::array();
    if (o.propagation_policy == "Orphan") {
      drop(finalizers, "foregroundDeletion");
      if (!has(finalizers, "orphan")) finalizers.push_back("orphan");
    } else if (o.propagation_policy == "Foreground") {
      drop(finalizers, "orphan");
      if (!has(finalizers, "foregroundDeletion")) finalizers.push_back("foregroundDeletion");
    } else if (o.propagation_policy == "Background") {
      drop(finalizers, "orphan");
      drop(finalizers, "foregroundDeletion");
    }
    int64_t grace = grace_period(type, obj, o);
    bool marked = meta.contains("deletionTimestamp");
    if (marked && meta.value("deletionGracePeriodSeconds", int64_t{0}) <= grace) grace = meta.value("deletionGracePeriodSeconds", int64_t{0});
    if (finalizers.empty() && grace == 0) {
      auto gone = s.remove(key, cur.mod_revision);
      if (!gone && gone.error().code == Errc::kConflict) continue;
      if (!gone) return tl::unexpected(gone.error());
      return Deleted{served(*gone), true};
    }
    if (marked && finalizers == before && meta.value("deletionGracePeriodSeconds", int64_t{0}) == grace) {
      return Deleted{obj, false};  // already being deleted, nothing new asked
    }
    meta["finalizers"] = finalizers;
    if (finalizers.empty()) meta.erase("finalizers");
    if (!marked || grace < meta.value("deletionGracePeriodSeconds", int64_t{0})) {
      meta["deletionTimestamp"] = rfc3339(::time(nullptr) + grace, 0).substr(0, 19) + "Z";
    }
    meta["deletionGracePeriodSeconds"] = grace;
    meta.erase("resourceVersion");
    auto rev = s.update(key, dump_json(obj), cur.mod_revision);
    if (!rev && rev.error().code == Errc::kConflict) continue;
    if (!rev) return tl::unexpected(rev.error());
    meta["resourceVersion"] = std::to_string(*rev);
    return Deleted{obj, false};
  }
  return tl::unexpected(Error{Errc::kConflict, "the object kept changing while it was deleted"});
}

Result<void> remove_finalizer(store::Store& s, const std::string& key, const std::string& finalizer) {
  for (int attempt = 0; attempt < 8; ++attempt) {
    BERTH_ASSIGN_OR_RETURN(store::KeyValue cur, s.get(key));
    Json obj = served(cur);
    Json& meta = obj["metadata"];
    if (!has(meta.value("finalizers", Json::array()), finalizer)) return {};
    drop(meta["finalizers"], finalizer);
    bool last = meta["finalizers"].empty() && meta.contains("deletionTimestamp") &&
                meta.value("deletionGracePeriodSeconds", int64_t{0}) == 0;
    if (meta["finalizers"].empty()) meta.erase("finalizers");
    meta.erase("resourceVersion");
    auto rev = last ? s.remove(key, cur.mod_revision).map([](auto&& kv) { return kv.mod_revision; })
                    : s.update(key, dump_json(obj), cur.mod_revision);
    if (!rev && rev.error().code == Errc::kConflict) continue;
    if (!rev) return tl::unexpected(rev.error());
    return {};
  }
  return tl::unexpected(Error{Errc::kConflict, "the object kept changing while its finalizer was removed"});
}

}  // namespace berth::api::kube
