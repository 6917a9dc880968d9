#include "image/filters.h"

#include "common/json.h"
#include "image/reference.h"

namespace berth::image {

Result<Filters> parse_filters_json(std::string_view text) {
  Filters out;
  if (text.empty()) return out;
  BERTH_ASSIGN_OR_RETURN(Json j, parse_json(text, "filters"));
  if (!j.is_object()) return make_error(Errc::kInvalidArgument, "filters: not an object");
  for (auto& [k, v] : j.items()) {
    if (v.is_object()) {
      for (auto& [val, on] : v.items()) {
        if (on.is_boolean() && on.get<bool>()) out[k].push_back(val);
      }
    } else if (v.is_array()) {
      for (auto& val : v) {
        if (val.is_string()) out[k].push_back(val.get<std::string>());
      }
    }
  }
  return out;
}

Filters parse_filter_flags(const std::vector<std::string>& flags) {
  Filters out;
  for (auto& f : flags) {
    auto eq = f.find('=');
    out[f.substr(0, eq)].push_back(eq == std::string::npos ? "" : f.substr(eq + 1));
  }
  return out;
}

bool glob_match(std::string_view pat, std::string_view s) {
  if (pat.empty()) return s.empty();
  if (pat[0] == '*') {
    for (size_t i = 0; i <= s.size(); ++i) {
      if (s.substr(0, i).find('/') != std::string_view::npos) break;
      if (glob_match(pat.substr(1), s.substr(i))) return true;
    }
    return false;
  }
  if (s.empty()) return false;
  if (pat[0] == '?' ? s[0] != '/' : pat[0] == s[0]) return glob_match(pat.substr(1), s.substr(1));
  return false;
}

Result<bool> matches(const Image& img, const Filters& filters) {
  for (auto& [key, vals] : filters) {
    for (auto& v : vals) {
      if (key == "dangling") {
        if (v != "true" && v != "false" && v != "1" && v != "0") {
          return make_error(Errc::kInvalidArgument, "invalid filter 'dangling=" + v + "'");
        }
        bool want = v == "true" || v == "1";
        if (want != img.repo_tags.empty()) return false;
      } else if (key == "reference") {
        bool any = false;
        for (auto& t : img.repo_tags) {
          auto r = parse_reference(t);
          if (!r) continue;
          any = any || glob_match(v, r->familiar_name()) || glob_match(v, r->familiar_string());
        }
        if (!any) return false;
      } else if (key == "label") {
        Json labels = img.config.doc.value("config", Json::object()).value("Labels", Json());
        if (!labels.is_object()) return false;
        auto eq = v.find('=');
        std::string lk = v.substr(0, eq);
        if (!labels.contains(lk)) return false;
        if (eq != std::string::npos && labels[lk] != v.substr(eq + 1)) return false;
      } else if (key == "before" || key == "since" || key == "until") {
        continue;
      } else {
        return make_error(Errc::kInvalidArgument, "invalid filter '" + key + "'");
      }
    }
  }
  return true;
}

}  // namespace berth::image
