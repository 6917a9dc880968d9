#include "api/kube/routes.h"

#include <malloc.h>

#include <chrono>
#include <ctime>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <utility>

#include "api/kube/admission.h"
#include "api/kube/conversion.h"
#include "api/kube/deletion.h"
#include "api/kube/objects.h"
#include "api/kube/openapi.h"
#include "api/kube/resources.h"
#include "api/kube/selectors.h"
#include "api/kube/strategic_merge.h"
#include "api/kube/strategy.h"
#include "api/kube/table.h"
#include "common/strings.h"
#include "common/time.h"

namespace berth::api::kube {
namespace {

const Resource* find_core(const std::string& name) { return find_resource("", "v1", name); }

// A request body as the API server takes one: at most 3 MiB (kube-apiserver's limit; 413
// beyond) and nested at most 10,000 levels deep (apimachinery's JSON decoder limit), so that
// no document can exhaust the stack of the code that walks it.
Result<std::string> read_body(Exchange& ex) {
  constexpr size_t kLimit = 3 << 20;
  // The parser's limit applies to what is still to come; a declared length is checked first.
  if (auto n = str::parse_uint(ex.header("Content-Length")); n && *n > kLimit) {
    return make_error(Errc::kResourceExhausted, "request body too large");
  }
  auto body = ex.body(kLimit);
  if (!body) return body;
  if (body->size() > kLimit) return make_error(Errc::kResourceExhausted, "request body too large");
  int depth = 0, deepest = 0;
  bool in_string = false, escaped = false;
  for (char c : *body) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      deepest = std::max(deepest, ++depth);
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  if (deepest > 10000) return make_error(Errc::kInvalidArgument, "json: exceeded max depth");
  return body;
}

// A metav1.Status failure (apimachinery pkg/api/errors).
void status(Exchange& ex, int code, const std::string& reason, const std::string& message, const Json& details = Json()) {
  Json s = {{"kind", "Status"}, {"apiVersion", "v1"}, {"metadata", Json::object()}, {"status", "Failure"},
            {"message", message}, {"reason", reason}, {"code", code}};
  if (!details.is_null()) s["details"] = details;
  ex.reply_json(code, s);
}

// dryRun=All: the request is admitted and answered but nothing is stored. Any other value is
// 422 (sent here; the result is then nullopt).
std::optional<bool> dry_run(Exchange& ex) {
  std::string v = ex.query("dryRun");
  if (v.empty()) return false;
  if (v == "All") return true;
  status(ex, 422, "Invalid", "dryRun: Unsupported value: \"" + v + "\": supported values: \"All\"");
  return std::nullopt;
}

// An unreadable body: 413 when too large, else 400.
void body_error(Exchange& ex, const Error& e) {
  if (e.code == Errc::kResourceExhausted) {
    return status(ex, 413, "RequestEntityTooLarge", "Request entity too large: limit is 3145728");
  }
  status(ex, 400, "BadRequest", e.message);
}

void not_found(Exchange& ex, const Resource& r, const std::string& name) {
  status(ex, 404, "NotFound", r.name + " \"" + name + "\" not found", {{"name", name}, {"kind", r.name}});
}

void store_error(Exchange& ex, const Error& e) {
  if (e.code == Errc::kFailedPrecondition) return status(ex, 410, "Expired", "too old resource version: " + e.message);
  if (e.code == Errc::kInvalidArgument) return status(ex, 400, "BadRequest", e.message);
  status(ex, 500, "InternalError", "Internal error occurred: " + e.message);
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

// The type's strategy on an object about to be written: status and generation handling,
// defaults, validation. False (and a 422 Invalid sent) when the object is invalid. `old` is
// null on a create.
bool admit(Exchange& ex, const Resource& r, Json& obj, const Json& old, bool status_only = false) {
  if (old.is_null()) {
    prepare_for_create(r, obj);
  } else {
    prepare_for_update(r, obj, old, status_only);
  }
  normalize(r, obj);
  apply_defaults(r, obj);
  auto errors = validate(r, obj, old);
  if (errors.empty()) return true;
  std::string name = obj["metadata"].value("name", "");
  Json causes = Json::array();
  for (auto& e : errors) causes.push_back({{"reason", e.reason()}, {"message", e.detail}, {"field", e.field}});
  status(ex, 422, "Invalid", invalid_message(r, name, errors),
         {{"name", name}, {"group", r.group}, {"kind", r.kind}, {"causes", causes}});
  return false;
}

// What the server owns stays as it was on an update or patch (ObjectMetaUpdateValidation
// and the registry's BeforeUpdate): identity, creation and deletion marks.
void keep_server_fields(Json& obj, const Json& old) {
  if (!obj["metadata"].is_object()) obj["metadata"] = Json::object();
  for (auto* k : {"uid", "creationTimestamp", "namespace", "deletionTimestamp", "deletionGracePeriodSeconds",
                  "generation"}) {
    if (old["metadata"].contains(k)) {
      obj["metadata"][k] = old["metadata"][k];
    } else {
      obj["metadata"].erase(k);
    }
  }
}

// Answers a stored update: the object at its new revision — unless it was being deleted and
// this update took its last finalizer away, when the deletion completes now (the registry's
// deleteWithoutFinalizers after an update).
void reply_written(Exchange& ex, store::Store& s, const Resource& r, const std::string& ns, const std::string& name,
                   Json& obj, int64_t rev) {
  obj["metadata"]["resourceVersion"] = std::to_string(rev);
  const Json& meta = obj["metadata"];
  if (meta.contains("deletionTimestamp") && meta.value("finalizers", Json::array()).empty()) {
    auto gone = s.remove(storage_key(r, ns, name), rev);
    if (gone) obj["metadata"]["resourceVersion"] = std::to_string(gone->mod_revision);
  }
  ex.reply_json(200, to_served_version(r, obj));
}

// kubectl get's server-side printing: `obj` (an object or a list) as a meta.k8s.io/v1 Table
// when the Accept header asks for one, else as it is (apiserver endpoints/handlers/response.go).
Result<Json> as_requested(Exchange& ex, const Resource& r, const Json& obj) {
  if (!wants_table(ex.header("Accept"))) return obj;
  return to_table(r, obj, ex.query("includeObject"), ::time(nullptr));
}

// A stored object as `r` serves it: at its resourceVersion, in r's version.
Json view(const Resource& r, const store::KeyValue& kv) { return to_served_version(r, served(kv)); }

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

// The request's labelSelector and fieldSelector as one predicate; nullopt (a 400 sent) when
// either does not parse.
std::optional<std::function<bool(const Json&)>> request_selector(Exchange& ex, const Resource& r) {
  auto labels = Selector::labels(ex.query("labelSelector"));
  if (!labels) {
    status(ex, 400, "BadRequest", labels.error().message);
    return std::nullopt;
  }
  auto fields = Selector::fields(r, ex.query("fieldSelector"));
  if (!fields) {
    status(ex, 400, "BadRequest", fields.error().message);
    return std::nullopt;
  }
  return [l = *labels, f = *fields](const Json& obj) { return l.matches(obj) && f.matches(obj); };
}

void list(Exchange& ex, store::Store& s, const Resource& r, const std::string& ns) {
  std::string prefix = "/registry/" + r.name + "/" + (r.namespaced && !ns.empty() ? ns + "/" : "");
  auto selected = request_selector(ex, r);
  if (!selected) return;
  // watch=1, true or True (Go's strconv.ParseBool, as the API server reads it).
  if (std::string wq = str::to_lower(ex.query("watch")); wq == "1" || wq == "true" || wq == "t") {
    int64_t from = str::parse_int(ex.query("resourceVersion", "0")).value_or(0);
    if (auto t = as_requested(ex, r, Json::object()); !t) return status(ex, 400, "BadRequest", t.error().message);
    // Without a resourceVersion (or "0", or with sendInitialEvents) the watch starts with the
    // current objects as ADDED events, then goes on from the revision they were read at.
    bool initial = from == 0 || ex.query("sendInitialEvents") == "true";
    std::vector<store::KeyValue> current;
    if (initial) {
      store::ListOptions at;
      at.revision = from;
      auto l = s.list(prefix, at);
      if (!l) return store_error(ex, l.error());
      current = std::move(l->items);
      from = l->revision;
    }
    auto w = s.watch(prefix, from);
    if (!w) return store_error(ex, w.error());
    bool table = wants_table(ex.header("Accept")), first = true;
    if (!ex.begin_stream(200, "application/json")) return;
    // BOOKMARK events (allowWatchBookmarks) tell the client how far the watch has got when
    // nothing it selects changed; with sendInitialEvents one marks the end of the initial ones.
    bool bookmarks = ex.query("allowWatchBookmarks") == "true";
    auto bookmark = [&](int64_t rev, bool initial_end) {
      Json meta = {{"resourceVersion", std::to_string(rev)}};
      if (initial_end) meta["annotations"] = {{"k8s.io/initial-events-end", "true"}};
      return ex.write(dump_json(Json{{"type", "BOOKMARK"},
                                     {"object", {{"kind", r.kind}, {"apiVersion", r.api_version()}, {"metadata", meta}}}}) +
                      "\n");
    };
    // As Tables when asked, each of one row; the columns come with the first only (the watch
    // encoder's NoHeaders).
    auto emit = [&](const char* type, const Json& obj) {
      Json out = as_requested(ex, r, obj).value_or(obj);
      if (table && !std::exchange(first, false)) out["columnDefinitions"] = Json::array();
      return bool(ex.write(dump_json(Json{{"type", type}, {"object", out}}) + "\n"));
    };
    for (auto& kv : current) {
      Json obj = view(r, kv);
      if ((*selected)(obj) && !emit("ADDED", obj)) return;
    }
    if (bookmarks && ex.query("sendInitialEvents") == "true" && !bookmark(from, true)) return;
    int64_t timeout_s = str::parse_int(ex.query("timeoutSeconds", "1800")).value_or(1800);
    auto end = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
    auto last_sent = std::chrono::steady_clock::now();
    int64_t seen = from;
    while (std::chrono::steady_clock::now() < end && !ex.client_gone()) {
      if (bookmarks && std::chrono::steady_clock::now() - last_sent > std::chrono::seconds(10)) {
        if (!bookmark(seen, false)) return;  // only as far as events were delivered
        last_sent = std::chrono::steady_clock::now();
      }
      auto events = (*w)->next(std::chrono::milliseconds(500));
      if (!events) {
        Json st = {{"kind", "Status"}, {"apiVersion", "v1"}, {"metadata", Json::object()}, {"status", "Failure"},
                   {"message", "too old resource version"}, {"reason", "Expired"}, {"code", 410}};
        (void)ex.write(dump_json(Json{{"type", "ERROR"}, {"object", st}}) + "\n");
        break;
      }
      for (auto& e : *events) {
        seen = e.revision();
        // With a selector, an object that stops matching is DELETED for this watch and one
        // that starts matching is ADDED (apiserver's cacher watch filtering).
        Json obj = view(r, e.kv);
        bool now = (*selected)(obj);
        bool before = e.prev && (*selected)(view(r, *e.prev));
        if (!now && !before) continue;
        const char* type = e.type == store::Event::Type::kDelete ? "DELETED"
                           : !now                                ? "DELETED"
                           : before                              ? "MODIFIED"
                                                                 : "ADDED";
        if (!emit(type, obj)) return;
        last_sent = std::chrono::steady_clock::now();
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
  } else if (std::string rv = ex.query("resourceVersion"); !rv.empty() && rv != "0") {
    // resourceVersion semantics of a list: Exact reads at that revision; otherwise
    // (NotOlderThan, the default) the current state, which must be at least that new.
    auto want = str::parse_int(rv);
    if (!want || *want < 0) return status(ex, 400, "BadRequest", "invalid resource version: " + rv);
    std::string match = ex.query("resourceVersionMatch");
    if (!match.empty() && match != "Exact" && match != "NotOlderThan") {
      return status(ex, 400, "BadRequest", "resourceVersionMatch: Unsupported value: \"" + match +
                                               "\": supported values: \"Exact\", \"NotOlderThan\"");
    }
    int64_t now = s.revision().value_or(0);
    if (*want > now) {
      return status(ex, 504, "Timeout", "Too large resource version: " + rv + ", current: " + std::to_string(now),
                    {{"causes", Json::array({{{"reason", "ResourceVersionTooLarge"}, {"message", "Too large resource version"}}})},
                     {"retryAfterSeconds", 1}});
    }
    if (match == "Exact") o.revision = *want;
  }
  auto l = s.list(prefix, o);
  if (!l) return store_error(ex, l.error());
  Json meta = {{"resourceVersion", std::to_string(l->revision)}};
  if (l->more) {
    meta["continue"] = str::base64_encode(std::to_string(l->revision) + ":" + l->items.back().key);
  }
  if (wants_table(ex.header("Accept"))) {
    Json items = Json::array();
    for (auto& kv : l->items) {
      Json obj = view(r, kv);
      if ((*selected)(obj)) items.push_back(std::move(obj));
    }
    auto out = as_requested(ex, r, {{"kind", r.kind + "List"}, {"apiVersion", r.api_version()}, {"metadata", meta},
                                    {"items", std::move(items)}});
    if (!out) return status(ex, 400, "BadRequest", out.error().message);
    return ex.reply_json(200, *out);
  }
  // The list's JSON is written item by item: one object's tree at a time, not ten thousand
  // (a parsed pod takes several times its text).
  std::string body = "{\"apiVersion\":" + dump_json(Json(r.api_version())) + ",\"items\":[";
  bool first = true;
  for (auto& kv : l->items) {
    Json obj = view(r, kv);
    if (!(*selected)(obj)) continue;
    if (!std::exchange(first, false)) body += ',';
    body += dump_json(obj);
  }
  body += "],\"kind\":" + dump_json(Json(r.kind + "List")) + ",\"metadata\":" + dump_json(meta) + "}\n";
  l->items.clear();
  l->items.shrink_to_fit();
  bool large = body.size() > (1 << 20);
  ex.reply(200, body);
  body = std::string();
  // glibc keeps a large reply's freed memory in this thread's arena for as long as the
  // connection lives; give it back.
  if (large) ::malloc_trim(0);
}

// The `default` ServiceAccount every namespace has (the service account controller's work).
void ensure_default_service_account(store::Store& s, const std::string& ns) {
  Json sa = {{"apiVersion", "v1"}, {"kind", "ServiceAccount"},
             {"metadata", {{"name", "default"}, {"namespace", ns}, {"uid", new_uid()}, {"creationTimestamp", now_timestamp()}}}};
  (void)s.create("/registry/serviceaccounts/" + ns + "/default", dump_json(sa));
}

// A new Service's spec.clusterIP (and clusterIPs) from 10.43.0.0/16, k3s's service range, and
// its NodePort/LoadBalancer ports' nodePorts from 30000-32767, each the lowest one free.
// Errors: kResourceExhausted when a range is full; the store's.
Result<void> allocate_service_addresses(store::Store& s, Json& svc) {
  Json& spec = svc["spec"];
  std::string type = spec.value("type", "ClusterIP");
  if (type == "ExternalName") return {};
  BERTH_ASSIGN_OR_RETURN(store::ListResult all, s.list("/registry/services/", {}));
  std::set<std::string> ips;
  std::set<int64_t> node_ports;
  for (auto& kv : all.items) {
    Json o = served(kv).value("spec", Json::object());
    ips.insert(o.value("clusterIP", ""));
    for (auto& p : o.value("ports", Json::array())) {
      if (p.is_object() && p.value("nodePort", Json()).is_number_integer()) node_ports.insert(p["nodePort"].get<int64_t>());
    }
  }
  if (spec.value("clusterIP", "").empty()) {
    for (int i = 10; i < 65535; ++i) {
      std::string ip = "10.43." + std::to_string(i / 256) + "." + std::to_string(i % 256);
      if (i % 256 == 0 || i % 256 == 255 || ips.count(ip)) continue;
      spec["clusterIP"] = ip;
      break;
    }
    if (spec.value("clusterIP", "").empty()) return tl::unexpected(Error{Errc::kResourceExhausted, "failed to allocate a serviceIP: range is full"});
  }
  spec["clusterIPs"] = {spec["clusterIP"]};
  if (type != "NodePort" && type != "LoadBalancer") return {};
  for (auto& p : spec["ports"]) {
    if (!p.is_object() || p.value("nodePort", Json()).is_number_integer()) continue;
    for (int64_t port = 30000; port <= 32767; ++port) {
      if (node_ports.insert(port).second) {
        p["nodePort"] = port;
        break;
      }
    }
    if (!p.contains("nodePort")) return tl::unexpected(Error{Errc::kResourceExhausted, "failed to allocate a nodePort: range is full"});
  }
  return {};
}

void create(Exchange& ex, store::Store& s, const Resource& r, const std::string& ns) {
  auto body = read_body(ex);
  if (!body) return body_error(ex, body.error());
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
  meta["uid"] = new_uid();
  meta["creationTimestamp"] = now_timestamp();
  meta.erase("resourceVersion");
  (*obj)["apiVersion"] = r.api_version();
  (*obj)["kind"] = r.kind;
  *obj = to_storage_version(r, std::move(*obj));  // `meta` is not used from here on
  if (r.name == "namespaces") {
    (*obj)["spec"] = {{"finalizers", {"kubernetes"}}};
    (*obj)["status"] = {{"phase", "Active"}};
  }
  if (r.name == "secrets" && !obj->contains("type")) (*obj)["type"] = "Opaque";
  if (!admit(ex, r, *obj, Json())) return;
  auto dry = dry_run(ex);
  if (!dry) return;
  if (*dry) return ex.reply_json(201, to_served_version(r, *obj));
  // Admission: LimitRanges default and bound a pod's resources; quotas are checked and
  // Services get their cluster IP and node ports under one lock with the create, so that two
  // creates cannot take the same address or the last unit of a quota.
  auto refused = [&](const Error& e) {
    status(ex, 403, "Forbidden", r.name + " \"" + name + "\" is forbidden: " + e.message, {{"name", name}, {"kind", r.name}});
  };
  if (r.name == "pods") {
    if (auto a = admit_limit_ranges(s, ns, *obj); !a) return refused(a.error());
  }
  static std::mutex admission_mu;
  std::unique_lock admitting(admission_mu);
  if (auto a = admit_quota(s, r, ns, *obj); !a) return refused(a.error());
  if (r.name == "services") {
    if (auto a = allocate_service_addresses(s, *obj); !a) {
      return status(ex, 422, "Invalid", invalid_message(r, name, {{"Invalid", "spec", a.error().message}}));
    }
  }
  auto rev = s.create(storage_key(r, ns, name), dump_json(*obj));
  if (!rev && rev.error().code == Errc::kAlreadyExists) {
    return status(ex, 409, "AlreadyExists", r.name + " \"" + name + "\" already exists", {{"name", name}, {"kind", r.name}});
  }
  if (!rev) return store_error(ex, rev.error());
  (*obj)["metadata"]["resourceVersion"] = std::to_string(*rev);
  if (r.name == "namespaces") ensure_default_service_account(s, name);
  ex.reply_json(201, to_served_version(r, *obj));
}

void get_one(Exchange& ex, store::Store& s, const Resource& r, const std::string& ns, const std::string& name) {
  auto kv = s.get(storage_key(r, ns, name));
  if (!kv) return kv.error().code == Errc::kNotFound ? not_found(ex, r, name) : store_error(ex, kv.error());
  auto out = as_requested(ex, r, view(r, *kv));
  if (!out) return status(ex, 400, "BadRequest", out.error().message);
  ex.reply_json(200, *out);
}

void update(Exchange& ex, store::Store& s, const Resource& r, const std::string& ns, const std::string& name,
            bool status_only = false) {
  auto body = read_body(ex);
  if (!body) return body_error(ex, body.error());
  auto obj = parse_json(*body, "object");
  if (!obj || !obj->is_object()) return status(ex, 400, "BadRequest", "the body is not a JSON object");
  if (!fields_ok(ex, r, *obj, "UpdateOptions", false)) return;
  auto cur = s.get(storage_key(r, ns, name));
  if (!cur) return cur.error().code == Errc::kNotFound ? not_found(ex, r, name) : store_error(ex, cur.error());
  Json old = served(*cur);
  Json& meta = (*obj)["metadata"];
  if (!meta.is_object() || meta.value("name", "") != name) {
    return status(ex, 400, "BadRequest", "the name of the object (" + (meta.is_object() ? meta.value("name", "") : "") +
                                             ") does not match the name on the URL (" + name + ")");
  }
  std::string given = meta.value("resourceVersion", "");
  auto expected_rv = str::parse_int(given.empty() ? "0" : given);
  if (!expected_rv || *expected_rv < 0) return status(ex, 400, "BadRequest", "invalid resourceVersion: \"" + given + "\"");
  int64_t expected = *expected_rv;
  *obj = to_storage_version(r, std::move(*obj));  // `meta` is not used from here on
  keep_server_fields(*obj, old);
  (*obj)["apiVersion"] = storage_resource(r).api_version();
  (*obj)["kind"] = r.kind;
  if (!admit(ex, r, *obj, old, status_only)) return;
  (*obj)["metadata"].erase("resourceVersion");
  auto dry = dry_run(ex);
  if (!dry) return;
  if (*dry) {
    (*obj)["metadata"]["resourceVersion"] = std::to_string(cur->mod_revision);
    return ex.reply_json(200, to_served_version(r, *obj));
  }
  auto rev = s.update(storage_key(r, ns, name), dump_json(*obj), expected);
  if (!rev && rev.error().code == Errc::kConflict) {
    return status(ex, 409, "Conflict",
                  "Operation cannot be fulfilled on " + r.name + " \"" + name +
                      "\": the object has been modified; please apply your changes to the latest version and try again",
                  {{"name", name}, {"kind", r.name}});
  }
  if (!rev) return rev.error().code == Errc::kNotFound ? not_found(ex, r, name) : store_error(ex, rev.error());
  reply_written(ex, s, r, ns, name, *obj, *rev);
}

// PATCH with the content types kubectl sends: application/json-patch+json (RFC 6902),
// application/merge-patch+json (RFC 7386), application/strategic-merge-patch+json; applied
// to the current object and stored with compare-and-swap on its revision (retried on a race).
void patch(Exchange& ex, store::Store& s, const Resource& r, const std::string& ns, const std::string& name,
           bool status_only = false) {
  auto body = read_body(ex);
  if (!body) return body_error(ex, body.error());
  auto p = parse_json(*body, "patch");
  if (!p) return status(ex, 400, "BadRequest", p.error().message);
  std::string type = ex.header("Content-Type");
  type = type.substr(0, type.find(';'));
  for (int attempt = 0; attempt < 5; ++attempt) {
    auto cur = s.get(storage_key(r, ns, name));
    if (!cur) return cur.error().code == Errc::kNotFound ? not_found(ex, r, name) : store_error(ex, cur.error());
    Json obj = served(*cur);
    Json shown = to_served_version(r, obj);  // the patch applies to the object as r serves it
    Json next;
    try {
      if (type == "application/json-patch+json") {
        next = shown.patch(*p);
      } else if (type == "application/merge-patch+json") {
        next = shown;
        next.merge_patch(*p);
      } else if (type == "application/strategic-merge-patch+json") {
        auto merged = strategic_merge_patch(shown, *p, r);
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
    // A resourceVersion the patch sets is a precondition, as on an update.
    if (std::string rv = next["metadata"].value("resourceVersion", ""); !rv.empty() && rv != std::to_string(cur->mod_revision)) {
      return status(ex, 409, "Conflict",
                    "Operation cannot be fulfilled on " + r.name + " \"" + name +
                        "\": the object has been modified; please apply your changes to the latest version and try again",
                    {{"name", name}, {"kind", r.name}});
    }
    next = to_storage_version(r, std::move(next));
    keep_server_fields(next, obj);
    next["apiVersion"] = storage_resource(r).api_version();
    next["kind"] = r.kind;
    if (!admit(ex, r, next, obj, status_only)) return;
    next["metadata"].erase("resourceVersion");
    auto dry = dry_run(ex);
    if (!dry) return;
    if (*dry) {
      next["metadata"]["resourceVersion"] = std::to_string(cur->mod_revision);
      return ex.reply_json(200, to_served_version(r, next));
    }
    auto rev = s.update(storage_key(r, ns, name), dump_json(next), cur->mod_revision);
    if (!rev && rev.error().code == Errc::kConflict) continue;  // changed meanwhile: patch again
    if (!rev) return store_error(ex, rev.error());
    return reply_written(ex, s, r, ns, name, next, *rev);
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
    auto body = read_body(ex);
    if (!body) return body_error(ex, body.error());
    body_text = *body;
  }
  for (int attempt = 0; attempt < 5; ++attempt) {
    auto cur = s.get(storage_key(r, ns, name));
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
    auto rev = s.update(storage_key(r, ns, name), dump_json(obj), expected ? expected : cur->mod_revision);
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

// DELETE of one object with metav1.DeleteOptions (body or query): 200 with the object when it
// is gone, 202 with it when finalizers or a grace period keep it for now (the apiserver's
// DeleteResource handler). A namespace turns Terminating at once (no new content) and the
// garbage collector removes it with its content a few seconds later.
void remove(Exchange& ex, store::Store& s, const Resource& r, const std::string& ns, const std::string& name) {
  auto body = read_body(ex);
  if (!body) return body_error(ex, body.error());
  auto o = DeleteOptions::parse(*body, ex.query("gracePeriodSeconds"), ex.query("propagationPolicy"));
  if (!o) return status(ex, 400, "BadRequest", o.error().message);
  if (r.name == "namespaces") {
    auto cur = s.get(storage_key(r, "", name));
    if (!cur) return cur.error().code == Errc::kNotFound ? not_found(ex, r, name) : store_error(ex, cur.error());
    Json obj = served(*cur);
    if (obj.value("status", Json::object()).value("phase", "") != "Terminating") {
      obj["status"]["phase"] = "Terminating";
      obj["metadata"]["deletionTimestamp"] = now_timestamp();
      obj["metadata"].erase("resourceVersion");
      auto rev = s.update(cur->key, dump_json(obj), cur->mod_revision);
      if (!rev) return store_error(ex, rev.error());
      obj["metadata"]["resourceVersion"] = std::to_string(*rev);
    }
    return ex.reply_json(200, obj);
  }
  auto dry = dry_run(ex);
  if (!dry) return;
  if (*dry || o->dry_run) {
    auto cur = s.get(storage_key(r, ns, name));
    if (!cur) return cur.error().code == Errc::kNotFound ? not_found(ex, r, name) : store_error(ex, cur.error());
    return ex.reply_json(200, view(r, *cur));
  }
  auto d = delete_object(s, r, storage_key(r, ns, name), *o);
  if (!d && d.error().code == Errc::kNotFound) return not_found(ex, r, name);
  if (!d && d.error().code == Errc::kConflict) return status(ex, 409, "Conflict", d.error().message, {{"name", name}, {"kind", r.name}});
  if (!d) return store_error(ex, d.error());
  ex.reply_json(d->gone ? 200 : 202, to_served_version(r, d->object));
}

// DELETE of a collection (deletecollection): every object the label and field selectors
// choose, each deleted as above; answers the list of them.
void remove_collection(Exchange& ex, store::Store& s, const Resource& r, const std::string& ns) {
  auto body = read_body(ex);
  if (!body) return body_error(ex, body.error());
  auto o = DeleteOptions::parse(*body, ex.query("gracePeriodSeconds"), ex.query("propagationPolicy"));
  if (!o) return status(ex, 400, "BadRequest", o.error().message);
  auto selected = request_selector(ex, r);
  if (!selected) return;
  auto l = s.list("/registry/" + r.name + "/" + (r.namespaced && !ns.empty() ? ns + "/" : ""), {});
  if (!l) return store_error(ex, l.error());
  Json items = Json::array();
  for (auto& kv : l->items) {
    Json obj = view(r, kv);
    if (!(*selected)(obj)) continue;
    if (auto d = delete_object(s, r, kv.key, *o)) items.push_back(to_served_version(r, d->object));
  }
  ex.reply_json(200, {{"kind", r.kind + "List"}, {"apiVersion", r.api_version()},
                      {"metadata", {{"resourceVersion", std::to_string(s.revision().value_or(0))}}}, {"items", items}});
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
                    {"verbs", r.review ? Json{"create"}
                                       : Json{"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"}},
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

// Who the request acts as: the authenticated user, or the one it impersonates
// (Impersonate-User / Impersonate-Group / Impersonate-Uid, as kubectl --as sends them), which
// the authenticated user must be allowed to `impersonate` (apiserver's WithImpersonation).
// Errors: kUnauthenticated; kPermissionDenied with the authorizer's reason.
Result<UserInfo> requester(Exchange& ex, const Access& a) {
  std::optional<UserInfo> user = a.authn ? a.authn->authenticate(ex.peer(), ex.header("Authorization"))
                                         : std::optional<UserInfo>(UserInfo{"system:admin", "", {"system:masters"}});
  if (!user) return make_error(Errc::kUnauthenticated, "Unauthorized");
  std::string as = ex.header("Impersonate-User");
  if (as.empty()) return *user;
  RequestInfo want;
  want.resource_request = true;
  want.verb = "impersonate";
  UserInfo target{as, ex.header("Impersonate-Uid"), {}};
  if (as.starts_with("system:serviceaccount:")) {
    auto parts = str::split(as, ':');  // system, serviceaccount, ns, name
    want.resource = "serviceaccounts";
    want.ns = parts.size() == 4 ? parts[2] : "";
    want.name = parts.size() == 4 ? parts[3] : "";
    target.groups = {"system:serviceaccounts", "system:serviceaccounts:" + want.ns};
  } else {
    want.resource = "users";
    want.name = as;
  }
  if (std::string why = a.authz ? a.authz->denied(*user, want) : ""; !why.empty()) {
    return make_error(Errc::kPermissionDenied, "users \"" + as + "\" is forbidden: " + why);
  }
  if (std::string g = ex.header("Impersonate-Group"); !g.empty()) {
    want.resource = "groups";
    want.name = g;
    want.ns.clear();
    if (std::string why = a.authz ? a.authz->denied(*user, want) : ""; !why.empty()) {
      return make_error(Errc::kPermissionDenied, "groups \"" + g + "\" is forbidden: " + why);
    }
    target.groups.push_back(g);
  }
  target.groups.push_back("system:authenticated");
  return target;
}

// The reviews: access reviews answer whether a user (the requester, or one named) may do
// something, through the same authorizer as requests; SelfSubjectReview says who the requester
// is; TokenReview whether a token is valid and whose it is (authorization.k8s.io and
// authentication.k8s.io, kubectl auth can-i / whoami).
void review(Exchange& ex, const Resource& r, const Access& a) {
  auto body = read_body(ex);
  auto in = body ? parse_json(*body, r.kind) : Result<Json>(Json());
  if (!in || !in->is_object()) return status(ex, 400, "BadRequest", "the body is not a JSON object");
  Json out = *in;
  out["apiVersion"] = r.api_version();
  out["kind"] = r.kind;
  if (!out["metadata"].is_object()) out["metadata"] = Json::object();
  out["metadata"]["creationTimestamp"] = Json();
  auto me = requester(ex, a);
  if (!me) return status(ex, 401, "Unauthorized", "Unauthorized");
  auto user_json = [](const UserInfo& u) {
    Json j = {{"username", u.name}, {"groups", u.groups}};
    if (!u.uid.empty()) j["uid"] = u.uid;
    return j;
  };
  if (r.name == "selfsubjectreviews") {
    out["status"] = {{"userInfo", user_json(*me)}};
    return ex.reply_json(201, out);
  }
  Json spec = out.value("spec", Json::object());
  if (r.name == "tokenreviews") {
    auto who = a.authn ? a.authn->authenticate(Peer{}, "Bearer " + spec.value("token", "")) : std::nullopt;
    out["status"] = who ? Json{{"authenticated", true}, {"user", user_json(*who)}} : Json{{"authenticated", false}};
    return ex.reply_json(201, out);
  }
  UserInfo subject = *me;
  if (r.name == "subjectaccessreviews") {
    subject = {spec.value("user", ""), spec.value("uid", ""), {}};
    if (spec.contains("groups") && !spec["groups"].is_array()) {
      return status(ex, 400, "BadRequest", "SubjectAccessReview: spec.groups must be a list of strings");
    }
    for (auto& g : spec.value("groups", Json::array())) {
      if (g.is_string()) subject.groups.push_back(g);
    }
  }
  RequestInfo info;
  if (spec.contains("resourceAttributes") && spec["resourceAttributes"].is_object()) {
    const Json& ra = spec["resourceAttributes"];
    info.resource_request = true;
    info.verb = ra.value("verb", "");
    info.api_group = ra.value("group", "");
    info.api_version = ra.value("version", "");
    info.resource = ra.value("resource", "");
    info.subresource = ra.value("subresource", "");
    info.ns = ra.value("namespace", "");
    info.name = ra.value("name", "");
  } else {
    const Json na = spec.value("nonResourceAttributes", Json::object());
    info.verb = na.is_object() ? na.value("verb", "") : "";
    info.path = na.is_object() ? na.value("path", "") : "";
  }
  std::string why = a.authz ? a.authz->denied(subject, info) : "";
  out["status"] = {{"allowed", why.empty()}};  // no reason on a denial, as RBAC gives none
  ex.reply_json(201, out);
}

// RBAC's escalation prevention for writes of roles and bindings: a create or update must not
// grant more than the writer holds; a patch that touches rules or roleRef needs the escalate
// or bind verb outright (its result is not known before it is applied).
std::string escalates(Exchange& ex, const Access& a, const UserInfo& user, RequestInfo& info) {
  if (!a.authz || !info.resource_request || info.api_group != "rbac.authorization.k8s.io") return "";
  if (info.verb != "create" && info.verb != "update" && info.verb != "patch") return "";
  if (!info.subresource.empty()) return "";
  auto body = read_body(ex);
  if (!body) return "";  // the handler reports it
  Json obj = parse_json(*body, "object").value_or(Json());
  if (obj.is_object() && info.name.empty()) info.name = obj.value("metadata", Json::object()).value("name", "");
  if (info.verb == "patch") {
    if (body->find("\"rules\"") == std::string::npos && body->find("\"roleRef\"") == std::string::npos) return "";
    bool role = info.resource == "roles" || info.resource == "clusterroles";
    return a.authz->escalation(user, info, role ? Json{{"rules", Json::array({{{"verbs", {"*"}}, {"apiGroups", {"*"}},
                                                                                 {"resources", {"*"}}}})}}
                                                : Json{{"roleRef", {{"kind", "ClusterRole"}, {"name", "cluster-admin"}}}});
  }
  return a.authz->escalation(user, info, obj);
}

// The route's handler behind authentication// The route's handler behind authentication// The route's handler behind authentication, authorization and the audit log (the API
// server's filter chain: WithAuthentication, WithAuthorization, WithAudit).
Handler guarded(const Access& a, Handler h) {
  return [a, h = std::move(h)](Exchange& ex) {
    int64_t received = AuditLog::now_ns();
    std::string wq = str::to_lower(ex.query("watch"));
    RequestInfo info = request_info(ex.method(), ex.path(), wq == "1" || wq == "true" || wq == "t");
    auto user = requester(ex, a);
    if (!user && user.error().code == Errc::kPermissionDenied) {
      return status(ex, 403, "Forbidden", user.error().message);
    }
    if (!user) {
      status(ex, 401, "Unauthorized", "Unauthorized");
      if (a.audit) {
        a.audit->record({"system:anonymous", "", {"system:unauthenticated"}}, info, ex.target(), ex.peer().address,
                        ex.header("User-Agent"), 401, received);
      }
      return;
    }
    std::string why = a.authz ? a.authz->denied(*user, info) : "";
    if (!why.empty()) {
      std::string what = !info.resource_request ? "forbidden"
                         : info.name.empty()    ? info.resource + " is forbidden"
                                                : info.resource + " \"" + info.name + "\" is forbidden";
      status(ex, 403, "Forbidden", what + ": " + why, {{"name", info.name}, {"group", info.api_group}, {"kind", info.resource}});
    } else if (std::string esc = escalates(ex, a, *user, info); !esc.empty()) {
      std::string what = info.resource + "." + info.api_group + " \"" + info.name + "\" is forbidden";
      status(ex, 403, "Forbidden", what + ": " + esc, {{"name", info.name}, {"group", info.api_group}, {"kind", info.resource}});
    } else {
      h(ex);
    }
    if (a.audit) a.audit->record(*user, info, ex.target(), ex.peer().address, ex.header("User-Agent"), ex.status_sent(), received);
  };
}

}  // namespace

Result<void> add_kube_routes(Router& router, store::Store& s, const Access& access) {
  BERTH_TRY(ensure_bootstrap_policy(s));
  auto add = [&router, access](const std::string& method, const std::string& pattern, Handler h) {
    router.add(method, pattern, guarded(access, std::move(h)));
  };
  for (auto* ns : {"default", "kube-system", "kube-public", "kube-node-lease"}) {
    Json obj = {{"apiVersion", "v1"}, {"kind", "Namespace"},
                {"metadata", {{"name", ns}, {"uid", new_uid()}, {"creationTimestamp", now_timestamp()},
                              {"labels", {{"kubernetes.io/metadata.name", ns}}}}},
                {"spec", {{"finalizers", {"kubernetes"}}}}, {"status", {{"phase", "Active"}}}};
    auto r = s.create(std::string("/registry/namespaces/") + ns, dump_json(obj));
    if (!r && r.error().code != Errc::kAlreadyExists) return tl::unexpected(r.error());
    ensure_default_service_account(s, ns);
  }
  // The `kubernetes` Service in default, the API's in-cluster address (10.43.0.1:443 in k3s).
  Json api_svc = {{"apiVersion", "v1"}, {"kind", "Service"},
                  {"metadata", {{"name", "kubernetes"}, {"namespace", "default"}, {"uid", new_uid()},
                                {"creationTimestamp", now_timestamp()},
                                {"labels", {{"component", "apiserver"}, {"provider", "kubernetes"}}}}},
                  {"spec", {{"type", "ClusterIP"}, {"clusterIP", "10.43.0.1"}, {"clusterIPs", {"10.43.0.1"}},
                            {"ports", {{{"name", "https"}, {"port", 443}, {"protocol", "TCP"}, {"targetPort", 6443}}}},
                            {"sessionAffinity", "None"}, {"ipFamilies", {"IPv4"}}, {"ipFamilyPolicy", "SingleStack"},
                            {"internalTrafficPolicy", "Cluster"}}},
                  {"status", {{"loadBalancer", Json::object()}}}};
  if (auto r = s.create("/registry/services/default/kubernetes", dump_json(api_svc)); !r && r.error().code != Errc::kAlreadyExists) {
    return tl::unexpected(r.error());
  }
  add("GET", "/version", [](Exchange& ex) {
    ex.reply_json(200, {{"major", "1"}, {"minor", "31"}, {"gitVersion", "v1.31.0+berth"}, {"gitCommit", ""},
                        {"gitTreeState", "clean"}, {"buildDate", "2026-11-30T00:00:00Z"}, {"goVersion", "n/a"},
                        {"compiler", "berth"}, {"platform", "linux/amd64"}});
  });
  add("GET", "/api", [](Exchange& ex) {
    ex.reply_json(200, {{"kind", "APIVersions"}, {"versions", {"v1"}},
                        {"serverAddressByClientCIDRs", {{{"clientCIDR", "0.0.0.0/0"}, {"serverAddress", ""}}}}});
  });
  add("GET", "/api/v1", [](Exchange& ex) { ex.reply_json(200, discovery("", "v1")); });
  // A named group with its versions, the first (storage) one preferred (metav1.APIGroup).
  auto api_group = [](const std::string& group) {
    Json versions = Json::array();
    for (auto& [g, v] : group_versions()) {
      if (g == group) versions.push_back({{"groupVersion", g + "/" + v}, {"version", v}});
    }
    if (versions.empty()) return Json();
    return Json{{"name", group}, {"versions", versions}, {"preferredVersion", versions[0]}};
  };
  add("GET", "/apis", [api_group](Exchange& ex) {
    Json groups = Json::array();
    std::set<std::string> seen;
    for (auto& [g, v] : group_versions()) {
      if (seen.insert(g).second) groups.push_back(api_group(g));
    }
    ex.reply_json(200, {{"kind", "APIGroupList"}, {"apiVersion", "v1"}, {"groups", groups}});
  });
  add("GET", "/apis/([^/]+)", [api_group](Exchange& ex) {
    Json out = api_group(ex.params()[0]);
    if (out.is_null()) return status(ex, 404, "NotFound", "the server could not find the requested resource");
    out["kind"] = "APIGroup";
    out["apiVersion"] = "v1";
    ex.reply_json(200, out);
  });
  add("GET", "/apis/([^/]+)/([^/]+)", [](Exchange& ex) {
    Json d = discovery(ex.params()[0], ex.params()[1]);
    if (d["resources"].empty()) return status(ex, 404, "NotFound", "the server could not find the requested resource");
    ex.reply_json(200, d);
  });
  // OpenAPI v3 (openapi.h): the schemas `kubectl explain` shows, and each type's PATCH
  // operation with fieldValidation, which tells kubectl to leave validation to the server.
  add("GET", "/openapi/v3", [](Exchange& ex) { ex.reply_json(200, openapi_v3_index()); });
  add("GET", "/openapi/v3/(api/v1|apis/[^/]+/[^/]+)", [](Exchange& ex) {
    auto doc = openapi_v3_document(ex.params()[0]);
    if (!doc && doc.error().code == Errc::kNotFound) {
      return status(ex, 404, "NotFound", "the server could not find the requested resource");
    }
    if (!doc) return store_error(ex, doc.error());
    ex.reply_json(200, *doc);
  });
  add("GET", "/(?:healthz|readyz|livez)", [](Exchange& ex) { ex.reply(200, "ok", "text/plain"); });

  // Cluster-wide collections (namespaces; every namespace's configmaps, secrets).
  add("GET", "/api/v1/([a-z]+)", [&s](Exchange& ex) {
    const Resource* r = find_core(ex.params()[0]);
    if (!r) return status(ex, 404, "NotFound", "the server could not find the requested resource");
    list(ex, s, *r, "");
  });
  add("POST", "/api/v1/([a-z]+)", [&s](Exchange& ex) {
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
    if (ex.method() == "GET" || ex.method() == "HEAD") return get_one(ex, s, *r, "", name);
    if (ex.method() == "PUT") return update(ex, s, *r, "", name);
    if (ex.method() == "PATCH") return patch(ex, s, *r, "", name);
    remove(ex, s, *r, "", name);
  };
  for (auto* m : {"GET", "PUT", "PATCH", "DELETE"}) add(m, "/api/v1/([a-z]+)/([^/]+)", cluster_one);
  // Namespaced collections and objects.
  auto collection = [&s](Exchange& ex) {
    const Resource* r = find_core(ex.params()[1]);
    if (!r || !r->namespaced) return status(ex, 404, "NotFound", "the server could not find the requested resource");
    if (ex.method() == "POST") return create(ex, s, *r, ex.params()[0]);
    if (ex.method() == "DELETE") return remove_collection(ex, s, *r, ex.params()[0]);
    list(ex, s, *r, ex.params()[0]);
  };
  for (auto* m : {"GET", "POST", "DELETE"}) add(m, "/api/v1/namespaces/([^/]+)/([a-z]+)", collection);
  auto object = [&s](Exchange& ex) {
    const Resource* r = find_core(ex.params()[1]);
    if (!r || !r->namespaced) return status(ex, 404, "NotFound", "the server could not find the requested resource");
    const std::string &ns = ex.params()[0], &name = ex.params()[2];
    if (ex.method() == "GET" || ex.method() == "HEAD") return get_one(ex, s, *r, ns, name);
    if (ex.method() == "PUT") return update(ex, s, *r, ns, name);
    if (ex.method() == "PATCH") return patch(ex, s, *r, ns, name);
    remove(ex, s, *r, ns, name);
  };
  for (auto* m : {"GET", "PUT", "PATCH", "DELETE"}) add(m, "/api/v1/namespaces/([^/]+)/([a-z]+)/([^/]+)", object);
  // Named groups: /apis/<group>/<version>/[namespaces/<ns>/]<resource>[/<name>].
  auto group_handler = [&s, access](bool namespaced_path, bool one) {
    return [&s, access, namespaced_path, one](Exchange& ex) {
      const auto& p = ex.params();
      const Resource* r = find_resource(p[0], p[1], p[namespaced_path ? 3 : 2]);
      if (!r || (namespaced_path && !r->namespaced) || (one && !namespaced_path && r->namespaced)) {
        return status(ex, 404, "NotFound", "the server could not find the requested resource");
      }
      if (r->review) {
        if (one || ex.method() != "POST") return status(ex, 405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
        return review(ex, *r, access);
      }
      std::string ns = namespaced_path ? p[2] : "";
      if (!one) {
        if (ex.method() == "POST") {
          if (r->namespaced && !namespaced_path) return status(ex, 405, "MethodNotAllowed", "create needs a namespace");
          return create(ex, s, *r, ns);
        }
        if (ex.method() == "DELETE") return remove_collection(ex, s, *r, ns);
        return list(ex, s, *r, ns);
      }
      const std::string& name = p[namespaced_path ? 4 : 3];
      if (ex.method() == "GET" || ex.method() == "HEAD") return get_one(ex, s, *r, ns, name);
      if (ex.method() == "PUT") return update(ex, s, *r, ns, name);
      if (ex.method() == "PATCH") return patch(ex, s, *r, ns, name);
      remove(ex, s, *r, ns, name);
    };
  };
  for (auto* m : {"GET", "POST", "DELETE"}) {
    add(m, "/apis/([^/]+)/([^/]+)/namespaces/([^/]+)/([a-z]+)", group_handler(true, false));
    add(m, "/apis/([^/]+)/([^/]+)/([a-z]+)", group_handler(false, false));
  }
  // The status subresource: GET the object, PUT/PATCH change only its status.
  auto status_handler = [&s](const Resource* r, const std::string& ns, const std::string& name, Exchange& ex) {
    if (!r || !has_status(*r)) return status(ex, 404, "NotFound", "the server could not find the requested resource");
    if (ex.method() == "GET" || ex.method() == "HEAD") return get_one(ex, s, *r, ns, name);
    if (ex.method() == "PUT") return update(ex, s, *r, ns, name, true);
    patch(ex, s, *r, ns, name, true);
  };
  for (auto* m : {"GET", "PUT", "PATCH"}) {
    add(m, "/api/v1/namespaces/([^/]+)/([a-z]+)/([^/]+)/status", [status_handler](Exchange& ex) {
      const auto& p = ex.params();
      const Resource* r = find_core(p[1]);
      status_handler(r && r->namespaced ? r : nullptr, p[0], p[2], ex);
    });
    add(m, "/api/v1/([a-z]+)/([^/]+)/status", [status_handler](Exchange& ex) {
      const Resource* r = find_core(ex.params()[0]);
      status_handler(r && !r->namespaced ? r : nullptr, "", ex.params()[1], ex);
    });
    add(m, "/apis/([^/]+)/([^/]+)/namespaces/([^/]+)/([a-z]+)/([^/]+)/status", [status_handler](Exchange& ex) {
      const auto& p = ex.params();
      const Resource* r = find_resource(p[0], p[1], p[3]);
      status_handler(r && r->namespaced ? r : nullptr, p[2], p[4], ex);
    });
    add(m, "/apis/([^/]+)/([^/]+)/([a-z]+)/([^/]+)/status", [status_handler](Exchange& ex) {
      const auto& p = ex.params();
      const Resource* r = find_resource(p[0], p[1], p[2]);
      status_handler(r && !r->namespaced ? r : nullptr, "", p[3], ex);
    });
  }
  for (auto* m : {"GET", "PUT", "PATCH"}) {
    add(m, "/apis/([^/]+)/([^/]+)/namespaces/([^/]+)/([a-z]+)/([^/]+)/scale", [&s](Exchange& ex) {
      const auto& p = ex.params();
      const Resource* r = find_resource(p[0], p[1], p[3]);
      if (!r) return status(ex, 404, "NotFound", "the server could not find the requested resource");
      scale(ex, s, *r, p[2], p[4]);
    });
  }
  for (auto* m : {"GET", "PUT", "PATCH", "DELETE"}) {
    add(m, "/apis/([^/]+)/([^/]+)/namespaces/([^/]+)/([a-z]+)/([^/]+)", group_handler(true, true));
    add(m, "/apis/([^/]+)/([^/]+)/([a-z]+)/([^/]+)", group_handler(false, true));
  }
  // TokenRequest (kubectl create token): a ServiceAccount token signed by this server.
  add("POST", "/api/v1/namespaces/([^/]+)/serviceaccounts/([^/]+)/token", [&s, access](Exchange& ex) {
    const std::string &ns = ex.params()[0], &name = ex.params()[1];
    auto sa = s.get("/registry/serviceaccounts/" + ns + "/" + name);
    if (!sa) return not_found(ex, *find_core("serviceaccounts"), name);
    auto body = read_body(ex);
    Json req = body ? parse_json(*body, "TokenRequest").value_or(Json::object()) : Json::object();
    Json spec = req.is_object() ? req.value("spec", Json::object()) : Json::object();
    Json given = spec.is_object() ? spec.value("expirationSeconds", Json(3600)) : Json(3600);
    if (given.is_null()) given = 3600;
    if (!given.is_number_integer()) return status(ex, 400, "BadRequest", "spec.expirationSeconds: not an integer");
    int64_t seconds = given.get<int64_t>();
    // Between ten minutes and 2^32 seconds (ValidateTokenRequest).
    if (seconds < 600 || seconds > (int64_t{1} << 32)) {
      return status(ex, 422, "Invalid", "TokenRequest.authentication.k8s.io \"" + name +
                                            "\" is invalid: spec.expirationSeconds: Invalid value: " + std::to_string(seconds) +
                                            (seconds < 600 ? ": may not specify a duration less than 10 minutes"
                                                           : ": may not specify a duration larger than 2^32 seconds"));
    }
    std::vector<std::string> audiences;
    for (auto& a : spec.value("audiences", Json::array())) {
      if (a.is_string()) audiences.push_back(a);
    }
    if (!access.authn) return status(ex, 500, "InternalError", "no token signer");
    auto token = access.authn->service_account_token(ns, name, served(*sa)["metadata"].value("uid", ""), seconds, audiences);
    if (!token) return status(ex, 500, "InternalError", token.error().message);
    spec["expirationSeconds"] = seconds;
    spec["audiences"] = audiences.empty() ? std::vector<std::string>{"https://kubernetes.default.svc.cluster.local"} : audiences;
    ex.reply_json(201, {{"kind", "TokenRequest"}, {"apiVersion", "authentication.k8s.io/v1"},
                        {"metadata", {{"name", name}, {"namespace", ns}, {"creationTimestamp", Json()}}},
                        {"spec", spec},
                        {"status", {{"token", *token},
                                    {"expirationTimestamp", rfc3339(::time(nullptr) + seconds, 0).substr(0, 19) + "Z"}}}});
  });
  // Anything else: 404 — after authentication, so that a stranger learns nothing.
  for (auto* m : {"GET", "POST", "PUT", "PATCH", "DELETE"}) {
    add(m, ".*", [](Exchange& ex) { status(ex, 404, "NotFound", "the server could not find the requested resource"); });
  }
  return {};
}

}  // namespace berth::api::kube
