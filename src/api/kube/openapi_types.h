// Internal to openapi.cc: the YAML table of the served types' schemas (openapi_types.cc
// describes its notation).
#pragma once

namespace berth::api::kube {

extern const char* const kOpenApiTypes;

}  // namespace berth::api::kube
