#include "cli/client_cli.h"

#include <arpa/inet.h>
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include <CLI/CLI.hpp>

#include "build/dockerignore.h"
#include "cli/client.h"
#include "common/fs.h"
#include "common/json.h"
#include "common/strings.h"
#include "common/time.h"

namespace berth::cli {
namespace {

// ---------------------------------------------------------------------------------------------
// Output helpers: errors as docker prints them, sizes, tables, templates.

// One line for `e`: the daemon's answers as "Error response from daemon: ...", an unreachable
// daemon as "berth: cannot reach ...", anything else as "berth: ...".
void print_error(const Error& e) {
  if (from_daemon(e)) {
    std::fprintf(stderr, "Error response from daemon: %s\n", e.message.c_str());
  } else {
    std::fprintf(stderr, "berth: %s\n", e.message.c_str());
  }
}

int fail(const Error& e) {
  std::fflush(stdout);
  print_error(e);
  return 1;
}

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
// units.HumanSize (4 digits, decimal), HumanSizeWithPrecision(3), BytesSize (binary).
std::string human_size(double b) { return custom_size(b, 1000, 4, false); }
std::string human_size3(double b) { return custom_size(b, 1000, 3, false); }
std::string bytes_size(double b) { return custom_size(b, 1024, 4, true); }

std::string short_id(const std::string& id) {
  std::string s = id.starts_with("sha256:") ? id.substr(7) : id;
  return s.substr(0, 12);
}

// Display width: UTF-8 code points (tabwriter counts runes).
size_t width(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

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
void tab_print(const std::vector<std::string>& lines, size_t minwidth = 10, size_t padding = 3) {
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
std::string go_time(int64_t unix_seconds, std::string fraction = "") {
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

// "K=V" and "K" options into a JSON object {K: V} ("" for a bare K), as --label.
Json kv_object(const std::vector<std::string>& items) {
  Json out = Json::object();
  for (auto& i : items) {
    auto eq = i.find('=');
    out[i.substr(0, eq)] = eq == std::string::npos ? "" : i.substr(eq + 1);
  }
  return out;
}

// docker's filter flags ("key=value") as the API's filters JSON ({"key": {"value": true}}).
std::string filters_json(const std::vector<std::string>& flags) {
  Json out = Json::object();
  for (auto& f : flags) {
    auto eq = f.find('=');
    std::string k(str::trim(f.substr(0, eq)));
    std::string v = eq == std::string::npos ? "" : f.substr(eq + 1);
    out[k][v] = true;
  }
  return dump_json(out);
}

// A one-line-per-item verb (stop, rm, ...): runs `op` for every item (in parallel, as docker
// does), then prints each item (or its error) in order. Returns 1 when any failed.
int for_each(const std::vector<std::string>& items,
             const std::function<Result<void>(const std::string&)>& op) {
  std::vector<Result<void>> results(items.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < items.size(); ++i) {
    threads.emplace_back([&, i] { results[i] = op(items[i]); });
  }
  for (auto& t : threads) t.join();
  int rc = 0;
  for (size_t i = 0; i < items.size(); ++i) {
    if (results[i]) {
      std::printf("%s\n", items[i].c_str());
      std::fflush(stdout);
      continue;
    }
    rc = 1;
    if (unreachable(results[i].error())) return fail(results[i].error());
    print_error(results[i].error());
  }
  return rc;
}

std::string path_escape(const std::string& s) {
  std::string out;
  static const char* kHex = "0123456789ABCDEF";
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == ':') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string cpath(const std::string& ref, const std::string& rest = "") {
  return "/containers/" + path_escape(ref) + rest;
}

// ---------------------------------------------------------------------------------------------
// Streams: attach/exec output, terminals, signals.

// Copies a hijacked stream to stdout/stderr: raw when the container has a TTY, else docker's
// stdcopy frames. Returns when the daemon closes the stream.
void pump_output(Hijacked& h, bool raw) {
  std::fflush(stdout);
  StdDemux demux([](int stream, std::string_view d) {
    write_all(stream == 2 || stream == 3 ? STDERR_FILENO : STDOUT_FILENO, d);
    return true;
  });
  auto take = [&](const char* d, size_t n) {
    if (raw) return write_all(STDOUT_FILENO, std::string_view(d, n));
    return demux.feed(d, n);
  };
  if (!h.pending.empty() && !take(h.pending.data(), h.pending.size())) return;
  char buf[32 * 1024];
  for (;;) {
    ssize_t n = ::read(h.fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    if (!take(buf, static_cast<size_t>(n))) return;
  }
}

// Our stdin into the hijacked connection, then a half-close (the container's stdin ends).
void pump_input(int sock) {
  std::thread([sock] {
    char buf[32 * 1024];
    for (;;) {
      ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      if (!write_all(sock, std::string_view(buf, static_cast<size_t>(n)))) return;
    }
    ::shutdown(sock, SHUT_WR);
  }).detach();
}

// The local terminal in raw mode while an interactive TTY session lasts.
class RawTerminal {
 public:
  RawTerminal() {
    if (::tcgetattr(STDIN_FILENO, &saved_) != 0) return;
    struct termios raw = saved_;
    ::cfmakeraw(&raw);
    active_ = ::tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
  }
  ~RawTerminal() {
    if (active_) ::tcsetattr(STDIN_FILENO, TCSANOW, &saved_);
  }
  RawTerminal(const RawTerminal&) = delete;
  RawTerminal& operator=(const RawTerminal&) = delete;

 private:
  struct termios saved_ {};
  bool active_ = false;
};

// Sends the terminal's size to `path` (/containers/{id}/resize or /exec/{id}/resize).
void resize(const Client& c, const std::string& path) {
  struct winsize ws {};
  if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) != 0 || ws.ws_row == 0) return;
  (void)c.request("POST", path, {{"h", std::to_string(ws.ws_row)}, {"w", std::to_string(ws.ws_col)}});
}

// docker's sig-proxy: signals that reach us are sent to the container; SIGWINCH resizes its
// terminal. Call before starting any other thread (the signals are blocked in all of them).
void proxy_signals(const Client& c, const std::string& id, bool tty) {
  sigset_t set;
  sigemptyset(&set);
  for (int s : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH}) sigaddset(&set, s);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::thread([&c, id, tty, set] {
    for (;;) {
      int sig = 0;
      if (sigwait(&set, &sig) != 0) continue;
      if (sig == SIGWINCH) {
        if (tty) resize(c, cpath(id, "/resize"));
        continue;
      }
      if (tty) continue;  // a TTY session gets ^C as a byte; docker proxies none there
      (void)c.request("POST", cpath(id, "/kill"), {{"signal", std::to_string(sig)}});
    }
  }).detach();
}

// ---------------------------------------------------------------------------------------------
// run / create

struct RunOpts {
  bool detach = false, rm = false, tty = false, interactive = false, publish_all = false;
  bool privileged = false, read_only = false, init = false, no_healthcheck = false;
  std::string name, network, workdir, user, entrypoint, restart = "no", hostname, memory, cpus;
  std::string health_cmd, health_interval, health_timeout, health_start_period, stop_signal;
  std::string pull = "missing", shm_size, ip;
  bool entrypoint_set = false;
  int health_retries = 0, stop_timeout = -1;
  int64_t pids_limit = 0;
  std::vector<std::string> publish, env, env_files, volumes, labels, cap_add, cap_drop, tmpfs,
      add_hosts, dns, aliases, expose, security_opt;
  std::string image;
  std::vector<std::string> cmd;
};

// One -p spec (nat.ParsePortSpec): [ip:][hostPort:]containerPort[/proto], ranges allowed.
struct PortMap {
  std::string port;  // "80/tcp"
  std::string host_ip, host_port;
};

Result<std::pair<uint64_t, uint64_t>> port_range(const std::string& s) {
  auto dash = s.find('-');
  auto a = str::parse_uint(s.substr(0, dash));
  auto b = dash == std::string::npos ? a : str::parse_uint(s.substr(dash + 1));
  if (!a || !b || *a > 65535 || *b > 65535 || *b < *a) {
    return make_error(Errc::kInvalidArgument, "invalid port range " + s);
  }
  return std::make_pair(*a, *b);
}

Result<std::vector<PortMap>> parse_port_spec(const std::string& raw) {
  auto parts = str::split(raw, ':');
  size_t n = parts.size();
  std::string ip, host, container = parts[n - 1];
  if (n == 2) {
    host = parts[0];
  } else if (n == 3) {
    ip = parts[0];
    host = parts[1];
  } else if (n > 3) {
    ip = str::join(std::vector<std::string>(parts.begin(), parts.end() - 2), ":");
    host = parts[n - 2];
  }
  std::string proto = "tcp";
  if (auto slash = container.find('/'); slash != std::string::npos) {
    proto = container.substr(slash + 1);
    container = container.substr(0, slash);
  }
  if (ip.size() >= 2 && ip.front() == '[' && ip.back() == ']') ip = ip.substr(1, ip.size() - 2);
  if (!ip.empty()) {
    unsigned char buf[16];
    if (inet_pton(AF_INET, ip.c_str(), buf) != 1 && inet_pton(AF_INET6, ip.c_str(), buf) != 1) {
      return make_error(Errc::kInvalidArgument, "invalid IP address: " + ip);
    }
  }
  if (container.empty()) return make_error(Errc::kInvalidArgument, "no port specified: " + raw + "<empty>");
  auto cr = port_range(container);
  if (!cr) return make_error(Errc::kInvalidArgument, "invalid containerPort: " + container);
  uint64_t hs = 0, he = 0;
  if (!host.empty()) {
    auto hr = port_range(host);
    if (!hr) return make_error(Errc::kInvalidArgument, "invalid hostPort: " + host);
    hs = hr->first;
    he = hr->second;
    if (cr->second - cr->first != he - hs && cr->second != cr->first) {
      return make_error(Errc::kInvalidArgument, "invalid ranges specified for container and host Ports: " +
                                                    container + " and " + host);
    }
  }
  proto = str::to_lower(proto);
  if (proto != "tcp" && proto != "udp" && proto != "sctp") {
    return make_error(Errc::kInvalidArgument, "invalid proto: " + proto);
  }
  std::vector<PortMap> out;
  for (uint64_t i = 0; i <= cr->second - cr->first; ++i) {
    PortMap m;
    m.port = std::to_string(cr->first + i) + "/" + proto;
    m.host_ip = ip;
    if (!host.empty()) {
      m.host_port = std::to_string(hs + i);
      // One container port and a host range: the daemon picks a free port in the range.
      if (cr->first == cr->second && hs != he) m.host_port = std::to_string(hs) + "-" + std::to_string(he);
    }
    out.push_back(m);
  }
  return out;
}

// --env-file: K=V lines; blank lines and #comments skipped; a bare K takes our environment's.
Result<std::vector<std::string>> read_env_file(const std::string& path) {
  BERTH_ASSIGN_OR_RETURN(std::string text, fs::read_file(path));
  std::vector<std::string> out;
  for (auto& raw : str::split(text, '\n')) {
    std::string line(str::trim(raw));
    if (line.empty() || line[0] == '#') continue;
    if (line.find('=') == std::string::npos) {
      if (const char* v = std::getenv(line.c_str())) out.push_back(line + "=" + v);
      continue;
    }
    out.push_back(line);
  }
  return out;
}

std::string env_item(const std::string& e) {
  if (e.find('=') != std::string::npos) return e;
  if (const char* v = std::getenv(e.c_str())) return e + "=" + v;
  return e;
}

// The POST /containers/create body of `docker run`'s flags.
Result<Json> run_config(const RunOpts& o) {
  Json cfg = Json::object();
  Json host = Json::object();
  cfg["Image"] = o.image;
  if (!o.hostname.empty()) cfg["Hostname"] = o.hostname;
  cfg["User"] = o.user;
  bool attach = !o.detach;
  cfg["AttachStdin"] = o.interactive && attach;
  cfg["AttachStdout"] = attach;
  cfg["AttachStderr"] = attach;
  cfg["Tty"] = o.tty;
  cfg["OpenStdin"] = o.interactive;
  cfg["StdinOnce"] = o.interactive && attach;
  Json env = Json::array();
  for (auto& f : o.env_files) {
    BERTH_ASSIGN_OR_RETURN(auto lines, read_env_file(f));
    for (auto& l : lines) env.push_back(l);
  }
  for (auto& e : o.env) env.push_back(env_item(e));
  cfg["Env"] = env;
  if (!o.cmd.empty()) cfg["Cmd"] = o.cmd;
  if (o.entrypoint_set) cfg["Entrypoint"] = Json::array({o.entrypoint});
  cfg["WorkingDir"] = o.workdir;
  cfg["Labels"] = kv_object(o.labels);
  if (!o.stop_signal.empty()) cfg["StopSignal"] = o.stop_signal;
  if (o.stop_timeout >= 0) cfg["StopTimeout"] = o.stop_timeout;
  // Ports: -p into PortBindings and ExposedPorts, --expose into ExposedPorts.
  Json exposed = Json::object(), bindings = Json::object();
  for (auto& e : o.expose) {
    std::string p = e.find('/') == std::string::npos ? e + "/tcp" : e;
    auto slash = p.find('/');
    auto r = port_range(p.substr(0, slash));
    if (!r) return make_error(Errc::kInvalidArgument, "invalid range format for --expose: " + e);
    for (uint64_t k = r->first; k <= r->second; ++k) exposed[std::to_string(k) + p.substr(slash)] = Json::object();
  }
  for (auto& spec : o.publish) {
    BERTH_ASSIGN_OR_RETURN(auto maps, parse_port_spec(spec));
    for (auto& m : maps) {
      exposed[m.port] = Json::object();
      if (!bindings.contains(m.port)) bindings[m.port] = Json::array();
      bindings[m.port].push_back({{"HostIp", m.host_ip}, {"HostPort", m.host_port}});
    }
  }
  if (!exposed.empty()) cfg["ExposedPorts"] = exposed;
  host["PortBindings"] = bindings;
  host["PublishAllPorts"] = o.publish_all;
  // Volumes: SRC:DST[:OPTS] are binds (relative sources made absolute), a bare path is an
  // anonymous volume.
  Json binds = Json::array(), vols = Json::object();
  for (auto& v : o.volumes) {
    auto parts = str::split(v, ':');
    if (parts.size() == 1) {
      vols[v] = Json::object();
      continue;
    }
    if (parts[0].starts_with(".")) parts[0] = fs::absolute(parts[0]);
    if (parts[0].empty() || parts[1].empty()) {
      return make_error(Errc::kInvalidArgument, "invalid spec: " + v + ": empty section between colons");
    }
    binds.push_back(str::join(parts, ":"));
  }
  if (!vols.empty()) cfg["Volumes"] = vols;
  host["Binds"] = binds;
  if (o.no_healthcheck) {
    cfg["Healthcheck"] = {{"Test", Json::array({"NONE"})}};
  } else if (!o.health_cmd.empty() || !o.health_interval.empty() || !o.health_timeout.empty() ||
             !o.health_start_period.empty() || o.health_retries != 0) {
    Json hc = Json::object();
    if (!o.health_cmd.empty()) hc["Test"] = Json::array({"CMD-SHELL", o.health_cmd});
    for (auto [flag, key, value] : {std::tuple{"--health-interval", "Interval", &o.health_interval},
                                    std::tuple{"--health-timeout", "Timeout", &o.health_timeout},
                                    std::tuple{"--health-start-period", "StartPeriod", &o.health_start_period}}) {
      if (value->empty()) continue;
      auto d = parse_duration(*value);
      if (!d || *d < 0) return make_error(Errc::kInvalidArgument, std::string("invalid argument \"") + *value + "\" for \"" + flag + "\" flag: time: invalid duration \"" + *value + "\"");
      hc[key] = *d;
    }
    if (o.health_retries < 0) return make_error(Errc::kInvalidArgument, "--health-retries cannot be negative");
    if (o.health_retries) hc["Retries"] = o.health_retries;
    cfg["Healthcheck"] = hc;
  }
  // Restart policy: no | always | unless-stopped | on-failure[:N].
  if (!o.restart.empty()) {
    auto colon = o.restart.find(':');
    std::string pname = o.restart.substr(0, colon);
    int64_t count = 0;
    if (colon != std::string::npos) {
      auto n = str::parse_int(o.restart.substr(colon + 1));
      if (!n || pname != "on-failure") {
        return make_error(Errc::kInvalidArgument, "invalid restart policy format: " + o.restart);
      }
      count = *n;
    }
    if (pname != "no" && pname != "always" && pname != "unless-stopped" && pname != "on-failure") {
      return make_error(Errc::kInvalidArgument, "invalid restart policy format: " + o.restart);
    }
    if (o.rm && pname != "no") {
      return make_error(Errc::kInvalidArgument, "Conflicting options: --restart and --rm");
    }
    host["RestartPolicy"] = {{"Name", pname}, {"MaximumRetryCount", count}};
  }
  host["AutoRemove"] = o.rm;
  host["NetworkMode"] = o.network.empty() ? "default" : o.network;
  if (o.privileged) host["Privileged"] = true;
  if (o.read_only) host["ReadonlyRootfs"] = true;
  if (o.init) host["Init"] = true;
  if (!o.cap_add.empty()) host["CapAdd"] = o.cap_add;
  if (!o.cap_drop.empty()) host["CapDrop"] = o.cap_drop;
  if (!o.dns.empty()) host["Dns"] = o.dns;
  if (!o.add_hosts.empty()) host["ExtraHosts"] = o.add_hosts;
  if (!o.security_opt.empty()) host["SecurityOpt"] = o.security_opt;
  if (!o.tmpfs.empty()) {
    Json t = Json::object();
    for (auto& x : o.tmpfs) {
      auto colon = x.find(':');
      t[x.substr(0, colon)] = colon == std::string::npos ? "" : x.substr(colon + 1);
    }
    host["Tmpfs"] = t;
  }
  if (!o.memory.empty()) {
    auto m = parse_ram(o.memory);
    if (!m) return make_error(Errc::kInvalidArgument, "invalid argument \"" + o.memory + "\" for \"-m, --memory\" flag: invalid size: '" + o.memory + "'");
    host["Memory"] = *m;
  }
  if (!o.shm_size.empty()) {
    auto m = parse_ram(o.shm_size);
    if (!m) return make_error(Errc::kInvalidArgument, "invalid size: '" + o.shm_size + "'");
    host["ShmSize"] = *m;
  }
  if (!o.cpus.empty()) {
    char* end = nullptr;
    double c = std::strtod(o.cpus.c_str(), &end);
    if (!end || *end || c < 0) return make_error(Errc::kInvalidArgument, "invalid argument \"" + o.cpus + "\" for \"--cpus\" flag");
    host["NanoCpus"] = static_cast<int64_t>(std::llround(c * 1e9));
  }
  if (o.pids_limit != 0) host["PidsLimit"] = o.pids_limit;
  cfg["HostConfig"] = host;
  if (!o.aliases.empty() || !o.ip.empty()) {
    std::string net = o.network.empty() || o.network == "default" ? "bridge" : o.network;
    Json ep = Json::object();
    if (!o.aliases.empty()) ep["Aliases"] = o.aliases;
    if (!o.ip.empty()) ep["IPAMConfig"] = {{"IPv4Address", o.ip}};
    cfg["NetworkingConfig"] = {{"EndpointsConfig", {{net, ep}}}};
  }
  return cfg;
}

// docker's name for an image reference in "Unable to find image": ":latest" when untagged.
std::string with_tag(const std::string& ref) {
  auto slash = ref.rfind('/');
  std::string last = slash == std::string::npos ? ref : ref.substr(slash + 1);
  if (last.find(':') != std::string::npos || ref.find('@') != std::string::npos) return ref;
  return ref + ":latest";
}

// docker run's exit status for a failed start (runStartContainerErr).
int start_error_status(const std::string& msg) {
  if (msg.find("executable file not found") != std::string::npos ||
      msg.find("no such file or directory") != std::string::npos) {
    return 127;
  }
  if (msg.find("permission denied") != std::string::npos ||
      msg.find("is a directory") != std::string::npos) {
    return 126;
  }
  return 125;
}

// POST /containers/create; a missing image as docker's run says it (berth run does not pull).
Result<std::string> create_container(const Client& c, const RunOpts& o, int* status) {
  *status = 125;
  auto cfg = run_config(o);
  if (!cfg) return tl::unexpected(cfg.error());
  Query q;
  if (!o.name.empty()) q.push_back({"name", o.name});
  auto r = c.call_json("POST", "/containers/create", q, *cfg);
  if (!r) {
    if (from_daemon(r.error()) && r.error().code == Errc::kNotFound &&
        r.error().message.starts_with("No such image")) {
      std::fprintf(stderr, "Unable to find image '%s' locally\n", with_tag(o.image).c_str());
      return make_error(Errc::kNotFound, "pull it first with: berth pull " + o.image);
    }
    return tl::unexpected(r.error());
  }
  for (auto& w : r->value("Warnings", Json::array())) {
    if (w.is_string()) std::fprintf(stderr, "WARNING: %s\n", w.get<std::string>().c_str());
  }
  return r->value("Id", "");
}

int run_fail(const Error& e, int status = 125) {
  std::fflush(stdout);
  if (from_daemon(e)) {
    std::fprintf(stderr, "berth: Error response from daemon: %s\n", e.message.c_str());
  } else {
    std::fprintf(stderr, "berth: %s\n", e.message.c_str());
  }
  return unreachable(e) ? 1 : status;
}

int cmd_create(const Client& c, RunOpts& o) {
  o.detach = true;
  int status = 125;
  auto id = create_container(c, o, &status);
  if (!id) return run_fail(id.error(), status);
  std::printf("%s\n", id->c_str());
  return 0;
}

// A request that waits for the container's exit (POST /containers/{id}/wait), sent before the
// start so that no exit is missed: the status once the container has exited (or been removed).
class ExitWaiter {
 public:
  ExitWaiter(const Client& c, const std::string& id, const std::string& condition) {
    thread_ = std::thread([this, &c, id, condition] {
      Client::Stream s;
      s.on_head = [this](int, const std::string&) { signal_head(); };
      s.on_data = [this](const char* d, size_t n) {
        body_.append(d, n);
        return true;
      };
      auto r = c.stream("POST", cpath(id, "/wait"), {{"condition", condition}}, "", {}, s);
      if (!r) error_ = r.error();
      signal_head();
    });
  }
  ~ExitWaiter() {
    if (thread_.joinable()) thread_.join();
  }
  ExitWaiter(const ExitWaiter&) = delete;
  ExitWaiter& operator=(const ExitWaiter&) = delete;

  // Until the daemon has the request (its answer's header is in).
  void wait_registered() {
    std::unique_lock<std::mutex> l(mu_);
    cv_.wait_for(l, std::chrono::seconds(10), [&] { return head_; });
  }
  Result<int> status() {
    if (thread_.joinable()) thread_.join();
    if (error_) return tl::unexpected(*error_);
    auto j = parse_json(body_, "wait");
    if (!j || !j->is_object()) return make_error(Errc::kInternal, "bad answer to wait: " + body_);
    if (auto e = j->find("Error"); e != j->end() && e->is_object() && e->contains("Message") &&
                                   !(*e)["Message"].get<std::string>().empty()) {
      return make_error(Errc::kInternal, (*e)["Message"].get<std::string>());
    }
    return static_cast<int>(j->value("StatusCode", 0));
  }

 private:
  void signal_head() {
    std::lock_guard<std::mutex> l(mu_);
    head_ = true;
    cv_.notify_all();
  }
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool head_ = false;
  std::string body_;
  std::optional<Error> error_;
};

int cmd_run(const Client& c, RunOpts& o) {
  int status = 125;
  auto id = create_container(c, o, &status);
  if (!id) return run_fail(id.error(), status);
  if (o.detach) {
    auto s = c.call("POST", cpath(*id, "/start"));
    if (!s) {
      if (o.rm) (void)c.request("DELETE", cpath(*id), {{"force", "1"}});
      return run_fail(s.error(), start_error_status(s.error().message));
    }
    std::printf("%s\n", id->c_str());
    return 0;
  }
  // Foreground: attach first, register the wait, start; the output until the stream ends;
  // the exit code from the wait (docker's runContainer).
  proxy_signals(c, *id, o.tty);
  Query aq = {{"stream", "1"}, {"stdout", "1"}, {"stderr", "1"}};
  if (o.interactive) aq.push_back({"stdin", "1"});
  auto h = c.hijack(cpath(*id, "/attach"), aq, Json());
  if (!h) {
    if (o.rm) (void)c.request("DELETE", cpath(*id), {{"force", "1"}});
    return run_fail(h.error());
  }
  ExitWaiter waiter(c, *id, o.rm ? "removed" : "next-exit");
  waiter.wait_registered();
  std::optional<RawTerminal> raw;
  if (o.tty && o.interactive && ::isatty(STDIN_FILENO)) raw.emplace();
  auto s = c.call("POST", cpath(*id, "/start"));
  if (!s) {
    raw.reset();
    ::shutdown(h->fd.get(), SHUT_RDWR);
    if (o.rm) (void)c.request("DELETE", cpath(*id), {{"force", "1"}});
    (void)waiter.status();
    return run_fail(s.error(), start_error_status(s.error().message));
  }
  if (o.tty && ::isatty(STDOUT_FILENO)) resize(c, cpath(*id, "/resize"));
  if (o.interactive) pump_input(h->fd.get());
  pump_output(*h, o.tty || h->content_type == "application/vnd.docker.raw-stream");
  auto code = waiter.status();
  raw.reset();
  if (!code) return run_fail(code.error());
  return *code;
}

// ---------------------------------------------------------------------------------------------
// ps, logs, exec, container inspect, port, top, stats, wait

// docker's DisplayablePorts: "0.0.0.0:8080->80/tcp, 443/tcp", contiguous ports grouped.
std::string displayable_ports(Json ports) {
  if (!ports.is_array()) return "";
  std::vector<Json> list(ports.begin(), ports.end());
  std::stable_sort(list.begin(), list.end(), [](const Json& a, const Json& b) {
    return a.value("PrivatePort", 0) < b.value("PrivatePort", 0);
  });
  struct Group {
    int first, last;
  };
  std::map<std::string, Group> groups;
  std::vector<std::string> keys, result, host_maps;
  auto form = [](const std::string& key, int first, int last) {
    auto slash = key.rfind('/');
    std::string type = key, ip;
    if (slash != std::string::npos) {
      ip = key.substr(0, slash);
      type = key.substr(slash + 1);
    }
    std::string g = std::to_string(first);
    if (first != last) g += "-" + std::to_string(last);
    if (!ip.empty()) g = (ip.find(':') != std::string::npos ? "[" + ip + "]" : ip) + ":" + g + "->" + g;
    return g + "/" + type;
  };
  for (auto& p : list) {
    int cur = p.value("PrivatePort", 0);
    std::string type = p.value("Type", "tcp");
    std::string ip = p.value("IP", "");
    std::string key = type;
    if (!ip.empty()) {
      int pub = p.value("PublicPort", 0);
      if (pub != cur) {
        std::string addr = (ip.find(':') != std::string::npos ? "[" + ip + "]" : ip) + ":" + std::to_string(pub);
        host_maps.push_back(addr + "->" + std::to_string(cur) + "/" + type);
        continue;
      }
      key = ip + "/" + type;
    }
    auto it = groups.find(key);
    if (it == groups.end()) {
      groups[key] = {cur, cur};
      keys.push_back(key);
      continue;
    }
    if (cur == it->second.last + 1) {
      it->second.last = cur;
      continue;
    }
    result.push_back(form(key, it->second.first, it->second.last));
    it->second = {cur, cur};
  }
  for (auto& k : keys) result.push_back(form(k, groups[k].first, groups[k].last));
  result.insert(result.end(), host_maps.begin(), host_maps.end());
  return str::join(result, ", ");
}

struct PsOpts {
  bool all = false, quiet = false, no_trunc = false, latest = false, size = false;
  int last = -1;
  std::string format;
  std::vector<std::string> filters;
};

Json ps_row(const Json& c, bool trunc) {
  std::string id = c.value("Id", "");
  std::string command = c.value("Command", "");
  if (trunc) command = ellipsis(command, 20);
  std::vector<std::string> names;
  for (auto& n : c.value("Names", Json::array())) {
    std::string s = n.get<std::string>();
    if (s.starts_with("/")) s = s.substr(1);
    if (trunc && s.find('/') != std::string::npos) continue;  // links
    names.push_back(s);
  }
  std::string image = c.value("Image", "");
  if (trunc) {
    if (image.starts_with("sha256:")) image = short_id(image);
    else if (auto at = image.find('@'); at != std::string::npos) image = image.substr(0, at);
  }
  std::vector<std::string> labels, networks, mounts;
  Json label_map = c.value("Labels", Json::object());
  for (auto& [k, v] : label_map.items()) {
    labels.push_back(k + "=" + (v.is_string() ? v.get<std::string>() : ""));
  }
  Json nets = c.value("NetworkSettings", Json::object()).value("Networks", Json::object());
  if (nets.is_object()) {
    for (auto& [k, v] : nets.items()) networks.push_back(k);
  }
  int local = 0;
  for (auto& m : c.value("Mounts", Json::array())) {
    std::string n = m.value("Name", "");
    if (n.empty()) n = m.value("Source", "");
    mounts.push_back(trunc ? ellipsis(n, 15) : n);
    if (m.value("Driver", "") == "local") ++local;
  }
  int64_t created = c.value("Created", int64_t{0});
  std::string quoted = dump_json(Json(command));
  return {{"ID", trunc ? short_id(id) : id},
          {"Image", image},
          {"Command", quoted},
          {"CreatedAt", go_time(created)},
          {"RunningFor", ago(static_cast<double>(created))},
          {"Ports", displayable_ports(c.value("Ports", Json::array()))},
          {"State", c.value("State", "")},
          {"Status", c.value("Status", "")},
          {"Size", "0B"},
          {"Names", str::join(names, ",")},
          {"Labels", str::join(labels, ",")},
          {"Mounts", str::join(mounts, ",")},
          {"Networks", str::join(networks, ",")},
          {"LocalVolumes", std::to_string(local)},
          {"Platform", nullptr}};
}

int cmd_ps(const Client& c, const PsOpts& o) {
  Query q;
  if (o.all || o.latest || o.last > 0) q.push_back({"all", "1"});
  if (o.latest) q.push_back({"limit", "1"});
  else if (o.last > 0) q.push_back({"limit", std::to_string(o.last)});
  if (!o.filters.empty()) q.push_back({"filters", filters_json(o.filters)});
  auto list = c.call_json("GET", "/containers/json", q);
  if (!list) return fail(list.error());
  std::vector<Json> rows;
  for (auto& x : *list) rows.push_back(ps_row(x, !o.no_trunc));
  if (o.quiet && (o.format.empty() || o.format == "table")) {
    for (auto& r : rows) std::printf("%s\n", r["ID"].get<std::string>().c_str());
    return 0;
  }
  Json headers = {{"ID", "CONTAINER ID"}, {"Image", "IMAGE"}, {"Command", "COMMAND"},
                  {"CreatedAt", "CREATED AT"}, {"RunningFor", "CREATED"}, {"Ports", "PORTS"},
                  {"State", "STATE"}, {"Status", "STATUS"}, {"Size", "SIZE"}, {"Names", "NAMES"},
                  {"Labels", "LABELS"}, {"Mounts", "MOUNTS"}, {"Networks", "NETWORKS"},
                  {"LocalVolumes", "LOCAL VOLUMES"}};
  print_formatted(o.format,
                  "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}",
                  rows, headers);
  return 0;
}

struct LogsOpts {
  bool follow = false, timestamps = false, details = false;
  std::string tail = "all", since, until;
};

// --since/--until: a Go duration before now, an RFC 3339 time or unix seconds.
std::string log_time(const std::string& v) {
  if (v.empty()) return v;
  if (auto d = parse_duration(v); d && *d != 0 && !str::parse_int(v)) {
    return std::to_string(static_cast<int64_t>(::time(nullptr)) - *d / 1000000000);
  }
  return v;
}

int cmd_logs(const Client& c, const std::string& ref, const LogsOpts& o) {
  auto info = c.call_json("GET", cpath(ref, "/json"));
  if (!info) return fail(info.error());
  bool tty = info->value("Config", Json::object()).value("Tty", false);
  Query q = {{"stdout", "1"}, {"stderr", "1"}, {"tail", o.tail}};
  if (o.follow) q.push_back({"follow", "1"});
  if (o.timestamps) q.push_back({"timestamps", "1"});
  if (!o.since.empty()) q.push_back({"since", log_time(o.since)});
  if (!o.until.empty()) q.push_back({"until", log_time(o.until)});
  StdDemux demux([](int stream, std::string_view d) {
    return write_all(stream == 2 ? STDERR_FILENO : STDOUT_FILENO, d);
  });
  Client::Stream s;
  bool raw = tty;
  s.on_head = [&](int, const std::string& type) {
    raw = tty || type == "application/vnd.docker.raw-stream";
  };
  s.on_data = [&](const char* d, size_t n) {
    return raw ? write_all(STDOUT_FILENO, std::string_view(d, n)) : demux.feed(d, n);
  };
  auto r = c.stream("GET", cpath(ref, "/logs"), q, "", {}, s);
  if (!r) return fail(r.error());
  return 0;
}

struct ExecOpts {
  bool detach = false, tty = false, interactive = false, privileged = false;
  std::string user, workdir;
  std::vector<std::string> env, env_files;
  std::string container;
  std::vector<std::string> cmd;
};

int cmd_exec(const Client& c, const ExecOpts& o) {
  Json env = Json::array();
  for (auto& f : o.env_files) {
    auto lines = read_env_file(f);
    if (!lines) return fail(lines.error());
    for (auto& l : *lines) env.push_back(l);
  }
  for (auto& e : o.env) env.push_back(env_item(e));
  Json cfg = {{"User", o.user},
              {"Privileged", o.privileged},
              {"Tty", o.tty},
              {"AttachStdin", o.interactive && !o.detach},
              {"AttachStdout", !o.detach},
              {"AttachStderr", !o.detach},
              {"Detach", o.detach},
              {"DetachKeys", ""},
              {"Env", env},
              {"WorkingDir", o.workdir},
              {"Cmd", o.cmd}};
  auto created = c.call_json("POST", cpath(o.container, "/exec"), {}, cfg);
  if (!created) return fail(created.error());
  std::string id = created->value("Id", "");
  std::string start = "/exec/" + id + "/start";
  if (o.detach) {
    auto s = c.call("POST", start, {}, dump_json(Json{{"Detach", true}, {"Tty", o.tty}}));
    return s ? 0 : fail(s.error());
  }
  auto h = c.hijack(start, {}, Json{{"Detach", false}, {"Tty", o.tty}});
  if (!h) return fail(h.error());
  std::optional<RawTerminal> raw;
  if (o.tty && o.interactive && ::isatty(STDIN_FILENO)) raw.emplace();
  if (o.tty && ::isatty(STDOUT_FILENO)) resize(c, "/exec/" + id + "/resize");
  if (o.interactive) pump_input(h->fd.get());
  pump_output(*h, h->content_type == "application/vnd.docker.raw-stream");
  raw.reset();
  // The exit code, once the daemon has it.
  for (int i = 0; i < 100; ++i) {
    auto st = c.call_json("GET", "/exec/" + id + "/json");
    if (!st) return fail(st.error());
    if (!st->value("Running", false) && (*st)["ExitCode"].is_number()) {
      return (*st)["ExitCode"].get<int>();
    }
    ::usleep(10000);
  }
  return 0;
}

int cmd_inspect(const Client& c, const std::vector<std::string>& refs, const std::string& format,
                const std::string& kind) {
  Json out = Json::array();
  std::vector<Error> errors;
  for (auto& r : refs) {
    std::string path = kind == "container" ? cpath(r, "/json")
                       : kind == "network" ? "/networks/" + path_escape(r)
                                           : "/volumes/" + path_escape(r);
    auto j = c.call_json("GET", path);
    if (!j) {
      if (unreachable(j.error())) return fail(j.error());
      errors.push_back(j.error());
      continue;
    }
    out.push_back(*j);
  }
  if (!format.empty()) {
    for (auto& j : out) std::printf("%s\n", render(format, j).c_str());
  } else {
    std::printf("%s\n", dump_json(out, 4).c_str());
  }
  std::fflush(stdout);
  for (auto& e : errors) print_error(e);
  return errors.empty() ? 0 : 1;
}

int cmd_port(const Client& c, const std::string& ref, const std::string& want) {
  auto info = c.call_json("GET", cpath(ref, "/json"));
  if (!info) return fail(info.error());
  Json ports = info->value("NetworkSettings", Json::object()).value("Ports", Json::object());
  if (!ports.is_object()) ports = Json::object();
  auto join_host = [](const Json& f) {
    std::string ip = f.value("HostIp", "");
    std::string port = f.value("HostPort", "");
    return (ip.find(':') != std::string::npos ? "[" + ip + "]" : ip) + ":" + port;
  };
  std::vector<std::string> out;
  if (!want.empty()) {
    std::string key = want.find('/') == std::string::npos ? want + "/tcp" : want;
    auto it = ports.find(key);
    if (it == ports.end() || !it->is_array()) {
      std::fprintf(stderr, "Error: No public port '%s' published for %s\n", want.c_str(), ref.c_str());
      return 1;
    }
    for (auto& f : *it) out.push_back(join_host(f));
  } else {
    for (auto& [from, fronts] : ports.items()) {
      if (!fronts.is_array()) continue;
      for (auto& f : fronts) out.push_back(from + " -> " + join_host(f));
    }
  }
  std::sort(out.begin(), out.end(), natural_less);
  for (auto& l : out) std::printf("%s\n", l.c_str());
  return 0;
}

int cmd_top(const Client& c, const std::string& ref, const std::vector<std::string>& ps_args) {
  Query q;
  if (!ps_args.empty()) q.push_back({"ps_args", str::join(ps_args, " ")});
  auto t = c.call_json("GET", cpath(ref, "/top"), q);
  if (!t) return fail(t.error());
  std::vector<std::string> lines;
  std::vector<std::string> titles = string_array(t->value("Titles", Json::array()));
  lines.push_back(str::join(titles, "\t"));
  for (auto& p : t->value("Processes", Json::array())) lines.push_back(str::join(string_array(p), "\t"));
  tab_print(lines, 20, 3);
  return 0;
}

// One row of docker stats, computed as the docker CLI computes it from the stats JSON.
Json stats_row(const std::string& arg, const Json& s) {
  auto u = [](const Json& j, const char* k) -> double {
    auto it = j.find(k);
    return it != j.end() && it->is_number() ? it->get<double>() : 0;
  };
  Json cpu = s.value("cpu_stats", Json::object()), pre = s.value("precpu_stats", Json::object());
  double cpu_delta = u(cpu.value("cpu_usage", Json::object()), "total_usage") -
                     u(pre.value("cpu_usage", Json::object()), "total_usage");
  double sys_delta = u(cpu, "system_cpu_usage") - u(pre, "system_cpu_usage");
  double online = u(cpu, "online_cpus");
  if (online == 0) online = static_cast<double>(cpu.value("cpu_usage", Json::object()).value("percpu_usage", Json::array()).size());
  double cpu_pct = sys_delta > 0 && cpu_delta > 0 ? cpu_delta / sys_delta * online * 100.0 : 0;
  Json mem = s.value("memory_stats", Json::object());
  Json mstats = mem.value("stats", Json::object());
  double usage = u(mem, "usage"), limit = u(mem, "limit");
  if (mstats.contains("total_inactive_file") && u(mstats, "total_inactive_file") < usage) {
    usage -= u(mstats, "total_inactive_file");
  } else if (u(mstats, "inactive_file") < usage) {
    usage -= u(mstats, "inactive_file");
  }
  double mem_pct = limit != 0 ? usage / limit * 100.0 : 0;
  double rx = 0, tx = 0;
  Json nets = s.value("networks", Json::object());
  if (nets.is_object()) {
    for (auto& [k, n] : nets.items()) {
      rx += u(n, "rx_bytes");
      tx += u(n, "tx_bytes");
    }
  }
  double rd = 0, wr = 0;
  Json blk = s.value("blkio_stats", Json::object()).value("io_service_bytes_recursive", Json());
  if (blk.is_array()) {
    for (auto& e : blk) {
      std::string op = e.value("op", "");
      if (op.empty()) continue;
      if (op[0] == 'r' || op[0] == 'R') rd += u(e, "value");
      if (op[0] == 'w' || op[0] == 'W') wr += u(e, "value");
    }
  }
  char cpu_s[32], mem_s[32];
  std::snprintf(cpu_s, sizeof cpu_s, "%.2f%%", cpu_pct);
  std::snprintf(mem_s, sizeof mem_s, "%.2f%%", mem_pct);
  std::string name = s.value("name", "");
  if (name.starts_with("/")) name = name.substr(1);
  int64_t pids = static_cast<int64_t>(u(s.value("pids_stats", Json::object()), "current"));
  return {{"Container", arg},
          {"Name", name},
          {"ID", short_id(s.value("id", arg))},
          {"CPUPerc", cpu_s},
          {"MemUsage", bytes_size(usage) + " / " + bytes_size(limit)},
          {"MemPerc", mem_s},
          {"NetIO", human_size3(rx) + " / " + human_size3(tx)},
          {"BlockIO", human_size3(rd) + " / " + human_size3(wr)},
          {"PIDs", std::to_string(pids)}};
}

int cmd_stats(const Client& c, std::vector<std::string> refs, bool all, bool no_stream,
              bool no_trunc, const std::string& format) {
  bool listed = refs.empty();
  for (;;) {
    std::vector<std::string> ids = refs;
    if (listed) {
      auto list = c.call_json("GET", "/containers/json", all ? Query{{"all", "1"}} : Query{});
      if (!list) return fail(list.error());
      ids.clear();
      for (auto& x : *list) ids.push_back(x.value("Id", ""));
    }
    std::vector<Result<Json>> res(ids.size());
    std::vector<std::thread> threads;
    for (size_t i = 0; i < ids.size(); ++i) {
      threads.emplace_back([&, i] {
        res[i] = c.call_json("GET", cpath(ids[i], "/stats"), {{"stream", "0"}});
      });
    }
    for (auto& t : threads) t.join();
    std::vector<Json> rows;
    int rc = 0;
    for (size_t i = 0; i < ids.size(); ++i) {
      if (!res[i]) {
        if (listed && res[i].error().code == Errc::kNotFound) continue;  // gone meanwhile
        rc = fail(res[i].error());
        if (unreachable(res[i].error())) return rc;
        continue;
      }
      Json row = stats_row(listed ? short_id(ids[i]) : ids[i], *res[i]);
      if (no_trunc) row["ID"] = res[i]->value("id", ids[i]);
      rows.push_back(row);
    }
    if (!no_stream && ::isatty(STDOUT_FILENO)) std::printf("\x1b[2J\x1b[H");
    Json headers = {{"Container", "CONTAINER"}, {"Name", "NAME"}, {"ID", "CONTAINER ID"},
                    {"CPUPerc", "CPU %"}, {"MemUsage", "MEM USAGE / LIMIT"}, {"MemPerc", "MEM %"},
                    {"NetIO", "NET I/O"}, {"BlockIO", "BLOCK I/O"}, {"PIDs", "PIDS"}};
    print_formatted(format,
                    "table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}",
                    rows, headers);
    std::fflush(stdout);
    if (no_stream) return rc;
    if (rc && !listed) return rc;
    std::this_thread::sleep_for(std::chrono::milliseconds(800));
  }
}

// ---------------------------------------------------------------------------------------------
// network, volume

int cmd_network_ls(const Client& c, bool quiet, bool no_trunc, const std::string& format,
                   const std::vector<std::string>& filters) {
  Query q;
  if (!filters.empty()) q.push_back({"filters", filters_json(filters)});
  auto list = c.call_json("GET", "/networks", q);
  if (!list) return fail(list.error());
  std::vector<Json> rows;
  for (auto& n : *list) {
    std::vector<std::string> labels;
    Json label_map = n.value("Labels", Json::object());
    for (auto& [k, v] : label_map.items()) labels.push_back(k + "=" + go_value(v));
    std::string id = n.value("Id", "");
    rows.push_back({{"ID", no_trunc ? id : short_id(id)},
                    {"Name", n.value("Name", "")},
                    {"Driver", n.value("Driver", "")},
                    {"Scope", n.value("Scope", "local")},
                    {"IPv4", "true"},
                    {"IPv6", n.value("EnableIPv6", false) ? "true" : "false"},
                    {"Internal", n.value("Internal", false) ? "true" : "false"},
                    {"Labels", str::join(labels, ",")},
                    {"CreatedAt", go_time(n.value("Created", ""))}});
  }
  std::sort(rows.begin(), rows.end(), [](const Json& a, const Json& b) {
    return natural_less(a["Name"].get<std::string>(), b["Name"].get<std::string>());
  });
  if (quiet) {
    for (auto& r : rows) std::printf("%s\n", r["ID"].get<std::string>().c_str());
    return 0;
  }
  Json headers = {{"ID", "NETWORK ID"}, {"Name", "NAME"}, {"Driver", "DRIVER"}, {"Scope", "SCOPE"},
                  {"IPv4", "IPV4"}, {"IPv6", "IPV6"}, {"Internal", "INTERNAL"}, {"Labels", "LABELS"},
                  {"CreatedAt", "CREATED AT"}};
  print_formatted(format, "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}", rows, headers);
  return 0;
}

struct NetCreateOpts {
  std::string name, driver = "bridge", subnet, gateway, ip_range;
  bool internal = false, attachable = false;
  std::vector<std::string> labels, options;
};

int cmd_network_create(const Client& c, const NetCreateOpts& o) {
  Json body = {{"Name", o.name}, {"Driver", o.driver}, {"Internal", o.internal},
               {"Attachable", o.attachable}, {"CheckDuplicate", true},
               {"Labels", kv_object(o.labels)}, {"Options", kv_object(o.options)}};
  if (!o.subnet.empty() || !o.gateway.empty() || !o.ip_range.empty()) {
    Json cfg = Json::object();
    if (!o.subnet.empty()) cfg["Subnet"] = o.subnet;
    if (!o.gateway.empty()) cfg["Gateway"] = o.gateway;
    if (!o.ip_range.empty()) cfg["IPRange"] = o.ip_range;
    body["IPAM"] = {{"Driver", "default"}, {"Config", Json::array({cfg})}};
  }
  auto r = c.call_json("POST", "/networks/create", {}, body);
  if (!r) return fail(r.error());
  std::printf("%s\n", r->value("Id", "").c_str());
  return 0;
}

int cmd_volume_ls(const Client& c, bool quiet, const std::string& format,
                  const std::vector<std::string>& filters) {
  Query q;
  if (!filters.empty()) q.push_back({"filters", filters_json(filters)});
  auto list = c.call_json("GET", "/volumes", q);
  if (!list) return fail(list.error());
  std::vector<Json> rows;
  for (auto& v : list->value("Volumes", Json::array())) {
    std::vector<std::string> labels;
    Json label_map = v.value("Labels", Json::object());
    for (auto& [k, x] : label_map.items()) labels.push_back(k + "=" + go_value(x));
    rows.push_back({{"Driver", v.value("Driver", "local")},
                    {"Name", v.value("Name", "")},
                    {"Scope", v.value("Scope", "local")},
                    {"Mountpoint", v.value("Mountpoint", "")},
                    {"Labels", str::join(labels, ",")},
                    {"Availability", "N/A"}, {"Group", "N/A"}, {"Links", "N/A"},
                    {"Size", "N/A"}, {"Status", "N/A"}});
  }
  std::sort(rows.begin(), rows.end(), [](const Json& a, const Json& b) {
    return natural_less(a["Name"].get<std::string>(), b["Name"].get<std::string>());
  });
  if (quiet) {
    for (auto& r : rows) std::printf("%s\n", r["Name"].get<std::string>().c_str());
    return 0;
  }
  Json headers = {{"Driver", "DRIVER"}, {"Name", "VOLUME NAME"}, {"Scope", "SCOPE"},
                  {"Mountpoint", "MOUNTPOINT"}, {"Labels", "LABELS"}, {"Availability", "AVAILABILITY"},
                  {"Group", "GROUP"}, {"Links", "LINKS"}, {"Size", "SIZE"}, {"Status", "STATUS"}};
  print_formatted(format, "table {{.Driver}}\t{{.Name}}", rows, headers);
  return 0;
}

// ---------------------------------------------------------------------------------------------
// build

struct BuildOpts {
  std::vector<std::string> tags, build_args, labels;
  std::string file, target, network, iidfile, progress = "auto", context;
  bool no_cache = false, pull = false, quiet = false;
};

// The build context as a tar (PAX, uncompressed), written by a thread into a pipe that the
// upload reads: the files of the context directory that .dockerignore keeps (the Dockerfile
// and .dockerignore always), owned by 0:0 as the docker CLI sends them; plus, for a Dockerfile
// from outside the context, that file under a random name (named in .dockerignore too).
class ContextTar {
 public:
  std::string dir;                        // the context directory (absolute)
  build::IgnoreMatcher matcher;
  std::set<std::string> always;           // relative paths always sent
  std::string extra_name, extra_content;  // a Dockerfile from elsewhere
  bool extra_in_ignore = true;            // and its name appended to .dockerignore

  Result<void> write(int fd) {
    archive_ = archive_write_new();
    archive_write_set_format_pax_restricted(archive_);
    archive_write_add_filter_none(archive_);
    archive_write_set_bytes_in_last_block(archive_, 1);  // no padding after the end marker
    if (archive_write_open_fd(archive_, fd) != ARCHIVE_OK) return lib_error("open");
    auto r = dir.empty() ? Result<void>{} : walk("");
    if (r && !extra_name.empty()) {
      r = add_bytes(extra_name, extra_content, 0600);
      if (r && extra_in_ignore && !ignore_written_) {
        r = add_bytes(".dockerignore", "\n" + extra_name + "\n", 0600);
      }
    }
    if (r && archive_write_close(archive_) != ARCHIVE_OK) r = lib_error("close");
    archive_write_free(archive_);
    archive_ = nullptr;
    return r;
  }

 private:
  Result<void> lib_error(const std::string& what) {
    const char* e = archive_error_string(archive_);
    return make_error(Errc::kInternal, "write the build context (" + what + "): " + (e ? e : "error"));
  }

  bool always_below(const std::string& rel) const {
    for (auto& a : always) {
      if (a.starts_with(rel + "/")) return true;
    }
    return false;
  }

  Result<void> walk(const std::string& rel) {
    std::string host = rel.empty() ? dir : dir + "/" + rel;
    BERTH_ASSIGN_OR_RETURN(auto names, fs::list_dir(host));
    std::sort(names.begin(), names.end());
    for (auto& n : names) {
      std::string child = rel.empty() ? n : rel + "/" + n;
      std::string path = dir + "/" + child;
      struct stat st {};
      if (::lstat(path.c_str(), &st) != 0) return sys_error(errno, "can't stat '" + path + "'");
      bool keep = always.count(child) > 0;
      bool dir_entry = S_ISDIR(st.st_mode);
      if (!keep && matcher.excluded(child)) {
        if (dir_entry && !always_below(child) &&
            (!matcher.has_exceptions() || matcher.can_skip_dir(child))) {
          continue;
        }
        if (dir_entry) BERTH_TRY(walk(child));  // an exception may bring back something inside
        continue;
      }
      BERTH_TRY(add(child, st));
      if (dir_entry) BERTH_TRY(walk(child));
    }
    return {};
  }

  // Parent directories of an entry whose own directory entries were left out (excluded
  // directories holding re-included files).
  Result<void> parents(const std::string& rel) {
    size_t slash = 0;
    while ((slash = rel.find('/', slash)) != std::string::npos) {
      std::string p = rel.substr(0, slash);
      if (!dirs_.count(p)) {
        struct stat st {};
        if (::lstat((dir + "/" + p).c_str(), &st) != 0) return sys_error(errno, "can't stat '" + p + "'");
        BERTH_TRY(add(p, st));
      }
      ++slash;
    }
    return {};
  }

  Result<void> add(const std::string& rel, const struct stat& st) {
    if (S_ISDIR(st.st_mode)) {
      if (dirs_.count(rel)) return {};
      dirs_.insert(rel);
    }
    BERTH_TRY(parents(rel));
    std::string path = dir + "/" + rel;
    if (rel == ".dockerignore" && !extra_name.empty() && S_ISREG(st.st_mode)) {
      BERTH_ASSIGN_OR_RETURN(std::string text, fs::read_file(path));
      ignore_written_ = true;
      return add_bytes(rel, text + "\n" + extra_name + "\n", st.st_mode & 07777);
    }
    if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode)) return {};  // sockets, fifos, devices
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, rel.c_str());
    archive_entry_set_perm(e, st.st_mode & 07777);
    archive_entry_set_mtime(e, st.st_mtim.tv_sec, 0);  // whole seconds, as docker's tar
    archive_entry_set_uid(e, 0);
    archive_entry_set_gid(e, 0);
    UniqueFd fd;
    std::string target;
    if (S_ISDIR(st.st_mode)) {
      archive_entry_set_filetype(e, AE_IFDIR);
    } else if (S_ISLNK(st.st_mode)) {
      archive_entry_set_filetype(e, AE_IFLNK);
      std::string buf(4096, '\0');
      ssize_t n = ::readlink(path.c_str(), buf.data(), buf.size());
      if (n < 0) {
        archive_entry_free(e);
        return sys_error(errno, "can't readlink '" + path + "'");
      }
      buf.resize(static_cast<size_t>(n));
      archive_entry_set_symlink(e, buf.c_str());
    } else {
      archive_entry_set_filetype(e, AE_IFREG);
      auto key = std::make_pair(st.st_dev, st.st_ino);
      if (st.st_nlink > 1 && links_.count(key)) {
        archive_entry_set_hardlink(e, links_[key].c_str());
        archive_entry_set_size(e, 0);
      } else {
        if (st.st_nlink > 1) links_[key] = rel;
        fd.reset(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
        if (!fd) {
          archive_entry_free(e);
          return sys_error(errno, "can't open '" + path + "'");
        }
        archive_entry_set_size(e, st.st_size);
      }
    }
    int rc = archive_write_header(archive_, e);
    archive_entry_free(e);
    if (rc != ARCHIVE_OK) return lib_error(rel);
    if (fd) {
      char buf[64 * 1024];
      int64_t left = st.st_size;
      while (left > 0) {
        ssize_t n = ::read(fd.get(), buf, static_cast<size_t>(std::min<int64_t>(left, sizeof buf)));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return sys_error(errno, "read '" + path + "'");
        if (n == 0) {  // shrank meanwhile: pad with zeros to the size announced
          std::memset(buf, 0, sizeof buf);
          n = static_cast<ssize_t>(std::min<int64_t>(left, sizeof buf));
        }
        if (archive_write_data(archive_, buf, static_cast<size_t>(n)) < 0) return lib_error(rel);
        left -= n;
      }
    }
    return {};
  }

  Result<void> add_bytes(const std::string& name, const std::string& data, mode_t perm) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, name.c_str());
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, perm);
    archive_entry_set_size(e, static_cast<int64_t>(data.size()));
    archive_entry_set_mtime(e, ::time(nullptr), 0);
    int rc = archive_write_header(archive_, e);
    archive_entry_free(e);
    if (rc != ARCHIVE_OK) return lib_error(name);
    if (!data.empty() && archive_write_data(archive_, data.data(), data.size()) < 0) return lib_error(name);
    return {};
  }

  archive* archive_ = nullptr;
  std::set<std::string> dirs_;
  std::map<std::pair<dev_t, ino_t>, std::string> links_;
  bool ignore_written_ = false;
};

// The build's output on a terminal: each "Step N/M : ..." line as a heading, the builder's
// bookkeeping (" ---> ...", "Removing intermediate container") on one line redrawn in place
// beneath it, RUN output dimmed and indented; a step served from the cache is marked so.
class BuildDisplay {
 public:
  explicit BuildDisplay(bool fancy) : fancy_(fancy) {}
  void text(const std::string& t) {
    if (!fancy_) {
      std::fwrite(t.data(), 1, t.size(), stdout);
      std::fflush(stdout);
      return;
    }
    partial_ += t;
    size_t nl;
    while ((nl = partial_.find('\n')) != std::string::npos) {
      line(partial_.substr(0, nl));
      partial_.erase(0, nl + 1);
    }
    std::fflush(stdout);
  }
  void finish() {
    if (!fancy_) return;
    if (!partial_.empty()) line(partial_);
    partial_.clear();
    clear_status();
    std::fflush(stdout);
  }

 private:
  void clear_status() {
    if (status_shown_) std::printf("\r\x1b[2K");
    status_shown_ = false;
  }
  void line(std::string l) {
    if (!l.empty() && l.back() == '\r') l.pop_back();
    if (auto cr = l.rfind('\r'); cr != std::string::npos) l = l.substr(cr + 1);
    if (l.starts_with("Step ")) {
      clear_status();
      step_ = l;
      since_step_ = 0;
      std::printf("\x1b[1m%s\x1b[0m\n", l.c_str());
      return;
    }
    if (l.starts_with(" ---> ") || l.starts_with("Removing intermediate container")) {
      if (l == " ---> Using cache" && since_step_ == 0 && !step_.empty()) {
        clear_status();
        std::printf("\x1b[1A\r\x1b[2K\x1b[1m%s\x1b[0m \x1b[2m(cached)\x1b[0m\n", step_.c_str());
        return;
      }
      clear_status();
      std::printf("\x1b[2m  %s\x1b[0m", std::string(str::trim(l)).c_str());
      status_shown_ = true;
      return;
    }
    clear_status();
    if (l.starts_with("Successfully ")) {
      std::printf("%s\n", l.c_str());
    } else {
      std::printf("\x1b[2m    %s\x1b[0m\n", l.c_str());
      ++since_step_;
    }
  }

  bool fancy_;
  bool status_shown_ = false;
  std::string partial_, step_;
  int since_step_ = 0;
};

int cmd_build(const Client& c, const BuildOpts& o) {
  auto fail_build = [](const std::string& msg) {
    std::fflush(stdout);
    std::fprintf(stderr, "berth: %s\n", msg.c_str());
    return 1;
  };
  if (!o.iidfile.empty() && ::unlink(o.iidfile.c_str()) != 0 && errno != ENOENT) {
    return fail_build("removing the image ID file: " + std::string(std::strerror(errno)));
  }
  if (o.progress != "auto" && o.progress != "plain" && o.progress != "tty" && o.progress != "quiet") {
    return fail_build("invalid --progress value \"" + o.progress + "\": plain, tty or auto");
  }
  Query q;
  for (auto& t : o.tags) q.push_back({"t", t});
  std::string dockerfile_name;
  ContextTar ctx;
  int input_fd = -1;     // a tar from stdin (context "-")
  std::string prefix;    // bytes of stdin already read
  bool stdin_tar = false;
  std::string stdin_dockerfile;
  auto read_stdin = [] {
    std::string s;
    char buf[64 * 1024];
    for (;;) {
      ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      s.append(buf, static_cast<size_t>(n));
    }
    return s;
  };
  if (o.context == "-") {
    // A tar (maybe compressed) is sent as it is; anything else is a Dockerfile alone.
    prefix.resize(512);
    size_t got = 0;
    while (got < prefix.size()) {
      ssize_t n = ::read(STDIN_FILENO, prefix.data() + got, prefix.size() - got);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      got += static_cast<size_t>(n);
    }
    prefix.resize(got);
    auto has = [&](size_t at, std::string_view magic) {
      return prefix.size() >= at + magic.size() && prefix.compare(at, magic.size(), magic) == 0;
    };
    stdin_tar = has(257, "ustar") || has(0, "\x1f\x8b") || has(0, "BZh") ||
                has(0, "\xfd" "7zXZ") || has(0, "\x28\xb5\x2f\xfd");
    if (stdin_tar) {
      input_fd = STDIN_FILENO;
      if (!o.file.empty()) dockerfile_name = o.file;
    } else {
      stdin_dockerfile = prefix + read_stdin();
      prefix.clear();
      dockerfile_name = "Dockerfile";
    }
  } else {
    if (o.context.find("://") != std::string::npos || o.context.starts_with("git@")) {
      return fail_build("unable to prepare context: remote build contexts are not supported: " + o.context);
    }
    std::string dir = fs::absolute(o.context);
    if (!fs::is_dir(dir)) return fail_build("unable to prepare context: path \"" + o.context + "\" not found");
    ctx.dir = fs::clean_path(dir);
    std::string df_host;
    if (o.file == "-") {
      ctx.extra_content = read_stdin();
    } else if (!o.file.empty()) {
      df_host = fs::clean_path(fs::absolute(o.file));  // -f is relative to the current directory
    } else {
      df_host = ctx.dir + "/Dockerfile";
      if (!fs::exists(df_host) && fs::exists(ctx.dir + "/dockerfile")) df_host = ctx.dir + "/dockerfile";
    }
    if (!df_host.empty()) {
      struct stat st {};
      if (::stat(df_host.c_str(), &st) != 0) {
        return fail_build("unable to prepare context: unable to evaluate symlinks in Dockerfile path: lstat " +
                          df_host + ": " + std::strerror(errno));
      }
      if (df_host.starts_with(ctx.dir + "/")) {
        dockerfile_name = df_host.substr(ctx.dir.size() + 1);
      } else {
        auto text = fs::read_file(df_host);
        if (!text) return fail_build(text.error().message);
        ctx.extra_content = *text;
      }
    }
    if (!dockerfile_name.empty()) ctx.always.insert(dockerfile_name);
    ctx.always.insert(".dockerignore");
    if (dockerfile_name.empty()) {
      ctx.extra_name = ".dockerfile." + str::random_hex(10);
      dockerfile_name = ctx.extra_name;
    }
    auto m = build::load_ignore_matcher(ctx.dir, df_host.empty() ? ctx.dir + "/Dockerfile" : df_host);
    if (!m) return fail_build("error checking context: " + m.error().message);
    ctx.matcher = std::move(*m);
  }
  if (!dockerfile_name.empty()) q.push_back({"dockerfile", dockerfile_name});
  Json args = Json::object();
  for (auto& a : o.build_args) {
    auto eq = a.find('=');
    if (eq != std::string::npos) {
      args[a.substr(0, eq)] = a.substr(eq + 1);
    } else if (const char* v = std::getenv(a.c_str())) {
      args[a] = v;
    } else {
      args[a] = nullptr;
    }
  }
  q.push_back({"buildargs", dump_json(args)});
  q.push_back({"labels", dump_json(kv_object(o.labels))});
  if (!o.target.empty()) q.push_back({"target", o.target});
  if (o.no_cache) q.push_back({"nocache", "1"});
  if (o.pull) q.push_back({"pull", "1"});
  if (!o.network.empty()) q.push_back({"networkmode", o.network});
  if (o.quiet) q.push_back({"q", "1"});
  q.push_back({"rm", "1"});

  // The context goes up through a pipe, written by its own thread.
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) return fail_build(std::string("pipe: ") + std::strerror(errno));
  UniqueFd rd(p[0]), wr(p[1]);
  Result<void> produced;
  std::thread producer;
  if (stdin_tar) {
    producer = std::thread([&, w = wr.release()] {
      UniqueFd out(w);
      if (!write_all(out.get(), prefix)) return;
      char buf[64 * 1024];
      for (;;) {
        ssize_t n = ::read(input_fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        if (!write_all(out.get(), std::string_view(buf, static_cast<size_t>(n)))) return;
      }
    });
  } else if (o.context == "-") {
    producer = std::thread([&, w = wr.release()] {
      UniqueFd out(w);
      ContextTar only;
      only.extra_name = "Dockerfile";
      only.extra_content = stdin_dockerfile;
      only.extra_in_ignore = false;
      produced = only.write(out.get());
    });
  } else {
    producer = std::thread([&, w = wr.release()] {
      UniqueFd out(w);
      produced = ctx.write(out.get());
    });
  }
  struct Joiner {
    std::thread& t;
    UniqueFd& rd;
    ~Joiner() {
      rd.reset();  // a producer blocked on a full pipe gets EPIPE
      if (t.joinable()) t.join();
    }
  } joiner{producer, rd};

  uint64_t sent = 0;
  bool upload_done = false;
  BuildDisplay display(!o.quiet && o.progress != "plain" && o.progress != "quiet" &&
                       ::isatty(STDOUT_FILENO));
  std::string image_id, error, pending;
  bool stream_error = false;
  Client::Stream s;
  s.upload = [&](char* buf, size_t max) -> long {
    for (;;) {
      ssize_t n = ::read(rd.get(), buf, max);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return -1;
      if (n == 0) {
        if (producer.joinable()) producer.join();
        if (!produced) return -1;
        if (!upload_done && !o.quiet && o.progress != "quiet") {
          std::printf("Sending build context to berth daemon  %s\n", human_size(double(sent)).c_str());
          std::fflush(stdout);
        }
        upload_done = true;
        return 0;
      }
      sent += static_cast<uint64_t>(n);
      return static_cast<long>(n);
    }
  };
  auto message = [&](const Json& m) {
    if (auto e = m.find("errorDetail"); e != m.end() && e->is_object()) {
      error = e->value("message", m.value("error", ""));
      stream_error = true;
      return;
    }
    if (auto e = m.find("error"); e != m.end() && e->is_string()) {
      error = e->get<std::string>();
      stream_error = true;
      return;
    }
    if (auto a = m.find("aux"); a != m.end() && a->is_object() && a->contains("ID")) {
      image_id = (*a)["ID"].get<std::string>();
      return;
    }
    if (o.quiet) return;
    if (auto t = m.find("stream"); t != m.end() && t->is_string()) {
      display.text(t->get<std::string>());
    } else if (auto st = m.find("status"); st != m.end() && st->is_string()) {
      std::string line = m.value("id", "");
      if (!line.empty()) line += ": ";
      line += st->get<std::string>();
      if (auto pr = m.find("progress"); pr != m.end() && pr->is_string()) line += " " + pr->get<std::string>();
      display.text(line + "\n");
    }
  };
  s.on_data = [&](const char* d, size_t n) {
    pending.append(d, n);
    size_t nl;
    while ((nl = pending.find('\n')) != std::string::npos) {
      std::string line(str::trim(std::string_view(pending).substr(0, nl)));
      pending.erase(0, nl + 1);
      if (line.empty()) continue;
      if (auto j = parse_json(line, "build output"); j && j->is_object()) message(*j);
    }
    return true;
  };
  auto r = c.stream("POST", "/build", q, "", {{"Content-Type", "application/x-tar"}}, s);
  if (!pending.empty()) {
    if (auto j = parse_json(pending, "build output"); j && j->is_object()) message(*j);
  }
  display.finish();
  if (!r && unreachable(r.error())) return fail(r.error());
  if (!r) {
    if (producer.joinable()) {
      rd.reset();
      producer.join();
    }
    if (!produced) return fail_build("error checking context: " + produced.error().message);
    return fail(r.error());
  }
  if (!produced) return fail_build("error checking context: " + produced.error().message);
  if (stream_error) {
    std::fflush(stdout);
    std::fprintf(stderr, "%s\n", error.c_str());
    return 1;
  }
  if (o.quiet) std::printf("%s\n", image_id.c_str());
  if (!o.iidfile.empty() && !image_id.empty()) {
    if (auto w = fs::atomic_write(o.iidfile, image_id); !w) return fail_build(w.error().message);
  }
  return 0;
}

// ---------------------------------------------------------------------------------------------
// Argument splitting for run/create/exec: the first operand ends our flags (docker's
// SetInterspersed(false)): `berth run busybox ls -l` gives ls its -l.

const std::set<std::string>& run_value_flags() {
  static const std::set<std::string> k = {
      "-p", "--publish", "-e", "--env", "--env-file", "-v", "--volume", "--name", "--network",
      "--net", "-w", "--workdir", "-u", "--user", "--entrypoint", "--restart", "--health-cmd",
      "--health-interval", "--health-timeout", "--health-retries", "--health-start-period",
      "-l", "--label", "-h", "--hostname", "-m", "--memory", "--cpus", "--pids-limit",
      "--stop-signal", "--stop-timeout", "--cap-add", "--cap-drop", "--tmpfs", "--add-host",
      "--dns", "--network-alias", "--ip", "--pull", "--shm-size", "--security-opt", "--expose",
      "--detach-keys", "--platform"};
  return k;
}
const std::set<std::string>& exec_value_flags() {
  static const std::set<std::string> k = {"-e", "--env", "--env-file", "-w", "--workdir", "-u",
                                          "--user", "--detach-keys"};
  return k;
}

// The index of the first operand at or after `from`, given the flags that take a value.
size_t first_operand(const std::vector<std::string>& args, size_t from,
                     const std::set<std::string>& value_flags) {
  for (size_t i = from; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") return i + 1;
    if (a.starts_with("--")) {
      if (a.find('=') == std::string::npos && value_flags.count(a)) ++i;
      continue;
    }
    if (a.size() > 1 && a[0] == '-') {
      for (size_t k = 1; k < a.size(); ++k) {
        if (value_flags.count(std::string("-") + a[k])) {
          if (k + 1 == a.size()) ++i;  // the value is the next argument
          break;
        }
      }
      continue;
    }
    return i;
  }
  return args.size();
}

bool is_verb(const std::string& v) {
  static const std::set<std::string> k = {"run", "create", "ps", "logs", "exec", "stop", "start",
                                          "restart", "kill", "rm", "wait", "port", "top", "stats",
                                          "build", "container", "network", "volume", "builder"};
  return k.count(v) > 0;
}

}  // namespace

bool is_client_command(const char* verb) { return is_verb(verb); }

int client_main(int argc, char** argv) {
  ::signal(SIGPIPE, SIG_IGN);
  std::vector<std::string> args(argv, argv + argc);
  // Where the verb is (after the global flags), and the operand that ends run/exec's flags.
  size_t verb = 1;
  while (verb < args.size() && args[verb].starts_with("-")) {
    if ((args[verb] == "-H" || args[verb] == "--host") && verb + 1 < args.size()) ++verb;
    ++verb;
  }
  std::vector<std::string> tail;  // IMAGE/CONTAINER and the command after it
  if (verb < args.size()) {
    size_t v = verb;
    if (args[v] == "container" && v + 1 < args.size()) ++v;
    const std::set<std::string>* flags = nullptr;
    if (args[v] == "run" || args[v] == "create") flags = &run_value_flags();
    if (args[v] == "exec") flags = &exec_value_flags();
    if (flags) {
      size_t op = first_operand(args, v + 1, *flags);
      bool help = false;
      for (size_t i = v + 1; i < op && i < args.size(); ++i) help = help || args[i] == "--help";
      if (op < args.size() && !help) {
        tail.assign(args.begin() + static_cast<long>(op), args.end());
        args.resize(op);
        if (!args.empty() && args.back() == "--") args.pop_back();
      }
    }
  }

  CLI::App app{"berth: docker's container, network, volume and build commands, through the berth daemon", "berth"};
  app.set_help_flag("--help", "print this help and exit");  // -h is run's --hostname
  app.require_subcommand(1);
  std::string host_flag;
  app.add_option("-H,--host", host_flag, "daemon socket (unix://PATH; env BERTH_HOST, DOCKER_HOST)");

  std::optional<Client> client_storage;
  auto client = [&]() -> Result<const Client*> {
    if (!client_storage) {
      BERTH_ASSIGN_OR_RETURN(std::string h, resolve_host(host_flag));
      client_storage.emplace(h);
    }
    return &*client_storage;
  };
  int rc = 0;
  // Runs `f` with the client, or fails for a bad address.
  auto with = [&](const std::function<int(const Client&)>& f) {
    return [&, f] {
      auto c = client();
      if (!c) {
        rc = fail(c.error());
        return;
      }
      rc = f(**c);
    };
  };

  RunOpts ro;
  PsOpts po;
  LogsOpts lo;
  ExecOpts eo;
  BuildOpts bo;
  NetCreateOpts no;
  std::vector<std::string> refs, filters, ps_args;
  std::string ref, format, signal = "KILL", stop_signal, private_port, vol_driver = "local", vol_name;
  std::vector<std::string> vol_labels, vol_opts;
  bool force = false, volumes = false, quiet = false, no_trunc = false, all = false,
       no_stream = false;
  int timeout = -1;
  bool timeout_set = false;

  auto need_tail = [&](const char* name) -> bool {
    if (!tail.empty()) return true;
    std::fprintf(stderr, "berth: \"%s\" requires at least 1 argument.\n", name);
    rc = name == std::string("exec") ? 1 : 125;
    return false;
  };

  CLI::App* container = app.add_subcommand("container", "manage containers");
  container->require_subcommand(1);
  for (CLI::App* parent : {&app, container}) {
    bool top = parent == &app;
    auto add_run_flags = [&](CLI::App* s, bool run) {
      auto multi = [&](const std::string& names, std::vector<std::string>& v, const std::string& d) {
        s->add_option(names, v, d)->allow_extra_args(false);
      };
      if (run) {
        s->add_flag("-d,--detach", ro.detach, "run in the background and print the container ID");
        s->add_flag("--rm", ro.rm, "remove the container when it exits");
      }
      s->add_option("--name", ro.name, "the container's name");
      multi("-p,--publish", ro.publish, "publish a port: [ip:][hostPort:]containerPort[/proto]");
      s->add_flag("-P,--publish-all", ro.publish_all, "publish every exposed port to a random port");
      multi("--expose", ro.expose, "expose a port or range");
      multi("-e,--env", ro.env, "set an environment variable K=V");
      multi("--env-file", ro.env_files, "read environment variables from a file");
      multi("-v,--volume", ro.volumes, "bind mount or volume: SRC:DST[:OPTS] or DST");
      s->add_option("--network,--net", ro.network, "network: bridge, none, host, container:C or a name");
      multi("--network-alias", ro.aliases, "a DNS alias on the network");
      s->add_option("--ip", ro.ip, "IPv4 address on the network");
      s->add_option("-w,--workdir", ro.workdir, "working directory inside the container");
      s->add_option("-u,--user", ro.user, "user[:group]");
      s->add_option("--entrypoint", ro.entrypoint, "override the image's ENTRYPOINT")
          ->each([&](const std::string&) { ro.entrypoint_set = true; });
      s->add_option("--restart", ro.restart, "no, always, unless-stopped, on-failure[:N]");
      s->add_option("--health-cmd", ro.health_cmd, "command to check health");
      s->add_option("--health-interval", ro.health_interval, "time between checks (ms|s|m|h)");
      s->add_option("--health-timeout", ro.health_timeout, "maximum time of one check");
      s->add_option("--health-retries", ro.health_retries, "failures before unhealthy");
      s->add_option("--health-start-period", ro.health_start_period, "grace period after the start");
      s->add_flag("--no-healthcheck", ro.no_healthcheck, "disable the image's HEALTHCHECK");
      multi("-l,--label", ro.labels, "a label k=v");
      s->add_flag("-t,--tty", ro.tty, "allocate a pseudo-TTY");
      s->add_flag("-i,--interactive", ro.interactive, "keep stdin open and send ours to it");
      s->add_option("-h,--hostname", ro.hostname, "the container's host name");
      s->add_option("-m,--memory", ro.memory, "memory limit (e.g. 512m)");
      s->add_option("--cpus", ro.cpus, "number of CPUs");
      s->add_option("--pids-limit", ro.pids_limit, "process limit (-1 unlimited)");
      s->add_option("--shm-size", ro.shm_size, "size of /dev/shm");
      s->add_option("--stop-signal", ro.stop_signal, "signal that stops the container");
      s->add_option("--stop-timeout", ro.stop_timeout, "seconds before the stop kills");
      multi("--cap-add", ro.cap_add, "add a capability");
      multi("--cap-drop", ro.cap_drop, "drop a capability");
      multi("--tmpfs", ro.tmpfs, "a tmpfs mount: PATH[:OPTS]");
      multi("--add-host", ro.add_hosts, "host:ip line in /etc/hosts");
      multi("--dns", ro.dns, "DNS server");
      multi("--security-opt", ro.security_opt, "security options");
      s->add_flag("--privileged", ro.privileged, "every capability and device");
      s->add_flag("--read-only", ro.read_only, "read-only root file system");
      s->add_flag("--init", ro.init, "run an init inside the container");
      s->add_option("--pull", ro.pull, "missing or never (berth run does not pull)");
      s->add_option("--platform", ref, "accepted; the local image's platform is used");
      s->add_option("--detach-keys", format, "accepted; detaching is not supported");
    };

    auto* run = parent->add_subcommand("run", "create and run a container: IMAGE [COMMAND] [ARG...]");
    add_run_flags(run, true);
    run->callback(with([&](const Client& c) {
      if (!need_tail("run")) return rc;
      ro.image = tail[0];
      ro.cmd.assign(tail.begin() + 1, tail.end());
      if (ro.pull == "always") {
        std::fprintf(stderr, "berth: berth run does not pull: pull it first with: berth pull %s\n", ro.image.c_str());
        return 125;
      }
      return cmd_run(c, ro);
    }));

    auto* create = parent->add_subcommand("create", "create a container: IMAGE [COMMAND] [ARG...]");
    add_run_flags(create, false);
    create->callback(with([&](const Client& c) {
      if (!need_tail("create")) return rc;
      ro.image = tail[0];
      ro.cmd.assign(tail.begin() + 1, tail.end());
      return cmd_create(c, ro);
    }));

    auto* ps = parent->add_subcommand(top ? "ps" : "ls", "list containers");
    if (!top) {
      ps->alias("ps");
      ps->alias("list");
    }
    ps->add_flag("-a,--all", po.all, "all containers (running only by default)");
    ps->add_flag("-q,--quiet", po.quiet, "only IDs");
    ps->add_flag("--no-trunc", po.no_trunc, "do not truncate");
    ps->add_flag("-l,--latest", po.latest, "the latest created container");
    ps->add_option("-n,--last", po.last, "the last N created containers");
    ps->add_flag("-s,--size", po.size, "accepted; sizes are not computed");
    ps->add_option("-f,--filter", po.filters, "status=, name=, id=, label=, ancestor=, exited=")->allow_extra_args(false);
    ps->add_option("--format", po.format, "table, json or a Go template");
    ps->callback(with([&](const Client& c) { return cmd_ps(c, po); }));

    auto* logs = parent->add_subcommand("logs", "a container's output");
    logs->add_option("container", ref, "CONTAINER")->required();
    logs->add_flag("-f,--follow", lo.follow, "follow the output");
    logs->add_flag("-t,--timestamps", lo.timestamps, "show timestamps");
    logs->add_option("-n,--tail", lo.tail, "lines from the end (all)");
    logs->add_option("--since", lo.since, "since a time (RFC 3339, unix seconds or a duration like 10m)");
    logs->add_option("--until", lo.until, "until a time");
    logs->add_flag("--details", lo.details, "accepted");
    logs->callback(with([&](const Client& c) { return cmd_logs(c, ref, lo); }));

    auto* exec = parent->add_subcommand("exec", "run a command in a running container: CONTAINER COMMAND [ARG...]");
    exec->add_flag("-d,--detach", eo.detach, "run in the background");
    exec->add_flag("-t,--tty", eo.tty, "allocate a pseudo-TTY");
    exec->add_flag("-i,--interactive", eo.interactive, "send our stdin (needs the daemon's support)");
    exec->add_flag("--privileged", eo.privileged, "extended privileges");
    exec->add_option("-e,--env", eo.env, "environment variable K=V")->allow_extra_args(false);
    exec->add_option("--env-file", eo.env_files, "environment file")->allow_extra_args(false);
    exec->add_option("-u,--user", eo.user, "user[:group]");
    exec->add_option("-w,--workdir", eo.workdir, "working directory");
    exec->add_option("--detach-keys", format, "accepted; detaching is not supported");
    exec->callback(with([&](const Client& c) {
      if (!need_tail("exec")) return rc;
      if (tail.size() < 2) {
        std::fprintf(stderr, "berth: \"exec\" requires at least 2 arguments.\n");
        return 1;
      }
      eo.container = tail[0];
      eo.cmd.assign(tail.begin() + 1, tail.end());
      return cmd_exec(c, eo);
    }));

    auto* stop = parent->add_subcommand("stop", "stop running containers");
    stop->add_option("containers", refs, "CONTAINER")->required();
    stop->add_option("-t,--time,--timeout", timeout, "seconds before SIGKILL")
        ->each([&](const std::string&) { timeout_set = true; });
    stop->add_option("-s,--signal", stop_signal, "signal to send first");
    stop->callback(with([&](const Client& c) {
      return for_each(refs, [&](const std::string& r) -> Result<void> {
        Query q;
        if (timeout_set) q.push_back({"t", std::to_string(timeout)});
        if (!stop_signal.empty()) q.push_back({"signal", stop_signal});
        BERTH_TRY(c.call("POST", cpath(r, "/stop"), q));
        return {};
      });
    }));
    auto* start = parent->add_subcommand("start", "start stopped containers");
    start->add_option("containers", refs, "CONTAINER")->required();
    start->callback(with([&](const Client& c) {
      std::mutex mu;
      std::vector<std::string> failed;
      int status = for_each(refs, [&](const std::string& r) -> Result<void> {
        auto s = c.call("POST", cpath(r, "/start"));
        if (!s) {
          std::lock_guard<std::mutex> l(mu);
          if (!unreachable(s.error())) failed.push_back(r);
          return tl::unexpected(s.error());
        }
        return {};
      });
      if (!failed.empty() && status) {
        std::sort(failed.begin(), failed.end(), [&](const std::string& a, const std::string& b) {
          return std::find(refs.begin(), refs.end(), a) < std::find(refs.begin(), refs.end(), b);
        });
        std::fprintf(stderr, "Error: failed to start containers: %s\n", str::join(failed, ", ").c_str());
      }
      return status;
    }));
    auto* restart = parent->add_subcommand("restart", "restart containers");
    restart->add_option("containers", refs, "CONTAINER")->required();
    restart->add_option("-t,--time,--timeout", timeout, "seconds before SIGKILL")
        ->each([&](const std::string&) { timeout_set = true; });
    restart->callback(with([&](const Client& c) {
      return for_each(refs, [&](const std::string& r) -> Result<void> {
        Query q;
        if (timeout_set) q.push_back({"t", std::to_string(timeout)});
        BERTH_TRY(c.call("POST", cpath(r, "/restart"), q));
        return {};
      });
    }));
    auto* kill = parent->add_subcommand("kill", "send a signal to running containers");
    kill->add_option("containers", refs, "CONTAINER")->required();
    kill->add_option("-s,--signal", signal, "signal (KILL)");
    kill->callback(with([&](const Client& c) {
      return for_each(refs, [&](const std::string& r) -> Result<void> {
        BERTH_TRY(c.call("POST", cpath(r, "/kill"), {{"signal", signal}}));
        return {};
      });
    }));
    auto* rm = parent->add_subcommand("rm", "remove containers");
    if (!top) rm->alias("remove");
    rm->add_option("containers", refs, "CONTAINER")->required();
    rm->add_flag("-f,--force", force, "kill a running container first");
    rm->add_flag("-v,--volumes", volumes, "remove its anonymous volumes");
    rm->add_flag("-l,--link", quiet, "accepted; links do not exist");
    rm->callback(with([&](const Client& c) {
      return for_each(refs, [&](const std::string& r) -> Result<void> {
        Query q;
        if (force) q.push_back({"force", "1"});
        if (volumes) q.push_back({"v", "1"});
        BERTH_TRY(c.call("DELETE", cpath(r), q));
        return {};
      });
    }));
    auto* wait = parent->add_subcommand("wait", "wait for containers to stop; print their exit codes");
    wait->add_option("containers", refs, "CONTAINER")->required();
    wait->callback(with([&](const Client& c) {
      int status = 0;
      for (auto& r : refs) {
        auto j = c.call_json("POST", cpath(r, "/wait"));
        if (!j) {
          status = fail(j.error());
          continue;
        }
        std::printf("%d\n", j->value("StatusCode", 0));
        std::fflush(stdout);
      }
      return status;
    }));
    auto* port = parent->add_subcommand("port", "the published ports of a container");
    port->add_option("container", ref, "CONTAINER")->required();
    port->add_option("port", private_port, "PRIVATE_PORT[/PROTO]");
    port->callback(with([&](const Client& c) { return cmd_port(c, ref, private_port); }));
    auto* topc = parent->add_subcommand("top", "the processes of a container");
    topc->add_option("container", ref, "CONTAINER")->required();
    topc->prefix_command();  // [ps OPTIONS] after the container
    topc->callback(with([&](const Client& c) { return cmd_top(c, ref, topc->remaining()); }));
    auto* stats = parent->add_subcommand("stats", "resource usage of containers");
    stats->add_option("containers", refs, "CONTAINER (default: the running ones)");
    stats->add_flag("-a,--all", all, "all containers");
    stats->add_flag("--no-stream", no_stream, "one sample, then exit");
    stats->add_flag("--no-trunc", no_trunc, "full IDs");
    stats->add_option("--format", format, "table or a Go template");
    stats->callback(with([&](const Client& c) { return cmd_stats(c, refs, all, no_stream, no_trunc, format); }));

    if (!top) {
      auto* insp = parent->add_subcommand("inspect", "low-level information on containers");
      insp->add_option("containers", refs, "CONTAINER")->required();
      insp->add_option("-f,--format", format, "Go template");
      insp->add_flag("-s,--size", quiet, "accepted");
      insp->callback(with([&](const Client& c) { return cmd_inspect(c, refs, format, "container"); }));
    }

    if (top) {
      auto* build = parent->add_subcommand("build", "build an image from a Dockerfile: CONTEXT");
      build->add_option("context", bo.context, "PATH or - (a tar or a Dockerfile on stdin)")->required();
      build->add_option("-t,--tag", bo.tags, "name:tag")->allow_extra_args(false);
      build->add_option("-f,--file", bo.file, "the Dockerfile (default CONTEXT/Dockerfile; - for stdin)");
      build->add_option("--build-arg", bo.build_args, "build-time variable k=v")->allow_extra_args(false);
      build->add_option("--label", bo.labels, "image label k=v")->allow_extra_args(false);
      build->add_option("--target", bo.target, "the stage to build");
      build->add_flag("--no-cache", bo.no_cache, "do not use the cache");
      build->add_flag("--pull", bo.pull, "always pull the base images");
      build->add_option("--network", bo.network, "network of RUN: default, none, host");
      build->add_flag("-q,--quiet", bo.quiet, "print only the image ID");
      build->add_option("--iidfile", bo.iidfile, "write the image ID to this file");
      build->add_option("--progress", bo.progress, "auto, plain or tty");
      build->add_flag("--rm,--force-rm", all, "accepted; intermediate containers are always removed");
      build->callback(with([&](const Client& c) { return cmd_build(c, bo); }));
    }
  }

  auto* net = app.add_subcommand("network", "manage networks");
  net->require_subcommand(1);
  auto* nls = net->add_subcommand("ls", "list networks");
  nls->alias("list");
  nls->add_flag("-q,--quiet", quiet, "only IDs");
  nls->add_flag("--no-trunc", no_trunc, "full IDs");
  nls->add_option("-f,--filter", filters, "name=, id=, driver=, label=, type=, dangling=")->allow_extra_args(false);
  nls->add_option("--format", format, "table, json or a Go template");
  nls->callback(with([&](const Client& c) { return cmd_network_ls(c, quiet, no_trunc, format, filters); }));
  auto* ncreate = net->add_subcommand("create", "create a network");
  ncreate->add_option("name", no.name, "NETWORK")->required();
  ncreate->add_option("-d,--driver", no.driver, "bridge");
  ncreate->add_option("--subnet", no.subnet, "subnet in CIDR form");
  ncreate->add_option("--gateway", no.gateway, "gateway address");
  ncreate->add_option("--ip-range", no.ip_range, "allocate addresses from this range");
  ncreate->add_flag("--internal", no.internal, "no access to the outside");
  ncreate->add_flag("--attachable", no.attachable, "accepted");
  ncreate->add_option("--label", no.labels, "label k=v")->allow_extra_args(false);
  ncreate->add_option("-o,--opt", no.options, "driver option k=v")->allow_extra_args(false);
  ncreate->callback(with([&](const Client& c) { return cmd_network_create(c, no); }));
  auto* nrm = net->add_subcommand("rm", "remove networks");
  nrm->alias("remove");
  nrm->add_option("networks", refs, "NETWORK")->required();
  nrm->add_flag("-f,--force", force, "no error for a missing network");
  nrm->callback(with([&](const Client& c) {
    return for_each(refs, [&](const std::string& r) -> Result<void> {
      auto d = c.call("DELETE", "/networks/" + path_escape(r));
      if (!d && force && d.error().code == Errc::kNotFound) return {};
      if (!d) return tl::unexpected(d.error());
      return {};
    });
  }));
  auto* ninsp = net->add_subcommand("inspect", "low-level information on networks");
  ninsp->add_option("networks", refs, "NETWORK")->required();
  ninsp->add_option("-f,--format", format, "Go template");
  ninsp->callback(with([&](const Client& c) { return cmd_inspect(c, refs, format, "network"); }));
  auto* nprune = net->add_subcommand("prune", "remove unused networks");
  nprune->add_flag("-f,--force", force, "do not prompt");
  nprune->callback(with([&](const Client& c) {
    auto r = c.call_json("POST", "/networks/prune");
    if (!r) return fail(r.error());
    auto names = string_array(r->value("NetworksDeleted", Json::array()));
    if (!names.empty()) std::printf("Deleted Networks:\n%s\n", str::join(names, "\n").c_str());
    return 0;
  }));

  auto* vol = app.add_subcommand("volume", "manage volumes");
  vol->require_subcommand(1);
  auto* vls = vol->add_subcommand("ls", "list volumes");
  vls->alias("list");
  vls->add_flag("-q,--quiet", quiet, "only names");
  vls->add_option("-f,--filter", filters, "dangling=true|false")->allow_extra_args(false);
  vls->add_option("--format", format, "table, json or a Go template");
  vls->callback(with([&](const Client& c) { return cmd_volume_ls(c, quiet, format, filters); }));
  auto* vcreate = vol->add_subcommand("create", "create a volume");
  vcreate->add_option("name", vol_name, "VOLUME (random when left out)");
  vcreate->add_option("--name", vol_name, "VOLUME");
  vcreate->add_option("-d,--driver", vol_driver, "local");
  vcreate->add_option("--label", vol_labels, "label k=v")->allow_extra_args(false);
  vcreate->add_option("-o,--opt", vol_opts, "driver option k=v")->allow_extra_args(false);
  vcreate->callback(with([&](const Client& c) {
    auto r = c.call_json("POST", "/volumes/create", {},
                         {{"Name", vol_name}, {"Driver", vol_driver}, {"Labels", kv_object(vol_labels)},
                          {"DriverOpts", kv_object(vol_opts)}});
    if (!r) return fail(r.error());
    std::printf("%s\n", r->value("Name", "").c_str());
    return 0;
  }));
  auto* vrm = vol->add_subcommand("rm", "remove volumes");
  vrm->alias("remove");
  vrm->add_option("volumes", refs, "VOLUME")->required();
  vrm->add_flag("-f,--force", force, "no error for a missing volume");
  vrm->callback(with([&](const Client& c) {
    return for_each(refs, [&](const std::string& r) -> Result<void> {
      auto d = c.call("DELETE", "/volumes/" + path_escape(r), force ? Query{{"force", "1"}} : Query{});
      if (!d && force && d.error().code == Errc::kNotFound) return {};
      if (!d) return tl::unexpected(d.error());
      return {};
    });
  }));
  auto* vinsp = vol->add_subcommand("inspect", "low-level information on volumes");
  vinsp->add_option("volumes", refs, "VOLUME")->required();
  vinsp->add_option("-f,--format", format, "Go template");
  vinsp->callback(with([&](const Client& c) { return cmd_inspect(c, refs, format, "volume"); }));
  auto* vprune = vol->add_subcommand("prune", "remove unused anonymous volumes (all with -a)");
  vprune->add_flag("-a,--all", all, "named volumes too");
  vprune->add_flag("-f,--force", force, "do not prompt");
  vprune->callback(with([&](const Client& c) {
    Query q;
    if (all) q.push_back({"filters", "{\"all\":[\"true\"]}"});
    auto r = c.call_json("POST", "/volumes/prune", q);
    if (!r) return fail(r.error());
    auto names = string_array(r->value("VolumesDeleted", Json::array()));
    if (!names.empty()) std::printf("Deleted Volumes:\n%s\n\n", str::join(names, "\n").c_str());
    std::printf("Total reclaimed space: %s\n", human_size(r->value("SpaceReclaimed", 0.0)).c_str());
    return 0;
  }));

  auto* builder = app.add_subcommand("builder", "manage the build cache");
  builder->require_subcommand(1);
  auto* bprune = builder->add_subcommand("prune", "remove the build cache");
  bprune->add_flag("-a,--all", all, "accepted");
  bprune->add_flag("-f,--force", force, "do not prompt");
  bprune->callback(with([&](const Client& c) {
    auto r = c.call_json("POST", "/build/prune");
    if (!r) return fail(r.error());
    std::printf("Total:\t%s\n", human_size(r->value("SpaceReclaimed", 0.0)).c_str());
    return 0;
  }));

  std::vector<char*> cargv;
  for (auto& a : args) cargv.push_back(a.data());
  try {
    app.parse(static_cast<int>(cargv.size()), cargv.data());
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);
    std::fprintf(stderr, "berth: %s\n", e.what());
    std::string v = verb < args.size() ? args[verb] : "";
    return v == "run" || v == "create" ? 125 : 1;
  }
  std::fflush(stdout);
  return rc;
}

}  // namespace berth::cli
