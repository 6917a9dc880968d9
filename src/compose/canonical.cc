#include "compose/canonical.h"

#include <algorithm>
#include <cstdlib>
#include <map>

#include "common/fs.h"
#include "common/strings.h"
#include "compose/syntax.h"

namespace berth::compose {
namespace {

using Keys = std::initializer_list<std::string_view>;

// The attributes of a service (compose-spec schema/compose-spec.json, $defs.service).
// clang-format off
constexpr std::string_view kServiceKeys[] = {
    "annotations", "attach", "blkio_config", "build", "cap_add", "cap_drop", "cgroup",
    "cgroup_parent", "command", "configs", "container_name", "cpu_count", "cpu_percent",
    "cpu_period", "cpu_quota", "cpu_rt_period", "cpu_rt_runtime", "cpu_shares", "cpus", "cpuset",
    "credential_spec", "depends_on", "deploy", "develop", "device_cgroup_rules", "devices", "dns",
    "dns_opt", "dns_search", "domainname", "entrypoint", "env_file", "environment", "expose",
    "extends", "external_links", "extra_hosts", "gpus", "group_add", "healthcheck", "hostname",
    "image", "init", "ipc", "isolation", "label_file", "labels", "links", "logging", "mac_address",
    "mem_limit", "mem_reservation", "mem_swappiness", "memswap_limit", "models", "network_mode",
    "networks", "oom_kill_disable", "oom_score_adj", "pid", "pids_limit", "platform", "ports",
    "post_start", "pre_start", "pre_stop", "privileged", "profiles", "provider", "pull_policy",
    "pull_refresh_after", "read_only", "restart", "runtime", "scale", "secrets", "security_opt",
    "shm_size", "stdin_open", "stop_grace_period", "stop_signal", "storage_opt", "sysctls",
    "tmpfs", "tty", "ulimits", "use_api_socket", "user", "userns_mode", "uts", "volumes",
    "volumes_from", "working_dir"};
// clang-format on

bool is_extension(std::string_view key) { return key.starts_with("x-"); }

Result<void> check_keys(const Json& obj, const Path& path, Keys allowed) {
  for (auto& [k, v] : obj.items()) {
    if (is_extension(k)) continue;
    if (std::find(allowed.begin(), allowed.end(), k) == allowed.end()) {
      return path_error(path, "unknown key \"" + k + "\"");
    }
  }
  return {};
}

Result<void> want_object(const Json& v, const Path& path) {
  if (!v.is_object()) return path_error(path, "must be a mapping");
  return {};
}

Result<std::string> want_string(const Json& v, const Path& path) {
  auto s = scalar_text(v);
  if (!s) return path_error(path, "must be a string");
  return *s;
}

// compose-go toBoolean: true/false in any case, and YAML 1.1's y/yes/on, n/no/off.
Result<bool> want_bool(const Json& v, const Path& path) {
  if (v.is_boolean()) return v.get<bool>();
  if (v.is_string()) {
    std::string s = str::to_lower(v.get<std::string>());
    if (s == "true" || s == "y" || s == "yes" || s == "on") return true;
    if (s == "false" || s == "n" || s == "no" || s == "off") return false;
  }
  return path_error(path, "must be a boolean");
}

Result<int64_t> want_int(const Json& v, const Path& path) {
  if (v.is_number_integer()) return v.get<int64_t>();
  if (v.is_number_float()) {
    double d = v.get<double>();
    if (d == static_cast<double>(static_cast<int64_t>(d))) return static_cast<int64_t>(d);
  }
  if (v.is_string()) {
    if (auto n = str::parse_int(str::trim(v.get<std::string>()))) return *n;
  }
  return path_error(path, "must be an integer");
}

// Typed scalar fields, in place.
Result<void> bool_field(Json& obj, std::string_view key, const Path& path) {
  if (auto it = obj.find(key); it != obj.end() && !it->is_null()) {
    BERTH_ASSIGN_OR_RETURN(bool b, want_bool(*it, path / std::string(key)));
    *it = b;
  }
  return {};
}
Result<void> int_field(Json& obj, std::string_view key, const Path& path) {
  if (auto it = obj.find(key); it != obj.end() && !it->is_null()) {
    BERTH_ASSIGN_OR_RETURN(int64_t n, want_int(*it, path / std::string(key)));
    *it = n;
  }
  return {};
}
Result<void> string_field(Json& obj, std::string_view key, const Path& path) {
  if (auto it = obj.find(key); it != obj.end() && !it->is_null()) {
    BERTH_ASSIGN_OR_RETURN(std::string s, want_string(*it, path / std::string(key)));
    *it = s;
  }
  return {};
}
Result<void> duration_field(Json& obj, std::string_view key, const Path& path) {
  if (auto it = obj.find(key); it != obj.end() && !it->is_null()) {
    Path p = path / std::string(key);
    BERTH_ASSIGN_OR_RETURN(std::string s, want_string(*it, p));
    auto ns = parse_duration(s);
    if (!ns) return path_error(p, ns.error().message);
    *it = format_duration(*ns);
  }
  return {};
}

// A list of scalars as strings; with `single`, one scalar is a list of one.
Result<Json> string_list(const Json& v, const Path& path, bool single = false) {
  if (single && !v.is_array() && !v.is_object() && !v.is_null()) {
    BERTH_ASSIGN_OR_RETURN(std::string s, want_string(v, path));
    return Json::array({s});
  }
  if (!v.is_array()) {
    return path_error(path, single ? "must be a string or a list of strings" : "must be a list");
  }
  Json out = Json::array();
  for (size_t i = 0; i < v.size(); ++i) {
    BERTH_ASSIGN_OR_RETURN(std::string s, want_string(v[i], path / i));
    out.push_back(s);
  }
  return out;
}
Result<void> list_field(Json& obj, std::string_view key, const Path& path, bool single = false) {
  if (auto it = obj.find(key); it != obj.end() && !it->is_null()) {
    BERTH_ASSIGN_OR_RETURN(*it, string_list(*it, path / std::string(key), single));
  }
  return {};
}

// compose's list_or_dict: ["K=V", "K"] or {K: V, K: null} -> {K: "V" | null}. With `labels`,
// a missing value is "" rather than null (compose-go Labels).
Result<Json> list_or_dict(const Json& v, const Path& path, bool labels = false) {
  Json out = Json::object();
  Json none = labels ? Json("") : Json(nullptr);
  if (v.is_array()) {
    for (size_t i = 0; i < v.size(); ++i) {
      BERTH_ASSIGN_OR_RETURN(std::string s, want_string(v[i], path / i));
      size_t eq = s.find('=');
      std::string key = s.substr(0, eq);
      if (key.empty()) return path_error(path / i, "invalid entry \"" + s + "\": empty name");
      out[key] = eq == std::string::npos ? none : Json(s.substr(eq + 1));
    }
    return out;
  }
  if (!v.is_object()) return path_error(path, "must be a mapping or a list of KEY=VALUE");
  for (auto& [k, val] : v.items()) {
    if (val.is_null()) {
      out[k] = none;
    } else {
      BERTH_ASSIGN_OR_RETURN(std::string s, want_string(val, path / k));
      out[k] = s;
    }
  }
  return out;
}
Result<void> dict_field(Json& obj, std::string_view key, const Path& path, bool labels = false) {
  if (auto it = obj.find(key); it != obj.end() && !it->is_null()) {
    BERTH_ASSIGN_OR_RETURN(*it, list_or_dict(*it, path / std::string(key), labels));
  }
  return {};
}

bool valid_name(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

// command / entrypoint: string (split as a shell would), list, or null.
Result<void> command_field(Json& svc, std::string_view key, const Path& path) {
  auto it = svc.find(key);
  if (it == svc.end() || it->is_null()) return {};
  Path p = path / std::string(key);
  if (it->is_array()) {
    BERTH_ASSIGN_OR_RETURN(*it, string_list(*it, p));
    return {};
  }
  BERTH_ASSIGN_OR_RETURN(std::string s, want_string(*it, p));
  auto argv = split_command(s);
  if (!argv) return path_error(p, argv.error().message);
  *it = *argv;
  return {};
}

// extra_hosts: ["host=ip", "host:ip"] or {host: ip | [ips]} -> ["host=ip", ...].
Result<Json> extra_hosts(const Json& v, const Path& path) {
  std::vector<std::pair<std::string, std::string>> pairs;
  if (v.is_object()) {
    for (auto& [host, ips] : v.items()) {
      if (ips.is_array()) {
        for (size_t i = 0; i < ips.size(); ++i) {
          BERTH_ASSIGN_OR_RETURN(std::string ip, want_string(ips[i], path / host / i));
          pairs.emplace_back(host, ip);
        }
      } else {
        std::string ip;
        if (!ips.is_null()) {
          BERTH_ASSIGN_OR_RETURN(ip, want_string(ips, path / host));
        }
        pairs.emplace_back(host, ip);
      }
    }
  } else if (v.is_array()) {
    for (size_t i = 0; i < v.size(); ++i) {
      BERTH_ASSIGN_OR_RETURN(std::string s, want_string(v[i], path / i));
      size_t sep = s.find('=');
      if (sep == std::string::npos) sep = s.find(':');
      if (sep == std::string::npos) {
        return path_error(path / i, "invalid additional host, missing IP: " + s);
      }
      for (const std::string& ip : str::split(s.substr(sep + 1), ',')) {
        pairs.emplace_back(s.substr(0, sep), ip);
      }
    }
  } else {
    return path_error(path, "must be a mapping or a list");
  }
  Json out = Json::array();
  for (auto& [host, ip] : pairs) {
    if (host.empty() || host.find_first_of(":=") != std::string::npos) {
      return path_error(path, "bad host name '" + host + "'");
    }
    std::string addr = ip;
    if (addr.size() > 2 && addr.front() == '[' && addr.back() == ']') {
      addr = addr.substr(1, addr.size() - 2);
    }
    out.push_back(host + "=" + addr);
  }
  return out;
}

Json port_json(const PortConfig& p) {
  Json j = {{"mode", p.mode}, {"target", p.target}, {"protocol", p.protocol}};
  if (!p.published.empty()) j["published"] = p.published;
  if (!p.host_ip.empty()) j["host_ip"] = p.host_ip;
  return j;
}

Result<Json> ports(const Json& v, const Path& path) {
  if (!v.is_array()) return path_error(path, "must be a list");
  Json out = Json::array();
  for (size_t i = 0; i < v.size(); ++i) {
    const Json& e = v[i];
    Path p = path / i;
    if (e.is_object()) {
      Json port = e;
      BERTH_TRY(check_keys(
          port, p, {"name", "mode", "host_ip", "target", "published", "protocol", "app_protocol"}));
      if (!port.contains("target")) return path_error(p, "target is required");
      BERTH_TRY(int_field(port, "target", p));
      int64_t target = port["target"].get<int64_t>();
      if (target < 0 || target > 65535) return path_error(p / "target", "invalid port number");
      BERTH_TRY(string_field(port, "published", p));
      BERTH_TRY(string_field(port, "host_ip", p));
      BERTH_TRY(string_field(port, "protocol", p));
      BERTH_TRY(string_field(port, "mode", p));
      BERTH_TRY(string_field(port, "name", p));
      BERTH_TRY(string_field(port, "app_protocol", p));
      if (!port.contains("protocol") || port["protocol"].is_null()) port["protocol"] = "tcp";
      if (!port.contains("mode") || port["mode"].is_null()) port["mode"] = "ingress";
      std::string proto = str::to_lower(port["protocol"].get<std::string>());
      if (proto != "tcp" && proto != "udp" && proto != "sctp") {
        return path_error(p / "protocol", "invalid protocol \"" + proto + "\"");
      }
      port["protocol"] = proto;
      if (port.contains("published") && port["published"].is_null()) port.erase("published");
      out.push_back(std::move(port));
      continue;
    }
    auto spec = scalar_text(e);
    if (!spec || e.is_boolean()) return path_error(p, "must be a string, a number or a mapping");
    auto parsed = parse_port(*spec);
    if (!parsed) {
      return path_error(p, "invalid port \"" + *spec + "\": " + parsed.error().message);
    }
    for (const PortConfig& pc : *parsed) out.push_back(port_json(pc));
  }
  return out;
}

Json volume_json(const VolumeMount& v) {
  Json j = Json::object();
  j["type"] = v.type == MountType::kBind ? "bind" : "volume";
  if (!v.source.empty()) j["source"] = v.source;
  j["target"] = v.target;
  if (v.read_only) j["read_only"] = true;
  if (v.type == MountType::kBind) {
    Json bind = {{"create_host_path", v.create_host_path}};
    if (!v.propagation.empty()) bind["propagation"] = v.propagation;
    if (!v.selinux.empty()) bind["selinux"] = v.selinux;
    j["bind"] = bind;
  } else {
    Json vol = Json::object();
    if (v.nocopy) vol["nocopy"] = true;
    j["volume"] = vol;
  }
  return j;
}

Result<Json> volumes(const Json& v, const Path& path) {
  if (!v.is_array()) return path_error(path, "must be a list");
  Json out = Json::array();
  for (size_t i = 0; i < v.size(); ++i) {
    Path p = path / i;
    if (v[i].is_string()) {
      auto parsed = parse_volume(v[i].get<std::string>());
      if (!parsed) return path_error(p, parsed.error().message);
      out.push_back(volume_json(*parsed));
      continue;
    }
    if (!v[i].is_object()) return path_error(p, "must be a string or a mapping");
    Json m = v[i];
    BERTH_TRY(check_keys(m, p,
                         {"type", "source", "target", "read_only", "consistency", "bind", "volume",
                          "tmpfs", "image"}));
    if (!m.contains("type")) return path_error(p, "type is required");
    BERTH_TRY(string_field(m, "type", p));
    std::string type = m["type"].get<std::string>();
    if (type != "volume" && type != "bind" && type != "tmpfs" && type != "image" &&
        type != "npipe" && type != "cluster") {
      return path_error(p / "type", "invalid mount type \"" + type + "\"");
    }
    BERTH_TRY(string_field(m, "source", p));
    BERTH_TRY(string_field(m, "target", p));
    BERTH_TRY(string_field(m, "consistency", p));
    BERTH_TRY(bool_field(m, "read_only", p));
    if (!m.contains("target") || m["target"].get<std::string>().empty()) {
      return path_error(p, "target is required");
    }
    m["target"] = fs::clean_path(m["target"].get<std::string>());
    if (type == "bind" && (!m.contains("source") || m["source"].get<std::string>().empty())) {
      return path_error(p,
                        "invalid mount config for type \"bind\": field Source must not be empty");
    }
    if (auto it = m.find("bind"); it != m.end() && !it->is_null()) {
      BERTH_TRY(want_object(*it, p / "bind"));
      BERTH_TRY(
          check_keys(*it, p / "bind", {"propagation", "create_host_path", "recursive", "selinux"}));
      BERTH_TRY(bool_field(*it, "create_host_path", p / "bind"));
      BERTH_TRY(string_field(*it, "propagation", p / "bind"));
      BERTH_TRY(string_field(*it, "selinux", p / "bind"));
      // compose-go defaultVolumeBind
      if (!it->contains("create_host_path")) (*it)["create_host_path"] = true;
    }
    if (auto it = m.find("volume"); it != m.end() && !it->is_null()) {
      BERTH_TRY(want_object(*it, p / "volume"));
      BERTH_TRY(check_keys(*it, p / "volume", {"labels", "nocopy", "subpath"}));
      BERTH_TRY(bool_field(*it, "nocopy", p / "volume"));
      BERTH_TRY(string_field(*it, "subpath", p / "volume"));
      BERTH_TRY(dict_field(*it, "labels", p / "volume", true));
    }
    if (auto it = m.find("tmpfs"); it != m.end() && !it->is_null()) {
      Path tp = p / "tmpfs";
      BERTH_TRY(want_object(*it, tp));
      BERTH_TRY(check_keys(*it, tp, {"size", "mode"}));
      if (auto s = it->find("size"); s != it->end() && !s->is_number_integer()) {
        BERTH_ASSIGN_OR_RETURN(std::string text, want_string(*s, tp / "size"));
        auto bytes = parse_bytes(text);
        if (!bytes) return path_error(tp / "size", bytes.error().message);
        *s = *bytes;
      }
      if (auto md = it->find("mode"); md != it->end() && md->is_string()) {
        std::string text = md->get<std::string>();  // a string mode is octal: "1777"
        char* end = nullptr;
        unsigned long mode = std::strtoul(text.c_str(), &end, 8);
        if (text.empty() || *end != '\0') {
          return path_error(tp / "mode", "must be an octal number");
        }
        *md = mode;
      }
    }
    if (auto it = m.find("image"); it != m.end() && !it->is_null()) {
      BERTH_TRY(want_object(*it, p / "image"));
      BERTH_TRY(check_keys(*it, p / "image", {"subpath"}));
    }
    out.push_back(std::move(m));
  }
  return out;
}

Result<Json> depends_on(const Json& v, const Path& path) {
  Json out = Json::object();
  if (v.is_array()) {
    for (size_t i = 0; i < v.size(); ++i) {
      BERTH_ASSIGN_OR_RETURN(std::string name, want_string(v[i], path / i));
      out[name] = {{"condition", "service_started"}, {"required", true}};
    }
    return out;
  }
  if (!v.is_object()) return path_error(path, "must be a list or a mapping");
  for (auto& [name, dep] : v.items()) {
    Path p = path / name;
    Json d = dep.is_null() ? Json::object() : dep;
    BERTH_TRY(want_object(d, p));
    BERTH_TRY(check_keys(d, p, {"condition", "required", "restart"}));
    BERTH_TRY(string_field(d, "condition", p));
    BERTH_TRY(bool_field(d, "required", p));
    BERTH_TRY(bool_field(d, "restart", p));
    if (!d.contains("condition")) d["condition"] = "service_started";
    if (!d.contains("required")) d["required"] = true;
    std::string c = d["condition"].get<std::string>();
    if (c != "service_started" && c != "service_healthy" && c != "service_completed_successfully") {
      return path_error(p / "condition", "invalid condition \"" + c +
                                             "\": must be service_started, service_healthy or "
                                             "service_completed_successfully");
    }
    out[name] = std::move(d);
  }
  return out;
}

Result<void> healthcheck(Json& h, const Path& path) {
  BERTH_TRY(want_object(h, path));
  BERTH_TRY(check_keys(
      h, path,
      {"test", "interval", "timeout", "start_period", "start_interval", "retries", "disable"}));
  if (auto it = h.find("test"); it != h.end() && !it->is_null()) {
    Path p = path / "test";
    if (it->is_array()) {
      BERTH_ASSIGN_OR_RETURN(*it, string_list(*it, p));
      if (!it->empty()) {
        std::string first = (*it)[0].get<std::string>();
        if (first != "CMD" && first != "CMD-SHELL" && first != "NONE") {
          return path_error(p, "must start with \"CMD\", \"CMD-SHELL\" or \"NONE\"");
        }
      }
    } else {
      BERTH_ASSIGN_OR_RETURN(std::string s, want_string(*it, p));
      *it = Json::array({"CMD-SHELL", s});
    }
  }
  for (std::string_view d : {"interval", "timeout", "start_period", "start_interval"}) {
    BERTH_TRY(duration_field(h, d, path));
  }
  BERTH_TRY(int_field(h, "retries", path));
  if (h.contains("retries") && h["retries"].get<int64_t>() < 0) {
    return path_error(path / "retries", "must not be negative");
  }
  BERTH_TRY(bool_field(h, "disable", path));
  return {};
}

Result<Json> service_networks(const Json& v, const Path& path) {
  Json out = Json::object();
  if (v.is_array()) {
    for (size_t i = 0; i < v.size(); ++i) {
      BERTH_ASSIGN_OR_RETURN(std::string name, want_string(v[i], path / i));
      out[name] = nullptr;
    }
    return out;
  }
  if (!v.is_object()) return path_error(path, "must be a list or a mapping");
  for (auto& [name, cfg] : v.items()) {
    Path p = path / name;
    if (cfg.is_null()) {
      out[name] = nullptr;
      continue;
    }
    Json c = cfg;
    BERTH_TRY(want_object(c, p));
    BERTH_TRY(
        check_keys(c, p,
                   {"aliases", "interface_name", "ipv4_address", "ipv6_address", "link_local_ips",
                    "mac_address", "driver_opts", "priority", "gw_priority"}));
    BERTH_TRY(list_field(c, "aliases", p));
    BERTH_TRY(list_field(c, "link_local_ips", p));
    for (std::string_view k : {"ipv4_address", "ipv6_address", "mac_address", "interface_name"}) {
      BERTH_TRY(string_field(c, k, p));
    }
    BERTH_TRY(int_field(c, "priority", p));
    BERTH_TRY(int_field(c, "gw_priority", p));
    out[name] = std::move(c);
  }
  return out;
}

Result<Json> env_files(const Json& v, const Path& path) {
  Json list = v.is_array() ? v : Json::array({v});
  Json out = Json::array();
  for (size_t i = 0; i < list.size(); ++i) {
    Path p = v.is_array() ? path / i : path;
    if (list[i].is_object()) {
      Json e = list[i];
      BERTH_TRY(check_keys(e, p, {"path", "required", "format"}));
      if (!e.contains("path")) return path_error(p, "path is required");
      BERTH_TRY(string_field(e, "path", p));
      BERTH_TRY(string_field(e, "format", p));
      BERTH_TRY(bool_field(e, "required", p));
      if (!e.contains("required")) e["required"] = true;
      out.push_back(std::move(e));
    } else {
      BERTH_ASSIGN_OR_RETURN(std::string s, want_string(list[i], p));
      out.push_back({{"path", s}, {"required", true}});
    }
  }
  return out;
}

// Service-level secrets and configs: "name" or {source, target, uid, gid, mode}.
Result<Json> file_mounts(const Json& v, const Path& path) {
  if (!v.is_array()) return path_error(path, "must be a list");
  Json out = Json::array();
  for (size_t i = 0; i < v.size(); ++i) {
    Path p = path / i;
    if (v[i].is_object()) {
      Json m = v[i];
      BERTH_TRY(check_keys(m, p, {"source", "target", "uid", "gid", "mode"}));
      if (!m.contains("source")) return path_error(p, "source is required");
      BERTH_TRY(string_field(m, "source", p));
      BERTH_TRY(string_field(m, "target", p));
      out.push_back(std::move(m));
    } else {
      BERTH_ASSIGN_OR_RETURN(std::string s, want_string(v[i], p));
      out.push_back({{"source", s}});
    }
  }
  return out;
}

Result<void> build(Json& svc, const Path& path) {
  auto it = svc.find("build");
  if (it == svc.end()) return {};
  Path p = path / "build";
  if (!it->is_object()) {
    BERTH_ASSIGN_OR_RETURN(std::string ctx, want_string(*it, p));
    *it = {{"context", ctx}};
    return {};
  }
  Json& b = *it;
  BERTH_TRY(check_keys(b, p,
                       {"context",
                        "dockerfile",
                        "dockerfile_inline",
                        "entitlements",
                        "args",
                        "ssh",
                        "labels",
                        "cache_from",
                        "cache_to",
                        "no_cache",
                        "no_cache_filter",
                        "additional_contexts",
                        "network",
                        "provenance",
                        "sbom",
                        "pull",
                        "target",
                        "shm_size",
                        "extra_hosts",
                        "isolation",
                        "privileged",
                        "secrets",
                        "tags",
                        "ulimits",
                        "platforms"}));
  for (std::string_view k :
       {"context", "dockerfile", "dockerfile_inline", "network", "target", "isolation"}) {
    BERTH_TRY(string_field(b, k, p));
  }
  BERTH_TRY(dict_field(b, "args", p));
  BERTH_TRY(dict_field(b, "labels", p, true));
  BERTH_TRY(dict_field(b, "additional_contexts", p));
  for (std::string_view k : {"cache_from", "cache_to", "tags", "platforms", "entitlements"}) {
    BERTH_TRY(list_field(b, k, p));
  }
  for (std::string_view k : {"no_cache", "pull", "privileged"}) BERTH_TRY(bool_field(b, k, p));
  if (auto eh = b.find("extra_hosts"); eh != b.end() && !eh->is_null()) {
    BERTH_ASSIGN_OR_RETURN(*eh, extra_hosts(*eh, p / "extra_hosts"));
  }
  if (b.contains("dockerfile") && b.contains("dockerfile_inline")) {
    return path_error(p, "dockerfile and dockerfile_inline are mutually exclusive");
  }
  return {};
}

Result<void> deploy(Json& svc, const Path& path) {
  auto it = svc.find("deploy");
  if (it == svc.end() || it->is_null()) return {};
  Path p = path / "deploy";
  BERTH_TRY(want_object(*it, p));
  BERTH_TRY(check_keys(*it, p,
                       {"mode", "endpoint_mode", "replicas", "labels", "rollback_config",
                        "update_config", "resources", "restart_policy", "placement"}));
  BERTH_TRY(int_field(*it, "replicas", p));
  BERTH_TRY(dict_field(*it, "labels", p, true));
  return {};
}

Result<void> service(Json& svc, const Path& path) {
  if (!svc.is_object()) return path_error(path, "must be a mapping");
  for (auto& [k, v] : svc.items()) {
    if (is_extension(k)) continue;
    if (std::find(std::begin(kServiceKeys), std::end(kServiceKeys), k) == std::end(kServiceKeys)) {
      return path_error(path, "unknown key \"" + k + "\"");
    }
  }
  for (std::string_view k :
       {"image",   "container_name", "hostname",      "domainname", "user",        "working_dir",
        "restart", "network_mode",   "pull_policy",   "platform",   "stop_signal", "ipc",
        "pid",     "cgroup",         "cgroup_parent", "runtime",    "mac_address", "userns_mode",
        "uts",     "isolation",      "cpuset"}) {
    BERTH_TRY(string_field(svc, k, path));
  }
  for (std::string_view k :
       {"privileged", "read_only", "tty", "stdin_open", "init", "oom_kill_disable"}) {
    BERTH_TRY(bool_field(svc, k, path));
  }
  BERTH_TRY(int_field(svc, "scale", path));
  for (std::string_view k :
       {"cap_add", "cap_drop", "profiles", "security_opt", "expose", "links", "external_links",
        "volumes_from", "device_cgroup_rules", "group_add", "dns_opt"}) {
    BERTH_TRY(list_field(svc, k, path));
  }
  for (std::string_view k : {"dns", "dns_search", "tmpfs", "label_file"}) {
    BERTH_TRY(list_field(svc, k, path, true));
  }
  BERTH_TRY(dict_field(svc, "environment", path));
  BERTH_TRY(dict_field(svc, "labels", path, true));
  BERTH_TRY(dict_field(svc, "annotations", path, true));
  BERTH_TRY(dict_field(svc, "sysctls", path));
  BERTH_TRY(command_field(svc, "command", path));
  BERTH_TRY(command_field(svc, "entrypoint", path));
  BERTH_TRY(build(svc, path));
  BERTH_TRY(deploy(svc, path));
  BERTH_TRY(duration_field(svc, "stop_grace_period", path));

  if (auto r = svc.find("restart"); r != svc.end() && !r->is_null()) {
    std::string policy = r->get<std::string>();
    bool ok = policy == "no" || policy == "always" || policy == "unless-stopped" ||
              policy == "on-failure";
    if (!ok && policy.starts_with("on-failure:")) {
      auto n = str::parse_uint(std::string_view(policy).substr(11));
      ok = n.has_value();
    }
    if (!ok) return path_error(path / "restart", "invalid restart policy \"" + policy + "\"");
  }
  if (auto it = svc.find("pull_policy"); it != svc.end() && *it == "if_not_present") {
    *it = "missing";  // compose-go Normalize
  }
  if (auto it = svc.find("env_file"); it != svc.end() && !it->is_null()) {
    BERTH_ASSIGN_OR_RETURN(*it, env_files(*it, path / "env_file"));
  }
  if (auto it = svc.find("ports"); it != svc.end() && !it->is_null()) {
    BERTH_ASSIGN_OR_RETURN(*it, ports(*it, path / "ports"));
  }
  if (auto it = svc.find("volumes"); it != svc.end() && !it->is_null()) {
    BERTH_ASSIGN_OR_RETURN(*it, volumes(*it, path / "volumes"));
  }
  if (auto it = svc.find("depends_on"); it != svc.end() && !it->is_null()) {
    BERTH_ASSIGN_OR_RETURN(*it, depends_on(*it, path / "depends_on"));
  }
  if (auto it = svc.find("healthcheck"); it != svc.end() && !it->is_null()) {
    BERTH_TRY(healthcheck(*it, path / "healthcheck"));
  }
  if (auto it = svc.find("networks"); it != svc.end() && !it->is_null()) {
    BERTH_ASSIGN_OR_RETURN(*it, service_networks(*it, path / "networks"));
  }
  if (auto it = svc.find("extra_hosts"); it != svc.end() && !it->is_null()) {
    BERTH_ASSIGN_OR_RETURN(*it, extra_hosts(*it, path / "extra_hosts"));
  }
  for (std::string_view k : {"secrets", "configs"}) {
    if (auto it = svc.find(k); it != svc.end() && !it->is_null()) {
      BERTH_ASSIGN_OR_RETURN(*it, file_mounts(*it, path / std::string(k)));
    }
  }
  if (auto it = svc.find("extends"); it != svc.end()) {
    Path p = path / "extends";
    if (it->is_object()) {
      BERTH_TRY(check_keys(*it, p, {"service", "file"}));
      if (!it->contains("service")) return path_error(p, "service is required");
      BERTH_TRY(string_field(*it, "service", p));
      BERTH_TRY(string_field(*it, "file", p));
    } else {
      BERTH_ASSIGN_OR_RETURN(std::string base, want_string(*it, p));
      *it = {{"service", base}};
    }
  }
  if (auto it = svc.find("logging"); it != svc.end() && !it->is_null()) {
    BERTH_TRY(want_object(*it, path / "logging"));
    BERTH_TRY(check_keys(*it, path / "logging", {"driver", "options"}));
  }
  return {};
}

// external: true, or the legacy {name: x} (compose-go transformMaybeExternal).
Result<void> external(Json& res, const Path& path) {
  auto it = res.find("external");
  if (it == res.end() || it->is_null()) return {};
  if (it->is_object()) {
    if (auto n = it->find("name"); n != it->end()) {
      BERTH_ASSIGN_OR_RETURN(std::string name, want_string(*n, path / "external" / "name"));
      if (res.contains("name") && res["name"] != name) {
        return path_error(path, "name and external.name conflict; only use name");
      }
      res["name"] = name;
    }
    *it = true;
    return {};
  }
  return bool_field(res, "external", path);
}

Result<void> network(Json& n, const Path& path) {
  BERTH_TRY(want_object(n, path));
  BERTH_TRY(check_keys(n, path,
                       {"name", "driver", "driver_opts", "ipam", "external", "internal",
                        "attachable", "enable_ipv4", "enable_ipv6", "labels"}));
  BERTH_TRY(string_field(n, "name", path));
  BERTH_TRY(string_field(n, "driver", path));
  BERTH_TRY(dict_field(n, "driver_opts", path));
  BERTH_TRY(dict_field(n, "labels", path, true));
  for (std::string_view k : {"internal", "attachable", "enable_ipv4", "enable_ipv6"}) {
    BERTH_TRY(bool_field(n, k, path));
  }
  BERTH_TRY(external(n, path));
  if (auto it = n.find("ipam"); it != n.end() && !it->is_null()) {
    Path p = path / "ipam";
    BERTH_TRY(want_object(*it, p));
    BERTH_TRY(check_keys(*it, p, {"driver", "config", "options"}));
    BERTH_TRY(string_field(*it, "driver", p));
    BERTH_TRY(dict_field(*it, "options", p));
    if (auto c = it->find("config"); c != it->end() && !c->is_null()) {
      if (!c->is_array()) return path_error(p / "config", "must be a list");
      for (size_t i = 0; i < c->size(); ++i) {
        Json& pool = (*c)[i];
        Path pp = p / "config" / i;
        BERTH_TRY(want_object(pool, pp));
        BERTH_TRY(check_keys(pool, pp, {"subnet", "ip_range", "gateway", "aux_addresses"}));
        for (std::string_view k : {"subnet", "ip_range", "gateway"})
          BERTH_TRY(string_field(pool, k, pp));
        BERTH_TRY(dict_field(pool, "aux_addresses", pp));
      }
    }
  }
  return {};
}

Result<void> volume(Json& v, const Path& path) {
  BERTH_TRY(want_object(v, path));
  BERTH_TRY(check_keys(v, path, {"name", "driver", "driver_opts", "external", "labels"}));
  BERTH_TRY(string_field(v, "name", path));
  BERTH_TRY(string_field(v, "driver", path));
  BERTH_TRY(dict_field(v, "driver_opts", path));
  BERTH_TRY(dict_field(v, "labels", path, true));
  return external(v, path);
}

Result<void> file_object(Json& v, const Path& path, bool secret) {
  BERTH_TRY(want_object(v, path));
  if (secret) {
    BERTH_TRY(check_keys(v, path,
                         {"name", "file", "environment", "external", "labels", "driver",
                          "driver_opts", "template_driver"}));
  } else {
    BERTH_TRY(check_keys(
        v, path,
        {"name", "file", "environment", "content", "external", "labels", "template_driver"}));
  }
  for (std::string_view k : {"name", "file", "environment", "content"}) {
    BERTH_TRY(string_field(v, k, path));
  }
  BERTH_TRY(dict_field(v, "labels", path, true));
  return external(v, path);
}

// Applies `fn` to each entry of the top-level mapping `key`, checking its names.
template <class Fn>
Result<void> each_entry(Json& doc, const std::string& key, Fn fn) {
  auto it = doc.find(key);
  if (it == doc.end() || it->is_null()) return {};
  Path p{key};
  BERTH_TRY(want_object(*it, p));
  for (auto& [name, v] : it->items()) {
    if (!valid_name(name)) {
      return path_error(p, "invalid name \"" + name + "\": only [a-zA-Z0-9._-] are allowed");
    }
    BERTH_TRY(fn(v, p / name));
  }
  return {};
}

Result<void> interpolate_at(Json& v, const Path& path, const Lookup& lookup) {
  if (v.is_string()) {
    auto s = interpolate(v.get<std::string>(), lookup);
    if (!s) return path_error(path, s.error().message);
    v = std::move(*s);
  } else if (v.is_object()) {
    for (auto& [k, item] : v.items()) BERTH_TRY(interpolate_at(item, path / k, lookup));
  } else if (v.is_array()) {
    for (size_t i = 0; i < v.size(); ++i) BERTH_TRY(interpolate_at(v[i], path / i, lookup));
  }
  return {};
}

}  // namespace

Result<void> interpolate_model(Json& doc, const Lookup& lookup) {
  return interpolate_at(doc, {}, lookup);
}

Result<void> canonicalize(Json& doc) {
  if (!doc.is_object())
    return make_error(Errc::kInvalidArgument, "top-level object must be a mapping");
  for (auto& [k, v] : doc.items()) {
    if (is_extension(k)) continue;
    if (k == "include" || k == "models") return path_error({k}, "not supported yet");
    if (k != "version" && k != "name" && k != "services" && k != "networks" && k != "volumes" &&
        k != "configs" && k != "secrets") {
      return make_error(Errc::kInvalidArgument, "unknown top-level key \"" + k + "\"");
    }
  }
  BERTH_TRY(string_field(doc, "name", {}));
  BERTH_TRY(each_entry(doc, "services", [](Json& s, const Path& p) { return service(s, p); }));
  // A null network/volume entry ("data:") means all defaults.
  auto defaults = [](auto check) {
    return [check](Json& v, const Path& p) -> Result<void> {
      if (v.is_null()) return {};
      return check(v, p);
    };
  };
  BERTH_TRY(
      each_entry(doc, "networks", defaults([](Json& n, const Path& p) { return network(n, p); })));
  BERTH_TRY(
      each_entry(doc, "volumes", defaults([](Json& v, const Path& p) { return volume(v, p); })));
  BERTH_TRY(each_entry(doc, "configs",
                       defaults([](Json& v, const Path& p) { return file_object(v, p, false); })));
  BERTH_TRY(each_entry(doc, "secrets",
                       defaults([](Json& v, const Path& p) { return file_object(v, p, true); })));
  return {};
}

// ---- merging ----

namespace {

// Where `over` replaces `base` whole (13-merge.md "Shell commands"; compose-go override()).
constexpr std::string_view kReplaced[] = {"services.*.command", "services.*.entrypoint",
                                          "services.*.healthcheck.test", "services.*.ulimits.*"};
// Key/value mappings merged key by key, a later null included (compose-go mergeToSequence
// then the keyValueIndexer: "KEY" replaces "KEY=VALUE").
constexpr std::string_view kKeyValue[] = {
    "services.*.environment",   "services.*.labels",
    "services.*.annotations",   "services.*.sysctls",
    "services.*.build.args",    "services.*.build.labels",
    "services.*.deploy.labels", "networks.*.labels",
    "volumes.*.labels",         "services.*.build.additional_contexts"};

bool matches_any(const Path& path, const std::string_view* begin, const std::string_view* end) {
  return std::any_of(begin, end, [&](std::string_view p) { return path_matches(path, p); });
}

// networks.*.ipam.config: pools merged by subnet (compose-go mergeIPAMConfig).
Json merge_ipam(const Json& base, const Json& over) {
  Json out = base.is_array() ? base : Json::array();
  for (const Json& pool : over) {
    auto same = std::find_if(out.begin(), out.end(), [&](const Json& p) {
      return p.value("subnet", "") == pool.value("subnet", "");
    });
    if (same == out.end()) {
      out.push_back(pool);
    } else {
      for (auto& [k, v] : pool.items()) (*same)[k] = v;
    }
  }
  return out;
}

std::string port_key(const Json& p) {
  auto text = [&](const char* k) { return p.contains(k) ? scalar_text(p[k]).value_or("") : ""; };
  return text("host_ip") + ":" + text("published") + ":" + text("target") + "/" + text("protocol");
}

// The identity of a sequence item under `path`, or nullopt when the sequence may repeat.
std::optional<std::string> unique_key(const Path& path, const Json& item) {
  if (path_matches(path, "services.*.ports")) return port_key(item);
  if (path_matches(path, "services.*.volumes")) return item.value("target", "");
  if (path_matches(path, "services.*.secrets") || path_matches(path, "services.*.configs")) {
    std::string prefix = path[2] == "secrets" ? "/run/secrets/" : "/";
    if (item.contains("target")) return item["target"].get<std::string>();
    return prefix + item.value("source", "");
  }
  if (path_matches(path, "services.*.env_file")) return item.value("path", "");
  static constexpr std::string_view kByValue[] = {"services.*.cap_add",
                                                  "services.*.cap_drop",
                                                  "services.*.dns",
                                                  "services.*.dns_opt",
                                                  "services.*.dns_search",
                                                  "services.*.expose",
                                                  "services.*.profiles",
                                                  "services.*.tmpfs",
                                                  "services.*.security_opt",
                                                  "services.*.links",
                                                  "services.*.external_links",
                                                  "services.*.extra_hosts",
                                                  "services.*.devices",
                                                  "services.*.volumes_from",
                                                  "services.*.build.tags",
                                                  "services.*.build.extra_hosts",
                                                  "services.*.networks.*.aliases",
                                                  "services.*.networks.*.link_local_ips"};
  if (matches_any(path, std::begin(kByValue), std::end(kByValue))) {
    return scalar_text(item).value_or(item.dump());
  }
  return std::nullopt;
}

}  // namespace

void enforce_unique(Json& model, const Path& path) {
  if (model.is_object()) {
    for (auto& [k, v] : model.items()) enforce_unique(v, path / k);
    return;
  }
  if (!model.is_array() || model.empty() || !unique_key(path, model[0])) return;
  Json out = Json::array();
  std::map<std::string, size_t> seen;
  for (Json& item : model) {
    std::string key = *unique_key(path, item);
    if (auto it = seen.find(key); it != seen.end()) {
      out[it->second] = std::move(item);
    } else {
      seen[key] = out.size();
      out.push_back(std::move(item));
    }
  }
  model = std::move(out);
}

namespace {

Result<void> merge_at(Json& base, const Json& over, const Path& path) {
  if (matches_any(path, std::begin(kReplaced), std::end(kReplaced))) {
    base = over;
    return {};
  }
  if (path_matches(path, "networks.*.ipam.config") && over.is_array()) {
    base = merge_ipam(base, over);
    return {};
  }
  if (over.is_null()) return {};
  if (base.is_null()) {
    base = over;
    return {};
  }
  if (path_matches(path, "services.*.logging") && base.is_object() && over.is_object() &&
      base.contains("driver") && over.contains("driver") && base["driver"] != over["driver"]) {
    base = over;  // another driver: its options would not apply
    return {};
  }
  if (base.is_object()) {
    if (!over.is_object()) return path_error(path, "cannot override");
    bool key_value = matches_any(path, std::begin(kKeyValue), std::end(kKeyValue));
    for (auto& [k, v] : over.items()) {
      auto it = base.find(k);
      if (it == base.end() || key_value) {
        base[k] = v;
      } else {
        BERTH_TRY(merge_at(*it, v, path / k));
      }
    }
    return {};
  }
  if (base.is_array()) {
    if (!over.is_array()) return path_error(path, "cannot override");
    for (const Json& item : over) base.push_back(item);
    return {};
  }
  base = over;
  return {};
}

}  // namespace

Result<void> merge_models(Json& base, const Json& over, const Path& path) {
  BERTH_TRY(merge_at(base, over, path));
  enforce_unique(base, path);
  return {};
}

}  // namespace berth::compose
