#include "compose/tree.h"

#include <cmath>

#include "common/strings.h"

namespace berth::compose {

std::string path_string(const Path& path) {
  std::string out;
  for (const std::string& seg : path) {
    if (!out.empty() && !seg.starts_with('[')) out += '.';
    out += seg;
  }
  return out;
}

Path operator/(const Path& path, std::string key) {
  Path out = path;
  out.push_back(std::move(key));
  return out;
}

Path operator/(const Path& path, size_t index) {
  return path / ("[" + std::to_string(index) + "]");
}

bool path_matches(const Path& path, std::string_view pattern) {
  std::vector<std::string> parts = str::split(pattern, '.');
  if (parts.size() != path.size()) return false;
  for (size_t i = 0; i < parts.size(); ++i) {
    bool index = path[i].starts_with('[');
    if (parts[i] == "*" ? index : parts[i] == "[]" ? !index : parts[i] != path[i]) return false;
  }
  return true;
}

tl::unexpected<Error> path_error(const Path& path, std::string_view what) {
  std::string p = path_string(path);
  return make_error(Errc::kInvalidArgument,
                    p.empty() ? std::string(what) : p + ": " + std::string(what));
}

Json* find_path(Json& root, const Path& path) {
  Json* cur = &root;
  for (const std::string& seg : path) {
    if (seg.starts_with('[')) {
      auto i = str::parse_uint(std::string_view(seg).substr(1, seg.size() - 2));
      if (!cur->is_array() || !i || *i >= cur->size()) return nullptr;
      cur = &(*cur)[*i];
    } else {
      if (!cur->is_object()) return nullptr;
      auto it = cur->find(seg);
      if (it == cur->end()) return nullptr;
      cur = &*it;
    }
  }
  return cur;
}

void erase_path(Json& root, const Path& path) {
  if (path.empty() || path.back().starts_with('[')) return;
  Json* parent = find_path(root, Path(path.begin(), path.end() - 1));
  if (parent && parent->is_object()) parent->erase(path.back());
}

std::optional<std::string> scalar_text(const Json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_number_integer()) return v.dump();
  if (v.is_number_float()) {
    double d = v.get<double>();
    if (d == static_cast<double>(static_cast<int64_t>(d)) && std::abs(d) < 1e15) {
      return std::to_string(static_cast<int64_t>(d));
    }
    return v.dump();
  }
  return std::nullopt;
}

}  // namespace berth::compose
