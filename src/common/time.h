// Wall-clock timestamps in the forms the OCI state, docker's API and its json-file logs use.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/error.h"

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

// Go's time.ParseDuration ("1m30s", "1.5h", "300ms", "-2us"), in nanoseconds, with Go's exact
// integer arithmetic; `days_and_weeks` also takes "d" and "w" (compose's durations).
// Errors: kInvalidArgument with Go's texts ("time: invalid duration \"x\"", "time: missing
// unit in duration \"5\"", "time: unknown unit \"d\" in duration \"5d\"").
Result<int64_t> parse_go_duration(std::string_view s, bool days_and_weeks = false);

}  // namespace berth
