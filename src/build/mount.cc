// RUN --mount values (BuildKit instructions/commands_runmount.go parseMount).
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <optional>

#include "build/dockerfile.h"
#include "common/strings.h"
#include "build/text.h"

namespace berth::build {
namespace {

tl::unexpected<Error> mount_error(std::string message) {
  return make_error(Errc::kInvalidArgument, std::move(message));
}

// One CSV record, as encoding/csv reads it: "..." quotes a field and "" in it is a quote.
Result<std::vector<std::string>> csv_fields(std::string_view s) {
  std::vector<std::string> fields;
  if (s.empty()) return fields;
  size_t i = 0;
  for (;;) {
    std::string field;
    if (i < s.size() && s[i] == '"') {
      for (++i;; ++i) {
        if (i >= s.size()) {
          return mount_error(
              "failed to parse csv mounts: extraneous or missing \" in quoted-field");
        }
        if (s[i] == '"') {
          if (i + 1 < s.size() && s[i + 1] == '"') {
            field += '"';
            ++i;
            continue;
          }
          ++i;
          break;
        }
        field += s[i];
      }
      if (i < s.size() && s[i] != ',') {
        return mount_error("failed to parse csv mounts: extraneous or missing \" in quoted-field");
      }
    } else {
      size_t end = std::min(s.find(',', i), s.size());
      field = std::string(s.substr(i, end - i));
      if (field.find('"') != std::string::npos) {
        return mount_error("failed to parse csv mounts: bare \" in non-quoted-field");
      }
      i = end;
    }
    fields.push_back(std::move(field));
    if (i >= s.size()) return fields;
    ++i;  // the comma
  }
}

// Go's strconv.ParseBool.
std::optional<bool> parse_bool(std::string_view v) {
  if (v == "1" || v == "t" || v == "T" || v == "true" || v == "TRUE" || v == "True") return true;
  if (v == "0" || v == "f" || v == "F" || v == "false" || v == "FALSE" || v == "False") {
    return false;
  }
  return std::nullopt;
}

// docker/go-units RAMInBytes: "64m", "1.5GiB", "100" -> bytes, units of 1024.
std::optional<int64_t> ram_in_bytes(std::string_view s) {
  size_t i = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
  if (i == 0) return std::nullopt;
  if (i < s.size() && s[i] == '.') {
    size_t j = ++i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    if (i == j) return std::nullopt;
  }
  double number = std::strtod(std::string(s.substr(0, i)).c_str(), nullptr);
  if (i < s.size() && s[i] == ' ') ++i;
  double mult = 1;
  static constexpr std::string_view kUnits = "kmgtp";
  if (i < s.size()) {
    size_t u = kUnits.find(str::to_lower(s.substr(i, 1))[0]);
    if (u != std::string_view::npos) {
      mult = std::pow(1024.0, static_cast<double>(u + 1));
      ++i;
    }
  }
  if (i < s.size() && (s[i] == 'i' || s[i] == 'I')) ++i;
  if (i < s.size() && (s[i] == 'b' || s[i] == 'B')) ++i;
  if (i != s.size()) return std::nullopt;
  return static_cast<int64_t>(number * mult);
}

// Go's strconv.ParseUint(v, base, 32).
std::optional<uint32_t> parse_u32(std::string_view v, int base) {
  if (v.empty()) return std::nullopt;
  uint64_t n = 0;
  for (char c : v) {
    int d = c - '0';
    if (d < 0 || d >= base) return std::nullopt;
    n = n * static_cast<uint64_t>(base) + static_cast<uint64_t>(d);
    if (n > UINT32_MAX) return std::nullopt;
  }
  return static_cast<uint32_t>(n);
}

std::string_view type_name(MountType t) {
  switch (t) {
    case MountType::kBind:
      return "bind";
    case MountType::kCache:
      return "cache";
    case MountType::kTmpfs:
      return "tmpfs";
    case MountType::kSecret:
      return "secret";
    case MountType::kSsh:
      return "ssh";
  }
  return "";
}

bool is_string_key(std::string_view k) {
  return k == "from" || k == "source" || k == "src" || k == "target" || k == "dst" ||
         k == "destination" || k == "id" || k == "env";
}

// Cross-field rules, once every field is read.
Result<void> check_mount(const Mount& m) {
  bool file_info =
      m.type == MountType::kSecret || m.type == MountType::kSsh || m.type == MountType::kCache;
  std::string type = go_quote(type_name(m.type));
  if (!file_info && m.mode) return mount_error("mode not allowed for " + type + " type mounts");
  if (!file_info && m.uid) return mount_error("uid not allowed for " + type + " type mounts");
  if (!file_info && m.gid) return mount_error("gid not allowed for " + type + " type mounts");
  if (m.type == MountType::kSecret) {
    if (!m.from.empty()) return mount_error("secret mount should not have a from");
    if (m.sharing) return mount_error("secret mount should not define sharing");
    if (m.source.empty() && m.target.empty() && m.id.empty()) {
      return mount_error("invalid secret mount. one of source, target required");
    }
    if (!m.source.empty() && !m.id.empty()) return mount_error("both source and id can't be set");
  }
  if (m.sharing && m.type != MountType::kCache) {
    return mount_error("invalid cache sharing set for " + std::string(type_name(m.type)) +
                       " mount");
  }
  return {};
}

}  // namespace

Result<Mount> parse_mount(std::string_view spec, const Vars* vars, char escape) {
  BERTH_ASSIGN_OR_RETURN(auto fields, csv_fields(spec));
  Mount m;
  bool ro_auto = true;  // readonly follows the type unless given
  auto unexpected_key = [&](std::string_view key) {
    return mount_error("unexpected key '" + std::string(key) + "' for mount type '" +
                       std::string(type_name(m.type)) + "'");
  };

  for (const std::string& field : fields) {
    size_t eq = field.find('=');
    std::string key = str::to_lower(std::string_view(field).substr(0, eq));
    if (eq == std::string::npos) {
      if (key == "readonly" || key == "ro" || key == "readwrite" || key == "rw") {
        m.readonly = key == "readonly" || key == "ro";
        ro_auto = false;
      } else if (key == "required") {
        if (m.type != MountType::kSecret && m.type != MountType::kSsh) return unexpected_key(key);
        m.required = true;
      } else {
        return mount_error("invalid field '" + field + "' must be a key=value pair");
      }
      continue;
    }

    std::string value = field.substr(eq + 1);
    if (vars) {
      BERTH_ASSIGN_OR_RETURN(value, ShellLexer(escape).expand(value, *vars));
    } else if (size_t d = value.find('$'); d != std::string::npos) {
      if (key == "from" && d != value.size() - 1) {
        return mount_error("'from' doesn't support variable expansion, define alias stage instead");
      }
      m.needs_expansion = true;
      if (!is_string_key(key)) continue;  // its value is only known once expanded
    }

    if (key == "type") {
      static const std::vector<std::string> kTypes = {"bind", "cache", "tmpfs", "secret", "ssh"};
      std::string t = str::to_lower(value);
      auto it = std::find(kTypes.begin(), kTypes.end(), t);
      if (it == kTypes.end()) {
        return mount_error(
            with_suggestion("unsupported mount type " + go_quote(value), value, kTypes, true));
      }
      m.type = static_cast<MountType>(it - kTypes.begin());
    } else if (key == "from") {
      m.from = value;
    } else if (key == "source" || key == "src") {
      m.source = value;
    } else if (key == "target" || key == "dst" || key == "destination") {
      m.target = value;
    } else if (key == "readonly" || key == "ro" || key == "readwrite" || key == "rw") {
      auto b = parse_bool(value);
      if (!b) return mount_error("invalid value for " + key + ": " + value);
      m.readonly = (key == "readonly" || key == "ro") ? *b : !*b;
      ro_auto = false;
    } else if (key == "required") {
      if (m.type != MountType::kSecret && m.type != MountType::kSsh) return unexpected_key(key);
      auto b = parse_bool(value);
      if (!b) return mount_error("invalid value for " + key + ": " + value);
      m.required = *b;
    } else if (key == "size") {
      if (m.type != MountType::kTmpfs) return unexpected_key(key);
      auto n = ram_in_bytes(value);
      if (!n) return mount_error("invalid value for " + key + ": " + value);
      m.size = *n;
    } else if (key == "id") {
      m.id = value;
    } else if (key == "sharing") {
      static const std::vector<std::string> kModes = {"shared", "private", "locked"};
      std::string s = str::to_lower(value);
      auto it = std::find(kModes.begin(), kModes.end(), s);
      if (it == kModes.end()) {
        return mount_error(
            with_suggestion("unsupported sharing value " + go_quote(value), value, kModes, true));
      }
      m.sharing = static_cast<MountSharing>(it - kModes.begin());
    } else if (key == "mode") {
      auto n = parse_u32(value, 8);
      if (!n) return mount_error("invalid value " + value + " for mode");
      m.mode = n;
    } else if (key == "uid" || key == "gid") {
      auto n = parse_u32(value, 10);
      if (!n) return mount_error("invalid value " + value + " for " + key);
      (key == "uid" ? m.uid : m.gid) = n;
    } else if (key == "env") {
      m.env = value;
    } else {
      static const std::vector<std::string> kKeys = {
          "type",        "from", "source", "target",    "readonly", "id",  "sharing",
          "required",    "size", "mode",   "uid",       "gid",      "src", "dst",
          "destination", "ro",   "rw",     "readwrite", "env"};
      return mount_error(
          with_suggestion("unexpected key '" + key + "' in '" + field + "'", key, kKeys, true));
    }
  }

  if (ro_auto) m.readonly = m.type != MountType::kCache && m.type != MountType::kTmpfs;
  // Rules that may depend on a field still to be expanded wait for the second parse.
  if (!m.needs_expansion) BERTH_TRY(check_mount(m));
  return m;
}

}  // namespace berth::build
