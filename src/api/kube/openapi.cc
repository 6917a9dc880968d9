#include "api/kube/openapi.h"

// GCC 12 flags yaml-cpp 0.7's own node/impl.h (see compose/yaml.cc): a false positive.
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 12
#pragma GCC diagnostic ignored "-Wdangling-pointer"
#endif
#include <yaml-cpp/yaml.h>

#include <cctype>
#include <map>
#include <memory>
#include <set>

#include "api/kube/openapi_types.h"
#include "common/digest.h"
#include "common/strings.h"

namespace berth::api::kube {
namespace {

constexpr const char* kMeta = "io.k8s.apimachinery.pkg.apis.meta.v1";
constexpr const char* kCore = "io.k8s.api.core.v1";
constexpr const char* kRefPrefix = "#/components/schemas/";

// A field's type (openapi_types.cc's "shape").
struct Shape {
  enum class Kind { kScalar, kFree, kNamed, kList, kMap } kind = Kind::kScalar;
  std::string scalar;              // string, integer, int64, number, boolean
  std::vector<std::string> enums;  // for a string with fixed values
  std::string named;               // the full schema name, for kNamed
  std::shared_ptr<Shape> elem;     // for kList and kMap
};

struct Field {
  std::string name, doc;
  Shape shape;
  bool required = false;
};

struct Type {
  std::string name;  // "io.k8s.api.core.v1.Pod"
  std::string doc;
  std::string form = "object";  // object, free, string, date-time, quantity, int-or-string
  std::vector<Field> fields;
  const Resource* served = nullptr;
  const Field* find(const std::string& n) const {
    for (auto& f : fields) {
      if (f.name == n) return &f;
    }
    return nullptr;
  }
};

struct Registry {
  std::map<std::string, Type> types;
  std::map<std::string, Json> documents;  // by group/version path ("api/v1", "apis/apps/v1")
  Json index;                             // GET /openapi/v3
};

// The schema name of a served type: its Go package as kube-openapi names it.
std::string schema_name(const Resource& r) {
  if (r.group.empty()) return std::string("io.k8s.api.core.") + r.version + "." + r.kind;
  return "io.k8s.api." + r.group.substr(0, r.group.find('.')) + "." + r.version + "." + r.kind;
}

std::string gv_path(const Resource& r) { return r.group.empty() ? "api/" + r.version : "apis/" + r.api_version(); }

tl::unexpected<Error> table_error(const std::string& where, const std::string& why) {
  return tl::unexpected(Error{Errc::kInternal, "openapi type table: " + where + ": " + why});
}

// "Container[]!" etc.: the shape, with names still unresolved (resolved once all are read).
Result<Shape> parse_shape(std::string s, const std::string& where) {
  Shape sh;
  if (s.ends_with("[]")) {
    BERTH_ASSIGN_OR_RETURN(Shape elem, parse_shape(s.substr(0, s.size() - 2), where));
    sh.kind = Shape::Kind::kList;
    sh.elem = std::make_shared<Shape>(std::move(elem));
    return sh;
  }
  if (s.starts_with("map[string]")) {
    BERTH_ASSIGN_OR_RETURN(Shape elem, parse_shape(s.substr(11), where));
    sh.kind = Shape::Kind::kMap;
    sh.elem = std::make_shared<Shape>(std::move(elem));
    return sh;
  }
  if (s.starts_with("enum(") && s.ends_with(")")) {
    sh.scalar = "string";
    sh.enums = str::split(s.substr(5, s.size() - 6), ',');
    return sh;
  }
  static const std::set<std::string> kScalars = {"string", "integer", "int64", "number", "boolean"};
  if (kScalars.count(s)) {
    sh.scalar = s;
  } else if (s == "free") {
    sh.kind = Shape::Kind::kFree;
  } else if ((!s.empty() && std::isupper(static_cast<unsigned char>(s[0]))) || s.starts_with("io.k8s.")) {
    sh.kind = Shape::Kind::kNamed;
    sh.named = s;
  } else {
    return table_error(where, "unknown shape \"" + s + "\"");
  }
  return sh;
}

// Replaces short names by full ones: the same package, then meta/v1, then core/v1, then the
// scalar packages.
Result<void> resolve(Shape& sh, const std::string& pkg, const std::map<std::string, Type>& types, const std::string& where) {
  if (sh.elem) return resolve(*sh.elem, pkg, types, where);
  if (sh.kind != Shape::Kind::kNamed || sh.named.starts_with("io.k8s.")) {
    if (sh.kind == Shape::Kind::kNamed && !types.count(sh.named)) return table_error(where, "no type " + sh.named);
    return {};
  }
  for (const std::string& p : {pkg, std::string(kMeta), std::string(kCore), std::string("io.k8s.apimachinery.pkg.api.resource"),
                               std::string("io.k8s.apimachinery.pkg.util.intstr"), std::string("io.k8s.apimachinery.pkg.runtime")}) {
    if (types.count(p + "." + sh.named)) {
      sh.named = p + "." + sh.named;
      return {};
    }
  }
  return table_error(where, "no type " + sh.named);
}

Result<std::map<std::string, Type>> read_table(const char* text) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return table_error("YAML", e.what());
  }
  std::map<std::string, Type> types;
  std::map<std::string, std::string> package_of, like;
  for (auto pkg : root) {
    std::string p = pkg.first.as<std::string>();
    if (!pkg.second.IsMap()) return table_error(p, "not a map of types");
    for (auto t : pkg.second) {
      Type type;
      type.name = p + "." + t.first.as<std::string>();
      const YAML::Node& def = t.second;
      if (!def.IsMap()) return table_error(type.name, "not a map");
      for (auto kv : def) {
        std::string k = kv.first.as<std::string>();
        if (k == "doc" && kv.second.IsScalar()) {
          type.doc = kv.second.as<std::string>();
        } else if (k == "form" && kv.second.IsScalar()) {
          type.form = kv.second.as<std::string>();
        } else if (k == "like" && kv.second.IsScalar()) {
          like[type.name] = kv.second.as<std::string>();
        } else if (k == "fields" && kv.second.IsMap()) {
          for (auto f : kv.second) {
            Field field;
            field.name = f.first.as<std::string>();
            std::string where = type.name + "." + field.name;
            if (!f.second.IsScalar()) return table_error(where, "not \"<shape> | <description>\" (a ': ' in it?)");
            std::string spec = f.second.as<std::string>();
            if (auto bar = spec.find(" | "); bar != std::string::npos) {
              field.doc = std::string(str::trim(spec.substr(bar + 3)));
              spec = spec.substr(0, bar);
            }
            spec = std::string(str::trim(spec));
            if (spec.ends_with("!")) {
              field.required = true;
              spec.pop_back();
            }
            BERTH_ASSIGN_OR_RETURN(field.shape, parse_shape(spec, where));
            type.fields.push_back(std::move(field));
          }
        } else {
          return table_error(type.name, "unknown or malformed key \"" + k + "\"");
        }
      }
      static const std::set<std::string> kForms = {"object", "free", "string", "date-time", "quantity", "int-or-string"};
      if (!kForms.count(type.form)) return table_error(type.name, "unknown form " + type.form);
      if (type.doc.empty()) return table_error(type.name, "no doc");
      package_of[type.name] = p;
      std::string name = type.name;
      if (!types.emplace(name, std::move(type)).second) return table_error(name, "defined twice");
    }
  }
  for (auto& [name, type] : types) {
    for (auto& f : type.fields) BERTH_TRY(resolve(f.shape, package_of[name], types, name + "." + f.name));
  }
  for (auto& [name, base] : like) {
    Shape sh{Shape::Kind::kNamed, "", {}, base, nullptr};
    BERTH_TRY(resolve(sh, package_of[name], types, name + " like"));
    std::vector<Field> fields = types[sh.named].fields;
    for (auto& f : types[name].fields) fields.push_back(f);
    types[name].fields = std::move(fields);
  }
  // The served kinds: their GVK, and apiVersion, kind and metadata unless listed.
  for (auto& r : resources()) {
    auto it = types.find(schema_name(r));
    if (it == types.end()) return table_error(schema_name(r), "served type without a schema");
    Type& t = it->second;
    t.served = &r;
    std::vector<Field> head;
    auto add = [&](const char* n, Shape sh, const char* doc) {
      if (!t.find(n)) head.push_back(Field{n, doc, std::move(sh), false});
    };
    add("apiVersion", Shape{Shape::Kind::kScalar, "string", {}, "", nullptr},
        "Version of the schema the object is written in (v1, apps/v1).");
    add("kind", Shape{Shape::Kind::kScalar, "string", {}, "", nullptr}, "Kind of the object, in CamelCase (Pod, Deployment).");
    add("metadata", Shape{Shape::Kind::kNamed, "", {}, std::string(kMeta) + ".ObjectMeta", nullptr}, "Standard object metadata.");
    t.fields.insert(t.fields.begin(), head.begin(), head.end());
  }
  return types;
}

// The schema of a field's shape (without its description).
Json shape_schema(const Shape& sh, const std::map<std::string, Type>& types) {
  switch (sh.kind) {
    case Shape::Kind::kScalar: {
      if (sh.scalar == "integer") return {{"type", "integer"}, {"format", "int32"}};
      if (sh.scalar == "int64") return {{"type", "integer"}, {"format", "int64"}};
      if (sh.scalar == "number") return {{"type", "number"}, {"format", "double"}};
      Json s = {{"type", sh.scalar}};
      if (!sh.enums.empty()) s["enum"] = sh.enums;
      return s;
    }
    case Shape::Kind::kFree:
      return {{"type", "object"}, {"x-kubernetes-preserve-unknown-fields", true}};
    case Shape::Kind::kNamed: {
      // As kube-openapi writes a $ref next to other keywords: wrapped in allOf, and objects
      // default to {}.
      Json s = {{"allOf", Json::array({Json{{"$ref", kRefPrefix + sh.named}}})}};
      const std::string& form = types.at(sh.named).form;
      if (form == "object" || form == "free") s["default"] = Json::object();
      return s;
    }
    case Shape::Kind::kList:
      return {{"type", "array"}, {"items", shape_schema(*sh.elem, types)}};
    case Shape::Kind::kMap:
      return {{"type", "object"}, {"additionalProperties", shape_schema(*sh.elem, types)}};
  }
  return Json::object();
}

Json type_schema(const Type& t, const std::map<std::string, Type>& types) {
  Json s = {{"description", t.doc}};
  if (t.form == "free") {
    s["type"] = "object";
    s["x-kubernetes-preserve-unknown-fields"] = true;
  } else if (t.form == "string" || t.form == "date-time") {
    s["type"] = "string";
    if (t.form == "date-time") s["format"] = "date-time";
  } else if (t.form == "quantity") {
    s["oneOf"] = Json::array({{{"type", "string"}}, {{"type", "number"}}});
  } else if (t.form == "int-or-string") {
    s["x-kubernetes-int-or-string"] = true;
    s["anyOf"] = Json::array({{{"type", "integer"}}, {{"type", "string"}}});
  } else {
    s["type"] = "object";
    Json props = Json::object(), required = Json::array();
    for (auto& f : t.fields) {
      Json p = shape_schema(f.shape, types);
      if (!f.doc.empty()) p["description"] = f.doc;
      props[f.name] = p;
      if (f.required) required.push_back(f.name);
    }
    s["properties"] = props;
    if (!required.empty()) s["required"] = required;
  }
  if (t.served) {
    s["x-kubernetes-group-version-kind"] =
        Json::array({{{"group", t.served->group}, {"kind", t.served->kind}, {"version", t.served->version}}});
  }
  return s;
}

void reach(const std::string& name, const std::map<std::string, Type>& types, std::set<std::string>& seen);
void reach(const Shape& sh, const std::map<std::string, Type>& types, std::set<std::string>& seen) {
  if (sh.elem) return reach(*sh.elem, types, seen);
  if (sh.kind == Shape::Kind::kNamed) reach(sh.named, types, seen);
}
void reach(const std::string& name, const std::map<std::string, Type>& types, std::set<std::string>& seen) {
  if (!seen.insert(name).second) return;
  for (auto& f : types.at(name).fields) reach(f.shape, types, seen);
}

Json document(const std::string& gv, const std::map<std::string, Type>& types) {
  Json paths = Json::object(), schemas = Json::object();
  std::set<std::string> seen;
  for (auto& r : resources()) {
    if (gv_path(r) != gv) continue;
    std::string base = "/" + gv + "/";
    std::string path = r.namespaced ? base + "namespaces/{namespace}/" + r.name + "/{name}" : base + r.name + "/{name}";
    Json param = {{"name", "fieldValidation"}, {"in", "query"}, {"schema", {{"type", "string"}}},
                  {"description", "What to do with unknown fields: Ignore, Warn (the default) or Strict."}};
    Json op = {{"x-kubernetes-group-version-kind", {{"group", r.group}, {"version", r.version}, {"kind", r.kind}}},
               {"parameters", Json::array({param})},
               {"responses", {{"200", {{"description", "OK"}}}}}};
    paths[path] = {{"patch", op}};
    reach(schema_name(r), types, seen);
  }
  for (auto& name : seen) schemas[name] = type_schema(types.at(name), types);
  return {{"openapi", "3.0.0"},
          {"info", {{"title", "Kubernetes"}, {"version", "v1.31.0"}}},
          {"paths", paths},
          {"components", {{"schemas", schemas}}}};
}

// The table, read and turned into documents once.
const Result<Registry>& registry() {
  static const Result<Registry> reg = []() -> Result<Registry> {
    Registry out;
    BERTH_ASSIGN_OR_RETURN(out.types, read_table(openapi_types_table().c_str()));
    out.index = {{"paths", Json::object()}};
    for (auto& r : resources()) {
      std::string gv = gv_path(r);
      if (out.documents.count(gv)) continue;
      out.documents[gv] = document(gv, out.types);
      std::string hash = str::to_upper(digest_hex(sha256_digest(dump_json(out.documents[gv]))));
      out.index["paths"][gv] = {{"serverRelativeURL", "/openapi/v3/" + gv + "?hash=" + hash}};
    }
    return out;
  }();
  return reg;
}

void drop(const Shape& sh, Json& v, const std::string& path, const std::map<std::string, Type>& types,
          std::vector<std::string>& out);

void drop(const Type& t, Json& obj, const std::string& path, const std::map<std::string, Type>& types,
          std::vector<std::string>& out) {
  if (t.form != "object" || !obj.is_object()) return;
  for (auto it = obj.begin(); it != obj.end();) {
    std::string p = path.empty() ? it.key() : path + "." + it.key();
    const Field* f = t.find(it.key());
    if (!f) {
      out.push_back(p);
      it = obj.erase(it);
      continue;
    }
    drop(f->shape, it.value(), p, types, out);
    ++it;
  }
}

void drop(const Shape& sh, Json& v, const std::string& path, const std::map<std::string, Type>& types,
          std::vector<std::string>& out) {
  if (sh.kind == Shape::Kind::kNamed) return drop(types.at(sh.named), v, path, types, out);
  if (sh.kind == Shape::Kind::kList && v.is_array()) {
    for (size_t i = 0; i < v.size(); ++i) drop(*sh.elem, v[i], path + "[" + std::to_string(i) + "]", types, out);
  } else if (sh.kind == Shape::Kind::kMap && v.is_object()) {
    for (auto& [k, item] : v.items()) drop(*sh.elem, item, path + "." + k, types, out);
  }
}

}  // namespace

Json openapi_v3_index() {
  const auto& reg = registry();
  return reg ? reg->index : Json{{"paths", Json::object()}};
}

Result<Json> openapi_v3_document(const std::string& group_version_path) {
  const auto& reg = registry();
  if (!reg) return tl::unexpected(reg.error());
  auto it = reg->documents.find(group_version_path);
  if (it == reg->documents.end()) {
    return tl::unexpected(Error{Errc::kNotFound, "no OpenAPI document for " + group_version_path});
  }
  return it->second;
}

std::vector<std::string> drop_unknown_fields(const Resource& type, Json& object) {
  std::vector<std::string> out;
  const auto& reg = registry();
  if (!reg) return out;
  auto it = reg->types.find(schema_name(type));
  if (it != reg->types.end()) drop(it->second, object, "", reg->types, out);
  return out;
}

std::vector<std::string> unknown_fields(const Resource& type, const Json& object) {
  Json copy = object;
  return drop_unknown_fields(type, copy);
}

std::optional<FieldValidation> field_validation(const std::string& value) {
  if (value == "Strict") return FieldValidation::kStrict;
  if (value == "Warn" || value.empty()) return FieldValidation::kWarn;
  if (value == "Ignore") return FieldValidation::kIgnore;
  return std::nullopt;
}

namespace {
// Go's strconv.Quote, as %q prints a string: JSON's escaping agrees for what field names hold.
std::string quote(const std::string& s) { return dump_json(Json(s)); }
}  // namespace

std::string strict_decoding_error(const std::vector<std::string>& unknown) {
  std::string out = "strict decoding error: ";
  for (size_t i = 0; i < unknown.size(); ++i) out += (i ? ", unknown field " : "unknown field ") + quote(unknown[i]);
  return out;
}

std::string unknown_field_warnings(const std::vector<std::string>& unknown) {
  std::string out;
  for (size_t i = 0; i < unknown.size(); ++i) out += (i ? ", 299 - " : "299 - ") + quote("unknown field " + quote(unknown[i]));
  return out;
}

}  // namespace berth::api::kube
