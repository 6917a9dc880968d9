// load_project: the steps listed in project.h, in compose-go's order (cli/options.go,
// loader/loader.go, loader/extends.go, loader/normalize.go, loader/validate.go,
// types/project.go).
#include <algorithm>
#include <functional>
#include <set>

#include "common/fs.h"
#include "common/strings.h"
#include "compose/canonical.h"
#include "compose/convert.h"
#include "compose/dotenv.h"
#include "compose/project.h"
#include "compose/yaml.h"

namespace berth::compose {
namespace {

using Env = std::map<std::string, std::string>;

constexpr const char* kDefaultFiles[] = {"compose.yaml", "compose.yml", "docker-compose.yml",
                                         "docker-compose.yaml"};
constexpr const char* kOverrideFiles[] = {"compose.override.yml", "compose.override.yaml",
                                          "docker-compose.override.yml",
                                          "docker-compose.override.yaml"};

std::string dir_of(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string base_of(const std::string& path) {
  std::string p = fs::clean_path(path);
  size_t slash = p.rfind('/');
  return slash == std::string::npos ? p : p.substr(slash + 1);
}

// `path` absolute against `dir`, cleaned.
std::string abs_against(const std::string& dir, const std::string& path) {
  if (!path.empty() && path[0] == '/') return fs::clean_path(path);
  return fs::clean_path(fs::join(dir, path));
}

bool is_file(const std::string& path) { return fs::exists(path) && !fs::is_dir(path); }

// A compose file as errors name it.
struct FileRef {
  std::string abs;      // absolute path
  std::string display;  // relative to working_dir when inside it
  std::string dir;      // where its relative references resolve
};

FileRef file_ref(const std::string& abs, const std::string& working_dir) {
  std::string display = abs;
  std::string prefix = working_dir == "/" ? "/" : working_dir + "/";
  if (abs.starts_with(prefix)) display = abs.substr(prefix.size());
  return {abs, display, dir_of(abs)};
}

Error in_file(Error e, const FileRef& f) { return wrap(std::move(e), f.display); }

// A loaded and prepared compose file: its documents merged, in canonical form.
struct LoadedFile {
  Json model = Json::object();
  std::vector<Path> resets;  // !reset and !override paths of all its documents
};

class Loader {
 public:
  explicit Loader(const LoadOptions& opts) : opts_(opts) {}

  Result<Project> run();

 private:
  void settle_working_dir();
  Result<void> read_dotenv_file();
  Result<std::vector<std::string>> find_files();
  Result<void> settle_name(const std::vector<std::vector<YamlDocument>>& docs);
  Result<void> prepare(YamlDocument& doc, const FileRef& f);
  Result<void> resolve_extends(Json& doc, const FileRef& f, const std::vector<Path>& resets);
  Result<Json> extended(Json& services, const std::string& name, const FileRef& f,
                        const std::vector<Path>& resets);
  Result<LoadedFile*> load_extends_file(const std::string& abs);
  void resolve_service_paths(Json& svc, const std::string& dir);
  Result<void> normalize(Json& model);
  Result<void> select_profiles(Json& model, Project& p);
  Result<void> check(Json& model);
  Result<void> resolve_environment(Json& model);

  std::optional<std::string> lookup(std::string_view name) const {
    auto it = env_.find(std::string(name));
    if (it == env_.end()) return std::nullopt;
    return it->second;
  }
  Lookup lookup_fn() const {
    return [this](std::string_view n) { return lookup(n); };
  }

  const LoadOptions& opts_;
  std::string cwd_, working_dir_, name_;
  Env env_;
  std::map<std::string, LoadedFile> extends_files_;
  std::vector<std::pair<std::string, std::string>> chain_;  // (file, service) being extended
  Json disabled_ = Json::object();                          // services left out by profiles
};

void Loader::settle_working_dir() {
  cwd_ = fs::absolute("");
  if (!opts_.working_dir.empty()) {
    working_dir_ = abs_against(cwd_, opts_.working_dir);
  } else if (!opts_.files.empty()) {
    working_dir_ = dir_of(abs_against(cwd_, opts_.files[0]));
  } else {
    working_dir_ = cwd_;
  }
}

// The project's .env: its variables where the environment has none (compose-go WithDotEnv).
Result<void> Loader::read_dotenv_file() {
  std::string path = opts_.env_file.empty() ? fs::join(working_dir_, ".env")
                                            : abs_against(working_dir_, opts_.env_file);
  if (!is_file(path)) {
    if (opts_.env_file.empty()) return {};
    return make_error(Errc::kNotFound, "couldn't find env file: " + path);
  }
  BERTH_ASSIGN_OR_RETURN(auto vars, read_dotenv(path, lookup_fn()));
  for (auto& [k, v] : vars) env_.emplace(k, v);
  return {};
}

Result<std::vector<std::string>> Loader::find_files() {
  std::string base = opts_.working_dir.empty() ? cwd_ : working_dir_;
  std::vector<std::string> files;
  if (!opts_.files.empty()) {
    for (const std::string& f : opts_.files) files.push_back(abs_against(base, f));
    return files;
  }
  if (auto cf = lookup("COMPOSE_FILE"); cf && !cf->empty()) {
    std::string sep = lookup("COMPOSE_PATH_SEPARATOR").value_or(":");
    for (const std::string& f : str::split(*cf, sep.empty() ? ':' : sep[0])) {
      if (!f.empty()) files.push_back(abs_against(base, f));
    }
    return files;
  }
  auto first = [&](const auto& names) -> std::optional<std::string> {
    for (const char* n : names) {
      std::string p = fs::join(working_dir_, n);
      if (is_file(p)) return p;
    }
    return std::nullopt;
  };
  auto main = first(kDefaultFiles);
  if (!main) return make_error(Errc::kNotFound, "no configuration file provided: not found");
  files.push_back(*main);
  if (auto over = first(kOverrideFiles)) files.push_back(*over);
  return files;
}

bool normal_name(const std::string& name) {
  return !name.empty() && normalize_project_name(name) == name;
}

tl::unexpected<Error> invalid_name(const std::string& name) {
  return make_error(Errc::kInvalidArgument,
                    "invalid project name \"" + name +
                        "\": must consist only of lowercase alphanumeric characters, hyphens, "
                        "and underscores as well as start with a letter or number");
}

// 04-version-and-name.md, with docker compose's precedence: -p, COMPOSE_PROJECT_NAME, the
// files' `name:` (the last one given, interpolated, normalised), the directory's name.
Result<void> Loader::settle_name(const std::vector<std::vector<YamlDocument>>& docs) {
  if (!opts_.project_name.empty()) {
    if (!normal_name(opts_.project_name)) return invalid_name(opts_.project_name);
    name_ = opts_.project_name;
  } else if (auto env = lookup("COMPOSE_PROJECT_NAME"); env && !env->empty()) {
    if (!normal_name(*env)) return invalid_name(*env);
    name_ = *env;
  } else {
    std::string from_files;
    for (const auto& file : docs) {
      for (const YamlDocument& d : file) {
        if (!d.tree.is_object() || !d.tree.contains("name")) continue;
        auto text = scalar_text(d.tree["name"]);
        if (!text || text->empty()) continue;
        BERTH_ASSIGN_OR_RETURN(std::string v, interpolate(*text, lookup_fn()));
        if (!v.empty()) from_files = v;
      }
    }
    name_ = normalize_project_name(from_files);
    if (name_.empty()) name_ = normalize_project_name(base_of(working_dir_));
  }
  if (name_.empty()) return make_error(Errc::kInvalidArgument, "project name must not be empty");
  env_["COMPOSE_PROJECT_NAME"] = name_;  // usable in the files, as compose-go allows
  return {};
}

Result<void> Loader::prepare(YamlDocument& doc, const FileRef& f) {
  if (doc.tree.is_null()) doc.tree = Json::object();  // a document of comments only
  if (!doc.tree.is_object()) {
    return make_error(Errc::kInvalidArgument, f.display + ": top-level object must be a mapping");
  }
  if (auto r = interpolate_model(doc.tree, lookup_fn()); !r)
    return tl::unexpected(in_file(r.error(), f));
  if (auto r = canonicalize(doc.tree); !r) return tl::unexpected(in_file(r.error(), f));
  return {};
}

// Relative paths of one service made absolute against `dir` (compose-go
// paths.ResolveRelativePaths): build.context (not remote ones), bind sources (~ is $HOME),
// env_file paths.
void Loader::resolve_service_paths(Json& svc, const std::string& dir) {
  auto expand_home = [&](std::string p) {
    if (p == "~" || p.starts_with("~/")) p = lookup("HOME").value_or("") + p.substr(1);
    return p;
  };
  if (auto b = svc.find("build"); b != svc.end() && b->is_object() && b->contains("context")) {
    std::string ctx = (*b)["context"].get<std::string>();
    bool remote = ctx.find("://") != std::string::npos || ctx.starts_with("service:") ||
                  ctx.starts_with("github.com/") || ctx.starts_with("git@");
    if (!remote) (*b)["context"] = abs_against(dir, expand_home(ctx));
  }
  if (auto vols = svc.find("volumes"); vols != svc.end() && vols->is_array()) {
    for (Json& v : *vols) {
      if (v.value("type", "") == "bind" && v.contains("source")) {
        v["source"] = abs_against(dir, expand_home(v["source"].get<std::string>()));
      }
    }
  }
  if (auto files = svc.find("env_file"); files != svc.end() && files->is_array()) {
    for (Json& e : *files) e["path"] = abs_against(dir, expand_home(e["path"].get<std::string>()));
  }
  if (auto files = svc.find("label_file"); files != svc.end() && files->is_array()) {
    for (Json& f : *files) f = abs_against(dir, expand_home(f.get<std::string>()));
  }
}

Result<LoadedFile*> Loader::load_extends_file(const std::string& abs) {
  if (auto it = extends_files_.find(abs); it != extends_files_.end()) return &it->second;
  FileRef f = file_ref(abs, working_dir_);
  BERTH_ASSIGN_OR_RETURN(std::string text, fs::read_file(abs));
  BERTH_ASSIGN_OR_RETURN(auto docs, parse_yaml(text, f.display));
  LoadedFile loaded;
  for (YamlDocument& d : docs) {
    BERTH_TRY(prepare(d, f));
    for (const Path& p : d.resets) erase_path(loaded.model, p);
    for (const Path& p : d.overrides) erase_path(loaded.model, p);
    if (auto r = merge_models(loaded.model, d.tree); !r)
      return tl::unexpected(in_file(r.error(), f));
    loaded.resets.insert(loaded.resets.end(), d.resets.begin(), d.resets.end());
    loaded.resets.insert(loaded.resets.end(), d.overrides.begin(), d.overrides.end());
  }
  return &extends_files_.emplace(abs, std::move(loaded)).first->second;
}

// The service `name` of `services` (in file f) with its `extends` applied, stored back
// (05-services.md "extends": the base first, then this service merged onto it).
Result<Json> Loader::extended(Json& services, const std::string& name, const FileRef& f,
                              const std::vector<Path>& resets) {
  Json& svc = services[name];
  if (!svc.is_object() || !svc.contains("extends")) return svc;
  Path where{"services", name, "extends"};
  auto fail = [&](const std::string& what) {
    return tl::unexpected(in_file(path_error(where, what).value(), f));
  };
  for (auto& [file, service] : chain_) {
    if (file == f.abs && service == name) {
      std::string msg = "circular reference: ";
      for (auto& [cf, cs] : chain_)
        msg += cs + " in " + file_ref(cf, working_dir_).display + " extends ";
      return fail(msg + name + " in " + f.display);
    }
  }
  chain_.emplace_back(f.abs, name);
  Json ext = svc["extends"];
  std::string base_name = ext["service"].get<std::string>();
  Json base;
  if (ext.contains("file")) {
    std::string abs = abs_against(f.dir, ext["file"].get<std::string>());
    if (!is_file(abs)) return fail("file " + abs + " not found");
    BERTH_ASSIGN_OR_RETURN(LoadedFile * other, load_extends_file(abs));
    FileRef of = file_ref(abs, working_dir_);
    Json& other_services = other->model["services"];
    if (!other_services.is_object() || !other_services.contains(base_name)) {
      return fail("service \"" + base_name + "\" not found in " + of.display);
    }
    BERTH_ASSIGN_OR_RETURN(base, extended(other_services, base_name, of, other->resets));
    resolve_service_paths(base, of.dir);
  } else {
    if (!services.contains(base_name)) return fail("service \"" + base_name + "\" not found");
    BERTH_ASSIGN_OR_RETURN(base, extended(services, base_name, f, resets));
  }
  // `!reset`/`!override` in this service apply to what it inherits (compose-go
  // applyServiceExtends: post.Apply on the copy of the base).
  Json wrapper = {{"services", {{name, base}}}};
  for (const Path& p : resets) erase_path(wrapper, p);
  base = std::move(wrapper["services"][name]);
  Json over = services[name];
  over.erase("extends");
  base.erase("extends");
  if (auto r = merge_models(base, over, {"services", name}); !r) {
    return tl::unexpected(in_file(r.error(), f));
  }
  services[name] = base;
  chain_.pop_back();
  return base;
}

Result<void> Loader::resolve_extends(Json& doc, const FileRef& f, const std::vector<Path>& resets) {
  auto it = doc.find("services");
  if (it == doc.end() || !it->is_object()) return {};
  std::vector<std::string> names;
  for (auto& [k, v] : it->items()) names.push_back(k);
  for (const std::string& n : names) {
    BERTH_TRY(extended(*it, n, f, resets));
  }
  return {};
}

// Implicit defaults and derived values (compose-go transform/defaults.go, loader/normalize.go).
Result<void> Loader::normalize(Json& model) {
  model.erase("version");
  model["name"] = name_;
  if (!model.contains("services") || model["services"].is_null())
    model["services"] = Json::object();
  Json& services = model["services"];
  bool uses_default = false;
  for (auto& [name, svc] : services.items()) {
    if (auto b = svc.find("build"); b != svc.end() && b->is_object()) {
      if (!b->contains("context")) (*b)["context"] = ".";
      if (!b->contains("dockerfile") && !b->contains("dockerfile_inline")) {
        (*b)["dockerfile"] = "Dockerfile";
      }
      // build.args "KEY" without a value: from the environment, else dropped.
      if (auto args = b->find("args"); args != b->end()) {
        Json resolved = Json::object();
        for (auto& [k, v] : args->items()) {
          if (!v.is_null()) {
            resolved[k] = v;
          } else if (auto e = lookup(k)) {
            resolved[k] = *e;
          }
        }
        *args = resolved;
      }
    }
    resolve_service_paths(svc, working_dir_);
    // Services a service needs through links, network_mode or volumes_from run first.
    Json deps = svc.value("depends_on", Json::object());
    auto implicit = [&](const std::string& dep, bool restart) {
      if (!deps.contains(dep)) {
        deps[dep] = {{"condition", "service_started"}, {"required", true}, {"restart", restart}};
      }
    };
    for (const Json& l : svc.value("links", Json::array())) {
      std::string link = l.get<std::string>();
      implicit(link.substr(0, link.find(':')), true);
    }
    std::string mode = svc.value("network_mode", "");
    if (mode.starts_with("service:")) implicit(mode.substr(8), true);
    for (const Json& v : svc.value("volumes_from", Json::array())) {
      std::string from = v.get<std::string>();
      if (!from.starts_with("container:")) implicit(from.substr(0, from.find(':')), false);
    }
    if (!deps.empty()) svc["depends_on"] = deps;

    if (svc.contains("network_mode")) {
      if (svc.contains("networks") && !svc["networks"].empty()) {
        return path_error({"services", name}, "network_mode and networks are mutually exclusive");
      }
    } else if (!svc.contains("networks") || svc["networks"].empty()) {
      svc["networks"] = {{"default", nullptr}};  // 05-services.md "implicit default network"
      uses_default = true;
    } else if (svc["networks"].contains("default")) {
      uses_default = true;
    }
    if (auto h = svc.find("extra_hosts"); h != svc.end()) std::sort(h->begin(), h->end());
  }
  if (uses_default && !(model.contains("networks") && model["networks"].contains("default"))) {
    model["networks"]["default"] = nullptr;
  }
  // Resources are named after the project unless named or external (setNameFromKey).
  for (const char* kind : {"networks", "volumes", "configs", "secrets"}) {
    auto it = model.find(kind);
    if (it == model.end()) continue;
    if (it->is_null()) {
      model.erase(kind);
      continue;
    }
    for (auto& [key, res] : it->items()) {
      if (res.is_null()) res = Json::object();
      if (!res.contains("name")) {
        res["name"] = res.value("external", false) ? key : name_ + "_" + key;
      }
      if (std::string_view(kind) == "configs" || std::string_view(kind) == "secrets") {
        if (res.contains("file"))
          res["file"] = abs_against(working_dir_, res["file"].get<std::string>());
        // A config's value is printed like its content; a secret's stays out of the model.
        if (res.contains("environment") && std::string_view(kind) == "configs") {
          if (auto v = lookup(res["environment"].get<std::string>())) res["content"] = *v;
        }
      }
    }
  }
  return {};
}

// 15-profiles.md: services without profiles always; others when one of theirs is active
// ("*" activates all); a service named by the caller activates its own profiles.
Result<void> Loader::select_profiles(Json& model, Project& p) {
  std::set<std::string> active(opts_.profiles.begin(), opts_.profiles.end());
  if (opts_.profiles.empty()) {
    for (const std::string& s : str::split(lookup("COMPOSE_PROFILES").value_or(""), ',')) {
      if (!str::trim(s).empty()) active.insert(std::string(str::trim(s)));
    }
  }
  Json& services = model["services"];
  for (const std::string& name : opts_.services) {
    if (!services.contains(name)) return make_error(Errc::kNotFound, "no such service: " + name);
    for (const Json& prof : services[name].value("profiles", Json::array())) {
      active.insert(prof.get<std::string>());
    }
  }
  Json enabled = Json::object(), disabled = Json::object();
  for (auto& [name, svc] : services.items()) {
    Json profiles = svc.value("profiles", Json::array());
    bool on = profiles.empty() || active.contains("*") ||
              std::any_of(profiles.begin(), profiles.end(),
                          [&](const Json& pr) { return active.contains(pr.get<std::string>()); });
    (on ? enabled : disabled)[name] = svc;
  }
  for (auto& [name, svc] : disabled.items()) p.disabled_services.push_back(name);
  disabled_ = std::move(disabled);
  services = std::move(enabled);
  return {};
}

// References between the enabled services and the top-level elements (compose-go
// loader/validate.go checkConsistency, graph/cycle.go).
Result<void> Loader::check(Json& model) {
  Json& services = model["services"];
  auto defined = [&](const char* kind, const std::string& key) {
    auto it = model.find(kind);
    return it != model.end() && it->is_object() && it->contains(key);
  };
  for (auto& [name, svc] : services.items()) {
    Path sp{"services", name};
    if (!svc.contains("image") && !svc.contains("build")) {
      return path_error(sp, "neither an image nor a build context is specified");
    }
    if (auto d = svc.find("depends_on"); d != svc.end()) {
      Json kept = Json::object();
      for (auto& [dep, cfg] : d->items()) {
        if (services.contains(dep)) {
          kept[dep] = cfg;
        } else if (cfg.value("required", true)) {
          return path_error(
              sp / "depends_on",
              "service \"" + dep + "\" is " +
                  (disabled_.contains(dep) ? "not enabled by the active profiles" : "not defined"));
        }
      }
      *d = std::move(kept);
    }
    std::string mode = svc.value("network_mode", "");
    if (mode.starts_with("service:") && !services.contains(mode.substr(8))) {
      return path_error(sp / "network_mode", "service \"" + mode.substr(8) + "\" is not defined");
    }
    Json nets = svc.value("networks", Json::object());
    for (auto& [net, cfg] : nets.items()) {
      if (!defined("networks", net)) {
        return path_error(sp / "networks", "network \"" + net + "\" is not defined");
      }
    }
    Json vols = svc.value("volumes", Json::array());
    for (size_t i = 0; i < vols.size(); ++i) {
      std::string src = vols[i].value("source", "");
      if (vols[i].value("type", "") == "volume" && !src.empty() && !defined("volumes", src)) {
        return path_error(sp / "volumes" / i, "volume \"" + src + "\" is not defined");
      }
    }
    for (const char* kind : {"secrets", "configs"}) {
      Json refs = svc.value(kind, Json::array());
      for (size_t i = 0; i < refs.size(); ++i) {
        std::string src = refs[i].value("source", "");
        if (!defined(kind, src)) {
          std::string what = std::string_view(kind) == "secrets" ? "secret" : "config";
          return path_error(sp / kind / i, what + " \"" + src + "\" is not defined");
        }
      }
    }
    if (svc.contains("scale") && svc.contains("deploy") && svc["deploy"].contains("replicas") &&
        svc["scale"] != svc["deploy"]["replicas"]) {
      return path_error(sp, "scale and deploy.replicas have different values");
    }
    for (Json* n :
         {svc.contains("scale") ? &svc["scale"] : nullptr,
          svc.contains("deploy") && svc["deploy"].contains("replicas") ? &svc["deploy"]["replicas"]
                                                                       : nullptr}) {
      if (n && n->get<int64_t>() < 0) return path_error(sp, "scale must not be negative");
    }
  }

  // Cycles in depends_on, searched from each service in name order so that the message is
  // always the same (compose-go graph.CheckCycle).
  std::set<std::string> clear;  // services from which no cycle is reachable
  std::vector<std::string> trail;
  std::function<Result<void>(const std::string&)> visit =
      [&](const std::string& name) -> Result<void> {
    if (clear.contains(name)) return {};
    trail.push_back(name);
    Json deps = services[name].value("depends_on", Json::object());
    for (auto& [dep, cfg] : deps.items()) {
      if (auto at = std::find(trail.begin(), trail.end(), dep); at != trail.end()) {
        std::vector<std::string> cycle(at, trail.end());
        cycle.push_back(dep);
        return make_error(Errc::kInvalidArgument,
                          "dependency cycle detected: " + str::join(cycle, " -> "));
      }
      BERTH_TRY(visit(dep));
    }
    trail.pop_back();
    clear.insert(name);
    return {};
  };
  for (auto& [name, svc] : services.items()) BERTH_TRY(visit(name));
  return {};
}

// docker's --env-file format (compose's "raw" env_file format): KEY=VALUE taken literally,
// KEY alone from the environment, # comments.
std::map<std::string, std::string> parse_raw_env(std::string_view text, const Lookup& lookup) {
  std::map<std::string, std::string> out;
  for (const std::string& line : str::split(text, '\n')) {
    std::string_view l = line;
    while (!l.empty() && (l[0] == ' ' || l[0] == '\t')) l.remove_prefix(1);
    if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
    if (l.empty() || l[0] == '#') continue;
    size_t eq = l.find('=');
    if (eq != std::string_view::npos) {
      out[std::string(l.substr(0, eq))] = std::string(l.substr(eq + 1));
    } else if (auto v = lookup(l)) {
      out[std::string(l)] = *v;
    }
  }
  return out;
}

// Each service's environment: env_file contents in order, then `environment` on top; a
// variable written without a value takes the project environment's (compose-go
// WithServicesEnvironmentResolved).
Result<void> Loader::resolve_environment(Json& model) {
  for (auto& [name, svc] : model["services"].items()) {
    Path sp{"services", name};
    Json env = svc.value("environment", Json::object());
    for (auto& [k, v] : env.items()) {
      if (v.is_null()) {
        if (auto e = lookup(k)) v = *e;
      }
    }
    if (auto files = svc.find("env_file"); files != svc.end() && !files->empty()) {
      Json merged = Json::object();
      Lookup vars = [&](std::string_view k) -> std::optional<std::string> {
        if (auto e = lookup(k)) return e;
        if (auto it = env.find(std::string(k)); it != env.end() && it->is_string()) {
          return it->get<std::string>();
        }
        return std::nullopt;
      };
      for (const Json& f : *files) {
        std::string path = f["path"].get<std::string>();
        if (!is_file(path)) {
          if (f.value("required", true)) {
            return path_error(sp / "env_file", "env file " + path + " not found");
          }
          continue;
        }
        std::string format = f.value("format", "");
        std::map<std::string, std::string> parsed;
        if (format == "raw") {
          BERTH_ASSIGN_OR_RETURN(std::string text, fs::read_file(path));
          parsed = parse_raw_env(text, vars);
        } else if (format.empty() || format == ".env") {
          auto r = read_dotenv(path, vars);
          if (!r) return path_error(sp / "env_file", r.error().message);
          parsed = std::move(*r);
        } else {
          return path_error(sp / "env_file", "unsupported env_file format \"" + format + "\"");
        }
        for (auto& [k, v] : parsed) merged[k] = v;
      }
      for (auto& [k, v] : env.items()) merged[k] = v;
      env = std::move(merged);
    }
    if (env.empty()) {
      svc.erase("environment");  // e.g. every variable reset by an override file
    } else {
      svc["environment"] = std::move(env);
    }

    // label_file: the files in order, then `labels` (compose-go WithServicesLabelsResolved).
    if (auto files = svc.find("label_file"); files != svc.end() && !files->empty()) {
      Json labels = Json::object();
      Lookup earlier = [&](std::string_view k) -> std::optional<std::string> {
        if (auto it = labels.find(std::string(k)); it != labels.end())
          return it->get<std::string>();
        return std::nullopt;
      };
      for (const Json& f : *files) {
        std::string path = f.get<std::string>();
        if (!is_file(path))
          return path_error(sp / "label_file", "label file " + path + " not found");
        auto r = read_dotenv(path, earlier);
        if (!r) return path_error(sp / "label_file", r.error().message);
        for (auto& [k, v] : *r) labels[k] = v;
      }
      Json own = svc.value("labels", Json::object());
      for (auto& [k, v] : own.items()) labels[k] = v;
      if (!labels.empty()) svc["labels"] = std::move(labels);
    }
  }
  return {};
}

Result<Project> Loader::run() {
  env_ = opts_.environment;
  settle_working_dir();
  BERTH_TRY(read_dotenv_file());
  BERTH_ASSIGN_OR_RETURN(std::vector<std::string> files, find_files());

  std::vector<FileRef> refs;
  std::vector<std::vector<YamlDocument>> docs;
  for (const std::string& f : files) {
    refs.push_back(file_ref(f, working_dir_));
    BERTH_ASSIGN_OR_RETURN(std::string text, fs::read_file(f));
    BERTH_ASSIGN_OR_RETURN(auto d, parse_yaml(text, refs.back().display));
    docs.push_back(std::move(d));
  }
  BERTH_TRY(settle_name(docs));

  Json model = Json::object();
  for (size_t i = 0; i < docs.size(); ++i) {
    for (YamlDocument& doc : docs[i]) {
      BERTH_TRY(prepare(doc, refs[i]));
      std::vector<Path> resets = doc.resets;
      resets.insert(resets.end(), doc.overrides.begin(), doc.overrides.end());
      BERTH_TRY(resolve_extends(doc.tree, refs[i], resets));
      for (const Path& p : resets) erase_path(model, p);  // 13-merge.md "Reset value"
      if (auto r = merge_models(model, doc.tree); !r)
        return tl::unexpected(in_file(r.error(), refs[i]));
    }
  }
  bool empty = std::all_of(model.items().begin(), model.items().end(), [](const auto& kv) {
    return kv.key() == "version" || kv.key() == "name";
  });
  if (empty) return make_error(Errc::kInvalidArgument, "empty compose file");

  BERTH_TRY(normalize(model));
  Project project;
  BERTH_TRY(select_profiles(model, project));
  BERTH_TRY(check(model));
  BERTH_TRY(resolve_environment(model));

  project.name = name_;
  project.working_dir = working_dir_;
  project.files = files;
  project.environment = env_;
  project.model = std::move(model);
  fill_project(project);
  return project;
}

}  // namespace

Result<Project> load_project(const LoadOptions& options) { return Loader(options).run(); }

std::string normalize_project_name(std::string_view name) {
  std::string out;
  for (char c : str::to_lower(name)) {
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-') out += c;
  }
  size_t start = out.find_first_not_of("_-");
  return start == std::string::npos ? "" : out.substr(start);
}

}  // namespace berth::compose
