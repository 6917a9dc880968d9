#include "api/kube/rbac.h"

#include <algorithm>

#include "api/kube/objects.h"
#include "common/strings.h"

namespace berth::api::kube {
namespace {

bool listed(const Json& list, const std::string& v) {
  if (!list.is_array()) return false;
  for (auto& x : list) {
    if (x.is_string() && (x == v || x == "*")) return true;
  }
  return false;
}

// One PolicyRule against the request (RuleAllows).
bool rule_allows(const Json& rule, const RequestInfo& r) {
  if (!rule.is_object() || !listed(rule.value("verbs", Json::array()), r.verb)) return false;
  if (!r.resource_request) {
    for (auto& u : rule.value("nonResourceURLs", Json::array())) {
      if (!u.is_string()) continue;
      std::string url = u;
      if (url == r.path || url == "*" || (url.ends_with("*") && r.path.starts_with(url.substr(0, url.size() - 1)))) return true;
    }
    return false;
  }
  if (!listed(rule.value("apiGroups", Json::array()), r.api_group)) return false;
  std::string combined = r.subresource.empty() ? r.resource : r.resource + "/" + r.subresource;
  bool resource_ok = false;
  for (auto& x : rule.value("resources", Json::array())) {
    if (!x.is_string()) continue;
    std::string res = x;
    if (res == "*" || res == combined || (r.subresource.empty() == false && res == "*/" + r.subresource)) resource_ok = true;
  }
  if (!resource_ok) return false;
  Json names = rule.value("resourceNames", Json::array());
  return !names.is_array() || names.empty() || listed(names, r.name);
}

bool subject_matches(const Json& subj, const UserInfo& u, const std::string& binding_ns) {
  if (!subj.is_object()) return false;
  std::string kind = subj.value("kind", ""), name = subj.value("name", "");
  if (kind == "User") return name == u.name;
  if (kind == "Group") return std::find(u.groups.begin(), u.groups.end(), name) != u.groups.end();
  if (kind == "ServiceAccount") {
    std::string ns = subj.value("namespace", binding_ns);
    return u.name == "system:serviceaccount:" + ns + ":" + name;
  }
  return false;
}

Json rule(std::vector<std::string> groups, std::vector<std::string> resources, std::vector<std::string> verbs) {
  return {{"apiGroups", groups}, {"resources", resources}, {"verbs", verbs}};
}

}  // namespace

RequestInfo request_info(const std::string& method, const std::string& path, bool watch) {
  RequestInfo r;
  r.path = path;
  r.verb = method == "HEAD" ? "get" : str::to_lower(method);
  auto parts = str::split(path, '/');  // "", "api", "v1", ...
  parts.erase(std::remove(parts.begin(), parts.end(), ""), parts.end());
  size_t i = 0;
  if (parts.size() >= 2 && parts[0] == "api") {
    r.api_version = parts[1];
    i = 2;
  } else if (parts.size() >= 3 && parts[0] == "apis") {
    r.api_group = parts[1];
    r.api_version = parts[2];
    i = 3;
  } else {
    return r;  // discovery, /version, /healthz, /openapi: non-resource
  }
  if (i >= parts.size()) return r;  // /api/v1 itself
  r.resource_request = true;
  if (parts[i] == "namespaces" && i + 1 < parts.size()) {
    r.ns = parts[i + 1];
    if (i + 2 < parts.size()) {
      i += 2;
    } else {
      r.resource = "namespaces";  // /api/v1/namespaces/<name>
      r.name = r.ns;
      i = parts.size();
    }
  }
  if (i < parts.size()) r.resource = parts[i];
  if (i + 1 < parts.size()) r.name = parts[i + 1];
  if (i + 2 < parts.size()) r.subresource = parts[i + 2];
  if (r.resource == "namespaces" && !r.name.empty() && r.ns.empty()) r.ns = r.name;
  if (method == "GET" || method == "HEAD") r.verb = r.name.empty() ? (watch ? "watch" : "list") : (watch ? "watch" : "get");
  if (method == "POST") r.verb = "create";
  if (method == "PUT") r.verb = "update";
  if (method == "PATCH") r.verb = "patch";
  if (method == "DELETE") r.verb = r.name.empty() ? "deletecollection" : "delete";
  return r;
}

std::string Authorizer::denied(const UserInfo& u, const RequestInfo& r) const {
  if (std::find(u.groups.begin(), u.groups.end(), "system:masters") != u.groups.end()) return "";
  auto role_rules = [&](const Json& ref, const std::string& ns) -> Json {
    std::string kind = ref.value("kind", ""), name = ref.value("name", "");
    auto kv = kind == "ClusterRole" ? s_.get("/registry/clusterroles/" + name) : s_.get("/registry/roles/" + ns + "/" + name);
    return kv ? served(*kv).value("rules", Json::array()) : Json::array();
  };
  auto allows = [&](const Json& binding, const std::string& ns) {
    bool bound = false;
    for (auto& subj : binding.value("subjects", Json::array())) bound = bound || subject_matches(subj, u, ns);
    if (!bound) return false;
    for (auto& rl : role_rules(binding.value("roleRef", Json::object()), ns)) {
      if (rule_allows(rl, r)) return true;
    }
    return false;
  };
  if (auto crbs = s_.list("/registry/clusterrolebindings/", {})) {
    for (auto& kv : crbs->items) {
      if (allows(served(kv), "")) return "";
    }
  }
  if (!r.ns.empty()) {
    if (auto rbs = s_.list("/registry/rolebindings/" + r.ns + "/", {})) {
      for (auto& kv : rbs->items) {
        if (allows(served(kv), r.ns)) return "";
      }
    }
  }
  std::string who = "User \"" + u.name + "\" cannot ";
  if (!r.resource_request) return who + r.verb + " path \"" + r.path + "\"";
  std::string res = r.subresource.empty() ? r.resource : r.resource + "/" + r.subresource;
  return who + r.verb + " resource \"" + res + "\" in API group \"" + r.api_group + "\"" +
         (r.ns.empty() ? " at the cluster scope" : " in the namespace \"" + r.ns + "\"");
}

std::string Authorizer::missing_permission(const UserInfo& user, const Json& rules, const std::string& ns) const {
  auto quoted = [](const Json& list) {
    std::vector<std::string> out;
    for (auto& x : list) out.push_back(x.is_string() ? "\"" + x.get<std::string>() + "\"" : dump_json(x));
    return "[" + str::join(out, " ") + "]";
  };
  for (auto& rule : rules.is_array() ? rules : Json::array()) {
    if (!rule.is_object()) continue;
    Json verbs = rule.value("verbs", Json::array());
    Json names = rule.value("resourceNames", Json::array());
    if (names.empty()) names = Json::array({""});
    auto describe = [&] {
      std::string d = "{";
      if (rule.contains("apiGroups")) d += "APIGroups:" + quoted(rule["apiGroups"]) + ", ";
      if (rule.contains("resources")) d += "Resources:" + quoted(rule["resources"]) + ", ";
      if (rule.contains("resourceNames")) d += "ResourceNames:" + quoted(rule["resourceNames"]) + ", ";
      if (rule.contains("nonResourceURLs")) d += "NonResourceURLs:" + quoted(rule["nonResourceURLs"]) + ", ";
      return d + "Verbs:" + quoted(verbs) + "}";
    };
    for (auto& verb : verbs) {
      for (auto& url : rule.value("nonResourceURLs", Json::array())) {
        RequestInfo r;
        r.verb = verb.is_string() ? verb.get<std::string>() : "";
        r.path = url.is_string() ? url.get<std::string>() : "";
        if (!denied(user, r).empty()) return describe();
      }
      for (auto& group : rule.value("apiGroups", Json::array())) {
        for (auto& resource : rule.value("resources", Json::array())) {
          for (auto& name : names) {
            RequestInfo r;
            r.resource_request = true;
            r.verb = verb.is_string() ? verb.get<std::string>() : "";
            r.api_group = group.is_string() ? group.get<std::string>() : "";
            std::string res = resource.is_string() ? resource.get<std::string>() : "";
            r.resource = res.substr(0, res.find('/'));
            r.subresource = res.find('/') == std::string::npos ? "" : res.substr(res.find('/') + 1);
            r.name = name.is_string() ? name.get<std::string>() : "";
            r.ns = ns;
            if (!denied(user, r).empty()) return describe();
          }
        }
      }
    }
  }
  return "";
}

std::string Authorizer::escalation(const UserInfo& user, const RequestInfo& r, const Json& object) const {
  bool role = r.resource == "roles" || r.resource == "clusterroles";
  bool binding = r.resource == "rolebindings" || r.resource == "clusterrolebindings";
  if (!r.resource_request || r.api_group != "rbac.authorization.k8s.io" || (!role && !binding)) return "";
  if (std::find(user.groups.begin(), user.groups.end(), "system:masters") != user.groups.end()) return "";
  std::string ns = r.resource == "roles" || r.resource == "rolebindings" ? r.ns : "";
  std::string name = object.is_object() ? object.value("metadata", Json::object()).value("name", r.name) : r.name;
  Json rules;
  RequestInfo may = r;
  may.subresource.clear();
  if (role) {
    may.verb = "escalate";
    may.name = name;
    if (denied(user, may).empty()) return "";
    rules = object.is_object() ? object.value("rules", Json::array()) : Json::array();
  } else {
    Json ref = object.is_object() ? object.value("roleRef", Json::object()) : Json::object();
    if (!ref.is_object()) return "roleRef: must be an object";
    may.verb = "bind";
    may.resource = ref.value("kind", "") == "ClusterRole" ? "clusterroles" : "roles";
    may.name = ref.value("name", "");
    if (denied(user, may).empty()) return "";
    auto kv = ref.value("kind", "") == "ClusterRole" ? s_.get("/registry/clusterroles/" + ref.value("name", ""))
                                                      : s_.get("/registry/roles/" + ns + "/" + ref.value("name", ""));
    rules = kv ? served(*kv).value("rules", Json::array()) : Json::array();
  }
  std::string missing = missing_permission(user, rules, ns);
  if (missing.empty()) return "";
  std::vector<std::string> groups;
  for (auto& g : user.groups) groups.push_back("\"" + g + "\"");
  return "user \"" + user.name + "\" (groups=[" + str::join(groups, " ") +
         "]) is attempting to grant RBAC permissions not currently held:\n" + missing;
}

Result<void> ensure_bootstrap_policy(store::Store& s) {
  const std::vector<std::string> read = {"get", "list", "watch"};
  const std::vector<std::string> write = {"create", "delete", "deletecollection", "patch", "update"};
  std::vector<std::string> all = read;
  all.insert(all.end(), write.begin(), write.end());
  const std::vector<std::string> core = {"pods", "pods/log", "pods/status", "services", "endpoints", "configmaps",
                                         "persistentvolumeclaims", "serviceaccounts", "events", "limitranges",
                                         "resourcequotas", "replicationcontrollers"};
  const std::vector<std::string> apps = {"deployments", "deployments/scale", "deployments/status", "replicasets",
                                         "replicasets/scale", "statefulsets", "statefulsets/scale", "daemonsets",
                                         "controllerrevisions"};
  const std::vector<std::string> batch = {"jobs", "cronjobs"};
  auto view = Json::array({rule({""}, core, read), rule({""}, {"namespaces"}, read), rule({"apps"}, apps, read),
                           rule({"batch"}, batch, read), rule({"autoscaling"}, {"horizontalpodautoscalers"}, read),
                           rule({"networking.k8s.io"}, {"ingresses", "networkpolicies"}, read),
                           rule({"policy"}, {"poddisruptionbudgets"}, read),
                           rule({"discovery.k8s.io"}, {"endpointslices"}, read)});
  Json edit = Json::array({rule({""}, core, all), rule({""}, {"secrets"}, all), rule({""}, {"namespaces"}, read),
                           rule({"apps"}, apps, all), rule({"batch"}, batch, all),
                           rule({"autoscaling"}, {"horizontalpodautoscalers"}, all),
                           rule({"networking.k8s.io"}, {"ingresses", "networkpolicies"}, all),
                           rule({"policy"}, {"poddisruptionbudgets"}, all),
                           rule({"discovery.k8s.io"}, {"endpointslices"}, read),
                           rule({""}, {"serviceaccounts/token"}, {"create"})});
  Json admin = edit;
  admin.push_back(rule({"rbac.authorization.k8s.io"}, {"roles", "rolebindings"}, all));
  const std::vector<std::string> discovery_urls = {"/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez",
                                                   "/readyz", "/version", "/version/", "/openapi", "/openapi/*"};
  struct Role {
    std::string name;
    Json rules;
    std::vector<std::pair<std::string, std::string>> bound;  // (kind, name) subjects of its binding
  };
  std::vector<Role> roles = {
      {"cluster-admin",
       Json::array({rule({"*"}, {"*"}, {"*"}), {{"nonResourceURLs", {"*"}}, {"verbs", {"*"}}}}),
       {{"Group", "system:masters"}}},
      {"admin", admin, {}},
      {"edit", edit, {}},
      {"view", view, {}},
      {"system:discovery", Json::array({{{"nonResourceURLs", discovery_urls}, {"verbs", {"get"}}}}),
       {{"Group", "system:authenticated"}}},
      {"system:basic-user",
       Json::array({rule({"authorization.k8s.io"}, {"selfsubjectaccessreviews", "selfsubjectrulesreviews"}, {"create"})}),
       {{"Group", "system:authenticated"}}},
      {"system:public-info-viewer",
       Json::array({{{"nonResourceURLs", {"/healthz", "/livez", "/readyz", "/version", "/version/"}}, {"verbs", {"get"}}}}),
       {{"Group", "system:authenticated"}, {"Group", "system:unauthenticated"}}},
  };
  Json meta_labels = {{"kubernetes.io/bootstrapping", "rbac-defaults"}};
  Json meta_annotations = {{"rbac.authorization.kubernetes.io/autoupdate", "true"}};
  for (auto& role : roles) {
    Json cr = {{"apiVersion", "rbac.authorization.k8s.io/v1"}, {"kind", "ClusterRole"},
               {"metadata", {{"name", role.name}, {"uid", new_uid()}, {"creationTimestamp", now_timestamp()},
                             {"labels", meta_labels}, {"annotations", meta_annotations}}},
               {"rules", role.rules}};
    auto c = s.create("/registry/clusterroles/" + role.name, dump_json(cr));
    if (!c && c.error().code != Errc::kAlreadyExists) return tl::unexpected(c.error());
    if (role.bound.empty()) continue;
    Json subjects = Json::array();
    for (auto& [kind, name] : role.bound) {
      subjects.push_back({{"apiGroup", "rbac.authorization.k8s.io"}, {"kind", kind}, {"name", name}});
    }
    Json crb = {{"apiVersion", "rbac.authorization.k8s.io/v1"}, {"kind", "ClusterRoleBinding"},
                {"metadata", {{"name", role.name}, {"uid", new_uid()}, {"creationTimestamp", now_timestamp()},
                              {"labels", meta_labels}, {"annotations", meta_annotations}}},
                {"roleRef", {{"apiGroup", "rbac.authorization.k8s.io"}, {"kind", "ClusterRole"}, {"name", role.name}}},
                {"subjects", subjects}};
    auto b = s.create("/registry/clusterrolebindings/" + role.name, dump_json(crb));
    if (!b && b.error().code != Errc::kAlreadyExists) return tl::unexpected(b.error());
  }
  return {};
}

}  // namespace berth::api::kube
