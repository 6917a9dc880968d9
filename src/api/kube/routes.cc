#include "api/kube/routes.h"

#include "api/kube/openapi.h"
#include "api/kube/resources.h"

#include <chrono>
#include <regex>
#include <set>
#include <thread>

#include "common/strings.h"
#include "common/time.h"

namespace berth::api::kube {
namespace {

const Resource* find_core(const std::string& name) { return find_resource("", "v1", name); }

// A metav1.Status failure (apimachinery pkg/api/errors).
void status(Exchange& ex, int code, const std::string& reason, const std::string& message, const Json& details = Json()) {
  Json s = {{"kind", "Status"}, {"apiVersion", "v1"}, {"metadata", Json::object()}, {"status", "Failure"},
            {"message", message}, {"reason", reason}, {"code", code}};
  if (!details.is_null()) s["details"] = details;
  ex.reply_json(code, s);
}

void not_found(Exchange& ex, const Resource& r, const std::string& name) {
  status(ex, 404, "NotFound", r.name + " \"" + name + "\" not found", {{"name", name}, {"kind", r.name}});
}

void store_error(Exchange& ex, const Error& e) {
  if (e.code == Errc::kFailedPrecondition) return status(ex, 410, "Expired", "too old resource version: " + e.message);
  if (e.code == Errc::kInvalidArgument) return status(ex, 400, "BadRequest", e.message);
  status(ex, 500, "InternalError", "Internal error occurred: " + e.message);
}

std::string key(const Resource& r, const std::string& ns, const std::string& name) {
  return "/registry/" + r.name + "/" + (r.namespaced ? ns + "/" : "") + name;
}

// The stored object as served: its resourceVersion is the store's mod_revision.
Json served(const store::KeyValue& kv) {
  Json o = parse_json(kv.value, "stored object").value_or(Json::object());
  o["metadata"]["resourceVersion"] = std::to_string(kv.mod_revision);
  return o;
}

// DNS-1123 subdomain (ConfigMap, Secret names) or label (Namespace names), as
// apimachinery's validation.IsDNS1123Subdomain/Label.
std::string invalid_name(const Resource& r, const std::string& name) {
  static const std::regex kLabel("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
  static const std::regex kSubdomain("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
  bool label = r.name == "namespaces";
  if (name.size() > (label ? 63u : 253u) || !std::regex_match(name, label ? kLabel : kSubdomain)) {
    return label ? "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must "
                   "start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc')"
                 : "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
                   "and must start and end with an alphanumeric character (e.g. 'example.com')";
  }
  return "";
}

// metav1.Time: RFC 3339 in whole seconds, UTC ("2026-12-01T00:17:55Z").
std::string now_timestamp() { return rfc3339(::time(nullptr), 0).substr(0, 19) + "Z"; }

std::string uuid() {
  std::string h = str::random_hex(16);
  h[12] = '4';
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) + "-" + h.substr(20);
}

// labelSelector equality terms: "a=b", "a==b", "a!=b", "a", "!a", comma-separated.
bool selected(const Json& obj, const std::string& selector) {
  if (selector.empty()) return true;
  Json labels = obj.value("metadata", Json::object()).value("labels", Json::object());
  for (auto& term : str::split(selector, ',')) {
    std::string t(str::trim(term));
    if (t.empty()) continue;
    auto has = [&](const std::string& k) { return labels.is_object() && labels.contains(k); };
    auto val = [&](const std::string& k) { return has(k) && labels[k].is_string() ? labels[k].get<std::string>() : ""; };
    if (auto ne = t.find("!="); ne != std::string::npos) {
      std::string k(str::trim(t.substr(0, ne))), v(str::trim(t.substr(ne + 2)));
      if (has(k) && val(k) == v) return false;
    } else if (auto eq = t.find('='); eq != std::string::npos) {
      std::string k(str::trim(t.substr(0, eq)));
      std::string v(str::trim(t.substr(t[eq + 1] == '=' ? eq + 2 : eq + 1)));
      if (!has(k) || val(k) != v) return false;
    } else if (t[0] == '!') {
      if (has(t.substr(1))) return false;
    } else if (!has(t)) {
      return false;
    }
  }
  return true;
}

// What the type's strategy does to every written object (pkg/registry/core/secret: a
// Secret's stringData is folded into data, base64, and not stored).
void normalize(const Resource& r, Json& obj) {
  if (r.name == "secrets" && obj.contains("stringData")) {
    if (!obj.contains("data") || !obj["data"].is_object()) obj["data"] = Json::object();
    for (auto& [k, v] : obj["stringData"].items()) {
      if (v.is_string()) obj["data"][k] = str::base64_encode(v.get<std::string>());
    }
    obj.erase("stringData");
  }
}

// Server-side field validation (k8s.io/apiserver endpoints/handlers create.go, update.go,
// patch.go): unknown fields are dropped from `obj`; fieldValidation=Strict refuses them (400
// naming the decoded kind for a body, 422 on "patch" for a patched object), Warn (the default)
// names them in a Warning header. False when it replied.
bool fields_ok(Exchange& ex, const Resource& r, Json& obj, const std::string& options_kind, bool patched) {
  std::string directive = ex.query("fieldValidation");
  auto v = field_validation(directive);
  if (!v) {
    status(ex, 422, "Invalid", options_kind + ".meta.k8s.io \"\" is invalid: fieldValidation: Unsupported value: \"" + directive +
                                   "\": supported values: \"\", \"Ignore\", \"Strict\", \"Warn\"");
    return false;
  }
  std::string text = patched && *v == FieldValidation::kStrict ? dump_json(obj) : "";
  auto unknown = drop_unknown_fields(r, obj);
  if (unknown.empty() || *v == FieldValidation::kIgnore) return true;
  if (*v == FieldValidation::kWarn) {
    ex.set_header("Warning", unknown_field_warnings(unknown));
    return true;
  }
  if (patched) {
    std::string invalid = "Invalid value: " + dump_json(Json(text)) + ": " + strict_decoding_error(unknown);
    status(ex, 422, "Invalid", " \"\" is invalid: patch: " + invalid,
           {{"causes", Json::array({{{"reason", "FieldValueInvalid"}, {"message", invalid}, {"field", "patch"}}})}});
    return false;
  }
  std::string api_version = obj.value("apiVersion", r.api_version());
  std::string kind = obj.value("kind", r.kind);
  status(ex, 400, "BadRequest", kind + " in version \"" + api_version.substr(api_version.find('/') + 1) +
                                    "\" cannot be handled as a " + r.kind + ": " + strict_decoding_error(unknown));
  return false;
}

void list(Exchange& ex, store::Store& s, const Resource& r, const std::string& ns) {
  std::string prefix = "/registry/" + r.name + "/" + (r.namespaced && !ns.empty() ? ns + "/" : "");
  std::string selector = ex.query("labelSelector");
  // watch=1, true or True (Go's strconv.ParseBool, as the API server reads it).
  if (std::string wq = str::to_lower(ex.query("watch")); wq == "1" || wq == "true" || wq == "t") {
    int64_t from = str::parse_int(ex.query("resourceVersion", "0")).value_or(0);
    auto w = s.watch(prefix, from);
    if (!w) return store_error(ex, w.error());
    if (!ex.begin_stream(200, "application/json")) return;
    int64_t timeout_s = str::parse_int(ex.query("timeoutSeconds", "1800")).value_or(1800);
    auto end = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
    while (std::chrono::steady_clock::now() < end && !ex.client_gone()) {
      auto events = (*w)->next(std::chrono::milliseconds(500));
      if (!events) {
        Json st = {{"kind", "Status"}, {"apiVersion", "v1"}, {"metadata", Json::object()}, {"status", "Failure"},
                   {"message", "too old resource version"}, {"reason", "Expired"}, {"code", 410}};
        (void)ex.write(dump_json(Json{{"type", "ERROR"}, {"object", st}}) + "\n");
        break;
      }
      for (auto& e : *events) {
        Json obj = served(e.kv);
        if (!selected(obj, selector)) continue;
        const char* type = e.type == store::Event::Type::kDelete ? "DELETED" : e.prev ? "MODIFIED" : "ADDED";
        if (!ex.write(dump_json(Json{{"type", type}, {"object", obj}}) + "\n")) return;
      }
    }
    ex.end_stream();
    return;
  }
  store::ListOptions o;
  o.limit = str::parse_int(ex.query("limit", "0")).value_or(0);
  // continue token: "<revision>:<last key>" (the API server's is an opaque base64 of the same).
  if (std::string c = ex.query("continue"); !c.empty()) {
    auto dec = str::base64_decode(c).value_or("");
    auto colon = dec.find(':');
    if (colon == std::string::npos) return status(ex, 400, "BadRequest", "continue key is not valid");
    o.revision = str::parse_int(dec.substr(0, colon)).value_or(0);
    o.start_after = dec.substr(colon + 1);
  }
  auto l = s.list(prefix, o);
  if (!l) return store_error(ex, l.error());
  Json items = Json::array();
  for (auto& kv : l->items) {
    Json obj = served(kv);
    if (selected(obj, selector)) items.push_back(obj);
  }
  Json meta = {{"resourceVersion", std::to_string(l->revision)}};
  if (l->more) {
    meta["continue"] = str::base64_encode(std::to_string(l->revision) + ":" + l->items.back().key);
  }
  ex.reply_json(200, {{"kind", r.kind + "List"}, {"apiVersion", r.api_version()}, {"metadata", meta}, {"items", items}});
}

void create(Exchange& ex, store::Store& s, const Resource& r, const std::string& ns) {
  auto body = ex.body();
  if (!body) return status(ex, 400, "BadRequest", body.error().message);
  auto obj = parse_json(*body, "object");
  if (!obj || !obj->is_object()) return status(ex, 400, "BadRequest", obj ? "the body is not a JSON object" : obj.error().message);
  if (!fields_ok(ex, r, *obj, "CreateOptions", false)) return;
  Json& meta = (*obj)["metadata"];
  if (!meta.is_object()) meta = Json::object();
  if (obj->value("kind", r.kind) != r.kind) {
    return status(ex, 400, "BadRequest", "the kind of the object (" + obj->value("kind", "") + ") does not match " + r.kind);
  }
  std::string name = meta.value("name", "");
  if (name.empty() && meta.contains("generateName")) name = meta.value("generateName", "") + str::random_hex(3).substr(0, 5);
  if (name.empty()) return status(ex, 422, "Invalid", r.kind + " \"\" is invalid: metadata.name: Required value: name or generateName is required");
  if (std::string why = invalid_name(r, name); !why.empty()) {
    return status(ex, 422, "Invalid", r.kind + " \"" + name + "\" is invalid: metadata.name: Invalid value: \"" + name + "\": " + why,
                  {{"name", name}, {"kind", r.kind}});
  }
  if (r.namespaced) {
    if (meta.contains("namespace") && meta.value("namespace", "") != ns) {
      return status(ex, 400, "BadRequest", "the namespace of the provided object does not match the namespace sent on the request");
    }
    auto nsobj = s.get("/registry/namespaces/" + ns);
    if (!nsobj) {
      return status(ex, 404, "NotFound", "namespaces \"" + ns + "\" not found", {{"name", ns}, {"kind", "namespaces"}});
    }
    if (nsobj->value.find("\"Terminating\"") != std::string::npos) {
      return status(ex, 403, "Forbidden", r.name + " \"" + name + "\" is forbidden: unable to create new content in namespace " +
                                              ns + " because it is being terminated");
    }
    meta["namespace"] = ns;
  }
  meta["name"] = name;
  meta["uid"] = uuid();
  meta["creationTimestamp"] = now_timestamp();
  meta.erase("resourceVersion");
  (*obj)["apiVersion"] = r.api_version();
  (*obj)["kind"] = r.kind;
  if (r.name == "namespaces") {
    (*obj)["spec"] = {{"finalizers", {"kubernetes"}}};
    (*obj)["status"] = {{"phase", "Active"}};
  }
  if (r.name == "secrets" && !obj->contains("type")) (*obj)["type"] = "Opaque";
  normalize(r, *obj);
  if (ex.query("dryRun") == "All") return ex.reply_json(201, *obj);
  auto rev = s.create(key(r, ns, name), dump_json(*obj));
  if (!rev && rev.error().code == Errc::kAlreadyExists) {
    return status(ex, 409, "AlreadyExists", r.name + " \"" + name + "\" already exists", {{"name", name}, {"kind", r.name}});
  }
  if (!rev) return store_error(ex, rev.error());
  meta["resourceVersion"] = std::to_string(*rev);
  ex.reply_json(201, *obj);
}

void get_one(Exchange& ex, store::Store& s, const Resource& r, const std::string& ns, const std::string& name) {
  auto kv = s.get(key(r, ns, name));
  if (!kv) return kv.error().code == Errc::kNotFound ? not_found(ex, r, name) : store_error(ex, kv.error());
  ex.reply_json(200, served(*kv));
}

void update(Exchange& ex, store::Store& s, const Resource& r, const std::string& ns, const std::string& name) {
  auto body = ex.body();
  if (!body) return status(ex, 400, "BadRequest", body.error().message);
  auto obj = parse_json(*body, "object");
  if (!obj || !obj->is_object()) return status(ex, 400, "BadRequest", "the body is not a JSON object");
  if (!fields_ok(ex, r, *obj, "UpdateOptions", false)) return;
  auto cur = s.get(key(r, ns, name));
  if (!cur) return cur.error().code == Errc::kNotFound ? not_found(ex, r, name) : store_error(ex, cur.error());
  Json old = served(*cur);
  Json& meta = (*obj)["metadata"];
  if (!meta.is_object() || meta.value("name", "") != name) {
    return status(ex, 400, "BadRequest", "the name of the object (" + (meta.is_object() ? meta.value("name", "") : "") +
                                             ") does not match the name on the URL (" + name + ")");
  }
  int64_t expected = str::parse_int(meta.value("resourceVersion", "0")).value_or(0);
  // What the server owns stays as it was.
  for (auto* k : {"uid", "creationTimestamp", "namespace"}) {
    if (old["metadata"].contains(k)) meta[k] = old["metadata"][k];
  }
  meta.erase("resourceVersion");
  (*obj)["apiVersion"] = r.api_version();
  (*obj)["kind"] = r.kind;
  normalize(r, *obj);
  auto rev = s.update(key(r, ns, name), dump_json(*obj), expected);
  if (!rev && rev.error().code == Errc::kConflict) {
    return status(ex, 409, "Conflict",
                  "Operation cannot be fulfilled on " + r.name + " \"" + name +
                      "\": the object has been modified; please apply your changes to the latest version and try again",
                  {{"name", name}, {"kind", r.name}});
  }
  if (!rev) return rev.error().code == Errc::kNotFound ? not_found(ex, r, name) : store_error(ex, rev.error());
  meta["resourceVersion"] = std::to_string(*rev);
  ex.reply_json(200, *obj);
}

// Strategic merge patch for the types served so far, which have no list merge keys: a JSON
// merge patch (RFC 7386) plus the `$patch: replace|delete` directives on maps
// (apimachinery strategicpatch). Lists are replaced, as they are for such types.
Result<Json> strategic_merge(const Json& target, const Json& patch) {
  if (!patch.is_object()) return patch;
  if (patch.value("$patch", "") == "replace") {
    Json out = patch;
    out.erase("$patch");
    return out;
  }
  if (patch.value("$patch", "") == "delete") return Json();
  Json out = target.is_object() ? target : Json::object();
  for (auto& [k, v] : patch.items()) {
    if (k == "$patch" || k.starts_with("$setElementOrder/") || k == "$retainKeys") continue;
    if (v.is_null()) {
      out.erase(k);
    } else if (v.is_object()) {
      BERTH_ASSIGN_OR_RETURN(Json merged, strategic_merge(out.value(k, Json()), v));
      if (merged.is_null()) {
        out.erase(k);
      } else {
        out[k] = merged;
      }
    } else {
      out[k] = v;
    }
  }
  return out;
}

// PATCH with the content types kubectl sends: application/json-patch+json (RFC 6902),
// application/merge-patch+json (RFC 7386), application/strategic-merge-patch+json; applied
// to the current object and stored with compare-and-swap on its revision (retried on a race).
void patch(Exchange& ex, store::Store& s, const Resource& r, const std::string& ns, const std::string& name) {
  auto body = ex.body();
  if (!body) return status(ex, 400, "BadRequest", body.error().message);
  auto p = parse_json(*body, "patch");
  if (!p) return status(ex, 400, "BadRequest", p.error().message);
  std::string type = ex.header("Content-Type");
  type = type.substr(0, type.find(';'));
  for (int attempt = 0; attempt < 5; ++attempt) {
    auto cur = s.get(key(r, ns, name));
    if (!cur) return cur.error().code == Errc::kNotFound ? not_found(ex, r, name) : store_error(ex, cur.error());
    Json obj = served(*cur);
    Json next;
    try {
      if (type == "application/json-patch+json") {
        next = obj.patch(*p);
      } else if (type == "application/merge-patch+json") {
        next = obj;
        next.merge_patch(*p);
      } else if (type == "application/strategic-merge-patch+json") {
        auto merged = strategic_merge(obj, *p);
        if (!merged) return status(ex, 422, "Invalid", merged.error().message);
        next = *merged;
      } else {
        return status(ex, 415, "UnsupportedMediaType", "the body of the request was in an unknown format - accepted "
                                                        "media types include: application/json-patch+json, "
                                                        "application/merge-patch+json, application/strategic-merge-patch+json");
      }
    } catch (const Json::exception& e) {
      return status(ex, 422, "Invalid", std::string("the patch could not be applied: ") + e.what());
    }
    if (next.is_object() && !fields_ok(ex, r, next, "PatchOptions", true)) return;
    if (!next.is_object() || !next["metadata"].is_object() || next["metadata"].value("name", "") != name) {
      return status(ex, 422, "Invalid", r.kind + " \"" + name + "\" is invalid: metadata.name: the patch may not change the name");
    }
    // What the server owns stays as it was.
    for (auto* k : {"uid", "creationTimestamp", "namespace"}) {
      if (obj["metadata"].contains(k)) next["metadata"][k] = obj["metadata"][k];
    }
    next["metadata"].erase("resourceVersion");
    next["apiVersion"] = r.api_version();
    next["kind"] = r.kind;
    normalize(r, next);
    auto rev = s.update(key(r, ns, name), dump_json(next), cur->mod_revision);
    if (!rev && rev.error().code == Errc::kConflict) continue;  // changed meanwhile: patch again
    if (!rev) return store_error(ex, rev.error());
    next["metadata"]["resourceVersion"] = std::to_string(*rev);
    return ex.reply_json(200, next);
  }
  status(ex, 409, "Conflict", "Operation cannot be fulfilled on " + r.name + " \"" + name + "\": too many concurrent changes");
}

// The scale subresource of deployments, replicasets and statefulsets (autoscaling/v1 Scale):
// GET shows spec.replicas; PUT and PATCH (merge or strategic) set it on the object, with
// compare-and-swap on its revision (what `kubectl scale` and an HPA use).
void scale(Exchange& ex, store::Store& s, const Resource& r, const std::string& ns, const std::string& name) {
  if (r.name != "deployments" && r.name != "replicasets" && r.name != "statefulsets") {
    return status(ex, 404, "NotFound", "the server could not find the requested resource");
  }
  std::string body_text;
  if (ex.method() != "GET") {
    auto body = ex.body();
    if (!body) return status(ex, 400, "BadRequest", body.error().message);
    body_text = *body;
  }
  for (int attempt = 0; attempt < 5; ++attempt) {
    auto cur = s.get(key(r, ns, name));
    if (!cur) return cur.error().code == Errc::kNotFound ? not_found(ex, r, name) : store_error(ex, cur.error());
    Json obj = served(*cur);
    Json meta = obj["metadata"];
    Json selector = obj.value("spec", Json::object()).value("selector", Json::object()).value("matchLabels", Json::object());
    std::string sel;
    for (auto& [k, v] : selector.items()) sel += (sel.empty() ? "" : ",") + k + "=" + (v.is_string() ? v.get<std::string>() : "");
    Json sc = {{"apiVersion", "autoscaling/v1"}, {"kind", "Scale"},
               {"metadata", {{"name", name}, {"namespace", ns}, {"uid", meta.value("uid", "")},
                             {"resourceVersion", meta.value("resourceVersion", "")},
                             {"creationTimestamp", meta.value("creationTimestamp", "")}}},
               {"spec", {{"replicas", obj.value("spec", Json::object()).value("replicas", 1)}}},
               {"status", {{"replicas", obj.value("status", Json::object()).value("replicas", 0)}, {"selector", sel}}}};
    if (ex.method() == "GET") return ex.reply_json(200, sc);
    auto in = parse_json(body_text, "scale");
    if (!in || !in->is_object()) return status(ex, 400, "BadRequest", "the body is not a JSON object");
    Json next = sc;
    if (ex.method() == "PUT") {
      next = *in;
    } else {
      next.merge_patch(*in);
    }
    Json spec = next.value("spec", Json::object());
    Json replicas = spec.is_object() ? spec.value("replicas", Json()) : Json();
    if (!replicas.is_number_integer() || replicas.get<int64_t>() < 0) {
      return status(ex, 422, "Invalid", "Scale.autoscaling \"" + name + "\" is invalid: spec.replicas: Invalid value: must be greater than or equal to 0");
    }
    int64_t expected = ex.method() == "PUT" ? str::parse_int(next["metadata"].value("resourceVersion", "0")).value_or(0)
                                            : cur->mod_revision;
    obj["spec"]["replicas"] = replicas;
    obj["metadata"].erase("resourceVersion");
    auto rev = s.update(key(r, ns, name), dump_json(obj), expected ? expected : cur->mod_revision);
    if (!rev && rev.error().code == Errc::kConflict && ex.method() == "PATCH") continue;
    if (!rev && rev.error().code == Errc::kConflict) {
      return status(ex, 409, "Conflict", "Operation cannot be fulfilled on " + r.name + ".apps \"" + name +
                                             "\": the object has been modified; please apply your changes to the latest version and try again");
    }
    if (!rev) return store_error(ex, rev.error());
    sc["spec"]["replicas"] = replicas;
    sc["metadata"]["resourceVersion"] = std::to_string(*rev);
    return ex.reply_json(200, sc);
  }
  status(ex, 409, "Conflict", "too many concurrent changes to " + name);
}

// The namespace controller's work: everything in the namespace, then the namespace.
void finalize_namespace(store::Store& s, const std::string& name) {
  for (auto& other : resources()) {
    if (!other.namespaced) continue;
    auto l = s.list("/registry/" + other.name + "/" + name + "/", {});
    if (!l) continue;
    for (auto& kv : l->items) (void)s.remove(kv.key, 0);
  }
  (void)s.remove("/registry/namespaces/" + name, 0);
}

void remove(Exchange& ex, store::Store& s, const Resource& r, const std::string& ns, const std::string& name) {
  if (r.name == "namespaces") {
    // As on Kubernetes the namespace turns Terminating at once (no new content) and goes with
    // its content a little later, so a `kubectl delete -f` that names both still finds both.
    auto cur = s.get(key(r, "", name));
    if (!cur) return cur.error().code == Errc::kNotFound ? not_found(ex, r, name) : store_error(ex, cur.error());
    Json obj = parse_json(cur->value, "namespace").value_or(Json::object());
    if (obj.value("status", Json::object()).value("phase", "") != "Terminating") {
      obj["status"]["phase"] = "Terminating";
      obj["metadata"]["deletionTimestamp"] = now_timestamp();
      auto rev = s.update(cur->key, dump_json(obj), cur->mod_revision);
      if (!rev) return store_error(ex, rev.error());
      obj["metadata"]["resourceVersion"] = std::to_string(*rev);
      std::thread([&s, name] {
        std::this_thread::sleep_for(std::chrono::seconds(5));
        finalize_namespace(s, name);
      }).detach();
    }
    return ex.reply_json(200, obj);
  }
  auto gone = s.remove(key(r, ns, name), 0);
  if (!gone) return gone.error().code == Errc::kNotFound ? not_found(ex, r, name) : store_error(ex, gone.error());
  ex.reply_json(200, served(*gone));
}

Json discovery(const std::string& group, const std::string& version) {
  Json list = Json::array();
  Json scale_entries = Json::array();
  for (auto& r : resources()) {
    if (r.group != group || r.version != version) continue;
    list.push_back({{"name", r.name},
                    {"singularName", r.singular},
                    {"namespaced", r.namespaced},
                    {"kind", r.kind},
                    {"verbs", {"create", "delete", "get", "list", "patch", "update", "watch"}},
                    {"shortNames", r.short_names}});
    static const std::set<std::string> kAll = {"pods", "services", "deployments", "replicasets", "statefulsets",
                                               "daemonsets", "jobs", "cronjobs", "horizontalpodautoscalers"};
    if (kAll.count(r.name)) list.back()["categories"] = {"all"};
    if (r.name == "deployments" || r.name == "replicasets" || r.name == "statefulsets") {
      scale_entries.push_back({{"name", r.name + "/scale"}, {"singularName", ""}, {"namespaced", true},
                               {"group", "autoscaling"}, {"version", "v1"}, {"kind", "Scale"},
                               {"verbs", {"get", "patch", "update"}}});
    }
  }
  for (auto& e : scale_entries) list.push_back(e);
  return {{"kind", "APIResourceList"}, {"apiVersion", "v1"}, {"groupVersion", group.empty() ? version : group + "/" + version},
          {"resources", list}};
}

}  // namespace

Result<void> add_kube_routes(Router& router, store::Store& s) {
  for (auto* ns : {"default", "kube-system", "kube-public", "kube-node-lease"}) {
    Json obj = {{"apiVersion", "v1"}, {"kind", "Namespace"},
                {"metadata", {{"name", ns}, {"uid", uuid()}, {"creationTimestamp", now_timestamp()}}},
                {"spec", {{"finalizers", {"kubernetes"}}}}, {"status", {{"phase", "Active"}}}};
    auto r = s.create(std::string("/registry/namespaces/") + ns, dump_json(obj));
    if (!r && r.error().code != Errc::kAlreadyExists) return tl::unexpected(r.error());
  }
  router.add("GET", "/version", [](Exchange& ex) {
    ex.reply_json(200, {{"major", "1"}, {"minor", "31"}, {"gitVersion", "v1.31.0+berth"}, {"gitCommit", ""},
                        {"gitTreeState", "clean"}, {"buildDate", "2026-11-30T00:00:00Z"}, {"goVersion", "n/a"},
                        {"compiler", "berth"}, {"platform", "linux/amd64"}});
  });
  router.add("GET", "/api", [](Exchange& ex) {
    ex.reply_json(200, {{"kind", "APIVersions"}, {"versions", {"v1"}},
                        {"serverAddressByClientCIDRs", {{{"clientCIDR", "0.0.0.0/0"}, {"serverAddress", ""}}}}});
  });
  router.add("GET", "/api/v1", [](Exchange& ex) { ex.reply_json(200, discovery("", "v1")); });
  auto api_group = [](const std::string& group, const std::string& version) {
    Json gv = {{"groupVersion", group + "/" + version}, {"version", version}};
    return Json{{"name", group}, {"versions", Json::array({gv})}, {"preferredVersion", gv}};
  };
  router.add("GET", "/apis", [api_group](Exchange& ex) {
    Json groups = Json::array();
    for (auto& [g, v] : group_versions()) groups.push_back(api_group(g, v));
    ex.reply_json(200, {{"kind", "APIGroupList"}, {"apiVersion", "v1"}, {"groups", groups}});
  });
  router.add("GET", "/apis/([^/]+)", [api_group](Exchange& ex) {
    for (auto& [g, v] : group_versions()) {
      if (g != ex.params()[0]) continue;
      Json out = api_group(g, v);
      out["kind"] = "APIGroup";
      out["apiVersion"] = "v1";
      return ex.reply_json(200, out);
    }
    status(ex, 404, "NotFound", "the server could not find the requested resource");
  });
  router.add("GET", "/apis/([^/]+)/([^/]+)", [](Exchange& ex) {
    Json d = discovery(ex.params()[0], ex.params()[1]);
    if (d["resources"].empty()) return status(ex, 404, "NotFound", "the server could not find the requested resource");
    ex.reply_json(200, d);
  });
  // OpenAPI v3 (openapi.h): the schemas `kubectl explain` shows, and each type's PATCH
  // operation with fieldValidation, which tells kubectl to leave validation to the server.
  router.add("GET", "/openapi/v3", [](Exchange& ex) { ex.reply_json(200, openapi_v3_index()); });
  router.add("GET", "/openapi/v3/(api/v1|apis/[^/]+/[^/]+)", [](Exchange& ex) {
    auto doc = openapi_v3_document(ex.params()[0]);
    if (!doc && doc.error().code == Errc::kNotFound) {
      return status(ex, 404, "NotFound", "the server could not find the requested resource");
    }
    if (!doc) return store_error(ex, doc.error());
    ex.reply_json(200, *doc);
  });
  router.add("GET", "/(?:healthz|readyz|livez)", [](Exchange& ex) { ex.reply(200, "ok", "text/plain"); });

  // Cluster-wide collections (namespaces; every namespace's configmaps, secrets).
  router.add("GET", "/api/v1/([a-z]+)", [&s](Exchange& ex) {
    const Resource* r = find_core(ex.params()[0]);
    if (!r) return status(ex, 404, "NotFound", "the server could not find the requested resource");
    list(ex, s, *r, "");
  });
  router.add("POST", "/api/v1/([a-z]+)", [&s](Exchange& ex) {
    const Resource* r = find_core(ex.params()[0]);
    if (!r) return status(ex, 404, "NotFound", "the server could not find the requested resource");
    if (r->namespaced) return status(ex, 405, "MethodNotAllowed", "create needs a namespace");
    create(ex, s, *r, "");
  });
  // One cluster-scoped object (a namespace, node, persistent volume).
  auto cluster_one = [&s](Exchange& ex) {
    const Resource* r = find_core(ex.params()[0]);
    if (!r || r->namespaced) return status(ex, 404, "NotFound", "the server could not find the requested resource");
    const std::string& name = ex.params()[1];
    if (ex.method() == "GET") return get_one(ex, s, *r, "", name);
    if (ex.method() == "PUT") return update(ex, s, *r, "", name);
    if (ex.method() == "PATCH") return patch(ex, s, *r, "", name);
    remove(ex, s, *r, "", name);
  };
  for (auto* m : {"GET", "PUT", "PATCH", "DELETE"}) router.add(m, "/api/v1/([a-z]+)/([^/]+)", cluster_one);
  // Namespaced collections and objects.
  auto collection = [&s](Exchange& ex) {
    const Resource* r = find_core(ex.params()[1]);
    if (!r || !r->namespaced) return status(ex, 404, "NotFound", "the server could not find the requested resource");
    if (ex.method() == "POST") return create(ex, s, *r, ex.params()[0]);
    list(ex, s, *r, ex.params()[0]);
  };
  for (auto* m : {"GET", "POST"}) router.add(m, "/api/v1/namespaces/([^/]+)/([a-z]+)", collection);
  auto object = [&s](Exchange& ex) {
    const Resource* r = find_core(ex.params()[1]);
    if (!r || !r->namespaced) return status(ex, 404, "NotFound", "the server could not find the requested resource");
    const std::string &ns = ex.params()[0], &name = ex.params()[2];
    if (ex.method() == "GET") return get_one(ex, s, *r, ns, name);
    if (ex.method() == "PUT") return update(ex, s, *r, ns, name);
    if (ex.method() == "PATCH") return patch(ex, s, *r, ns, name);
    remove(ex, s, *r, ns, name);
  };
  for (auto* m : {"GET", "PUT", "PATCH", "DELETE"}) router.add(m, "/api/v1/namespaces/([^/]+)/([a-z]+)/([^/]+)", object);
  // Named groups: /apis/<group>/<version>/[namespaces/<ns>/]<resource>[/<name>].
  auto group_handler = [&s](bool namespaced_path, bool one) {
    return [&s, namespaced_path, one](Exchange& ex) {
      const auto& p = ex.params();
      const Resource* r = find_resource(p[0], p[1], p[namespaced_path ? 3 : 2]);
      if (!r || (namespaced_path && !r->namespaced) || (one && !namespaced_path && r->namespaced)) {
        return status(ex, 404, "NotFound", "the server could not find the requested resource");
      }
      std::string ns = namespaced_path ? p[2] : "";
      if (!one) {
        if (ex.method() == "POST") {
          if (r->namespaced && !namespaced_path) return status(ex, 405, "MethodNotAllowed", "create needs a namespace");
          return create(ex, s, *r, ns);
        }
        return list(ex, s, *r, ns);
      }
      const std::string& name = p[namespaced_path ? 4 : 3];
      if (ex.method() == "GET") return get_one(ex, s, *r, ns, name);
      if (ex.method() == "PUT") return update(ex, s, *r, ns, name);
      if (ex.method() == "PATCH") return patch(ex, s, *r, ns, name);
      remove(ex, s, *r, ns, name);
    };
  };
  for (auto* m : {"GET", "POST"}) {
    router.add(m, "/apis/([^/]+)/([^/]+)/namespaces/([^/]+)/([a-z]+)", group_handler(true, false));
    router.add(m, "/apis/([^/]+)/([^/]+)/([a-z]+)", group_handler(false, false));
  }
  for (auto* m : {"GET", "PUT", "PATCH"}) {
    router.add(m, "/apis/([^/]+)/([^/]+)/namespaces/([^/]+)/([a-z]+)/([^/]+)/scale", [&s](Exchange& ex) {
      const auto& p = ex.params();
      const Resource* r = find_resource(p[0], p[1], p[3]);
      if (!r) return status(ex, 404, "NotFound", "the server could not find the requested resource");
      scale(ex, s, *r, p[2], p[4]);
    });
  }
  for (auto* m : {"GET", "PUT", "PATCH", "DELETE"}) {
    router.add(m, "/apis/([^/]+)/([^/]+)/namespaces/([^/]+)/([a-z]+)/([^/]+)", group_handler(true, true));
    router.add(m, "/apis/([^/]+)/([^/]+)/([a-z]+)/([^/]+)", group_handler(false, true));
  }
  return {};
}

}  // namespace berth::api::kube
