// Kubernetes resource quantities ("500m", "1", "128Mi", "1G", "1e3") as numbers of base units
// (cores, bytes, objects), and back (k8s.io/apimachinery pkg/api/resource/quantity.go).
#pragma once

#include <optional>
#include <string>

namespace berth::api::kube {

// The value of `text` in base units: "500m" = 0.5, "2Ki" = 2048, "1G" = 1e9. nullopt when it is
// not a quantity.
std::optional<double> parse_quantity(const std::string& text);
// `value` written as Kubernetes writes a canonical quantity: a whole number with the largest
// binary suffix that divides it exactly when `binary` (bytes), else decimal ("1", "1500m",
// "2k").
std::string format_quantity(double value, bool binary);

}  // namespace berth::api::kube
