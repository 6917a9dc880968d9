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

void drop_null_members(Json& j) {
  if (j.is_object()) {
    for (auto it = j.begin(); it != j.end();) {
      if (it->is_null()) {
        it = j.erase(it);
      } else {
        drop_null_members(*it);
        ++it;
      }
    }
  } else if (j.is_array()) {
    for (auto& v : j) drop_null_members(v);
  }
}

std::vector<std::string> string_array(const Json& j) {
  std::vector<std::string> out;
  if (j.is_array()) {
    for (auto& v : j) {
      if (v.is_string()) out.push_back(v.get<std::string>());
    }
  }
  return out;
}

}  // namespace berth
