#include "common/time.h"

#include <time.h>

#include <cstdio>
#include <cmath>
#include <cstdlib>
#include <string_view>

namespace berth {

std::string rfc3339(int64_t seconds, int64_t nanos) {
  time_t t = static_cast<time_t>(seconds);
  struct tm tm;
  ::gmtime_r(&t, &tm);
  char buf[64];
  size_t n = ::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof buf - n, ".%09lldZ", static_cast<long long>(nanos));
  return buf;
}

std::string rfc3339_now() {
  timespec ts;
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return rfc3339(ts.tv_sec, ts.tv_nsec);
}

double parse_rfc3339(const std::string& s) {
  struct tm tm {};
  const char* rest = ::strptime(s.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (!rest) return -1;
  double t = static_cast<double>(::timegm(&tm));
  if (*rest == '.') {
    char* end = nullptr;
    t += std::strtod(rest, &end);
    rest = end;
  }
  if (*rest == '+' || *rest == '-') {
    int hh = 0, mm = 0;
    if (std::sscanf(rest + 1, "%d:%d", &hh, &mm) == 2) {
      t -= (*rest == '+' ? 1 : -1) * (hh * 3600 + mm * 60);
    }
  }
  return t;
}

std::string human_duration(double s) {
  auto plural = [](long n, const char* unit) {
    return (n == 1 ? std::string(std::string_view(unit) == "hour" ? "an" : "a")
                   : std::to_string(n)) +
           " " + unit + (n == 1 ? "" : "s");
  };
  if (s < 1) return "Less than a second";
  if (s < 60) return std::to_string(static_cast<long>(s)) + " seconds";
  if (s < 60 * 60) return plural(std::lround(s / 60), "minute");
  if (s < 48 * 3600) return plural(std::lround(s / 3600), "hour");
  if (s < 14 * 86400) return plural(std::lround(s / 86400), "day");
  if (s < 60 * 86400) return plural(std::lround(s / (7 * 86400)), "week");
  if (s < 365 * 86400) return plural(std::lround(s / (30 * 86400)), "month");
  return plural(std::lround(s / (365 * 86400)), "year");
}

Result<int64_t> parse_go_duration(std::string_view orig, bool days_and_weeks) {
  // Go's %q of these plain texts.
  auto quote = [](std::string_view v) {
    std::string out = "\"";
    for (char c : v) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    return out + "\"";
  };
  auto parse_error = [](std::string m) { return make_error(Errc::kInvalidArgument, std::move(m)); };
  auto invalid = [&] { return parse_error("time: invalid duration " + quote(orig)); };
  std::string_view s = orig;
  bool neg = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "0") return 0;
  if (s.empty()) return invalid();
  auto is_digit = [](char c) { return c >= '0' && c <= '9'; };
  uint64_t total = 0;
  while (!s.empty()) {
    if (s[0] != '.' && !is_digit(s[0])) return invalid();
    uint64_t whole = 0;
    size_t i = 0;
    for (; i < s.size() && is_digit(s[i]); ++i) {
      if (whole > (UINT64_MAX - 9) / 10) return invalid();
      whole = whole * 10 + static_cast<uint64_t>(s[i] - '0');
    }
    bool pre = i > 0;
    double frac = 0, scale = 1;
    bool post = false;
    if (i < s.size() && s[i] == '.') {
      for (++i; i < s.size() && is_digit(s[i]); ++i) {
        frac = frac * 10 + (s[i] - '0');
        scale *= 10;
        post = true;
      }
    }
    if (!pre && !post) return invalid();
    size_t u = i;
    while (u < s.size() && s[u] != '.' && !is_digit(s[u])) ++u;
    std::string_view unit = s.substr(i, u - i);
    if (unit.empty()) return parse_error("time: missing unit in duration " + quote(orig));
    uint64_t mult = 0;
    if (unit == "ns")
      mult = 1;
    else if (unit == "us" || unit == "\xC2\xB5s" || unit == "\xCE\xBCs")
      mult = 1000;
    else if (unit == "ms")
      mult = 1000000;
    else if (unit == "s")
      mult = 1000000000;
    else if (unit == "m")
      mult = 60ULL * 1000000000;
    else if (unit == "h")
      mult = 3600ULL * 1000000000;
    else if (days_and_weeks && unit == "d")
      mult = 86400ULL * 1000000000;
    else if (days_and_weeks && unit == "w")
      mult = 7 * 86400ULL * 1000000000;
    else {
      return parse_error("time: unknown unit " + quote(unit) + " in duration " + quote(orig));
    }
    if (whole > static_cast<uint64_t>(INT64_MAX) / mult) return invalid();
    total += whole * mult + static_cast<uint64_t>(frac * static_cast<double>(mult) / scale);
    if (total > static_cast<uint64_t>(INT64_MAX)) return invalid();
    s.remove_prefix(u);
  }
  return neg ? -static_cast<int64_t>(total) : static_cast<int64_t>(total);
}

}  // namespace berth
