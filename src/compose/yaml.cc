#include "compose/yaml.h"

// GCC 12 flags yaml-cpp 0.7's own node/impl.h (a temporary's address kept in a member it
// never reads after): a false positive, warned at the inlined call sites in this file.
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 12
#pragma GCC diagnostic ignored "-Wdangling-pointer"
#endif
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <map>

namespace berth::compose {
namespace {

constexpr int kMaxDepth = 256;
constexpr size_t kMaxNodes = 1000000;  // aliases may expand a small file enormously

// go-yaml v3's resolve() for a plain scalar: the typed value, or a string.
Json resolve_plain(const std::string& in) {
  if (in.empty() || in == "~" || in == "null" || in == "Null" || in == "NULL") return nullptr;
  if (in == "true" || in == "True" || in == "TRUE") return true;
  if (in == "false" || in == "False" || in == "FALSE") return false;
  if (in == ".inf" || in == ".Inf" || in == ".INF" || in == "+.inf" || in == "+.Inf" ||
      in == "+.INF") {
    return HUGE_VAL;
  }
  if (in == "-.inf" || in == "-.Inf" || in == "-.INF") return -HUGE_VAL;
  char c = in[0];
  if (!(c == '-' || c == '+' || c == '.' || (c >= '0' && c <= '9'))) return in;

  // Integers as strconv.ParseInt(s, 0, 64) after dropping '_': 0x.., 0o.., 0b.., 0777, 10.
  std::string plain;
  for (char ch : in) {
    if (ch != '_') plain += ch;
  }
  {
    std::string_view s = plain;
    bool neg = false;
    if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
      neg = s[0] == '-';
      s.remove_prefix(1);
    }
    int base = 10;
    if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
      base = 16;
      s.remove_prefix(2);
    } else if (s.size() > 2 && s[0] == '0' && (s[1] == 'o' || s[1] == 'O')) {
      base = 8;
      s.remove_prefix(2);
    } else if (s.size() > 2 && s[0] == '0' && (s[1] == 'b' || s[1] == 'B')) {
      base = 2;
      s.remove_prefix(2);
    } else if (s.size() > 1 && s[0] == '0') {
      base = 8;
      s.remove_prefix(1);
    }
    bool ok = !s.empty();
    for (char ch : s) {
      int d = (ch >= '0' && ch <= '9')   ? ch - '0'
              : (ch >= 'a' && ch <= 'f') ? ch - 'a' + 10
              : (ch >= 'A' && ch <= 'F') ? ch - 'A' + 10
                                         : 99;
      if (d >= base) ok = false;
    }
    if (ok) {
      errno = 0;
      std::string digits(s);
      unsigned long long v = std::strtoull(digits.c_str(), nullptr, base);
      if (errno == 0 && v <= (neg ? 9223372036854775808ULL : 9223372036854775807ULL)) {
        return neg ? static_cast<int64_t>(0 - v) : static_cast<int64_t>(v);
      }
    }
  }
  // Floats: ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$
  {
    std::string_view s = plain;
    size_t i = 0;
    auto digits = [&] {
      size_t start = i;
      while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
      return i > start;
    };
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
    bool ok;
    if (i < s.size() && s[i] == '.') {
      ++i;
      ok = digits();
    } else {
      ok = digits();
      if (ok && i < s.size() && s[i] == '.') {
        ++i;
        digits();
      }
    }
    if (ok && i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
      ++i;
      if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
      ok = digits();
    }
    if (ok && i == s.size()) return std::strtod(plain.c_str(), nullptr);
  }
  return in;
}

class Converter {
 public:
  explicit Converter(std::string_view file) : file_(file) {}

  Result<YamlDocument> document(const YAML::Node& root) {
    YamlDocument doc;
    doc_ = &doc;
    BERTH_ASSIGN_OR_RETURN(doc.tree, convert(root, {}, 0));
    return doc;
  }

 private:
  tl::unexpected<Error> located(const YAML::Mark& mark, const std::string& what) {
    return make_error(Errc::kInvalidArgument, file_ + ":" + std::to_string(mark.line + 1) + ":" +
                                                  std::to_string(mark.column + 1) + ": " + what);
  }

  Result<Json> convert(const YAML::Node& node, const Path& path, int depth) {
    if (depth > kMaxDepth || ++nodes_ > kMaxNodes) {
      return make_error(Errc::kInvalidArgument, file_ + ": document too deep or too large");
    }
    const std::string& tag = node.Tag();
    if (tag == "!override" && !path.empty() && !path.back().starts_with('[')) {
      doc_->overrides.push_back(path);
    }
    switch (node.Type()) {
      case YAML::NodeType::Null:
      case YAML::NodeType::Undefined:
        return nullptr;
      case YAML::NodeType::Scalar:
        return scalar(node, tag);
      case YAML::NodeType::Sequence: {
        Json out = Json::array();
        size_t i = 0;
        for (const YAML::Node& item : node) {
          if (item.Tag() == "!reset") continue;  // dropped from this file only
          BERTH_ASSIGN_OR_RETURN(Json v, convert(item, path / i, depth + 1));
          out.push_back(std::move(v));
          ++i;
        }
        return out;
      }
      case YAML::NodeType::Map:
        return mapping(node, path, depth);
    }
    return nullptr;
  }

  // Quoted scalars (tag "!") and !!str are strings; plain ones, and any other tag, resolve.
  static Json scalar(const YAML::Node& node, const std::string& tag) {
    if (tag == "!" || tag == "tag:yaml.org,2002:str") return node.Scalar();
    return resolve_plain(node.Scalar());
  }

  Result<Json> mapping(const YAML::Node& node, const Path& path, int depth) {
    Json out = Json::object();
    std::map<std::string, int> lines;
    std::vector<YAML::Node> merges;
    for (auto it = node.begin(); it != node.end(); ++it) {
      const YAML::Node& k = it->first;
      std::string key = k.IsScalar() ? k.Scalar() : k.IsNull() ? "null" : "";
      if (key.empty() && !k.IsScalar()) return located(k.Mark(), "mapping key must be a scalar");
      if (key == "<<" && k.Tag() != "!") {
        merges.push_back(it->second);
        continue;
      }
      if (auto seen = lines.find(key); seen != lines.end()) {
        return located(k.Mark(), "mapping key \"" + key + "\" already defined at line " +
                                     std::to_string(seen->second));
      }
      lines[key] = k.Mark().line + 1;
      Path child = path / key;
      if (it->second.Tag() == "!reset") {
        doc_->resets.push_back(child);
        continue;
      }
      BERTH_ASSIGN_OR_RETURN(Json v, convert(it->second, child, depth + 1));
      out[key] = std::move(v);
    }
    // YAML merge keys: entries the map does not define itself, earlier sources first.
    for (const YAML::Node& m : merges) {
      std::vector<YAML::Node> sources;
      if (m.IsSequence()) {
        for (const YAML::Node& s : m) sources.push_back(s);
      } else {
        sources.push_back(m);
      }
      for (const YAML::Node& s : sources) {
        if (!s.IsMap()) return located(s.Mark(), "map merge requires map or sequence of maps");
        BERTH_ASSIGN_OR_RETURN(Json src, mapping(s, path, depth + 1));
        for (auto& [k, v] : src.items()) {
          if (!out.contains(k)) out[k] = v;
        }
      }
    }
    return out;
  }

  std::string file_;
  YamlDocument* doc_ = nullptr;
  size_t nodes_ = 0;
};

// YAML 1.1 booleans: a 1.2 reader takes them for strings, docker-compose v1 (PyYAML) not.
bool yaml11_bool(const std::string& s) {
  static constexpr std::string_view kWords[] = {"y", "yes", "n", "no", "on", "off"};
  std::string lower;
  for (char c : s) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return std::find(std::begin(kWords), std::end(kWords), lower) != std::end(kWords);
}

void emit(YAML::Emitter& out, const Json& v) {
  switch (v.type()) {
    case Json::value_t::object:
      if (v.empty()) out << YAML::Flow;  // "{}" on the key's line
      out << YAML::BeginMap;
      for (auto& [k, item] : v.items()) {
        out << YAML::Key << k << YAML::Value;
        emit(out, item);
      }
      out << YAML::EndMap;
      break;
    case Json::value_t::array:
      if (v.empty()) out << YAML::Flow;
      out << YAML::BeginSeq;
      for (const Json& item : v) emit(out, item);
      out << YAML::EndSeq;
      break;
    case Json::value_t::string: {
      const std::string& s = v.get_ref<const std::string&>();
      if (s.empty() || !resolve_plain(s).is_string() || yaml11_bool(s)) {
        out << YAML::DoubleQuoted << s;
      } else {
        out << s;
      }
      break;
    }
    case Json::value_t::null:
      out << YAML::Null;
      break;
    default:
      out << v.dump();  // numbers and booleans read back as themselves
      break;
  }
}

}  // namespace

Result<std::vector<YamlDocument>> parse_yaml(std::string_view text, std::string_view file) {
  std::vector<YAML::Node> nodes;
  try {
    nodes = YAML::LoadAll(std::string(text));
  } catch (const YAML::Exception& e) {
    return make_error(Errc::kInvalidArgument, std::string(file) + ":" +
                                                  std::to_string(e.mark.line + 1) + ":" +
                                                  std::to_string(e.mark.column + 1) + ": " + e.msg);
  }
  std::vector<YamlDocument> docs;
  try {
    for (const YAML::Node& n : nodes) {
      BERTH_ASSIGN_OR_RETURN(YamlDocument d, Converter(file).document(n));
      docs.push_back(std::move(d));
    }
  } catch (const YAML::Exception& e) {  // yaml-cpp's accessors throw on misuse only
    return make_error(Errc::kInvalidArgument, std::string(file) + ": " + e.msg);
  }
  return docs;
}

std::string emit_yaml(const Json& value) {
  YAML::Emitter out;
  out.SetIndent(2);
  out.SetNullFormat(YAML::LowerNull);
  emit(out, value);
  std::string s = out.c_str();
  if (!s.empty() && s.back() != '\n') s += '\n';
  return s;
}

}  // namespace berth::compose
