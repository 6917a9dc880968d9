#include "api/kube/admission.h"

#include <map>
#include <set>

#include "api/kube/objects.h"
#include "api/kube/quantity.h"
#include "common/strings.h"

namespace berth::api::kube {
namespace {

Error forbidden(const std::string& message) { return Error{Errc::kPermissionDenied, message}; }

bool is_binary(const std::string& resource) { return resource.find("memory") != std::string::npos || resource.find("storage") != std::string::npos; }

double q(const Json& v) { return v.is_string() ? parse_quantity(v.get<std::string>()).value_or(0) : v.is_number() ? v.get<double>() : 0; }

std::vector<Json*> containers(Json& pod) {
  std::vector<Json*> out;
  for (auto* list : {"containers", "initContainers"}) {
    Json& l = pod["spec"][list];
    if (!l.is_array()) continue;
    for (auto& c : l) {
      if (c.is_object()) out.push_back(&c);
    }
  }
  return out;
}

// What one object adds to each quota resource name (pkg/quota/v1/evaluator/core).
std::map<std::string, double> usage_of(const Resource& type, const Json& obj) {
  std::map<std::string, double> u;
  std::string count = "count/" + type.name + (type.group.empty() ? "" : "." + type.group);
  u[count] = 1;
  static const std::set<std::string> core_counted = {"pods", "services", "configmaps", "secrets",
                                                     "persistentvolumeclaims", "resourcequotas",
                                                     "replicationcontrollers"};
  if (type.group.empty() && core_counted.count(type.name)) u[type.name] = 1;
  if (type.name == "pods") {
    std::string phase = obj.value("status", Json::object()).value("phase", "");
    if (phase == "Succeeded" || phase == "Failed") return {};  // finished pods use no quota
    Json pod = obj;
    for (Json* c : containers(pod)) {
      Json res = c->value("resources", Json::object());
      for (auto& [kind, field] : {std::pair{"requests", "requests"}, std::pair{"limits", "limits"}}) {
        Json m = res.value(field, Json::object());
        if (!m.is_object()) continue;
        for (auto& [r, v] : m.items()) {
          u[std::string(kind) + "." + r] += q(v);
          if (std::string(kind) == "requests") u[r] += q(v);  // "cpu" and "memory" mean requests
        }
      }
    }
  } else if (type.name == "services") {
    std::string t = obj.value("spec", Json::object()).value("type", "ClusterIP");
    if (t == "LoadBalancer") u["services.loadbalancers"] = 1;
    if (t == "NodePort" || t == "LoadBalancer") {
      u["services.nodeports"] = static_cast<double>(obj["spec"].value("ports", Json::array()).size());
    }
  } else if (type.name == "persistentvolumeclaims") {
    Json req = obj.value("spec", Json::object()).value("resources", Json::object()).value("requests", Json::object());
    if (req.is_object() && req.contains("storage")) u["requests.storage"] = q(req["storage"]);
  }
  return u;
}

// The namespace's current use of the resources in `hard`.
Result<std::map<std::string, double>> used_in(store::Store& s, const std::string& ns, const Json& hard) {
  std::map<std::string, double> used;
  std::set<std::string> types;
  for (auto& [name, v] : hard.items()) {
    used[name] = 0;
    if (name.starts_with("count/")) {
      std::string res = name.substr(6);
      types.insert(res.substr(0, res.find('.')));
    } else if (name.starts_with("services")) {
      types.insert("services");
    } else if (name == "requests.storage" || name == "persistentvolumeclaims") {
      types.insert("persistentvolumeclaims");
    } else if (name == "configmaps" || name == "secrets" || name == "resourcequotas" || name == "replicationcontrollers") {
      types.insert(name);
    } else {
      types.insert("pods");  // pods and every compute resource
    }
  }
  for (auto& t : types) {
    const Resource* type = nullptr;
    for (auto& r : resources()) {
      if (r.name == t && !r.converted) type = &r;
    }
    if (!type) continue;
    BERTH_ASSIGN_OR_RETURN(store::ListResult l, s.list("/registry/" + t + "/" + ns + "/", {}));
    for (auto& kv : l.items) {
      for (auto& [name, v] : usage_of(*type, served(kv))) {
        if (used.count(name)) used[name] += v;
      }
    }
  }
  return used;
}

}  // namespace

Result<void> admit_limit_ranges(store::Store& s, const std::string& ns, Json& pod) {
  BERTH_ASSIGN_OR_RETURN(store::ListResult ranges, s.list("/registry/limitranges/" + ns + "/", {}));
  std::vector<std::string> errors;
  std::vector<std::string> set_by_us;
  for (auto& kv : ranges.items) {
    Json lr = served(kv);
    for (auto& item : lr.value("spec", Json::object()).value("limits", Json::array())) {
      if (!item.is_object() || item.value("type", "") != "Container") continue;
      Json dflt = item.value("default", Json::object()), dreq = item.value("defaultRequest", Json::object());
      Json max = item.value("max", Json::object()), min = item.value("min", Json::object());
      for (auto& [r, v] : max.items()) {
        if (!dflt.contains(r)) dflt[r] = v;
      }
      for (auto& [r, v] : dflt.items()) {
        if (!dreq.contains(r)) dreq[r] = v;
      }
      for (Json* c : containers(pod)) {
        Json& res = (*c)["resources"];
        if (!res.is_object()) res = Json::object();
        for (auto& [field, defaults] : {std::pair<const char*, Json&>{"limits", dflt}, {"requests", dreq}}) {
          for (auto& [r, v] : defaults.items()) {
            if (res.contains(field) && res[field].is_object() && res[field].contains(r)) continue;
            res[field][r] = v;
            set_by_us.push_back(r + " " + (std::string(field) == "limits" ? "limit" : "request") + " for container " +
                                c->value("name", ""));
          }
        }
        Json limits = res.value("limits", Json::object()), requests = res.value("requests", Json::object());
        for (auto& [r, v] : max.items()) {
          std::string m = format_quantity(q(v), is_binary(r));
          if (!limits.contains(r)) {
            errors.push_back("maximum " + r + " usage per Container is " + m + ".  No limit is specified");
          } else if (q(limits[r]) > q(v)) {
            errors.push_back("maximum " + r + " usage per Container is " + m + ", but limit is " +
                             format_quantity(q(limits[r]), is_binary(r)));
          }
        }
        for (auto& [r, v] : min.items()) {
          std::string m = format_quantity(q(v), is_binary(r));
          if (!requests.contains(r)) {
            errors.push_back("minimum " + r + " usage per Container is " + m + ".  No request is specified");
          } else if (q(requests[r]) < q(v)) {
            errors.push_back("minimum " + r + " usage per Container is " + m + ", but request is " +
                             format_quantity(q(requests[r]), is_binary(r)));
          }
        }
      }
    }
  }
  if (errors.size() == 1) return tl::unexpected(forbidden(errors[0]));
  if (!errors.empty()) return tl::unexpected(forbidden("[" + str::join(errors, ", ") + "]"));
  if (!set_by_us.empty()) {
    pod["metadata"]["annotations"]["kubernetes.io/limit-ranger"] = "LimitRanger plugin set: " + str::join(set_by_us, "; ");
  }
  return {};
}

Result<void> admit_quota(store::Store& s, const Resource& type, const std::string& ns, const Json& object) {
  if (!type.namespaced) return {};
  BERTH_ASSIGN_OR_RETURN(store::ListResult quotas, s.list("/registry/resourcequotas/" + ns + "/", {}));
  if (quotas.items.empty()) return {};
  std::map<std::string, double> adds = usage_of(type, object);
  for (auto& kv : quotas.items) {
    Json quota = served(kv);
    std::string qname = quota["metadata"].value("name", "");
    Json hard = quota.value("spec", Json::object()).value("hard", Json::object());
    if (!hard.is_object() || hard.empty()) continue;
    // A quota on compute resources needs every container to say what it asks for.
    if (type.name == "pods") {
      std::vector<std::string> missing;
      Json pod = object;
      for (auto* r : {"requests.cpu", "requests.memory", "limits.cpu", "limits.memory", "cpu", "memory"}) {
        if (!hard.contains(r)) continue;
        std::string name(r);
        std::string field = name.starts_with("limits.") ? "limits" : "requests";
        std::string res = name.substr(name.find('.') == std::string::npos ? 0 : name.find('.') + 1);
        std::vector<std::string> lacking;
        for (Json* c : containers(pod)) {
          Json m = c->value("resources", Json::object()).value(field, Json::object());
          if (!m.is_object() || !m.contains(res)) lacking.push_back(c->value("name", ""));
        }
        if (!lacking.empty()) missing.push_back(name + " for: " + str::join(lacking, ","));
      }
      if (!missing.empty()) return tl::unexpected(forbidden("failed quota: " + qname + ": must specify " + str::join(missing, "; ")));
    }
    BERTH_ASSIGN_OR_RETURN(auto used, used_in(s, ns, hard));
    std::vector<std::string> requested, using_now, limited;
    for (auto& [name, limit] : hard.items()) {
      auto add = adds.find(name);
      if (add == adds.end() || add->second == 0) continue;
      if (used[name] + add->second > q(limit) + 1e-9) {
        bool bin = is_binary(name);
        requested.push_back(name + "=" + format_quantity(add->second, bin));
        using_now.push_back(name + "=" + format_quantity(used[name], bin));
        limited.push_back(name + "=" + (limit.is_string() ? limit.get<std::string>() : format_quantity(q(limit), bin)));
      }
    }
    if (!requested.empty()) {
      return tl::unexpected(forbidden("exceeded quota: " + qname + ", requested: " + str::join(requested, ",") +
                                      ", used: " + str::join(using_now, ",") + ", limited: " + str::join(limited, ",")));
    }
  }
  return {};
}

Result<void> refresh_quota_status(store::Store& s, const std::string& ns) {
  BERTH_ASSIGN_OR_RETURN(store::ListResult quotas, s.list("/registry/resourcequotas/" + ns + "/", {}));
  for (auto& kv : quotas.items) {
    Json quota = served(kv);
    Json hard = quota.value("spec", Json::object()).value("hard", Json::object());
    if (!hard.is_object()) continue;
    BERTH_ASSIGN_OR_RETURN(auto used, used_in(s, ns, hard));
    Json u = Json::object();
    for (auto& [name, v] : used) u[name] = format_quantity(v, is_binary(name));
    Json status = {{"hard", hard}, {"used", u}};
    if (quota.value("status", Json()) == status) continue;
    quota["status"] = status;
    quota["metadata"].erase("resourceVersion");
    auto r = s.update(kv.key, dump_json(quota), kv.mod_revision);
    if (!r && r.error().code != Errc::kConflict && r.error().code != Errc::kNotFound) return tl::unexpected(r.error());
  }
  return {};
}

}  // namespace berth::api::kube
