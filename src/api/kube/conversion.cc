#include "api/kube/conversion.h"

namespace berth::api::kube {
namespace {

// v1 keeps what it cannot say in these annotations (the v1 conversion's names).
const char* kMetrics = "autoscaling.alpha.kubernetes.io/metrics";
const char* kCurrentMetrics = "autoscaling.alpha.kubernetes.io/current-metrics";
const char* kConditions = "autoscaling.alpha.kubernetes.io/conditions";
const char* kBehavior = "autoscaling.alpha.kubernetes.io/behavior";

bool is_cpu_utilization(const Json& m, const char* target) {
  if (!m.is_object() || m.value("type", "") != "Resource") return false;
  Json res = m.value("resource", Json::object());
  if (!res.is_object() || res.value("name", "") != "cpu") return false;
  Json t = res.value(target, Json::object());
  return t.is_object() && (std::string(target) == "current" ? t.contains("averageUtilization")
                                                             : t.value("type", "") == "Utilization");
}

void annotate(Json& obj, const char* key, const Json& value) {
  if (value.is_null() || (value.is_array() && value.empty())) return;
  obj["metadata"]["annotations"][key] = dump_json(value);
}

Json take_annotation(Json& obj, const char* key) {
  if (!obj["metadata"].contains("annotations")) return Json();
  Json& ann = obj["metadata"]["annotations"];
  if (!ann.is_object() || !ann.contains(key) || !ann[key].is_string()) return Json();
  Json v = parse_json(ann[key].get<std::string>(), key).value_or(Json());
  ann.erase(key);
  if (ann.empty()) obj["metadata"].erase("annotations");
  return v;
}

Json hpa_to_v1(Json o) {
  o["apiVersion"] = "autoscaling/v1";
  Json spec = o.value("spec", Json::object()), status = o.value("status", Json::object());
  Json v1spec = Json::object();
  for (auto* k : {"scaleTargetRef", "minReplicas", "maxReplicas"}) {
    if (spec.contains(k)) v1spec[k] = spec[k];
  }
  Json others = Json::array();
  for (auto& m : spec.value("metrics", Json::array())) {
    if (is_cpu_utilization(m, "target") && !v1spec.contains("targetCPUUtilizationPercentage")) {
      v1spec["targetCPUUtilizationPercentage"] = m["resource"]["target"].value("averageUtilization", Json());
    } else {
      others.push_back(m);
    }
  }
  annotate(o, kMetrics, others);
  if (spec.contains("behavior")) annotate(o, kBehavior, spec["behavior"]);
  o["spec"] = v1spec;
  if (status.is_object() && !status.empty()) {
    Json v1status = Json::object();
    for (auto* k : {"observedGeneration", "lastScaleTime", "currentReplicas", "desiredReplicas"}) {
      if (status.contains(k)) v1status[k] = status[k];
    }
    if (!v1status.contains("currentReplicas")) v1status["currentReplicas"] = 0;
    if (!v1status.contains("desiredReplicas")) v1status["desiredReplicas"] = 0;
    Json current_others = Json::array();
    for (auto& m : status.value("currentMetrics", Json::array())) {
      if (is_cpu_utilization(m, "current") && !v1status.contains("currentCPUUtilizationPercentage")) {
        v1status["currentCPUUtilizationPercentage"] = m["resource"]["current"]["averageUtilization"];
      } else {
        current_others.push_back(m);
      }
    }
    annotate(o, kCurrentMetrics, current_others);
    if (status.contains("conditions")) annotate(o, kConditions, status["conditions"]);
    o["status"] = v1status;
  }
  return o;
}

Json hpa_to_v2(Json o) {
  o["apiVersion"] = "autoscaling/v2";
  if (!o["metadata"].is_object()) o["metadata"] = Json::object();
  Json v1spec = o.value("spec", Json::object());
  Json spec = Json::object();
  for (auto* k : {"scaleTargetRef", "minReplicas", "maxReplicas"}) {
    if (v1spec.is_object() && v1spec.contains(k)) spec[k] = v1spec[k];
  }
  Json metrics = Json::array();
  if (v1spec.is_object() && v1spec.contains("targetCPUUtilizationPercentage")) {
    metrics.push_back({{"type", "Resource"},
                       {"resource", {{"name", "cpu"},
                                     {"target", {{"type", "Utilization"},
                                                 {"averageUtilization", v1spec["targetCPUUtilizationPercentage"]}}}}}});
  }
  for (auto& m : take_annotation(o, kMetrics)) metrics.push_back(m);
  if (!metrics.empty()) spec["metrics"] = metrics;
  if (Json b = take_annotation(o, kBehavior); !b.is_null()) spec["behavior"] = b;
  o["spec"] = spec;
  Json v1status = o.value("status", Json::object());
  Json current = take_annotation(o, kCurrentMetrics);
  Json conditions = take_annotation(o, kConditions);
  if (v1status.is_object() && !v1status.empty()) {
    Json status = Json::object();
    for (auto* k : {"observedGeneration", "lastScaleTime", "currentReplicas", "desiredReplicas"}) {
      if (v1status.contains(k)) status[k] = v1status[k];
    }
    Json cm = Json::array();
    if (v1status.contains("currentCPUUtilizationPercentage")) {
      cm.push_back({{"type", "Resource"},
                    {"resource", {{"name", "cpu"},
                                  {"current", {{"averageUtilization", v1status["currentCPUUtilizationPercentage"]}}}}}});
    }
    for (auto& m : current.is_array() ? current : Json::array()) cm.push_back(m);
    if (!cm.empty()) status["currentMetrics"] = cm;
    if (conditions.is_array()) status["conditions"] = conditions;
    o["status"] = status;
  }
  return o;
}

bool is_hpa_v1(const Resource& t) {
  return t.converted && t.name == "horizontalpodautoscalers" && t.version == "v1";
}

}  // namespace

Json to_served_version(const Resource& type, Json stored) {
  return is_hpa_v1(type) && stored.is_object() ? hpa_to_v1(std::move(stored)) : stored;
}

Json to_storage_version(const Resource& type, Json served) {
  return is_hpa_v1(type) && served.is_object() ? hpa_to_v2(std::move(served)) : served;
}

}  // namespace berth::api::kube
