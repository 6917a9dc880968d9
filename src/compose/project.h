// The Compose Specification loader: compose files -> one validated, typed Project. Follows the
// Compose Specification (compose-spec/compose-spec: 03-compose-file.md, 04-version-and-name.md,
// 05-services.md, 12-interpolation.md, 13-merge.md, 15-profiles.md) and docker compose's loader
// (compose-spec/compose-go: cli/options.go for files, .env and the project name; loader/ for
// the order of the steps; override/ for merging; transform/ for the canonical forms).
//
// The steps, in compose-go's order:
//   1. the files are found and parsed (YAML; `!reset`/`!override` tags and `<<` merge keys);
//   2. the project name is settled and put in the environment as COMPOSE_PROJECT_NAME;
//   3. per file, per document: every string value (never a key) is interpolated, the document
//      is validated and turned into canonical (long) syntax, its services' `extends` are
//      resolved, and it is merged onto the files before it (13-merge.md);
//   4. relative paths are made absolute against working_dir, implicit defaults are added (the
//      `default` network, resource names, build.context "."), profiles select the services,
//      references are checked (depends_on, networks, volumes, configs, secrets, cycles), and
//      each enabled service's environment is resolved (env_file, then environment).
//
// Errors are kInvalidArgument (kNotFound when no compose file or a named file is missing):
//   "<file>:<line>:<column>: <yaml-cpp's message>"        a YAML syntax error
//   "<file>: <key path>: <what>"                          a bad value in one file, e.g.
//       `compose.yaml: services.web.ports[0]: invalid port "80:80:80:80": invalid IP address:
//       80:80` `compose.yaml: services.web.image: required variable TAG is missing a value: must be
//       set` `compose.yaml: services.web: unknown key "imagee"`
//   "<key path>: <what>"                                  a check across the merged files, e.g.
//       `services.api.depends_on: service "db" is not defined`
//       `dependency cycle detected: a -> b -> a`
// <file> is the path relative to working_dir when the file is inside it, else absolute.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "common/json.h"
#include "compose/types.h"

namespace berth::compose {

struct LoadOptions {
  // Compose files (-f), relative to working_dir (or the current directory when that is "").
  // Empty: COMPOSE_FILE from `environment` (split on COMPOSE_PATH_SEPARATOR, default ':'),
  // else the first of compose.yaml, compose.yml, docker-compose.yml, docker-compose.yaml in
  // working_dir, plus the first of compose.override.yml, compose.override.yaml,
  // docker-compose.override.yml, docker-compose.override.yaml beside it (cli/options.go).
  std::vector<std::string> files;
  // --project-directory. "": the directory of the first file, else the current directory.
  std::string working_dir;
  // -p. Else COMPOSE_PROJECT_NAME (environment or .env), else the top-level `name:`, else the
  // base name of working_dir normalised (normalize_project_name). -p and COMPOSE_PROJECT_NAME
  // must already be normal: "invalid project name ...".
  std::string project_name;
  // Variables for interpolation: the caller passes the process environment. They win over
  // the .env file's.
  std::map<std::string, std::string> environment;
  // --env-file. "": <working_dir>/.env when it exists; a file named here must exist.
  std::string env_file;
  // --profile. Empty: COMPOSE_PROFILES from the environment (comma-separated). "*" = all.
  std::vector<std::string> profiles;
  // Services named on the command line: each disabled one enables its profiles (15-profiles.md).
  // An unknown name: "no such service: x".
  std::vector<std::string> services;
};

struct Project {
  std::string name;
  std::string working_dir;                     // absolute
  std::vector<std::string> files;              // absolute paths, in merge order
  std::vector<Service> services;               // enabled services, ordered by name
  std::vector<std::string> disabled_services;  // services left out by profiles, by name
  std::map<std::string, Network> networks;     // by key; "default" when a service uses it
  std::map<std::string, Volume> volumes;
  std::map<std::string, FileObject> configs, secrets;
  // The interpolation environment: `environment`, then .env, plus COMPOSE_PROJECT_NAME.
  std::map<std::string, std::string> environment;
  Json model;  // the resolved model (to_json adds null command/entrypoint)

  const Service* service(std::string_view service_name) const;  // nullptr when not enabled
};

// Loads, merges, validates and resolves a project as described at the top of this header.
Result<Project> load_project(const LoadOptions& options);

// The resolved model in compose's canonical form, what `docker compose config --format json`
// prints: name, services (enabled ones; long syntax everywhere; command and entrypoint null
// when unset; durations as Go durations, "1m30s"), networks (the implicit `default` included,
// each with its engine name), volumes, configs, secrets, and top-level x-* extensions.
Json to_json(const Project& project);

// to_json as YAML, for `berth compose config` (null command/entrypoint left out, strings
// that would read back as another type quoted).
std::string to_yaml(const Project& project);

// compose-go NormalizeProjectName: lower case, only [a-z0-9_-] kept, leading '_' and '-'
// dropped: "My App!" -> "myapp".
std::string normalize_project_name(std::string_view name);

}  // namespace berth::compose
