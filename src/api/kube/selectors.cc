#include "api/kube/selectors.h"

#include <algorithm>
#include <map>
#include <set>

#include "common/strings.h"

namespace berth::api::kube {
namespace {

Error bad(const std::string& message) { return Error{Errc::kInvalidArgument, message}; }

// Splits on commas outside parentheses ("a in (x,y),b" -> "a in (x,y)", "b").
std::vector<std::string> split_terms(const std::string& text) {
  std::vector<std::string> out;
  std::string cur;
  int depth = 0;
  for (char c : text) {
    if (c == '(') ++depth;
    if (c == ')') --depth;
    if (c == ',' && depth == 0) {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  out.push_back(cur);
  return out;
}

// A field's value as the selector compares it: strings as they are, booleans and numbers as Go
// prints them, absent as "".
std::string field_value(const Json& object, const std::string& path) {
  const Json* cur = &object;
  for (auto& part : str::split(path, '.')) {
    if (!cur->is_object() || !cur->contains(part)) return "";
    cur = &(*cur)[part];
  }
  if (cur->is_string()) return cur->get<std::string>();
  if (cur->is_boolean()) return cur->get<bool>() ? "true" : "false";
  if (cur->is_number()) return dump_json(*cur);
  return "";
}

// The field labels beyond metadata.name/namespace, per resource.
const std::set<std::string>& type_fields(const std::string& resource) {
  static const std::map<std::string, std::set<std::string>> k = {
      {"pods",
       {"spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName", "spec.hostNetwork",
        "status.phase", "status.podIP", "status.nominatedNodeName"}},
      {"events",
       {"involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid",
        "involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath", "reason",
        "reportingComponent", "source", "type"}},
      {"secrets", {"type"}},
      {"namespaces", {"status.phase"}},
      {"nodes", {"spec.unschedulable"}},
      {"replicasets", {"status.replicas"}},
      {"replicationcontrollers", {"status.replicas"}},
      {"jobs", {"status.successful"}},
  };
  static const std::set<std::string> none;
  auto it = k.find(resource);
  return it == k.end() ? none : it->second;
}

}  // namespace

Result<Selector> Selector::labels(const std::string& text) {
  Selector s;
  for (auto& raw : split_terms(text)) {
    std::string t(str::trim(raw));
    if (t.empty()) continue;
    Term term;
    auto set_values = [&](size_t open) -> Result<void> {
      auto close = t.rfind(')');
      if (open == std::string::npos || close == std::string::npos || close < open) {
        return tl::unexpected(bad("unable to parse requirement: found '" + t + "', expected: '(' ... ')'"));
      }
      for (auto& v : str::split(t.substr(open + 1, close - open - 1), ',')) term.values.emplace_back(str::trim(v));
      return {};
    };
    if (auto ne = t.find("!="); ne != std::string::npos) {
      term = {std::string(str::trim(t.substr(0, ne))), Op::kNotEquals, {std::string(str::trim(t.substr(ne + 2)))}};
    } else if (auto eq = t.find('='); eq != std::string::npos) {
      size_t v = t.compare(eq, 2, "==") == 0 ? eq + 2 : eq + 1;
      term = {std::string(str::trim(t.substr(0, eq))), Op::kEquals, {std::string(str::trim(t.substr(v)))}};
    } else if (auto sp = t.find(' '); sp != std::string::npos) {
      term.key = t.substr(0, sp);
      std::string rest(str::trim(t.substr(sp)));
      if (rest.starts_with("notin")) {
        term.op = Op::kNotIn;
      } else if (rest.starts_with("in")) {
        term.op = Op::kIn;
      } else {
        return tl::unexpected(bad("unable to parse requirement: found '" + rest + "', expected: in, notin, =, ==, !=, gt, lt"));
      }
      BERTH_TRY(set_values(t.find('(')));
    } else if (t[0] == '!') {
      term = {std::string(str::trim(t.substr(1))), Op::kNotExists, {}};
    } else {
      term = {t, Op::kExists, {}};
    }
    if (term.key.empty() || term.key.find_first_of("()!= ") != std::string::npos) {
      return tl::unexpected(bad("unable to parse requirement: invalid label key \"" + term.key + "\""));
    }
    s.terms_.push_back(std::move(term));
  }
  return s;
}

Result<Selector> Selector::fields(const Resource& type, const std::string& text) {
  Selector s;
  s.on_fields_ = true;
  for (auto& raw : str::split(text, ',')) {
    std::string t(str::trim(raw));
    if (t.empty()) continue;
    Term term;
    if (auto ne = t.find("!="); ne != std::string::npos) {
      term = {t.substr(0, ne), Op::kNotEquals, {t.substr(ne + 2)}};
    } else if (auto eq = t.find('='); eq != std::string::npos) {
      term = {t.substr(0, eq), Op::kEquals, {t.substr(t.compare(eq, 2, "==") == 0 ? eq + 2 : eq + 1)}};
    } else {
      return tl::unexpected(bad("invalid selector: '" + t + "'; can't understand '" + t + "'"));
    }
    if (term.key != "metadata.name" && term.key != "metadata.namespace" && !type_fields(type.name).count(term.key)) {
      return tl::unexpected(bad("field label not supported: " + term.key));
    }
    s.terms_.push_back(std::move(term));
  }
  return s;
}

bool Selector::matches(const Json& object) const {
  for (auto& t : terms_) {
    std::string value;
    bool present = true;
    if (on_fields_) {
      value = field_value(object, t.key);
    } else {
      const Json labels = object.value("metadata", Json::object()).value("labels", Json::object());
      present = labels.is_object() && labels.contains(t.key);
      value = present && labels[t.key].is_string() ? labels[t.key].get<std::string>() : "";
    }
    bool listed = std::find(t.values.begin(), t.values.end(), value) != t.values.end();
    switch (t.op) {
      case Op::kEquals: if (!present || !listed) return false; break;
      case Op::kIn: if (!present || !listed) return false; break;
      case Op::kNotEquals: if (present && listed) return false; break;
      case Op::kNotIn: if (present && listed) return false; break;
      case Op::kExists: if (!present) return false; break;
      case Op::kNotExists: if (present) return false; break;
    }
  }
  return true;
}

}  // namespace berth::api::kube
