// The typed model read from the canonical JSON model, and its JSON/YAML output.
#include <algorithm>

#include "compose/convert.h"
#include "compose/project.h"
#include "compose/syntax.h"
#include "compose/tree.h"
#include "compose/yaml.h"

namespace berth::compose {
namespace {

std::string text(const Json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end()) return "";
  return scalar_text(*it).value_or("");
}

bool flag(const Json& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_boolean() && it->get<bool>();
}

std::vector<std::string> strings(const Json& obj, const char* key) {
  std::vector<std::string> out;
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_array()) return out;
  for (const Json& v : *it) out.push_back(scalar_text(v).value_or(""));
  return out;
}

// A canonical key/value mapping; null values (unset variables) are left out.
StringMap string_map(const Json& obj, const char* key) {
  StringMap out;
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_object()) return out;
  for (auto& [k, v] : it->items()) {
    if (auto s = scalar_text(v)) out[k] = *s;
  }
  return out;
}

int64_t duration(const Json& obj, const char* key) {
  std::string s = text(obj, key);
  if (s.empty()) return 0;
  return parse_duration(s).value_or(0);
}

std::optional<std::vector<std::string>> command(const Json& svc, const char* key) {
  auto it = svc.find(key);
  if (it == svc.end() || it->is_null()) return std::nullopt;
  return strings(svc, key);
}

MountType mount_type(const std::string& t) {
  if (t == "bind") return MountType::kBind;
  if (t == "tmpfs") return MountType::kTmpfs;
  if (t == "image") return MountType::kImage;
  if (t == "npipe") return MountType::kNpipe;
  if (t == "cluster") return MountType::kCluster;
  return MountType::kVolume;
}

VolumeMount volume_mount(const Json& v) {
  VolumeMount m;
  m.type = mount_type(text(v, "type"));
  m.source = text(v, "source");
  m.target = text(v, "target");
  m.read_only = flag(v, "read_only");
  m.consistency = text(v, "consistency");
  Json none = Json::object();
  const Json& bind = v.contains("bind") && v["bind"].is_object() ? v["bind"] : none;
  m.propagation = text(bind, "propagation");
  m.selinux = text(bind, "selinux");
  m.create_host_path = flag(bind, "create_host_path");
  const Json& vol = v.contains("volume") && v["volume"].is_object() ? v["volume"] : none;
  m.nocopy = flag(vol, "nocopy");
  m.subpath = text(vol, "subpath");
  const Json& tmpfs = v.contains("tmpfs") && v["tmpfs"].is_object() ? v["tmpfs"] : none;
  if (auto s = tmpfs.find("size"); s != tmpfs.end() && s->is_number_integer())
    m.tmpfs_size = s->get<int64_t>();
  if (auto md = tmpfs.find("mode"); md != tmpfs.end() && md->is_number_integer()) {
    m.tmpfs_mode = md->get<uint32_t>();
  }
  return m;
}

Service service(const std::string& name, const Json& s) {
  Service out;
  out.name = name;
  out.raw = s;
  out.image = text(s, "image");
  if (auto b = s.find("build"); b != s.end() && b->is_object()) {
    BuildConfig bc;
    bc.context = text(*b, "context");
    bc.dockerfile = text(*b, "dockerfile");
    bc.dockerfile_inline = text(*b, "dockerfile_inline");
    bc.args = string_map(*b, "args");
    bc.target = text(*b, "target");
    bc.labels = string_map(*b, "labels");
    bc.network = text(*b, "network");
    bc.cache_from = strings(*b, "cache_from");
    bc.tags = strings(*b, "tags");
    bc.no_cache = flag(*b, "no_cache");
    bc.pull = flag(*b, "pull");
    out.build = std::move(bc);
  }
  out.command = command(s, "command");
  out.entrypoint = command(s, "entrypoint");
  out.environment = string_map(s, "environment");
  for (const Json& e : s.value("env_file", Json::array())) {
    out.env_file.push_back({text(e, "path"), e.value("required", true), text(e, "format")});
  }
  for (const Json& p : s.value("ports", Json::array())) {
    PortConfig pc;
    pc.target = p.value("target", 0u);
    pc.published = text(p, "published");
    pc.host_ip = text(p, "host_ip");
    pc.protocol = p.value("protocol", "tcp");
    pc.mode = p.value("mode", "ingress");
    pc.name = text(p, "name");
    pc.app_protocol = text(p, "app_protocol");
    out.ports.push_back(std::move(pc));
  }
  for (const Json& v : s.value("volumes", Json::array())) out.volumes.push_back(volume_mount(v));
  Json deps = s.value("depends_on", Json::object());
  for (auto& [dep, cfg] : deps.items()) {
    Dependency d;
    d.service = dep;
    std::string c = text(cfg, "condition");
    d.condition = c == "service_healthy"                  ? DependsCondition::kHealthy
                  : c == "service_completed_successfully" ? DependsCondition::kCompletedSuccessfully
                                                          : DependsCondition::kStarted;
    d.restart = flag(cfg, "restart");
    d.required = cfg.value("required", true);
    out.depends_on.push_back(std::move(d));
  }
  if (auto h = s.find("healthcheck"); h != s.end() && h->is_object()) {
    Healthcheck hc;
    hc.test = strings(*h, "test");
    hc.interval = duration(*h, "interval");
    hc.timeout = duration(*h, "timeout");
    hc.start_period = duration(*h, "start_period");
    hc.start_interval = duration(*h, "start_interval");
    if (auto r = h->find("retries"); r != h->end() && r->is_number_integer()) {
      hc.retries = r->get<uint64_t>();
    }
    hc.disable = flag(*h, "disable");
    out.healthcheck = std::move(hc);
  }
  out.restart = text(s, "restart");
  if (auto d = s.find("deploy"); d != s.end() && d->is_object() && d->contains("replicas")) {
    out.scale = (*d)["replicas"].get<int>();
  }
  if (auto sc = s.find("scale"); sc != s.end() && sc->is_number_integer())
    out.scale = sc->get<int>();
  out.user = text(s, "user");
  out.working_dir = text(s, "working_dir");
  out.hostname = text(s, "hostname");
  out.domainname = text(s, "domainname");
  out.labels = string_map(s, "labels");
  Json nets = s.value("networks", Json::object());
  for (auto& [net, cfg] : nets.items()) {
    ServiceNetwork n;
    n.name = net;
    if (cfg.is_object()) {
      n.aliases = strings(cfg, "aliases");
      n.ipv4_address = text(cfg, "ipv4_address");
      n.ipv6_address = text(cfg, "ipv6_address");
      n.mac_address = text(cfg, "mac_address");
      n.priority = cfg.value("priority", 0);
    }
    out.networks.push_back(std::move(n));
  }
  out.network_mode = text(s, "network_mode");
  out.expose = strings(s, "expose");
  for (std::string h : strings(s, "extra_hosts")) {
    if (size_t eq = h.find('='); eq != std::string::npos) h[eq] = ':';  // docker's form
    out.extra_hosts.push_back(std::move(h));
  }
  out.dns = strings(s, "dns");
  out.dns_search = strings(s, "dns_search");
  out.dns_opt = strings(s, "dns_opt");
  out.cap_add = strings(s, "cap_add");
  out.cap_drop = strings(s, "cap_drop");
  out.privileged = flag(s, "privileged");
  out.read_only = flag(s, "read_only");
  out.tty = flag(s, "tty");
  out.stdin_open = flag(s, "stdin_open");
  if (auto i = s.find("init"); i != s.end() && i->is_boolean()) out.init = i->get<bool>();
  out.tmpfs = strings(s, "tmpfs");
  out.stop_signal = text(s, "stop_signal");
  if (s.contains("stop_grace_period")) out.stop_grace_period = duration(s, "stop_grace_period");
  out.container_name = text(s, "container_name");
  out.profiles = strings(s, "profiles");
  out.pull_policy = text(s, "pull_policy");
  out.platform = text(s, "platform");
  out.sysctls = string_map(s, "sysctls");
  return out;
}

const Json& section(const Json& model, const char* key) {
  static const Json empty = Json::object();
  auto it = model.find(key);
  return it != model.end() && it->is_object() ? *it : empty;
}

}  // namespace

void fill_project(Project& p) {
  p.services.clear();
  for (auto& [name, svc] : section(p.model, "services").items()) {
    p.services.push_back(service(name, svc));
  }
  for (auto& [key, n] : section(p.model, "networks").items()) {
    Network net;
    net.key = key;
    net.name = text(n, "name");
    net.driver = text(n, "driver");
    net.driver_opts = string_map(n, "driver_opts");
    net.external = flag(n, "external");
    net.internal = flag(n, "internal");
    net.attachable = flag(n, "attachable");
    if (auto v6 = n.find("enable_ipv6"); v6 != n.end() && v6->is_boolean())
      net.enable_ipv6 = v6->get<bool>();
    net.labels = string_map(n, "labels");
    if (auto ipam = n.find("ipam"); ipam != n.end() && ipam->is_object()) {
      net.ipam_driver = text(*ipam, "driver");
      for (const Json& pool : ipam->value("config", Json::array())) {
        net.ipam_config.push_back({text(pool, "subnet"), text(pool, "gateway"),
                                   text(pool, "ip_range"), string_map(pool, "aux_addresses")});
      }
    }
    p.networks[key] = std::move(net);
  }
  for (auto& [key, v] : section(p.model, "volumes").items()) {
    p.volumes[key] = {key,
                      text(v, "name"),
                      text(v, "driver"),
                      string_map(v, "driver_opts"),
                      string_map(v, "labels"),
                      flag(v, "external")};
  }
  for (const char* kind : {"configs", "secrets"}) {
    auto& dest = std::string_view(kind) == "configs" ? p.configs : p.secrets;
    for (auto& [key, v] : section(p.model, kind).items()) {
      FileObject o;
      o.key = key;
      o.name = text(v, "name");
      o.file = text(v, "file");
      o.environment = text(v, "environment");
      if (v.contains("content")) o.content = text(v, "content");
      if (auto e = p.environment.find(o.environment);
          !o.environment.empty() && e != p.environment.end()) {
        o.content = e->second;  // secrets from the environment: never in the printed model
      }
      o.external = flag(v, "external");
      o.labels = string_map(v, "labels");
      dest[key] = std::move(o);
    }
  }
}

const Service* Project::service(std::string_view service_name) const {
  auto it = std::find_if(services.begin(), services.end(),
                         [&](const Service& s) { return s.name == service_name; });
  return it == services.end() ? nullptr : &*it;
}

Json to_json(const Project& project) {
  Json out = project.model;
  // compose prints command and entrypoint always, null when unset.
  for (auto& [name, svc] : out["services"].items()) {
    for (const char* k : {"command", "entrypoint"}) {
      if (!svc.contains(k)) svc[k] = nullptr;
    }
  }
  return out;
}

std::string to_yaml(const Project& project) {
  Json out = project.model;
  for (auto& [name, svc] : out["services"].items()) {
    for (const char* k : {"command", "entrypoint"}) {
      if (svc.contains(k) && svc[k].is_null()) svc.erase(k);
    }
  }
  return emit_yaml(out);
}

}  // namespace berth::compose
