// Internal: one compose document, interpolated, validated and rewritten in canonical syntax
// (compose-go interpolation/, schema/ and transform/), and the merge rules that combine such
// documents (compose-go override/).
#pragma once

#include "common/error.h"
#include "common/json.h"
#include "compose/interpolation.h"
#include "compose/tree.h"

namespace berth::compose {

// Interpolates every string value of `doc` (12-interpolation.md: values, never keys).
// Errors: "<path>: <interpolate's error>".
Result<void> interpolate_model(Json& doc, const Lookup& lookup);

// Validates `doc` against the attributes compose knows (top-level, service, network, volume,
// config, secret; x-* extensions allowed anywhere) and rewrites it in canonical form, the
// shapes to_json prints:
//   services.*.build             "ctx" -> {context: "ctx"}
//   command, entrypoint          "a b" -> ["a", "b"] (split_command); null stays null
//   environment, labels, build.args, build.labels, sysctls, annotations, deploy.labels,
//   networks/volumes labels      ["K=V", "K"] -> {K: "V", K: null} (labels: "K" -> "")
//   env_file                     "f" -> [{path: "f", required: true}]
//   ports                        short -> [{mode, host_ip, target, published, protocol}]
//   volumes                      short -> [{type, source, target, read_only, bind|volume}]
//   depends_on                   [a] -> {a: {condition: service_started, required: true}}
//   healthcheck.test             "cmd" -> ["CMD-SHELL", "cmd"]; durations -> Go's format
//   networks (service)           [a] -> {a: null}
//   dns, dns_search, tmpfs       "x" -> ["x"]; extra_hosts -> ["host=ip", ...]
//   extends                      "svc" -> {service: "svc"}
//   secrets, configs (service)   "s" -> {source: "s"}
//   booleans and integers        written as strings ("true", "3") -> typed
// Errors: "<path>: <what>", e.g. "services.web: unknown key \"imagee\"",
// "services.web.ports[0]: invalid port \"80:80:80:80\": invalid IP address: 80:80".
Result<void> canonicalize(Json& doc);

// Merges the canonical `over` onto `base` (13-merge.md; compose-go override/merge.go):
// mappings merged recursively (null in `over` keeps base), sequences appended, scalars
// replaced; command, entrypoint, healthcheck.test and ulimits entries replaced; environment,
// labels, args and the like replaced key by key; logging merged only for the same driver;
// networks' ipam.config merged by subnet. Then enforce_unique. `path` is where base and over
// sit ({} for whole documents, {"services", name} for extends). Errors: "<path>: cannot
// override" when a mapping meets a non-mapping.
Result<void> merge_models(Json& base, const Json& over, const Path& path = {});

// Sequences whose items must be unique (13-merge.md "Unique resources"; compose-go
// override/uncity.go): ports by {host_ip, published, target, protocol}, volumes, secrets and
// configs by target, env_file by path, cap_add, dns, expose, profiles, tmpfs... by value. A
// later duplicate replaces the earlier one in its place.
void enforce_unique(Json& model, const Path& path = {});

}  // namespace berth::compose
