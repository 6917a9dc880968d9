#include "api/kube/table.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string_view>
#include <vector>

#include "common/strings.h"
#include "common/time.h"

namespace berth::api::kube {
namespace {

using Path = std::initializer_list<const char*>;

// j.<path>, or null when a step is missing or not an object.
const Json& at(const Json& j, Path path) {
  static const Json kNull;
  const Json* cur = &j;
  for (const char* k : path) {
    if (!cur->is_object()) return kNull;
    auto it = cur->find(k);
    if (it == cur->end()) return kNull;
    cur = &*it;
  }
  return *cur;
}
// The string at `path`, or `dflt` when absent or empty (Go's zero value, which printers.go tests).
std::string text(const Json& j, Path path, const std::string& dflt = "") {
  const Json& v = at(j, path);
  return v.is_string() && !v.get<std::string>().empty() ? v.get<std::string>() : dflt;
}
int64_t integer(const Json& j, Path path, int64_t dflt = 0) {
  const Json& v = at(j, path);
  return v.is_number() ? v.get<int64_t>() : dflt;
}
bool truth(const Json& j, Path path) {
  const Json& v = at(j, path);
  return v.is_boolean() && v.get<bool>();
}
// The array at `path` (empty when absent).
const Json& array(const Json& j, Path path) {
  static const Json kEmpty = Json::array();
  const Json& v = at(j, path);
  return v.is_array() ? v : kEmpty;
}
size_t count(const Json& j, Path path) {
  const Json& v = at(j, path);
  return v.is_object() || v.is_array() ? v.size() : 0;
}
// A resource.Quantity or IntOrString as text.
std::string scalar(const Json& v, const std::string& dflt) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_integer()) return std::to_string(v.get<int64_t>());
  if (v.is_number()) return dump_json(v);
  return dflt;
}

// Seconds since the epoch of a metav1.Time, or nullopt when absent (or the zero time).
std::optional<double> seconds_of(const Json& t) {
  if (!t.is_string()) return std::nullopt;
  double s = parse_rfc3339(t.get<std::string>());
  if (s < 0) return std::nullopt;
  return s;
}
// translateTimestampSince.
std::string since(const Json& t, int64_t now) {
  auto s = seconds_of(t);
  return s ? human_duration(static_cast<int64_t>(static_cast<double>(now) - *s)) : "<unknown>";
}
std::string age(const Json& o, int64_t now) { return since(at(o, {"metadata", "creationTimestamp"}), now); }
std::string name(const Json& o) { return text(o, {"metadata", "name"}); }

std::string join(const std::vector<std::string>& v, std::string_view sep = ",") { return str::join(v, sep); }
std::vector<std::string> strings(const Json& arr) {
  std::vector<std::string> out;
  for (auto& v : arr) {
    if (v.is_string()) out.push_back(v.get<std::string>());
  }
  return out;
}

// labels.FormatLabels: "k=v,..." by key, "<none>" when empty.
std::string format_labels(const Json& m) {
  std::vector<std::string> parts;
  if (m.is_object()) {
    for (auto& [k, v] : m.items()) parts.push_back(k + "=" + scalar(v, ""));
  }
  return parts.empty() ? "<none>" : join(parts);
}

// metav1.LabelSelectorAsSelector(sel).String(): requirements by key, "k=v", "k in (a,b)",
// "k notin (a,b)", "k", "!k"; "" for no selector or an empty one; nullopt when invalid.
std::optional<std::string> selector_string(const Json& sel) {
  std::vector<std::pair<std::string, std::string>> reqs;
  if (const Json& labels = at(sel, {"matchLabels"}); labels.is_object()) {
    for (auto& [k, v] : labels.items()) reqs.emplace_back(k, k + "=" + scalar(v, ""));
  }
  for (auto& e : array(sel, {"matchExpressions"})) {
    std::string key = text(e, {"key"}), op = text(e, {"operator"});
    std::vector<std::string> values = strings(array(e, {"values"}));
    std::sort(values.begin(), values.end());
    if ((op == "In" || op == "NotIn") && !values.empty()) {
      reqs.emplace_back(key, key + (op == "In" ? " in (" : " notin (") + join(values) + ")");
    } else if ((op == "Exists" || op == "DoesNotExist") && values.empty()) {
      reqs.emplace_back(key, (op == "Exists" ? "" : "!") + key);
    } else {
      return std::nullopt;
    }
  }
  std::stable_sort(reqs.begin(), reqs.end(), [](auto& a, auto& b) { return a.first < b.first; });
  std::vector<std::string> parts;
  for (auto& r : reqs) parts.push_back(r.second);
  return join(parts);
}
// metav1.FormatLabelSelector.
std::string format_label_selector(const Json& sel) {
  auto s = selector_string(sel);
  return !s ? "<error>" : s->empty() ? "<none>" : *s;
}

// layoutContainerCells: names and images, comma-separated.
std::pair<std::string, std::string> container_cells(const Json& containers) {
  std::vector<std::string> names, images;
  for (auto& c : containers) {
    names.push_back(text(c, {"name"}));
    images.push_back(text(c, {"image"}));
  }
  return {join(names), join(images)};
}

// listWithMoreString: the first three, "+ N more...", "<unset>" for none.
std::string first_three(const std::vector<std::string>& all) {
  if (all.empty()) return "<unset>";
  std::vector<std::string> head(all.begin(), all.begin() + std::min<size_t>(all.size(), 3));
  return join(head) + (all.size() > 3 ? " + " + std::to_string(all.size() - 3) + " more..." : "");
}

// Load balancer ingress points (IPs, else hostnames), sorted and deduplicated; unclipped,
// as the API server prints wide.
std::string load_balancer_points(const Json& ingress) {
  std::set<std::string> points;
  for (auto& i : ingress) {
    if (std::string ip = text(i, {"ip"}); !ip.empty()) {
      points.insert(ip);
    } else if (std::string host = text(i, {"hostname"}); !host.empty()) {
      points.insert(host);
    }
  }
  return join({points.begin(), points.end()});
}

// helper.GetAccessModesAsString.
std::string access_modes(const Json& modes) {
  std::vector<std::string> have = strings(modes), out;
  auto has = [&](const char* m) { return std::find(have.begin(), have.end(), m) != have.end(); };
  static const std::pair<const char*, const char*> kModes[] = {
      {"ReadWriteOnce", "RWO"}, {"ReadOnlyMany", "ROX"}, {"ReadWriteMany", "RWX"}, {"ReadWriteOncePod", "RWOP"}};
  for (auto& [mode, shorthand] : kModes) {
    if (has(mode)) out.push_back(shorthand);
  }
  return join(out);
}

// helper.GetPersistentVolume(Claim)Class: the beta annotation first.
std::string storage_class(const Json& o) {
  const Json& beta = at(o, {"metadata", "annotations", "volume.beta.kubernetes.io/storage-class"});
  return beta.is_string() ? beta.get<std::string>() : text(o, {"spec", "storageClassName"});
}

// --- the printers, each giving the cells of printers.go's print<Kind> with options.Wide ---

Json pod(const Json& o, int64_t now) {
  const Json& status = at(o, {"status"});
  int64_t restarts = 0, sidecar_restarts = 0, ready = 0;
  int64_t total = static_cast<int64_t>(array(o, {"spec", "containers"}).size());
  double last_restart = 0, last_sidecar_restart = 0;
  std::string phase = text(status, {"phase"}, "Pending");
  std::string reason = text(status, {"reason"}, phase);
  for (auto& c : array(status, {"conditions"})) {
    if (text(c, {"type"}) == "PodScheduled" && text(c, {"reason"}) == "SchedulingGated") reason = "SchedulingGated";
  }
  // Init containers with restartPolicy Always are sidecars: they count as containers.
  std::set<std::string> sidecars;
  const Json& inits = array(o, {"spec", "initContainers"});
  for (auto& c : inits) {
    if (text(c, {"restartPolicy"}) == "Always") {
      sidecars.insert(text(c, {"name"}));
      ++total;
    }
  }
  auto finished = [](const Json& cs) { return seconds_of(at(cs, {"lastState", "terminated", "finishedAt"})).value_or(0); };
  auto exit_reason = [](const Json& term, const std::string& prefix) {
    if (std::string r = text(term, {"reason"}); !r.empty()) return prefix + r;
    int64_t sig = integer(term, {"signal"});
    return prefix + (sig ? "Signal:" + std::to_string(sig) : "ExitCode:" + std::to_string(integer(term, {"exitCode"})));
  };
  bool initializing = false;
  const Json& init_statuses = array(status, {"initContainerStatuses"});
  for (size_t i = 0; i < init_statuses.size(); ++i) {
    const Json& c = init_statuses[i];
    bool sidecar = sidecars.count(text(c, {"name"})) > 0;
    restarts += integer(c, {"restartCount"});
    last_restart = std::max(last_restart, finished(c));
    if (sidecar) {
      sidecar_restarts += integer(c, {"restartCount"});
      last_sidecar_restart = std::max(last_sidecar_restart, finished(c));
    }
    const Json& term = at(c, {"state", "terminated"});
    std::string waiting = text(c, {"state", "waiting", "reason"});
    if (term.is_object() && integer(term, {"exitCode"}) == 0) continue;
    if (sidecar && truth(c, {"started"})) {
      if (truth(c, {"ready"})) ++ready;
      continue;
    }
    if (term.is_object()) {
      reason = exit_reason(term, "Init:");
    } else if (!waiting.empty() && waiting != "PodInitializing") {
      reason = "Init:" + waiting;
    } else {
      reason = "Init:" + std::to_string(i) + "/" + std::to_string(inits.size());
    }
    initializing = true;
    break;
  }
  auto condition_true = [&](const char* type) {
    for (auto& c : array(status, {"conditions"})) {
      if (text(c, {"type"}) == type && text(c, {"status"}) == "True") return true;
    }
    return false;
  };
  if (!initializing || condition_true("Initialized")) {
    restarts = sidecar_restarts;
    last_restart = last_sidecar_restart;
    bool running = false;
    const Json& statuses = array(status, {"containerStatuses"});
    for (auto it = statuses.rbegin(); it != statuses.rend(); ++it) {
      const Json& c = *it;
      restarts += integer(c, {"restartCount"});
      last_restart = std::max(last_restart, finished(c));
      const Json& term = at(c, {"state", "terminated"});
      if (std::string w = text(c, {"state", "waiting", "reason"}); !w.empty()) {
        reason = w;
      } else if (term.is_object()) {
        reason = exit_reason(term, "");
      } else if (truth(c, {"ready"}) && at(c, {"state", "running"}).is_object()) {
        running = true;
        ++ready;
      }
    }
    // A container still running turns "Completed" back to Running (or NotReady).
    if (reason == "Completed" && running) reason = condition_true("Ready") ? "Running" : "NotReady";
  }
  bool deleting = at(o, {"metadata", "deletionTimestamp"}).is_string();
  if (deleting && text(status, {"reason"}) == "NodeLost") {
    reason = "Unknown";
  } else if (deleting && phase != "Succeeded" && phase != "Failed") {
    reason = "Terminating";
  }
  std::string restarts_text = std::to_string(restarts);
  if (restarts != 0 && last_restart > 0) {
    restarts_text += " (" + human_duration(static_cast<int64_t>(static_cast<double>(now) - last_restart)) + " ago)";
  }
  std::string ip = text(status, {"podIP"}, "<none>");
  if (auto& ips = array(status, {"podIPs"}); !ips.empty()) ip = text(ips[0], {"ip"}, "<none>");
  std::string gates = "<none>";
  if (auto& wanted = array(o, {"spec", "readinessGates"}); !wanted.empty()) {
    int met = 0;
    for (auto& g : wanted) {
      for (auto& c : array(status, {"conditions"})) {
        if (text(c, {"type"}) != text(g, {"conditionType"})) continue;
        met += text(c, {"status"}) == "True";
        break;
      }
    }
    gates = std::to_string(met) + "/" + std::to_string(wanted.size());
  }
  return Json::array({name(o), std::to_string(ready) + "/" + std::to_string(total), reason, restarts_text, age(o, now),
                      ip, text(o, {"spec", "nodeName"}, "<none>"), text(status, {"nominatedNodeName"}, "<none>"), gates});
}

Json deployment(const Json& o, int64_t now) {
  auto [names, images] = container_cells(array(o, {"spec", "template", "spec", "containers"}));
  return Json::array({name(o),
                      std::to_string(integer(o, {"status", "readyReplicas"})) + "/" +
                          std::to_string(integer(o, {"spec", "replicas"}, 1)),
                      integer(o, {"status", "updatedReplicas"}), integer(o, {"status", "availableReplicas"}), age(o, now),
                      names, images, selector_string(at(o, {"spec", "selector"})).value_or("<invalid>")});
}

Json replica_set(const Json& o, int64_t now) {
  auto [names, images] = container_cells(array(o, {"spec", "template", "spec", "containers"}));
  return Json::array({name(o), integer(o, {"spec", "replicas"}, 1), integer(o, {"status", "replicas"}),
                      integer(o, {"status", "readyReplicas"}), age(o, now), names, images,
                      format_label_selector(at(o, {"spec", "selector"}))});
}

Json stateful_set(const Json& o, int64_t now) {
  auto [names, images] = container_cells(array(o, {"spec", "template", "spec", "containers"}));
  return Json::array({name(o),
                      std::to_string(integer(o, {"status", "readyReplicas"})) + "/" +
                          std::to_string(integer(o, {"spec", "replicas"}, 1)),
                      age(o, now), names, images});
}

Json daemon_set(const Json& o, int64_t now) {
  auto [names, images] = container_cells(array(o, {"spec", "template", "spec", "containers"}));
  const Json& s = at(o, {"status"});
  return Json::array({name(o), integer(s, {"desiredNumberScheduled"}), integer(s, {"currentNumberScheduled"}),
                      integer(s, {"numberReady"}), integer(s, {"updatedNumberScheduled"}),
                      integer(s, {"numberAvailable"}),
                      format_labels(at(o, {"spec", "template", "spec", "nodeSelector"})), age(o, now), names, images,
                      format_label_selector(at(o, {"spec", "selector"}))});
}

// hasJobCondition: the first condition of the type decides.
bool job_condition(const Json& o, const char* type) {
  for (auto& c : array(o, {"status", "conditions"})) {
    if (text(c, {"type"}) == type) return text(c, {"status"}) == "True";
  }
  return false;
}

Json job(const Json& o, int64_t now) {
  std::string succeeded = std::to_string(integer(o, {"status", "succeeded"}));
  std::string completions;
  if (at(o, {"spec", "completions"}).is_number()) {
    completions = succeeded + "/" + std::to_string(integer(o, {"spec", "completions"}));
  } else {
    int64_t parallelism = integer(o, {"spec", "parallelism"});
    completions = succeeded + "/1" + (parallelism > 1 ? " of " + std::to_string(parallelism) : "");
  }
  std::string duration;
  if (auto start = seconds_of(at(o, {"status", "startTime"}))) {
    double end = seconds_of(at(o, {"status", "completionTime"})).value_or(static_cast<double>(now));
    duration = human_duration(static_cast<int64_t>(end - *start));
  }
  std::string status = job_condition(o, "Complete")                         ? "Complete"
                       : job_condition(o, "Failed")                         ? "Failed"
                       : at(o, {"metadata", "deletionTimestamp"}).is_string() ? "Terminating"
                       : job_condition(o, "Suspended")                      ? "Suspended"
                       : job_condition(o, "FailureTarget")                  ? "FailureTarget"
                                                                            : "Running";
  auto [names, images] = container_cells(array(o, {"spec", "template", "spec", "containers"}));
  return Json::array({name(o), status, completions, duration, age(o, now), names, images,
                      format_label_selector(at(o, {"spec", "selector"}))});
}

Json cron_job(const Json& o, int64_t now) {
  const Json& job_spec = at(o, {"spec", "jobTemplate", "spec"});
  auto [names, images] = container_cells(array(job_spec, {"template", "spec", "containers"}));
  const Json& last = at(o, {"status", "lastScheduleTime"});
  return Json::array({name(o), text(o, {"spec", "schedule"}), text(o, {"spec", "timeZone"}, "<none>"),
                      truth(o, {"spec", "suspend"}) ? "True" : "False",
                      static_cast<int64_t>(array(o, {"status", "active"}).size()),
                      last.is_string() ? since(last, now) : "<none>", age(o, now), names, images,
                      format_label_selector(at(job_spec, {"selector"}))});
}

// getServiceExternalIP with wide output.
std::string service_external_ip(const Json& o, const std::string& type) {
  std::vector<std::string> external = strings(array(o, {"spec", "externalIPs"}));
  if (type == "ClusterIP" || type == "NodePort") return external.empty() ? "<none>" : join(external);
  if (type == "LoadBalancer") {
    std::string points = load_balancer_points(array(o, {"status", "loadBalancer", "ingress"}));
    if (!external.empty()) return points.empty() ? join(external) : points + "," + join(external);
    return points.empty() ? "<pending>" : points;
  }
  if (type == "ExternalName") return text(o, {"spec", "externalName"});
  return "<unknown>";
}

Json service(const Json& o, int64_t now) {
  std::string type = text(o, {"spec", "type"}, "ClusterIP");
  std::string cluster_ip = text(o, {"spec", "clusterIP"}, "<none>");
  if (auto& ips = array(o, {"spec", "clusterIPs"}); !ips.empty()) cluster_ip = scalar(ips[0], "<none>");
  // makePortString: "80/TCP", "80:30080/TCP" with a node port.
  std::vector<std::string> ports;
  for (auto& p : array(o, {"spec", "ports"})) {
    std::string node_port = integer(p, {"nodePort"}) > 0 ? ":" + std::to_string(integer(p, {"nodePort"})) : "";
    ports.push_back(std::to_string(integer(p, {"port"})) + node_port + "/" + text(p, {"protocol"}, "TCP"));
  }
  return Json::array({name(o), type, cluster_ip, service_external_ip(o, type), ports.empty() ? "<none>" : join(ports),
                      age(o, now), format_labels(at(o, {"spec", "selector"}))});
}

// formatEndpoints: up to three "ip:port" (or bare IPs for port-less subsets), "<none>".
Json endpoints(const Json& o, int64_t now) {
  const Json& subsets = array(o, {"subsets"});
  std::vector<std::string> shown;
  size_t total = 0;
  auto add = [&](const std::string& s) {
    ++total;
    if (shown.size() < 3) shown.push_back(s);
  };
  for (auto& ss : subsets) {
    const Json& ports = array(ss, {"ports"});
    for (auto& a : array(ss, {"addresses"})) {
      if (ports.empty()) add(text(a, {"ip"}));
    }
    for (auto& p : ports) {
      for (auto& a : array(ss, {"addresses"})) {
        std::string ip = text(a, {"ip"});
        add((ip.find(':') != std::string::npos ? "[" + ip + "]" : ip) + ":" + std::to_string(integer(p, {"port"})));
      }
    }
  }
  std::string cell = subsets.empty() ? "<none>" : join(shown);
  if (total > 3) cell += " + " + std::to_string(total - 3) + " more...";
  return Json::array({name(o), cell, age(o, now)});
}

Json endpoint_slice(const Json& o, int64_t now) {
  std::vector<std::string> ports, addresses;
  for (auto& p : array(o, {"ports"})) {
    ports.push_back(at(p, {"port"}).is_number() ? std::to_string(integer(p, {"port"})) : text(p, {"name"}, "*"));
  }
  for (auto& e : array(o, {"endpoints"})) {
    for (auto& a : strings(array(e, {"addresses"}))) addresses.push_back(a);
  }
  return Json::array({name(o), text(o, {"addressType"}), first_three(ports), first_three(addresses), age(o, now)});
}

Json ingress(const Json& o, int64_t now) {
  // formatHosts: up to three hosts, "*" when no rule names one.
  const Json& rules = array(o, {"spec", "rules"});
  std::vector<std::string> hosts;
  bool more = false;
  for (auto& r : rules) {
    if (hosts.size() == 3) more = true;
    if (!more && !text(r, {"host"}).empty()) hosts.push_back(text(r, {"host"}));
  }
  std::string host_cell = hosts.empty() ? "*" : join(hosts);
  if (!hosts.empty() && more) host_cell += " + " + std::to_string(rules.size() - 3) + " more...";
  return Json::array({name(o), text(o, {"spec", "ingressClassName"}, "<none>"), host_cell,
                      load_balancer_points(array(o, {"status", "loadBalancer", "ingress"})),
                      array(o, {"spec", "tls"}).empty() ? "80" : "80, 443", age(o, now)});
}

Json ingress_class(const Json& o, int64_t now) {
  std::string parameters = "<none>";
  if (const Json& p = at(o, {"spec", "parameters"}); p.is_object()) {
    std::string group = text(p, {"apiGroup"});
    parameters = text(p, {"kind"}) + (at(p, {"apiGroup"}).is_string() ? "." + group : "") + "/" + text(p, {"name"});
  }
  return Json::array({name(o), text(o, {"spec", "controller"}), parameters, age(o, now)});
}

Json node(const Json& o, int64_t now) {
  std::vector<std::string> status;
  for (auto& c : array(o, {"status", "conditions"})) {
    if (text(c, {"type"}) == "Ready") status = {text(c, {"status"}) == "True" ? "Ready" : "NotReady"};
  }
  if (status.empty()) status.push_back("Unknown");
  if (truth(o, {"spec", "unschedulable"})) status.push_back("SchedulingDisabled");
  // Roles: node-role.kubernetes.io/<role> labels and kubernetes.io/role=<role>.
  std::set<std::string> roles;
  if (const Json& labels = at(o, {"metadata", "labels"}); labels.is_object()) {
    for (auto& [k, v] : labels.items()) {
      static const std::string kPrefix = "node-role.kubernetes.io/";
      if (k.starts_with(kPrefix) && k.size() > kPrefix.size()) roles.insert(k.substr(kPrefix.size()));
      if (k == "kubernetes.io/role" && !scalar(v, "").empty()) roles.insert(scalar(v, ""));
    }
  }
  auto address = [&](const char* type) {
    for (auto& a : array(o, {"status", "addresses"})) {
      if (text(a, {"type"}) == type) return text(a, {"address"});
    }
    return std::string("<none>");
  };
  const Json& info = at(o, {"status", "nodeInfo"});
  return Json::array({name(o), join(status), roles.empty() ? "<none>" : join({roles.begin(), roles.end()}), age(o, now),
                      text(info, {"kubeletVersion"}), address("InternalIP"), address("ExternalIP"),
                      text(info, {"osImage"}, "<unknown>"), text(info, {"kernelVersion"}, "<unknown>"),
                      text(info, {"containerRuntimeVersion"}, "<unknown>")});
}

Json event(const Json& o, int64_t now) {
  std::string first = at(o, {"firstTimestamp"}).is_string() ? since(at(o, {"firstTimestamp"}), now)
                                                            : since(at(o, {"eventTime"}), now);
  std::string last = at(o, {"lastTimestamp"}).is_string() ? since(at(o, {"lastTimestamp"}), now) : first;
  int64_t n = integer(o, {"count"});
  if (at(o, {"series"}).is_object()) {
    last = since(at(o, {"series", "lastObservedTime"}), now);
    n = integer(o, {"series", "count"});
  } else if (n == 0) {
    n = 1;  // singleton events of the events.k8s.io API carry no count
  }
  std::string kind = str::to_lower(text(o, {"involvedObject", "kind"}));
  std::string object = kind;
  if (std::string target = text(o, {"involvedObject", "name"}); !target.empty()) object = kind + "/" + target;
  std::string component = text(o, {"source", "component"}, text(o, {"reportingComponent"}));
  std::string instance = text(o, {"source", "host"}, text(o, {"reportingInstance"}));
  std::string message(str::trim(text(o, {"message"})));
  return Json::array({last, text(o, {"type"}), text(o, {"reason"}), object, text(o, {"involvedObject", "fieldPath"}),
                      instance.empty() ? component : component + ", " + instance, message, first, n, name(o)});
}

Json namespace_(const Json& o, int64_t now) { return Json::array({name(o), text(o, {"status", "phase"}), age(o, now)}); }

Json secret(const Json& o, int64_t now) {
  return Json::array({name(o), text(o, {"type"}), static_cast<int64_t>(count(o, {"data"})), age(o, now)});
}

Json config_map(const Json& o, int64_t now) {
  return Json::array({name(o), static_cast<int64_t>(count(o, {"data"}) + count(o, {"binaryData"})), age(o, now)});
}

Json service_account(const Json& o, int64_t now) {
  return Json::array({name(o), static_cast<int64_t>(count(o, {"secrets"})), age(o, now)});
}

Json persistent_volume(const Json& o, int64_t now) {
  std::string claim;
  if (const Json& ref = at(o, {"spec", "claimRef"}); ref.is_object()) claim = text(ref, {"namespace"}) + "/" + text(ref, {"name"});
  std::string phase = text(o, {"status", "phase"}, "Pending");
  if (at(o, {"metadata", "deletionTimestamp"}).is_string()) phase = "Terminating";
  return Json::array({name(o), scalar(at(o, {"spec", "capacity", "storage"}), "0"),
                      access_modes(array(o, {"spec", "accessModes"})),
                      text(o, {"spec", "persistentVolumeReclaimPolicy"}, "Retain"), phase, claim, storage_class(o),
                      text(o, {"spec", "volumeAttributesClassName"}, "<unset>"), text(o, {"status", "reason"}),
                      age(o, now), text(o, {"spec", "volumeMode"}, "Filesystem")});
}

Json persistent_volume_claim(const Json& o, int64_t now) {
  std::string phase = text(o, {"status", "phase"}, "Pending");
  if (at(o, {"metadata", "deletionTimestamp"}).is_string()) phase = "Terminating";
  std::string volume = text(o, {"spec", "volumeName"}), capacity, modes;
  if (!volume.empty()) {  // what the bound volume gives, once bound
    capacity = scalar(at(o, {"status", "capacity", "storage"}), "0");
    modes = access_modes(array(o, {"status", "accessModes"}));
  }
  return Json::array({name(o), phase, volume, capacity, modes, storage_class(o),
                      text(o, {"spec", "volumeAttributesClassName"}, "<unset>"), age(o, now),
                      text(o, {"spec", "volumeMode"}, "Filesystem")});
}

// formatHPAMetrics: "<current>/<target>" per metric, two at most.
std::string hpa_metrics(const Json& o) {
  Json specs = array(o, {"spec", "metrics"});
  if (specs.empty()) {  // autoscaling/v2 defaulting: 80% CPU utilization
    specs = Json::array({{{"type", "Resource"},
                          {"resource", {{"name", "cpu"}, {"target", {{"type", "Utilization"}, {"averageUtilization", 80}}}}}}});
  }
  const Json& statuses = array(o, {"status", "currentMetrics"});
  static const Json kNoStatus;
  std::vector<std::string> list;
  for (size_t i = 0; i < specs.size(); ++i) {
    const Json& spec = specs[i];
    const Json& st = i < statuses.size() ? statuses[i] : kNoStatus;
    std::string type = text(spec, {"type"});
    auto quantity = [](const Json& v) { return scalar(v, "<unknown>"); };
    if (type == "External" || type == "Object") {
      const char* field = type == "External" ? "external" : "object";
      const Json& target = at(spec, {field, "target"});
      if (at(target, {"averageValue"}).is_null()) {
        list.push_back(quantity(at(st, {field, "current", "value"})) + "/" + scalar(at(target, {"value"}), "<nil>"));
      } else {
        list.push_back(quantity(at(st, {field, "current", "averageValue"})) + "/" + quantity(at(target, {"averageValue"})) +
                       " (avg)");
      }
    } else if (type == "Pods") {
      list.push_back(quantity(at(st, {"pods", "current", "averageValue"})) + "/" +
                     quantity(at(spec, {"pods", "target", "averageValue"})));
    } else if (type == "Resource" || type == "ContainerResource") {
      const char* field = type == "Resource" ? "resource" : "containerResource";
      const Json& target = at(spec, {field, "target"});
      std::string current, goal;
      if (!at(target, {"averageValue"}).is_null()) {
        current = quantity(at(st, {field, "current", "averageValue"}));
        goal = quantity(at(target, {"averageValue"}));
      } else {
        const Json& cur = at(st, {field, "current", "averageUtilization"});
        current = cur.is_number() ? std::to_string(cur.get<int64_t>()) + "%" : "<unknown>";
        goal = at(target, {"averageUtilization"}).is_number()
                   ? std::to_string(integer(target, {"averageUtilization"})) + "%"
                   : "<auto>";
      }
      list.push_back(text(spec, {field, "name"}) + ": " + current + "/" + goal);
    } else {
      list.push_back("<unknown type>");
    }
  }
  if (list.size() <= 2) return join(list, ", ");
  size_t more = list.size() - 2;
  list.resize(2);
  return join(list, ", ") + " + " + std::to_string(more) + " more...";
}

Json horizontal_pod_autoscaler(const Json& o, int64_t now) {
  return Json::array({name(o), text(o, {"spec", "scaleTargetRef", "kind"}) + "/" + text(o, {"spec", "scaleTargetRef", "name"}),
                      hpa_metrics(o), std::to_string(integer(o, {"spec", "minReplicas"}, 1)),
                      integer(o, {"spec", "maxReplicas"}), integer(o, {"status", "currentReplicas"}), age(o, now)});
}

Json network_policy(const Json& o, int64_t now) {
  return Json::array({name(o), format_label_selector(at(o, {"spec", "podSelector"})), age(o, now)});
}

Json pod_disruption_budget(const Json& o, int64_t now) {
  return Json::array({name(o), scalar(at(o, {"spec", "minAvailable"}), "N/A"),
                      scalar(at(o, {"spec", "maxUnavailable"}), "N/A"), integer(o, {"status", "disruptionsAllowed"}),
                      age(o, now)});
}

// RoleBinding and ClusterRoleBinding; rbac.SubjectsStrings for the wide columns.
Json binding(const Json& o, int64_t now) {
  std::vector<std::string> users, groups, accounts;
  for (auto& s : array(o, {"subjects"})) {
    std::string kind = text(s, {"kind"});
    if (kind == "ServiceAccount") accounts.push_back(text(s, {"namespace"}) + "/" + text(s, {"name"}));
    if (kind == "User") users.push_back(text(s, {"name"}));
    if (kind == "Group") groups.push_back(text(s, {"name"}));
  }
  return Json::array({name(o), text(o, {"roleRef", "kind"}) + "/" + text(o, {"roleRef", "name"}), age(o, now),
                      join(users, ", "), join(groups, ", "), join(accounts, ", ")});
}

Json lease(const Json& o, int64_t now) {
  return Json::array({name(o), text(o, {"spec", "holderIdentity"}), age(o, now)});
}

Json controller_revision(const Json& o, int64_t now) {
  std::string controller = "<none>";
  for (auto& ref : array(o, {"metadata", "ownerReferences"})) {
    if (!truth(ref, {"controller"})) continue;
    // "<kind>.<group>/<name>" in lower case ("statefulset.apps/web"); the core group has no suffix.
    std::string api_version = text(ref, {"apiVersion"});
    auto slash = api_version.find('/');
    std::string group = slash == std::string::npos ? "" : api_version.substr(0, slash);
    controller = str::to_lower(text(ref, {"kind"}) + (group.empty() ? "" : "." + group)) + "/" + text(ref, {"name"});
    break;
  }
  return Json::array({name(o), controller, integer(o, {"revision"}), age(o, now)});
}

Json resource_quota(const Json& o, int64_t now) {
  std::vector<std::string> requests, limits;
  if (const Json& hard = at(o, {"status", "hard"}); hard.is_object()) {
    for (auto& [resource, quantity] : hard.items()) {  // sorted by name
      std::string used = scalar(at(o, {"status", "used", resource.c_str()}), "0");
      (resource.starts_with("limits.") ? limits : requests).push_back(resource + ": " + used + "/" + scalar(quantity, "0"));
    }
  }
  return Json::array({name(o), age(o, now), join(requests, ", "), join(limits, ", ")});
}

// apiserver's default table for types without a printer: name and creation time (RFC 3339, UTC).
Json default_row(const Json& o, int64_t) {
  auto s = seconds_of(at(o, {"metadata", "creationTimestamp"}));
  return Json::array({name(o), s ? rfc3339(static_cast<int64_t>(*s), 0).substr(0, 19) + "Z" : "0001-01-01T00:00:00Z"});
}

struct Printer {
  const char* kind;
  // Column names as printers.go has them, '|'-separated; a leading '+' marks priority 1
  // (-o wide), a trailing '#' an integer column, '?' a boolean one, '@' a date one.
  const char* columns;
  Json (*cells)(const Json& obj, int64_t now);
};

const Printer kDefault = {"", "Name|Created At@", default_row};

const Printer* printer_of(const std::string& kind) {
  static const std::vector<Printer> k = {
      {"Pod", "Name|Ready|Status|Restarts|Age|+IP|+Node|+Nominated Node|+Readiness Gates", pod},
      {"PodDisruptionBudget", "Name|Min Available|Max Unavailable|Allowed Disruptions#|Age", pod_disruption_budget},
      {"ReplicaSet", "Name|Desired#|Current#|Ready#|Age|+Containers|+Images|+Selector", replica_set},
      {"DaemonSet", "Name|Desired#|Current#|Ready#|Up-to-date#|Available#|Node Selector|Age|+Containers|+Images|+Selector",
       daemon_set},
      {"Job", "Name|Status|Completions|Duration|Age|+Containers|+Images|+Selector", job},
      {"CronJob", "Name|Schedule|Timezone|Suspend?|Active#|Last Schedule|Age|+Containers|+Images|+Selector", cron_job},
      {"Service", "Name|Type|Cluster-IP|External-IP|Port(s)|Age|+Selector", service},
      {"Ingress", "Name|Class|Hosts|Address|Ports|Age", ingress},
      {"IngressClass", "Name|Controller|Parameters|Age", ingress_class},
      {"StatefulSet", "Name|Ready|Age|+Containers|+Images", stateful_set},
      {"Endpoints", "Name|Endpoints|Age", endpoints},
      {"Node", "Name|Status|Roles|Age|Version|+Internal-IP|+External-IP|+OS-Image|+Kernel-Version|+Container-Runtime", node},
      {"Event", "Last Seen|Type|Reason|Object|+Subobject|+Source|Message|+First Seen|+Count|+Name", event},
      {"Namespace", "Name|Status|Age", namespace_},
      {"Secret", "Name|Type|Data|Age", secret},
      {"ServiceAccount", "Name|Secrets|Age", service_account},
      {"PersistentVolume",
       "Name|Capacity|Access Modes|Reclaim Policy|Status|Claim|StorageClass|VolumeAttributesClass|Reason|Age|+VolumeMode",
       persistent_volume},
      {"PersistentVolumeClaim", "Name|Status|Volume|Capacity|Access Modes|StorageClass|VolumeAttributesClass|Age|+VolumeMode",
       persistent_volume_claim},
      {"Deployment", "Name|Ready|Up-to-date|Available|Age|+Containers|+Images|+Selector", deployment},
      {"HorizontalPodAutoscaler", "Name|Reference|Targets|MinPods|MaxPods|Replicas|Age", horizontal_pod_autoscaler},
      {"ConfigMap", "Name|Data|Age", config_map},
      {"NetworkPolicy", "Name|Pod-Selector|Age", network_policy},
      {"RoleBinding", "Name|Role|Age|+Users|+Groups|+ServiceAccounts", binding},
      {"ClusterRoleBinding", "Name|Role|Age|+Users|+Groups|+ServiceAccounts", binding},
      {"Lease", "Name|Holder|Age", lease},
      {"ControllerRevision", "Name|Controller|Revision|Age", controller_revision},
      {"ResourceQuota", "Name|Age|Request|Limit", resource_quota},
      {"EndpointSlice", "Name|AddressType|Ports|Endpoints|Age", endpoint_slice},
  };
  for (auto& p : k) {
    if (kind == p.kind) return &p;
  }
  return &kDefault;
}

Json column_definitions(const Printer& p) {
  Json out = Json::array();
  for (std::string c : str::split(p.columns, '|')) {
    int priority = c[0] == '+' ? 1 : 0;
    if (priority) c.erase(0, 1);
    std::string type = "string";
    if (c.back() == '#' || c.back() == '?' || c.back() == '@') {
      type = c.back() == '#' ? "integer" : c.back() == '?' ? "boolean" : "date";
      c.pop_back();
    }
    out.push_back({{"name", c}, {"type", type}, {"format", c == "Name" ? "name" : ""}, {"description", ""},
                   {"priority", priority}});
  }
  return out;
}

}  // namespace

bool wants_table(const std::string& accept_header) {
  for (auto& range : str::split(accept_header, ',')) {
    auto parts = str::split(range, ';');
    if (parts.empty() || str::to_lower(str::trim(parts[0])) != "application/json") continue;
    std::map<std::string, std::string> params;
    for (size_t i = 1; i < parts.size(); ++i) {
      std::string p(str::trim(parts[i]));
      auto eq = p.find('=');
      if (eq == std::string::npos) continue;
      std::string value(str::trim(p.substr(eq + 1)));
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
      params[str::to_lower(str::trim(p.substr(0, eq)))] = value;
    }
    if (params["as"] == "Table" && params["g"] == "meta.k8s.io" && params["v"] == "v1") return true;
  }
  return false;
}

Result<Json> to_table(const Resource& type, const Json& list_or_object, const std::string& include_object,
                      int64_t now_seconds) {
  if (include_object != "" && include_object != "Metadata" && include_object != "Object" && include_object != "None") {
    return make_error(Errc::kInvalidArgument, "unrecognized includeObject value: \"" + include_object + "\"");
  }
  if (!list_or_object.is_object()) return make_error(Errc::kInvalidArgument, "a Table needs an object or a list");
  const Printer& p = *printer_of(type.kind);
  Json rows = Json::array();
  auto add = [&](const Json& obj) {
    Json row = {{"cells", p.cells(obj, now_seconds)}};
    // printPod marks finished pods' rows Completed.
    std::string phase = type.kind == "Pod" ? text(obj, {"status", "phase"}) : "";
    if (phase == "Succeeded" || phase == "Failed") {
      row["conditions"] = Json::array({{{"type", "Completed"}, {"status", "True"}, {"reason", phase},
                                        {"message", phase == "Succeeded" ? "The pod has completed successfully."
                                                                         : "The pod failed."}}});
    }
    if (include_object == "Object") {
      row["object"] = obj;
      if (obj.is_object()) {
        row["object"]["apiVersion"] = type.api_version();
        row["object"]["kind"] = type.kind;
      }
    } else if (include_object == "None") {
      row["object"] = nullptr;
    } else {
      row["object"] = {{"kind", "PartialObjectMetadata"}, {"apiVersion", "meta.k8s.io/v1"},
                       {"metadata", at(obj, {"metadata"}).is_object() ? at(obj, {"metadata"}) : Json::object()}};
    }
    rows.push_back(row);
  };
  Json meta = Json::object();
  if (text(list_or_object, {"kind"}) == type.kind + "List") {
    for (auto* k : {"resourceVersion", "continue", "remainingItemCount"}) {
      if (const Json& v = at(list_or_object, {"metadata", k}); !v.is_null() && v != "") meta[k] = v;
    }
    for (auto& item : array(list_or_object, {"items"})) add(item);
  } else {
    if (std::string rv = text(list_or_object, {"metadata", "resourceVersion"}); !rv.empty()) meta["resourceVersion"] = rv;
    add(list_or_object);
  }
  return Json{{"kind", "Table"}, {"apiVersion", "meta.k8s.io/v1"}, {"metadata", meta},
              {"columnDefinitions", column_definitions(p)}, {"rows", rows}};
}

std::string human_duration(int64_t seconds) {
  auto n = [](int64_t v) { return std::to_string(v); };
  if (seconds < -1) return "<invalid>";  // up to a second of clock skew reads as now
  if (seconds < 0) return "0s";
  if (seconds < 60 * 2) return n(seconds) + "s";
  int64_t minutes = seconds / 60;
  if (minutes < 10) return n(minutes) + "m" + (seconds % 60 ? n(seconds % 60) + "s" : "");
  if (minutes < 60 * 3) return n(minutes) + "m";
  int64_t hours = seconds / 3600;
  if (hours < 8) return n(hours) + "h" + (minutes % 60 ? n(minutes % 60) + "m" : "");
  if (hours < 48) return n(hours) + "h";
  if (hours < 24 * 8) return n(hours / 24) + "d" + (hours % 24 ? n(hours % 24) + "h" : "");
  if (hours < 24 * 365 * 2) return n(hours / 24) + "d";
  if (hours < 24 * 365 * 8) return n(hours / 24 / 365) + "y" + ((hours / 24) % 365 ? n((hours / 24) % 365) + "d" : "");
  return n(hours / 24 / 365) + "y";
}

}  // namespace berth::api::kube
