#include "api/kube/quantity.h"

#include <cmath>
#include <cstdlib>
#include <utility>
#include <vector>

namespace berth::api::kube {

std::optional<double> parse_quantity(const std::string& text) {
  if (text.empty()) return std::nullopt;
  static const std::vector<std::pair<std::string, double>> suffixes = {
      {"Ki", 1024.0}, {"Mi", 1048576.0}, {"Gi", 1073741824.0}, {"Ti", 1099511627776.0},
      {"Pi", 1125899906842624.0}, {"Ei", 1152921504606846976.0}, {"n", 1e-9}, {"u", 1e-6}, {"m", 1e-3},
      {"k", 1e3}, {"M", 1e6}, {"G", 1e9}, {"T", 1e12}, {"P", 1e15}, {"E", 1e18}};
  std::string num = text;
  double mult = 1;
  for (auto& [s, m] : suffixes) {
    if (text.size() > s.size() && text.ends_with(s)) {
      num = text.substr(0, text.size() - s.size());
      mult = m;
      break;
    }
  }
  // The number: an optional sign, digits with an optional fraction, an optional exponent.
  if (num.find_first_not_of("+-0123456789.eE") != std::string::npos) return std::nullopt;
  char* end = nullptr;
  double v = std::strtod(num.c_str(), &end);
  if (end == num.c_str() || *end != '\0' || !std::isfinite(v)) return std::nullopt;
  return v * mult;
}

std::string format_quantity(double value, bool binary) {
  auto whole = [](double v) { return std::fabs(v - std::round(v)) < 1e-9 * std::max(1.0, std::fabs(v)); };
  if (whole(value)) {
    long long n = std::llround(value);
    if (n == 0) return "0";
    static const std::vector<std::pair<const char*, long long>> bin = {
        {"Ei", 1LL << 60}, {"Pi", 1LL << 50}, {"Ti", 1LL << 40}, {"Gi", 1LL << 30}, {"Mi", 1LL << 20}, {"Ki", 1LL << 10}};
    static const std::vector<std::pair<const char*, long long>> dec = {
        {"E", 1000000000000000000LL}, {"P", 1000000000000000LL}, {"T", 1000000000000LL}, {"G", 1000000000LL},
        {"M", 1000000LL}, {"k", 1000LL}};
    for (auto& [s, m] : binary ? bin : dec) {
      if (n % m == 0) return std::to_string(n / m) + s;
    }
    return std::to_string(n);
  }
  return std::to_string(std::llround(value * 1000)) + "m";
}

}  // namespace berth::api::kube
