// Conversion between a type's served versions and its storage version, for the types served in
// more than one version (k8s.io/kubernetes pkg/apis/autoscaling/v1/conversion.go: an
// autoscaling/v1 HorizontalPodAutoscaler is stored as autoscaling/v2; v1 holds the CPU target
// in targetCPUUtilizationPercentage and the rest of v2 in annotations, so that a round trip
// through v1 keeps it).
#pragma once

#include "api/kube/resources.h"
#include "common/json.h"

namespace berth::api::kube {

// A stored object as `type` serves it (unchanged unless `type.converted`).
Json to_served_version(const Resource& type, Json stored);
// An object sent to `type` as its storage version stores it (unchanged unless converted).
Json to_storage_version(const Resource& type, Json served);

}  // namespace berth::api::kube
