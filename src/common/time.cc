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

}  // namespace berth
