#include "compose/syntax.h"

#include <arpa/inet.h>

#include <cctype>
#include <cmath>

#include "common/fs.h"
#include "common/strings.h"
#include "common/time.h"

namespace berth::compose {
namespace {

tl::unexpected<Error> invalid(std::string msg) {
  return make_error(Errc::kInvalidArgument, std::move(msg));
}

bool valid_ip(const std::string& ip) {
  unsigned char buf[16];
  return ::inet_pton(AF_INET, ip.c_str(), buf) == 1 || ::inet_pton(AF_INET6, ip.c_str(), buf) == 1;
}

struct Range {
  uint64_t start = 0, end = 0;
};

// nat.ParsePortRange: "80" or "8000-8010", each a 16-bit number, end >= start.
std::optional<Range> port_range(std::string_view s) {
  auto num = [](std::string_view v) -> std::optional<uint64_t> {
    auto n = str::parse_uint(v);
    if (!n || *n > 65535) return std::nullopt;
    return n;
  };
  size_t dash = s.find('-');
  if (dash == std::string_view::npos) {
    auto n = num(s);
    if (!n) return std::nullopt;
    return Range{*n, *n};
  }
  auto a = num(s.substr(0, dash)), b = num(s.substr(dash + 1));
  if (!a || !b || *b < *a) return std::nullopt;
  return Range{*a, *b};
}

}  // namespace

Result<std::vector<PortConfig>> parse_port(std::string_view spec) {
  std::vector<std::string> parts = str::split(spec, ':');
  size_t n = parts.size();
  std::string container = parts[n - 1], host, ip;
  if (n == 2) {
    host = parts[0];
  } else if (n == 3) {
    ip = parts[0];
    host = parts[1];
  } else if (n > 3) {  // an IPv6 address without brackets
    ip = str::join(std::vector<std::string>(parts.begin(), parts.end() - 2), ":");
    host = parts[n - 2];
  }
  // nat.SplitProtoPort
  std::string proto = "tcp";
  if (size_t slash = container.find('/'); slash != std::string::npos) {
    std::string p = container.substr(slash + 1);
    container.resize(slash);
    if (size_t more = p.find('/'); more != std::string::npos) p.resize(more);
    if (!p.empty()) proto = p;
    if (container.empty()) proto.clear();
  }
  if (ip.size() >= 2 && ip.front() == '[' && ip.back() == ']') ip = ip.substr(1, ip.size() - 2);
  if (!ip.empty() && !valid_ip(ip)) return invalid("invalid IP address: " + ip);
  if (container.empty()) return invalid("no port specified: " + std::string(spec) + "<empty>");
  auto cr = port_range(container);
  if (!cr) return invalid("invalid containerPort: " + container);
  Range hr;
  if (!host.empty()) {
    auto h = port_range(host);
    if (!h) return invalid("invalid hostPort: " + host);
    hr = *h;
    // A host range for one container port is the range to pick a free host port from.
    if (cr->end - cr->start != hr.end - hr.start && cr->end != cr->start) {
      return invalid("invalid ranges specified for container and host Ports: " + container +
                     " and " + host);
    }
  }
  proto = str::to_lower(proto);
  if (proto != "tcp" && proto != "udp" && proto != "sctp")
    return invalid("invalid proto: " + proto);

  std::vector<PortConfig> out;
  for (uint64_t i = 0; i <= cr->end - cr->start; ++i) {
    PortConfig p;
    p.target = static_cast<uint32_t>(cr->start + i);
    p.host_ip = ip;
    p.protocol = proto;
    if (!host.empty()) {
      p.published = std::to_string(hr.start + i);
      if (cr->start == cr->end && hr.start != hr.end) p.published += "-" + std::to_string(hr.end);
    }
    out.push_back(std::move(p));
  }
  return out;
}

Result<VolumeMount> parse_volume(std::string_view spec) {
  VolumeMount v;
  if (spec.empty()) return invalid("invalid empty volume spec");
  if (spec.size() <= 2) {
    v.target = fs::clean_path(spec);
    return v;
  }
  std::vector<std::string> parts = str::split(spec, ':');
  auto bad = [&](std::string_view why) {
    return invalid("invalid spec: " + std::string(spec) + ": " + std::string(why));
  };
  bool have_source = false, have_target = false;
  for (size_t i = 0; i < parts.size(); ++i) {
    const std::string& part = parts[i];
    bool last = i + 1 == parts.size();
    if (part.empty()) return bad("empty section between colons");
    if (!have_source && last) {  // "/path": an anonymous volume
      v.target = part;
      have_target = true;
    } else if (!have_source) {
      v.source = part;
      have_source = true;
    } else if (!have_target) {
      v.target = part;
      have_target = true;
    } else if (!last) {
      return bad("too many colons");
    } else {
      for (const std::string& opt : str::split(part, ',')) {
        if (opt == "ro") {
          v.read_only = true;
        } else if (opt == "rw") {
          v.read_only = false;
        } else if (opt == "nocopy") {
          v.nocopy = true;
        } else if (opt == "z" || opt == "Z") {
          v.selinux = opt;
        } else if (opt == "rprivate" || opt == "private" || opt == "rshared" || opt == "shared" ||
                   opt == "rslave" || opt == "slave") {
          v.propagation = opt;
        }
      }
    }
  }
  char first = v.source.empty() ? 0 : v.source[0];
  if (first == '.' || first == '/' || first == '~') {
    v.type = MountType::kBind;
    v.create_host_path = true;  // docker-compose v1 created missing host paths
    v.nocopy = false;
  } else {
    v.propagation.clear();
    v.selinux.clear();
  }
  v.target = fs::clean_path(v.target);
  return v;
}

Result<std::vector<std::string>> split_command(std::string_view command) {
  std::vector<std::string> args;
  std::string buf;
  bool escaped = false, dq = false, sq = false, got = false;
  for (char r : command) {
    if (escaped) {
      buf += r;
      escaped = false;
      got = true;
      continue;
    }
    if (r == '\\') {
      if (sq) {
        buf += r;
      } else {
        escaped = true;
      }
      continue;
    }
    if (r == ' ' || r == '\t' || r == '\r' || r == '\n') {
      if (sq || dq) {
        buf += r;
      } else if (got) {
        args.push_back(std::move(buf));
        buf.clear();
        got = false;
      }
      continue;
    }
    if (r == '"' && !sq) {
      if (dq) got = true;  // "" is an empty word
      dq = !dq;
      continue;
    }
    if (r == '\'' && !dq) {
      if (sq) got = true;
      sq = !sq;
      continue;
    }
    if ((r == ';' || r == '&' || r == '|' || r == '<' || r == '>') && !sq && !dq) {
      // go-shellwords stops at a shell operator; "2>" drops the fd number too.
      if (r == '>' && !buf.empty() && buf[0] >= '0' && buf[0] <= '9') got = false;
      break;
    }
    buf += r;
    got = true;
  }
  if (escaped || sq || dq) return invalid("invalid command line string");
  if (got) args.push_back(std::move(buf));
  return args;
}

Result<int64_t> parse_duration(std::string_view orig) {
  // Go's durations plus days and weeks; compose reports every failure the same way.
  auto ns = parse_go_duration(orig, true);
  if (!ns) return invalid("invalid duration \"" + std::string(orig) + "\"");
  return *ns;
}

std::string format_duration(int64_t d) {
  if (d == 0) return "0s";
  bool neg = d < 0;
  uint64_t u = neg ? uint64_t(0) - uint64_t(d) : uint64_t(d);
  // The fraction of u / 10^prec without trailing zeros ("" when 0); u keeps the integer part.
  auto frac = [&u](int prec) {
    std::string digits;
    bool print = false;
    for (int i = 0; i < prec; ++i) {
      unsigned digit = unsigned(u % 10);
      print = print || digit != 0;
      if (print) digits.insert(digits.begin(), char('0' + digit));
      u /= 10;
    }
    return print ? "." + digits : std::string();
  };
  std::string out;
  if (u < 1000000000ULL) {
    std::string unit;
    int prec;
    if (u < 1000) {
      prec = 0;
      unit = "ns";
    } else if (u < 1000000) {
      prec = 3;
      unit = "\xC2\xB5s";
    } else {
      prec = 6;
      unit = "ms";
    }
    std::string f = frac(prec);
    out = std::to_string(u) + f + unit;
  } else {
    std::string f = frac(9);
    out = std::to_string(u % 60) + f + "s";
    u /= 60;
    if (u > 0) {
      out = std::to_string(u % 60) + "m" + out;
      u /= 60;
      if (u > 0) out = std::to_string(u) + "h" + out;
    }
  }
  return neg ? "-" + out : out;
}

Result<int64_t> parse_bytes(std::string_view orig) {
  auto bad = [&] { return invalid("invalid size: \"" + std::string(orig) + "\""); };
  std::string_view s = orig;
  size_t i = 0;
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  while (i < s.size() && (digit(s[i]) || s[i] == '.')) ++i;
  std::string_view number = s.substr(0, i);
  if (number.empty() || !digit(number[0]) || number.back() == '.' ||
      number.find('.') != number.rfind('.')) {
    return bad();
  }
  s.remove_prefix(i);
  if (!s.empty() && s[0] == ' ') s.remove_prefix(1);
  long double mult = 1;
  if (!s.empty()) {
    static constexpr std::string_view kUnits = "kmgtp";
    size_t k = kUnits.find(static_cast<char>(std::tolower(static_cast<unsigned char>(s[0]))));
    if (k != std::string_view::npos) {
      mult = std::pow(1024.0L, static_cast<long double>(k + 1));
      s.remove_prefix(1);
    }
  }
  if (!s.empty() && (s[0] == 'i' || s[0] == 'I')) s.remove_prefix(1);
  if (!s.empty() && (s[0] == 'b' || s[0] == 'B')) s.remove_prefix(1);
  if (!s.empty()) return bad();
  long double v = std::stold(std::string(number)) * mult;
  if (v > 9.2e18L) return bad();
  return static_cast<int64_t>(v);
}

}  // namespace berth::compose
