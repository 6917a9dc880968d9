// Internal to openapi.cc: the YAML table of the served types' schemas (openapi_types.cc
// describes its notation).
#pragma once

#include <string>

namespace berth::api::kube {

// The parts, by API group: apimachinery's meta types, core/v1, and the named groups. Each is a
// YAML mapping of package to types; their top-level keys are distinct.
extern const char* const kOpenApiMetaTypes;
extern const char* const kOpenApiCoreTypes;
extern const char* const kOpenApiGroupTypes;

// The whole table, the parts one after the other.
inline std::string openapi_types_table() {
  return std::string(kOpenApiMetaTypes) + kOpenApiCoreTypes + kOpenApiGroupTypes;
}

}  // namespace berth::api::kube
