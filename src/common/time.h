// Wall-clock timestamps in the forms the OCI state, docker's API and its json-file logs use.
#pragma once

#include <cstdint>
#include <string>

namespace berth {

// Now as RFC 3339 in UTC with nanoseconds: "2026-11-30T18:07:24.123456789Z".
std::string rfc3339_now();
// Unix time (seconds, fraction) as RFC 3339 with nanoseconds.
std::string rfc3339(int64_t seconds, int64_t nanos);
// Seconds since the epoch of an RFC 3339 time ("...Z" or "+hh:mm", fraction optional), as a
// double; nullopt-like -1 when it does not parse.
double parse_rfc3339(const std::string& s);
// docker's units.HumanDuration: "Less than a second", "5 seconds", "About a minute" is not
// used; "3 minutes", "an hour", "2 days", "3 weeks", "4 months", "2 years".
std::string human_duration(double seconds);

}  // namespace berth
