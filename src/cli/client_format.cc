// Output as the docker CLI prints it: go-units sizes, tables (Go's text/tabwriter), --format
// templates (a subset of Go's text/template), Go's time and go-units duration texts; and the
// values docker's flags take (Go durations, go-units RAM sizes).
#include "cli/client_internal.h"

#include <time.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "common/strings.h"
#include "common/time.h"

namespace berth::cli {
namespace {

// go-units' CustomSize: `size` divided by `base` until below it, printed with `precision`
// significant digits (%g) and the unit.
std::string custom_size(double size, double base, int precision, bool binary) {
  static const char* kDecimal[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"};
  static const char* kBinary[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"};
  int i = 0;
  while (size >= base && i < 8) {
    size /= base;
    ++i;
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*g%s", precision, size, binary ? kBinary[i] : kDecimal[i]);
  return buf;
}

}  // namespace

// units.HumanSize (4 digits, decimal), HumanSizeWithPrecision(3), BytesSize (binary).
std::string human_size(double b) { return custom_size(b, 1000, 4, false); }
std::string human_size3(double b) { return custom_size(b, 1000, 3, false); }
std::string bytes_size(double b) { return custom_size(b, 1024, 4, true); }

std::string short_id(const std::string& id) {
  std::string s = id.starts_with("sha256:") ? id.substr(7) : id;
  return s.substr(0, 12);
}

namespace {

// Display width: UTF-8 code points (tabwriter counts runes).
size_t width(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

}  // namespace


// formatter.Ellipsis: `s` cut to `max` columns, its last one "…".
std::string ellipsis(const std::string& s, size_t max) {
  if (width(s) <= max) return s;
  std::string out;
  size_t cols = 0;
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : 4;
    if (cols + 1 >= max) break;
    out += s.substr(i, len);
    i += len;
    ++cols;
  }
  return out + "…";
}

// Go's text/tabwriter as the docker CLI sets it up: cells end at '\t'; a column is as wide as
// its widest cell plus `padding`, at least `minwidth`; a line's last text is not padded.
void tab_print(const std::vector<std::string>& lines, size_t minwidth, size_t padding) {
  std::vector<std::vector<std::string>> cells;
  std::vector<size_t> w;
  for (auto& l : lines) {
    auto parts = str::split(l, '\t');
    for (size_t i = 0; i + 1 < parts.size(); ++i) {
      if (w.size() <= i) w.push_back(0);
      w[i] = std::max(w[i], std::max(minwidth, width(parts[i]) + padding));
    }
    cells.push_back(std::move(parts));
  }
  std::string out;
  for (auto& parts : cells) {
    for (size_t i = 0; i < parts.size(); ++i) {
      out += parts[i];
      if (i + 1 < parts.size()) out += std::string(w[i] - width(parts[i]), ' ');
    }
    out += '\n';
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
}

// Go's fmt %v of a JSON value, as text/template prints it.
std::string go_value(const Json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return "<no value>";
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_number_float()) {
    double d = v.get<double>();
    if (d == std::floor(d) && std::fabs(d) < 1e15) return std::to_string(static_cast<int64_t>(d));
    char buf[64];
    std::snprintf(buf, sizeof buf, "%g", d);
    return buf;
  }
  if (v.is_number()) return dump_json(v);
  std::string out;
  if (v.is_array()) {
    out = "[";
    for (size_t i = 0; i < v.size(); ++i) out += (i ? " " : "") + (v[i].is_null() ? "<nil>" : go_value(v[i]));
    return out + "]";
  }
  out = "map[";
  bool first = true;
  for (auto& [k, x] : v.items()) {
    out += (first ? "" : " ") + k + ":" + (x.is_null() ? "<nil>" : go_value(x));
    first = false;
  }
  return out + "]";
}

// A subset of Go's text/template over JSON data, enough for docker's --format uses:
// {{.}} {{.A.B}} {{json X}} {{upper X}} {{lower X}} {{title X}} {{len X}} {{join X "sep"}}
// {{index X "key"}} {{println X}}; unsupported actions print "<unsupported: ...>".
std::string render(const std::string& tmpl, const Json& data) {
  auto lookup = [&](const std::string& path) -> Json {
    if (path == ".") return data;
    Json cur = data;
    for (auto& part : str::split(path.substr(1), '.')) {
      if (!cur.is_object() || !cur.contains(part)) return Json();
      Json next = cur[part];
      cur = std::move(next);
    }
    return cur;
  };
  auto words_of = [](std::string_view s) {
    std::vector<std::string> out;
    size_t i = 0;
    while (i < s.size()) {
      if (s[i] == ' ') { ++i; continue; }
      if (s[i] == '"' || s[i] == '`') {
        char q = s[i];
        size_t j = i + 1;
        std::string w;
        while (j < s.size() && s[j] != q) {
          if (q == '"' && s[j] == '\\' && j + 1 < s.size()) {
            char e = s[++j];
            w += e == 'n' ? '\n' : e == 't' ? '\t' : e;
          } else {
            w += s[j];
          }
          ++j;
        }
        out.push_back("\x01" + w);  // a string literal
        i = j + 1;
        continue;
      }
      size_t j = s.find(' ', i);
      if (j == std::string_view::npos) j = s.size();
      out.emplace_back(s.substr(i, j - i));
      i = j;
    }
    return out;
  };
  auto arg = [&](const std::string& w) -> Json {
    if (w.starts_with("\x01")) return w.substr(1);
    if (w.starts_with(".")) return lookup(w);
    if (auto n = str::parse_int(w)) return *n;
    return Json();
  };
  std::string out;
  size_t i = 0;
  while (i < tmpl.size()) {
    auto open = tmpl.find("{{", i);
    if (open == std::string::npos) {
      out += tmpl.substr(i);
      break;
    }
    out += tmpl.substr(i, open - i);
    auto close = tmpl.find("}}", open);
    if (close == std::string::npos) {
      out += tmpl.substr(open);
      break;
    }
    std::string action(str::trim(std::string_view(tmpl).substr(open + 2, close - open - 2)));
    if (action.starts_with("-")) action = std::string(str::trim(action.substr(1)));
    if (action.ends_with("-")) action = std::string(str::trim(action.substr(0, action.size() - 1)));
    auto w = words_of(action);
    std::string text;
    if (w.empty()) {
      text = "";
    } else if (w.size() == 1 && w[0].starts_with(".")) {
      text = go_value(lookup(w[0]));
    } else if (w[0] == "json" && w.size() == 2) {
      text = dump_json(arg(w[1]));
    } else if ((w[0] == "upper" || w[0] == "lower" || w[0] == "title") && w.size() == 2) {
      text = go_value(arg(w[1]));
      if (w[0] == "upper") text = str::to_upper(text);
      else if (w[0] == "lower") text = str::to_lower(text);
      else if (!text.empty()) text[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(text[0])));
    } else if (w[0] == "len" && w.size() == 2) {
      Json v = arg(w[1]);
      text = std::to_string(v.is_string() ? v.get<std::string>().size() : v.size());
    } else if (w[0] == "join" && w.size() == 3) {
      std::vector<std::string> parts;
      for (auto& x : arg(w[1])) parts.push_back(go_value(x));
      text = str::join(parts, go_value(arg(w[2])));
    } else if (w[0] == "index" && w.size() == 3) {
      Json v = arg(w[1]), k = arg(w[2]);
      if (v.is_object() && k.is_string() && v.contains(k.get<std::string>())) {
        text = go_value(v[k.get<std::string>()]);
      } else if (v.is_array() && k.is_number_integer() && k.get<int64_t>() >= 0 &&
                 static_cast<size_t>(k.get<int64_t>()) < v.size()) {
        text = go_value(v[static_cast<size_t>(k.get<int64_t>())]);
      } else {
        text = "<no value>";
      }
    } else if (w[0] == "println") {
      for (size_t k = 1; k < w.size(); ++k) text += (k > 1 ? " " : "") + go_value(arg(w[k]));
      text += "\n";
    } else {
      text = "<unsupported: " + action + ">";
    }
    out += text;
    i = close + 2;
  }
  return out;
}

// The docker CLI's formatter: "table" (the default columns), "table TEMPLATE", "json" (one
// JSON object a line) or a bare TEMPLATE; `\t` and `\n` written out in the template stand for
// tab and newline. `headers` maps each field to its column title.
void print_formatted(std::string format, const std::string& default_table,
                     const std::vector<Json>& rows, const Json& headers) {
  if (format.empty() || format == "table") format = default_table;
  if (format == "json") format = "{{json .}}";
  bool table = format.starts_with("table");
  if (table) format = format.substr(5);
  format = std::string(str::trim(format));
  std::string cooked;
  for (size_t k = 0; k < format.size(); ++k) {
    if (format[k] == '\\' && k + 1 < format.size() && (format[k + 1] == 't' || format[k + 1] == 'n')) {
      cooked += format[++k] == 't' ? '\t' : '\n';
    } else {
      cooked += format[k];
    }
  }
  if (!table) {
    for (auto& r : rows) std::printf("%s\n", render(cooked, r).c_str());
    return;
  }
  std::vector<std::string> lines;
  lines.push_back(render(cooked, headers));
  for (auto& r : rows) lines.push_back(render(cooked, r));
  tab_print(lines);
}

// Go's time.Time.String() of a unix time in the local zone: "2024-05-01 10:20:30 +0200 CEST",
// with `fraction` (the digits after the second, trailing zeros dropped) when there is one.
std::string go_time(int64_t unix_seconds, std::string fraction) {
  time_t t = static_cast<time_t>(unix_seconds);
  struct tm tm {};
  localtime_r(&t, &tm);
  char day[64], zone[64];
  std::strftime(day, sizeof day, "%Y-%m-%d %H:%M:%S", &tm);
  std::strftime(zone, sizeof zone, " %z %Z", &tm);
  while (!fraction.empty() && fraction.back() == '0') fraction.pop_back();
  return std::string(day) + (fraction.empty() ? "" : "." + fraction) + zone;
}

// go_time() of an RFC 3339 time as the API gives it ("2026-11-30T21:13:15.294052526Z").
std::string go_time(const std::string& rfc3339) {
  double t = parse_rfc3339(rfc3339);
  if (t <= 0) return "";
  std::string fraction;
  auto tpos = rfc3339.find('T');
  auto dot = rfc3339.find('.', tpos == std::string::npos ? 0 : tpos);
  if (tpos != std::string::npos && dot != std::string::npos) {
    for (size_t i = dot + 1; i < rfc3339.size() && std::isdigit(static_cast<unsigned char>(rfc3339[i])); ++i) {
      fraction += rfc3339[i];
    }
  }
  return go_time(static_cast<int64_t>(std::floor(t)), fraction);
}

namespace {

// go-units' HumanDuration, as the docker CLI's CREATED column shows it ("1 second",
// "About a minute", "About an hour", "3 days").
std::string docker_duration(double seconds) {
  auto n = [](double v) { return std::to_string(static_cast<int64_t>(v)); };
  if (seconds < 1) return "Less than a second";
  if (static_cast<int64_t>(seconds) == 1) return "1 second";
  if (seconds < 60) return n(seconds) + " seconds";
  int64_t minutes = static_cast<int64_t>(seconds / 60);
  if (minutes == 1) return "About a minute";
  if (minutes < 60) return std::to_string(minutes) + " minutes";
  int64_t hours = std::llround(seconds / 3600);
  if (hours == 1) return "About an hour";
  if (hours < 48) return std::to_string(hours) + " hours";
  if (hours < 24 * 7 * 2) return std::to_string(hours / 24) + " days";
  if (hours < 24 * 30 * 2) return std::to_string(hours / 24 / 7) + " weeks";
  if (hours < 24 * 365 * 2) return std::to_string(hours / 24 / 30) + " months";
  return n(seconds / 3600 / 24 / 365) + " years";
}

}  // namespace


std::string ago(double unix_seconds) {
  return docker_duration(static_cast<double>(::time(nullptr)) - unix_seconds) + " ago";
}

// sortorder.NaturalLess: digit runs compare as numbers.
bool natural_less(const std::string& a, const std::string& b) {
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    bool da = std::isdigit(static_cast<unsigned char>(a[i])) != 0;
    bool db = std::isdigit(static_cast<unsigned char>(b[j])) != 0;
    if (da && db) {
      size_t ie = i, je = j;
      while (ie < a.size() && std::isdigit(static_cast<unsigned char>(a[ie]))) ++ie;
      while (je < b.size() && std::isdigit(static_cast<unsigned char>(b[je]))) ++je;
      std::string na = a.substr(i, ie - i), nb = b.substr(j, je - j);
      while (na.size() > 1 && na[0] == '0') na.erase(0, 1);
      while (nb.size() > 1 && nb[0] == '0') nb.erase(0, 1);
      if (na.size() != nb.size()) return na.size() < nb.size();
      if (na != nb) return na < nb;
      i = ie;
      j = je;
      continue;
    }
    if (a[i] != b[j]) return a[i] < b[j];
    ++i;
    ++j;
  }
  return a.size() - i < b.size() - j;
}

// Go's time.ParseDuration ("1h30m", "500ms", "2.5s") in nanoseconds.
std::optional<int64_t> parse_duration(const std::string& s) {
  if (s == "0") return 0;
  if (s.empty()) return std::nullopt;
  double total = 0;
  size_t i = 0;
  bool neg = false;
  if (s[0] == '-' || s[0] == '+') {
    neg = s[0] == '-';
    i = 1;
  }
  if (i >= s.size()) return std::nullopt;
  while (i < s.size()) {
    size_t j = i;
    while (j < s.size() && (std::isdigit(static_cast<unsigned char>(s[j])) || s[j] == '.')) ++j;
    if (j == i) return std::nullopt;
    double v = std::strtod(s.substr(i, j - i).c_str(), nullptr);
    size_t k = j;
    while (k < s.size() && !std::isdigit(static_cast<unsigned char>(s[k])) && s[k] != '.') ++k;
    std::string unit = s.substr(j, k - j);
    double mult;
    if (unit == "ns") mult = 1;
    else if (unit == "us" || unit == "µs") mult = 1e3;
    else if (unit == "ms") mult = 1e6;
    else if (unit == "s") mult = 1e9;
    else if (unit == "m") mult = 60e9;
    else if (unit == "h") mult = 3600e9;
    else return std::nullopt;
    total += v * mult;
    i = k;
  }
  return static_cast<int64_t>(neg ? -total : total);
}

// units.RAMInBytes: "512m", "1.5g", "100k", "1024" (binary multipliers).
std::optional<int64_t> parse_ram(const std::string& s) {
  size_t i = 0;
  while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
  if (i == 0) return std::nullopt;
  double v = std::strtod(s.substr(0, i).c_str(), nullptr);
  std::string unit = str::to_lower(str::trim(s.substr(i)));
  if (unit.ends_with("b")) unit.pop_back();
  if (unit.ends_with("i")) unit.pop_back();
  static const std::string kUnits = "kmgtp";
  double mult = 1;
  if (!unit.empty()) {
    auto p = kUnits.find(unit);
    if (unit.size() != 1 || p == std::string::npos) return std::nullopt;
    mult = std::pow(1024.0, static_cast<double>(p + 1));
  }
  return static_cast<int64_t>(v * mult);
}

}  // namespace berth::cli
