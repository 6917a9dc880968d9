#include "common/json.h"

namespace berth {

// The one place JSON parse exceptions are caught (no throw crosses into berth code).
Result<Json> parse_json(std::string_view text, std::string_view what) {
  try {
    return Json::parse(text);
  } catch (const Json::exception& e) {
    std::string why = e.what();
    // nlohmann prefixes "[json.exception.parse_error.101] "; keep only the reason.
    if (auto p = why.find("] "); p != std::string::npos) {
      why = why.substr(p + 2);
    }
    return make_error(Errc::kInvalidArgument, std::string(what) + ": invalid JSON: " + why);
  }
}

}  // namespace berth
