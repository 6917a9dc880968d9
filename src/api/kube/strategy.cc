#include "api/kube/strategy.h"

#include <regex>
#include <set>

#include "common/strings.h"

namespace berth::api::kube {
namespace {

// Kinds whose metadata.generation counts changes of their spec (their strategies'
// PrepareForUpdate bump it; controllers compare it with status.observedGeneration).
bool counts_generation(const Resource& t) {
  static const std::set<std::string> k = {"deployments", "replicasets", "statefulsets", "daemonsets", "jobs",
                                          "cronjobs", "horizontalpodautoscalers", "ingresses", "networkpolicies",
                                          "poddisruptionbudgets", "pods"};
  return k.count(t.name) > 0;
}

// Where a kind keeps its pod template's spec, as a path of member names ("" = none).
std::vector<std::string> pod_spec_path(const Resource& t) {
  if (t.name == "pods") return {"spec"};
  if (t.name == "deployments" || t.name == "replicasets" || t.name == "statefulsets" || t.name == "daemonsets" ||
      t.name == "jobs") {
    return {"spec", "template", "spec"};
  }
  if (t.name == "cronjobs") return {"spec", "jobTemplate", "spec", "template", "spec"};
  return {};
}

Json* at(Json& obj, const std::vector<std::string>& path) {
  Json* cur = &obj;
  for (auto& p : path) {
    if (!cur->is_object() || !cur->contains(p) || !(*cur)[p].is_object()) return nullptr;
    cur = &(*cur)[p];
  }
  return cur;
}
const Json* at(const Json& obj, const std::vector<std::string>& path) { return at(const_cast<Json&>(obj), path); }

std::string joined(const std::vector<std::string>& path) { return str::join(path, "."); }

void set_default(Json& obj, const std::string& key, const Json& value) {
  if (!obj.contains(key) || obj[key].is_null()) obj[key] = value;
}

// imagePullPolicy: Always for ":latest" or no tag, IfNotPresent otherwise (a digest counts as a
// tag) — SetDefaults_Container.
std::string pull_policy(const std::string& image) {
  if (image.find('@') != std::string::npos) return "IfNotPresent";
  auto slash = image.rfind('/');
  auto colon = image.rfind(':');
  bool tagged = colon != std::string::npos && (slash == std::string::npos || colon > slash);
  return !tagged || image.substr(colon + 1) == "latest" ? "Always" : "IfNotPresent";
}

void default_probe(Json& probe) {
  if (!probe.is_object()) return;
  set_default(probe, "timeoutSeconds", 1);
  set_default(probe, "periodSeconds", 10);
  set_default(probe, "successThreshold", 1);
  set_default(probe, "failureThreshold", 3);
  if (probe.contains("httpGet") && probe["httpGet"].is_object()) {
    set_default(probe["httpGet"], "path", "/");
    set_default(probe["httpGet"], "scheme", "HTTP");
  }
}

void default_container(Json& c) {
  if (!c.is_object()) return;
  set_default(c, "terminationMessagePath", "/dev/termination-log");
  set_default(c, "terminationMessagePolicy", "File");
  if (c.contains("image") && c["image"].is_string()) set_default(c, "imagePullPolicy", pull_policy(c["image"]));
  set_default(c, "resources", Json::object());
  // Limits without requests: the requests are the limits (SetDefaults_ResourceList's caller).
  Json& res = c["resources"];
  if (res.is_object() && res.contains("limits") && res["limits"].is_object()) {
    if (!res.contains("requests") || !res["requests"].is_object()) res["requests"] = Json::object();
    for (auto& [k, v] : res["limits"].items()) set_default(res["requests"], k, v);
  }
  if (c.contains("ports") && c["ports"].is_array()) {
    for (auto& p : c["ports"]) {
      if (p.is_object()) set_default(p, "protocol", "TCP");
    }
  }
  for (auto* probe : {"livenessProbe", "readinessProbe", "startupProbe"}) {
    if (c.contains(probe)) default_probe(c[probe]);
  }
}

void default_pod_spec(Json& spec) {
  set_default(spec, "restartPolicy", "Always");
  set_default(spec, "dnsPolicy", "ClusterFirst");
  set_default(spec, "terminationGracePeriodSeconds", 30);
  set_default(spec, "securityContext", Json::object());
  set_default(spec, "schedulerName", "default-scheduler");
  set_default(spec, "enableServiceLinks", true);
  for (auto* list : {"containers", "initContainers"}) {
    if (!spec.contains(list) || !spec[list].is_array()) continue;
    for (auto& c : spec[list]) default_container(c);
  }
  if (spec.contains("volumes") && spec["volumes"].is_array()) {
    for (auto& v : spec["volumes"]) {
      if (!v.is_object()) continue;
      for (auto* src : {"secret", "configMap"}) {
        if (v.contains(src) && v[src].is_object()) set_default(v[src], "defaultMode", 420);
      }
      if (v.contains("hostPath") && v["hostPath"].is_object()) set_default(v["hostPath"], "type", "");
    }
  }
}

// The pod's QoS class from its containers' requests and limits (pkg/apis/core/helper/qos).
std::string qos_class(const Json& spec) {
  bool any = false, guaranteed = true;
  for (auto* list : {"containers", "initContainers"}) {
    if (!spec.contains(list) || !spec[list].is_array()) continue;
    for (auto& c : spec[list]) {
      Json res = c.is_object() ? c.value("resources", Json::object()) : Json::object();
      Json req = res.value("requests", Json::object()), lim = res.value("limits", Json::object());
      if (!req.empty() || !lim.empty()) any = true;
      for (auto* r : {"cpu", "memory"}) {
        if (!lim.contains(r) || !req.contains(r) || req[r] != lim[r]) guaranteed = false;
      }
    }
  }
  if (!any) return "BestEffort";
  return guaranteed ? "Guaranteed" : "Burstable";
}

void default_rolling(Json& strategy, const Json& unavailable, const Json& surge) {
  set_default(strategy, "type", "RollingUpdate");
  if (strategy["type"] == "RollingUpdate") {
    set_default(strategy, "rollingUpdate", Json::object());
    set_default(strategy["rollingUpdate"], "maxUnavailable", unavailable);
    if (!surge.is_null()) set_default(strategy["rollingUpdate"], "maxSurge", surge);
  }
}

// Go's %#v of a value, as field errors print "Invalid value: ..." (strings quoted, maps as
// map[string]string{...}).
std::string go_value(const Json& v) {
  if (v.is_string()) return dump_json(v);
  if (v.is_object()) {
    std::string out = "map[string]string{";
    bool first = true;
    for (auto& [k, x] : v.items()) {
      out += (first ? "" : ", ") + dump_json(Json(k)) + ":" + (x.is_string() ? dump_json(x) : dump_json(x));
      first = false;
    }
    return out + "}";
  }
  if (v.is_null()) return "null";
  return dump_json(v);
}

class Errors {
 public:
  void required(const std::string& f, const std::string& detail = "") {
    add("Required", f, "Required value" + (detail.empty() ? "" : ": " + detail));
  }
  void invalid(const std::string& f, const Json& v, const std::string& detail) {
    add("Invalid", f, "Invalid value: " + go_value(v) + ": " + detail);
  }
  void unsupported(const std::string& f, const Json& v, const std::vector<std::string>& ok) {
    std::string list;
    for (auto& o : ok) list += (list.empty() ? "" : ", ") + ("\"" + o + "\"");
    add("Unsupported", f, "Unsupported value: " + go_value(v) + ": supported values: " + list);
  }
  void duplicate(const std::string& f, const Json& v) { add("Duplicate", f, "Duplicate value: " + go_value(v)); }
  void forbidden(const std::string& f, const std::string& detail) { add("Forbidden", f, "Forbidden: " + detail); }
  void add(const std::string& type, const std::string& f, const std::string& detail) { out.push_back({type, f, detail}); }
  std::vector<FieldError> out;
};

const std::regex kLabel("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
const std::regex kLabel1035("[a-z]([-a-z0-9]*[a-z0-9])?");
const std::regex kSubdomain("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
const char* kLabelMsg =
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end "
    "with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const char* k1035Msg =
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, "
    "and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is "
    "'[a-z]([-a-z0-9]*[a-z0-9])?')";
const char* kSubdomainMsg =
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and "
    "end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

void dns_label(Errors& e, const std::string& f, const Json& v) {
  std::string s = v.is_string() ? v.get<std::string>() : "";
  if (s.size() > 63) e.invalid(f, v, "must be no more than 63 characters");
  else if (!std::regex_match(s, kLabel)) e.invalid(f, v, kLabelMsg);
}

// Label keys (qualified names with an optional DNS prefix) and values (63 characters of
// [-A-Za-z0-9_.], alphanumeric at both ends) — IsQualifiedName, IsValidLabelValue.
void labels(Errors& e, const std::string& f, const Json& m) {
  if (!m.is_object()) return;
  static const std::regex kName("([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]");
  for (auto& [k, v] : m.items()) {
    std::string name = k.substr(k.find('/') == std::string::npos ? 0 : k.find('/') + 1);
    std::string prefix = k.find('/') == std::string::npos ? "" : k.substr(0, k.find('/'));
    if (name.empty() || name.size() > 63 || !std::regex_match(name, kName) ||
        (!prefix.empty() && !std::regex_match(prefix, kSubdomain))) {
      e.invalid(f, Json(k),
                "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
                "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
                "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')");
    }
    std::string val = v.is_string() ? v.get<std::string>() : "";
    if (!v.is_string() || val.size() > 63 || (!val.empty() && !std::regex_match(val, kName))) {
      e.invalid(f, v,
                "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and "
                "must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', "
                "regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')");
    }
  }
}

void container(Errors& e, const std::string& f, const Json& c, std::set<std::string>& names) {
  if (!c.is_object()) return e.invalid(f, c, "must be an object");
  if (!c.contains("name") || c.value("name", "").empty()) {
    e.required(f + ".name");
  } else {
    dns_label(e, f + ".name", c["name"]);
    if (!names.insert(c.value("name", "")).second) e.duplicate(f + ".name", c["name"]);
  }
  if (c.value("image", "").empty()) e.required(f + ".image");
  if (c.contains("imagePullPolicy")) {
    static const std::vector<std::string> ok = {"Always", "IfNotPresent", "Never"};
    if (std::find(ok.begin(), ok.end(), c.value("imagePullPolicy", "")) == ok.end()) {
      e.unsupported(f + ".imagePullPolicy", c["imagePullPolicy"], ok);
    }
  }
  if (c.contains("ports") && c["ports"].is_array()) {
    for (size_t i = 0; i < c["ports"].size(); ++i) {
      const Json& p = c["ports"][i];
      std::string pf = f + ".ports[" + std::to_string(i) + "]";
      Json port = p.is_object() ? p.value("containerPort", Json()) : Json();
      if (!port.is_number_integer() || port.get<int64_t>() < 1 || port.get<int64_t>() > 65535) {
        e.invalid(pf + ".containerPort", port, "must be between 1 and 65535, inclusive");
      }
      if (p.is_object() && p.contains("protocol")) {
        static const std::vector<std::string> ok = {"SCTP", "TCP", "UDP"};
        if (std::find(ok.begin(), ok.end(), p.value("protocol", "")) == ok.end()) e.unsupported(pf + ".protocol", p["protocol"], ok);
      }
    }
  }
}

void pod_spec(Errors& e, const std::string& f, const Json& spec, const std::vector<std::string>& restart_ok) {
  std::set<std::string> names;
  if (!spec.contains("containers") || !spec["containers"].is_array() || spec["containers"].empty()) {
    e.required(f + ".containers");
  } else {
    for (size_t i = 0; i < spec["containers"].size(); ++i) {
      container(e, f + ".containers[" + std::to_string(i) + "]", spec["containers"][i], names);
    }
  }
  if (spec.contains("initContainers") && spec["initContainers"].is_array()) {
    for (size_t i = 0; i < spec["initContainers"].size(); ++i) {
      container(e, f + ".initContainers[" + std::to_string(i) + "]", spec["initContainers"][i], names);
    }
  }
  if (spec.contains("restartPolicy")) {
    std::string p = spec.value("restartPolicy", "");
    if (std::find(restart_ok.begin(), restart_ok.end(), p) == restart_ok.end()) {
      e.unsupported(f + ".restartPolicy", spec["restartPolicy"], restart_ok);
    }
  }
  if (spec.contains("dnsPolicy")) {
    static const std::vector<std::string> ok = {"ClusterFirst", "ClusterFirstWithHostNet", "Default", "None"};
    if (std::find(ok.begin(), ok.end(), spec.value("dnsPolicy", "")) == ok.end()) e.unsupported(f + ".dnsPolicy", spec["dnsPolicy"], ok);
  }
  std::set<std::string> volumes;
  if (spec.contains("volumes") && spec["volumes"].is_array()) {
    for (size_t i = 0; i < spec["volumes"].size(); ++i) {
      const Json& v = spec["volumes"][i];
      std::string vf = f + ".volumes[" + std::to_string(i) + "].name";
      if (!v.is_object() || v.value("name", "").empty()) {
        e.required(vf);
        continue;
      }
      dns_label(e, vf, v["name"]);
      if (!volumes.insert(v.value("name", "")).second) e.duplicate(vf, v["name"]);
    }
  }
  if (spec.contains("containers") && spec["containers"].is_array()) {
    for (size_t i = 0; i < spec["containers"].size(); ++i) {
      const Json& c = spec["containers"][i];
      if (!c.is_object() || !c.contains("volumeMounts") || !c["volumeMounts"].is_array()) continue;
      for (size_t j = 0; j < c["volumeMounts"].size(); ++j) {
        const Json& m = c["volumeMounts"][j];
        std::string mf = f + ".containers[" + std::to_string(i) + "].volumeMounts[" + std::to_string(j) + "]";
        std::string name = m.is_object() ? m.value("name", "") : "";
        if (!volumes.count(name)) e.add("NotFound", mf + ".name", "Not found: " + go_value(Json(name)));
        if (!m.is_object() || m.value("mountPath", "").empty()) e.required(mf + ".mountPath");
      }
    }
  }
}

// A LabelSelector's matchLabels must be matched by the template's labels
// (ValidateDeploymentSpec and its kin).
void selector_and_template(Errors& e, const Json& spec) {
  const Json sel = spec.value("selector", Json());
  if (!sel.is_object() || (sel.value("matchLabels", Json::object()).empty() && sel.value("matchExpressions", Json::array()).empty())) {
    e.required("spec.selector");
    if (sel.is_object()) e.invalid("spec.selector", sel, "empty selector is invalid for deployment");
    return;
  }
  Json tl = spec.value("template", Json::object()).value("metadata", Json::object()).value("labels", Json::object());
  const Json match = sel.value("matchLabels", Json::object());
  for (auto& [k, v] : match.items()) {
    if (!tl.is_object() || !tl.contains(k) || tl[k] != v) {
      e.invalid("spec.template.metadata.labels", tl, "`selector` does not match template `labels`");
      return;
    }
  }
}

void replicas(Errors& e, const Json& spec) {
  if (spec.contains("replicas") && (!spec["replicas"].is_number_integer() || spec["replicas"].get<int64_t>() < 0)) {
    e.invalid("spec.replicas", spec["replicas"], "must be greater than or equal to 0");
  }
}

void service(Errors& e, const Json& spec, const Json& old) {
  static const std::vector<std::string> types = {"ClusterIP", "ExternalName", "LoadBalancer", "NodePort"};
  std::string type = spec.value("type", "ClusterIP");
  if (std::find(types.begin(), types.end(), type) == types.end()) e.unsupported("spec.type", spec["type"], types);
  Json ports = spec.value("ports", Json::array());
  bool headless = spec.value("clusterIP", "") == "None";
  if (type != "ExternalName" && !headless && (!ports.is_array() || ports.empty())) e.required("spec.ports");
  std::set<std::string> names;
  for (size_t i = 0; ports.is_array() && i < ports.size(); ++i) {
    const Json& p = ports[i];
    std::string pf = "spec.ports[" + std::to_string(i) + "]";
    Json port = p.is_object() ? p.value("port", Json()) : Json();
    if (!port.is_number_integer() || port.get<int64_t>() < 1 || port.get<int64_t>() > 65535) {
      e.invalid(pf + ".port", port, "must be between 1 and 65535, inclusive");
    }
    std::string name = p.is_object() ? p.value("name", "") : "";
    if (ports.size() > 1 && name.empty()) e.required(pf + ".name");
    if (!name.empty() && !names.insert(name).second) e.duplicate(pf + ".name", Json(name));
  }
  if (old.is_object()) {
    std::string was = old.value("spec", Json::object()).value("clusterIP", "");
    if (!was.empty() && spec.contains("clusterIP") && spec.value("clusterIP", "") != was && type != "ExternalName") {
      e.invalid("spec.clusterIPs[0]", spec["clusterIP"], "may not change once set");
    }
  }
}

}  // namespace

std::string FieldError::reason() const {
  if (type == "Required") return "FieldValueRequired";
  if (type == "Duplicate") return "FieldValueDuplicate";
  if (type == "Unsupported") return "FieldValueNotSupported";
  if (type == "Forbidden") return "FieldValueForbidden";
  if (type == "NotFound") return "FieldValueNotFound";
  if (type == "TooLong") return "FieldValueTooLong";
  return "FieldValueInvalid";
}

bool has_status(const Resource& t) {
  static const std::set<std::string> k = {
      "pods", "services", "namespaces", "nodes", "persistentvolumes", "persistentvolumeclaims", "resourcequotas",
      "deployments", "replicasets", "statefulsets", "daemonsets", "jobs", "cronjobs", "horizontalpodautoscalers",
      "ingresses", "poddisruptionbudgets"};
  return k.count(t.name) > 0;
}

void prepare_for_create(const Resource& t, Json& obj) {
  if (has_status(t) && t.name != "namespaces") obj["status"] = Json::object();
  if (t.name == "pods") {
    obj["status"] = {{"phase", "Pending"}, {"qosClass", qos_class(obj.value("spec", Json::object()))}};
  }
  if (t.name == "persistentvolumeclaims" || t.name == "persistentvolumes") obj["status"] = {{"phase", "Pending"}};
  if (counts_generation(t)) obj["metadata"]["generation"] = 1;
}

void prepare_for_update(const Resource& t, Json& obj, const Json& old, bool status_only) {
  if (status_only) {
    Json status = obj.value("status", Json::object());
    Json meta = obj["metadata"];
    obj = old;
    obj["status"] = status;
    obj["metadata"]["resourceVersion"] = meta.value("resourceVersion", Json());
    return;
  }
  if (has_status(t)) {
    if (old.contains("status")) {
      obj["status"] = old["status"];
    } else {
      obj.erase("status");
    }
  }
  if (counts_generation(t)) {
    Json a = obj, b = old;
    for (Json* x : {&a, &b}) {
      x->erase("metadata");
      x->erase("status");
    }
    int64_t gen = old.value("metadata", Json::object()).value("generation", int64_t{1});
    obj["metadata"]["generation"] = a == b ? gen : gen + 1;
  }
}

void apply_defaults(const Resource& t, Json& obj) {
  if (t.name == "namespaces") {  // every namespace carries its name as a label, for selectors
    obj["metadata"]["labels"]["kubernetes.io/metadata.name"] = obj["metadata"].value("name", "");
  }
  if (!obj.contains("spec") || !obj["spec"].is_object()) return;
  Json& spec = obj["spec"];
  if (Json* ps = at(obj, pod_spec_path(t)); ps && !pod_spec_path(t).empty()) default_pod_spec(*ps);
  if (t.name == "pods") {
    set_default(spec, "serviceAccountName", "default");
    set_default(spec, "serviceAccount", spec["serviceAccountName"]);
    set_default(spec, "priority", 0);
    // DefaultTolerationSeconds admission: five minutes on a not-ready or unreachable node.
    if (!spec.contains("tolerations")) {
      spec["tolerations"] = Json::array();
      for (auto* taint : {"node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"}) {
        spec["tolerations"].push_back(
            {{"key", taint}, {"operator", "Exists"}, {"effect", "NoExecute"}, {"tolerationSeconds", 300}});
      }
    }
  } else if (t.name == "deployments") {
    set_default(spec, "replicas", 1);
    set_default(spec, "strategy", Json::object());
    default_rolling(spec["strategy"], "25%", "25%");
    set_default(spec, "revisionHistoryLimit", 10);
    set_default(spec, "progressDeadlineSeconds", 600);
  } else if (t.name == "replicasets") {
    set_default(spec, "replicas", 1);
  } else if (t.name == "statefulsets") {
    set_default(spec, "replicas", 1);
    set_default(spec, "podManagementPolicy", "OrderedReady");
    set_default(spec, "updateStrategy", Json::object());
    set_default(spec["updateStrategy"], "type", "RollingUpdate");
    if (spec["updateStrategy"]["type"] == "RollingUpdate") {
      set_default(spec["updateStrategy"], "rollingUpdate", {{"partition", 0}});
    }
    set_default(spec, "revisionHistoryLimit", 10);
    set_default(spec, "persistentVolumeClaimRetentionPolicy", {{"whenDeleted", "Retain"}, {"whenScaled", "Retain"}});
  } else if (t.name == "daemonsets") {
    set_default(spec, "updateStrategy", Json::object());
    default_rolling(spec["updateStrategy"], 1, 0);
    set_default(spec, "revisionHistoryLimit", 10);
  } else if (t.name == "jobs") {
    set_default(spec, "parallelism", 1);
    set_default(spec, "completions", 1);
    set_default(spec, "backoffLimit", 6);
    set_default(spec, "completionMode", "NonIndexed");
    set_default(spec, "suspend", false);
    // The job's own selector on its controller-uid label (the Job strategy's generateSelector).
    std::string uid = obj["metadata"].value("uid", "");
    if (!spec.value("manualSelector", false) && !uid.empty() && !spec.contains("selector")) {
      spec["selector"] = {{"matchLabels", {{"batch.kubernetes.io/controller-uid", uid}}}};
      Json& tl = spec["template"]["metadata"]["labels"];
      if (!tl.is_object()) tl = Json::object();
      tl["batch.kubernetes.io/controller-uid"] = uid;
      tl["controller-uid"] = uid;
      tl["batch.kubernetes.io/job-name"] = obj["metadata"].value("name", "");
      tl["job-name"] = obj["metadata"].value("name", "");
    }
  } else if (t.name == "cronjobs") {
    set_default(spec, "concurrencyPolicy", "Allow");
    set_default(spec, "suspend", false);
    set_default(spec, "successfulJobsHistoryLimit", 3);
    set_default(spec, "failedJobsHistoryLimit", 1);
  } else if (t.name == "services") {
    set_default(spec, "type", "ClusterIP");
    set_default(spec, "sessionAffinity", "None");
    if (spec["type"] != "ExternalName") {
      set_default(spec, "ipFamilies", {"IPv4"});
      set_default(spec, "ipFamilyPolicy", "SingleStack");
      set_default(spec, "internalTrafficPolicy", "Cluster");
    }
    if (spec["type"] == "NodePort" || spec["type"] == "LoadBalancer") set_default(spec, "externalTrafficPolicy", "Cluster");
    if (spec.contains("ports") && spec["ports"].is_array()) {
      for (auto& p : spec["ports"]) {
        if (!p.is_object()) continue;
        set_default(p, "protocol", "TCP");
        if (p.contains("port")) set_default(p, "targetPort", p["port"]);
      }
    }
  } else if (t.name == "horizontalpodautoscalers") {
    set_default(spec, "minReplicas", 1);
    // Without metrics an autoscaler keeps the average CPU use at 80% (autoscaling/v2 defaults).
    if (!spec.contains("metrics") || (spec["metrics"].is_array() && spec["metrics"].empty())) {
      spec["metrics"] = Json::array({{{"type", "Resource"},
                                      {"resource", {{"name", "cpu"}, {"target", {{"type", "Utilization"}, {"averageUtilization", 80}}}}}}});
    }
  } else if (t.name == "persistentvolumeclaims" || t.name == "persistentvolumes") {
    set_default(spec, "volumeMode", "Filesystem");
    if (t.name == "persistentvolumes") set_default(spec, "persistentVolumeReclaimPolicy", "Retain");
  }
}

std::vector<FieldError> validate(const Resource& t, const Json& obj, const Json& old) {
  Errors e;
  const Json meta = obj.value("metadata", Json::object());
  std::string name = meta.value("name", "");
  if (t.name == "namespaces") {
    dns_label(e, "metadata.name", Json(name));
  } else if (t.name == "services") {
    if (name.size() > 63 || !std::regex_match(name, kLabel1035)) e.invalid("metadata.name", Json(name), k1035Msg);
  } else if (name.size() > 253 || !std::regex_match(name, kSubdomain)) {
    e.invalid("metadata.name", Json(name), kSubdomainMsg);
  }
  // The shapes of ObjectMeta's maps and lists (a wrong one would make the object unreadable
  // to every typed client).
  auto string_map = [&](const char* field) {
    if (!meta.contains(field) || meta[field].is_null()) return;
    bool ok = meta[field].is_object();
    if (ok) {
      for (auto& [k, v] : meta[field].items()) ok = ok && v.is_string();
    }
    if (!ok) e.invalid(std::string("metadata.") + field, meta[field], "must be a map of string keys to string values");
  };
  string_map("labels");
  string_map("annotations");
  if (meta.contains("finalizers") && !meta["finalizers"].is_null()) {
    static const std::regex kQualified("([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?");
    bool ok = meta["finalizers"].is_array();
    const Json listed = ok ? meta["finalizers"] : Json::array();
    for (auto& f : listed) {
      if (!f.is_string() || !std::regex_match(f.get<std::string>(), kQualified)) {
        e.invalid("metadata.finalizers", f, "name part must consist of alphanumeric characters, '-', '_' or '.'");
      }
    }
    if (!ok) e.invalid("metadata.finalizers", meta["finalizers"], "must be a list of strings");
  }
  if (meta.contains("ownerReferences") && !meta["ownerReferences"].is_null()) {
    const Json& refs = meta["ownerReferences"];
    if (!refs.is_array()) e.invalid("metadata.ownerReferences", refs, "must be a list");
    for (size_t i = 0; refs.is_array() && i < refs.size(); ++i) {
      for (auto* k : {"apiVersion", "kind", "name", "uid"}) {
        if (!refs[i].is_object() || !refs[i].contains(k) || !refs[i][k].is_string() || refs[i][k].get<std::string>().empty()) {
          e.required("metadata.ownerReferences[" + std::to_string(i) + "]." + k);
        }
      }
    }
  }
  if (meta.value("annotations", Json::object()).is_object() && dump_json(meta.value("annotations", Json::object())).size() > 262144) {
    e.add("TooLong", "metadata.annotations", "Too long: must have at most 262144 bytes");
  }
  labels(e, "metadata.labels", meta.value("labels", Json::object()));
  const Json spec = obj.value("spec", Json());
  if (t.name == "pods") {
    if (!spec.is_object()) {
      e.required("spec.containers");
    } else {
      pod_spec(e, "spec", spec, {"Always", "OnFailure", "Never"});
    }
    // Only images and a few scheduling fields of a pod may change (ValidatePodUpdate).
    if (old.is_object() && spec.is_object()) {
      Json a = spec, b = old.value("spec", Json::object());
      for (Json* s : {&a, &b}) {
        for (auto* list : {"containers", "initContainers"}) {
          if (!s->contains(list) || !(*s)[list].is_array()) continue;
          for (auto& c : (*s)[list]) {
            if (c.is_object()) c.erase("image");
          }
        }
        for (auto* k : {"activeDeadlineSeconds", "tolerations", "terminationGracePeriodSeconds", "nodeName"}) s->erase(k);
      }
      if (a != b) {
        e.forbidden("spec",
                    "pod updates may not change fields other than `spec.containers[*].image`,"
                    "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions "
                    "to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it "
                    "was previously negative)");
      }
    }
  } else if (t.name == "deployments" || t.name == "replicasets" || t.name == "statefulsets" || t.name == "daemonsets") {
    if (!spec.is_object()) {
      e.required("spec.selector");
    } else {
      replicas(e, spec);
      selector_and_template(e, spec);
      const Json* ps = at(obj, pod_spec_path(t));
      if (!ps) {
        e.required("spec.template.spec.containers");
      } else {
        pod_spec(e, "spec.template.spec", *ps, {"Always"});
      }
      if (old.is_object() && old.value("spec", Json::object()).value("selector", Json()) != spec.value("selector", Json())) {
        e.invalid("spec.selector", spec.value("selector", Json()), "field is immutable");
      }
    }
  } else if (t.name == "jobs" || t.name == "cronjobs") {
    const Json* ps = at(obj, pod_spec_path(t));
    std::string base = joined(pod_spec_path(t));
    if (!ps) {
      e.required(base + ".containers");
    } else {
      pod_spec(e, base, *ps, {"OnFailure", "Never"});
      if (!ps->contains("restartPolicy")) e.required(base + ".restartPolicy", "valid values: \"OnFailure\", \"Never\"");
    }
    if (t.name == "cronjobs" && (!spec.is_object() || spec.value("schedule", "").empty())) e.required("spec.schedule");
  } else if (t.name == "services") {
    service(e, spec.is_object() ? spec : Json::object(), old);
  } else if (t.name == "rolebindings" || t.name == "clusterrolebindings") {
    const Json ref = obj.value("roleRef", Json());
    if (!ref.is_object() || ref.value("name", "").empty()) e.required("roleRef.name");
    if (ref.is_object() && ref.value("kind", "") != "Role" && ref.value("kind", "") != "ClusterRole") {
      e.unsupported("roleRef.kind", ref.value("kind", Json("")), {"ClusterRole", "Role"});
    }
    if (old.is_object() && old.value("roleRef", Json()) != ref) e.invalid("roleRef", ref, "cannot change roleRef");
  } else if (t.name == "configmaps" || t.name == "secrets") {
    static const std::regex kKey("[-._a-zA-Z0-9]+");
    size_t total = 0;
    for (auto* field : {"data", "binaryData"}) {
      Json d = obj.value(field, Json::object());
      if (d.is_null()) continue;
      if (!d.is_object()) {
        e.invalid(field, d, "must be a map of string keys to string values");
        continue;
      }
      for (auto& [k, v] : d.items()) {
        if (!v.is_string()) {
          e.invalid(std::string(field) + "[" + k + "]", v, "must be a string");
          continue;
        }
        total += k.size() + v.get<std::string>().size();
        bool base64 = t.name == "secrets" || std::string(field) == "binaryData";
        if (base64 && !str::base64_decode(v.get<std::string>())) {
          e.invalid(std::string(field) + "[" + k + "]", Json("<value omitted>"), "illegal base64 data");
        }
        if (k.size() > 253 || !std::regex_match(k, kKey)) {
          e.invalid(std::string(field) + "[" + k + "]", Json(k),
                    "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  "
                    "or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')");
        }
      }
    }
    if (total > 1048576) e.add("TooLong", "data", "Too long: must have at most 1048576 bytes");
    if (old.is_object() && old.value("immutable", false) == true) {
      Json a = obj, b = old;
      a.erase("metadata");
      b.erase("metadata");
      if (a != b) e.forbidden("data", "field is immutable when `immutable` is set");
    }
  }
  return e.out;
}

std::string invalid_message(const Resource& t, const std::string& name, const std::vector<FieldError>& errors) {
  std::string kind = t.group.empty() ? t.kind : t.kind + "." + t.group;
  std::string out = kind + " \"" + name + "\" is invalid: ";
  if (errors.size() == 1) return out + errors[0].text();
  std::vector<std::string> parts;
  for (auto& e : errors) parts.push_back(e.text());
  return out + "[" + str::join(parts, ", ") + "]";
}

}  // namespace berth::api::kube
