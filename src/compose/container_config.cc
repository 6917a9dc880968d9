// A service's container as the Engine API creates it (docker/compose pkg/compose/create.go
// getCreateConfigs, buildContainerVolumes, buildContainerPortBindingOptions) and its config hash
// (compose-go ServiceHash).
#include <algorithm>
#include <string>

#include "common/digest.h"
#include "common/strings.h"
#include "compose/runner.h"

namespace berth::compose {
namespace {

Json healthcheck_json(const Healthcheck& h) {
  Json out = Json::object();
  if (h.disable) {
    out["Test"] = Json::array({"NONE"});
    return out;
  }
  if (!h.test.empty()) out["Test"] = h.test;
  if (h.interval) out["Interval"] = h.interval;
  if (h.timeout) out["Timeout"] = h.timeout;
  if (h.start_period) out["StartPeriod"] = h.start_period;
  if (h.start_interval) out["StartInterval"] = h.start_interval;
  if (h.retries) out["Retries"] = *h.retries;
  return out;
}

Json restart_policy(const std::string& restart) {
  if (restart.empty() || restart == "no") return {{"Name", "no"}, {"MaximumRetryCount", 0}};
  auto colon = restart.find(':');
  Json p = {{"Name", restart.substr(0, colon)}, {"MaximumRetryCount", 0}};
  if (colon != std::string::npos) {
    if (auto n = str::parse_int(restart.substr(colon + 1))) p["MaximumRetryCount"] = *n;
  }
  return p;
}

// "8000-8005" -> 8000 + offset (the port of a range given to the offset-th target), else as is.
std::string host_port(const std::string& published, size_t offset) {
  auto dash = published.find('-');
  if (dash == std::string::npos) return published;
  auto first = str::parse_int(published.substr(0, dash));
  auto last = str::parse_int(published.substr(dash + 1));
  if (!first || !last || *first + static_cast<int64_t>(offset) > *last) return published.substr(0, dash);
  return std::to_string(*first + static_cast<int64_t>(offset));
}

// Mounts (long syntax) and Binds (short-syntax binds, so that a missing host path is created
// as docker-compose did), from the service's volumes and tmpfs.
void add_mounts(const Project& p, const Service& s, Json& host_config) {
  Json mounts = Json::array(), binds = Json::array();
  for (auto& v : s.volumes) {
    Json m = {{"Target", v.target}, {"ReadOnly", v.read_only}};
    switch (v.type) {
      case MountType::kBind:
        if (v.create_host_path) {
          std::string b = v.source + ":" + v.target;
          std::string opts = v.read_only ? "ro" : "";
          if (!v.propagation.empty()) opts += (opts.empty() ? "" : ",") + v.propagation;
          if (!v.selinux.empty()) opts += (opts.empty() ? "" : ",") + v.selinux;
          binds.push_back(opts.empty() ? b : b + ":" + opts);
          continue;
        }
        m["Type"] = "bind";
        m["Source"] = v.source;
        if (!v.propagation.empty()) m["BindOptions"] = {{"Propagation", v.propagation}};
        break;
      case MountType::kVolume: {
        m["Type"] = "volume";
        auto it = p.volumes.find(v.source);
        m["Source"] = it != p.volumes.end() ? it->second.name : v.source;
        Json vo = Json::object();
        if (v.nocopy) vo["NoCopy"] = true;
        if (!v.subpath.empty()) vo["Subpath"] = v.subpath;
        if (!vo.empty()) m["VolumeOptions"] = vo;
        break;
      }
      case MountType::kTmpfs: {
        m["Type"] = "tmpfs";
        Json to = Json::object();
        if (v.tmpfs_size) to["SizeBytes"] = v.tmpfs_size;
        if (v.tmpfs_mode) to["Mode"] = v.tmpfs_mode;
        if (!to.empty()) m["TmpfsOptions"] = to;
        break;
      }
      default:
        m["Type"] = v.type == MountType::kImage ? "image" : "npipe";
        m["Source"] = v.source;
    }
    mounts.push_back(m);
  }
  if (!mounts.empty()) host_config["Mounts"] = mounts;
  if (!binds.empty()) host_config["Binds"] = binds;
  if (!s.tmpfs.empty()) {
    Json t = Json::object();
    for (auto& e : s.tmpfs) {
      auto colon = e.find(':');
      t[e.substr(0, colon)] = colon == std::string::npos ? "" : e.substr(colon + 1);
    }
    host_config["Tmpfs"] = t;
  }
}

// Secrets at /run/secrets/<name> and configs at /<name> (or their target), read-only binds
// of their files (compose's file sources; content and environment sources are copied into
// the container by docker compose, which berth does not do yet).
Result<void> add_file_objects(const Project& p, const Service& s, Json& host_config) {
  for (const char* kind : {"secrets", "configs"}) {
    bool secret = kind == std::string("secrets");
    Json list = s.raw.is_object() ? s.raw.value(kind, Json::array()) : Json::array();
    const auto& objects = secret ? p.secrets : p.configs;
    for (auto& m : list) {
      std::string source = m.value("source", "");
      auto it = objects.find(source);
      if (it == objects.end()) continue;  // the loader has refused unknown names
      std::string target = m.value("target", "");
      if (target.empty()) target = source;
      if (!target.starts_with("/")) target = (secret ? "/run/secrets/" : "/") + target;
      if (it->second.file.empty()) {
        return make_error(Errc::kNotImplemented, "service \"" + s.name + "\": " +
                                                     (secret ? "secret" : "config") + " \"" + source +
                                                     "\": only file sources are supported yet");
      }
      if (!host_config.contains("Binds")) host_config["Binds"] = Json::array();
      host_config["Binds"].push_back(it->second.file + ":" + target + ":ro");
    }
  }
  return {};
}

}  // namespace

std::string config_hash(const Service& s) {
  Json j = s.raw.is_object() ? s.raw : Json::object();
  j.erase("scale");
  if (auto d = j.find("deploy"); d != j.end() && d->is_object()) d->erase("replicas");
  return std::string(digest_hex(sha256_digest(dump_json(j))));
}

Result<Json> container_create_body(const Project& p, const Service& s, int number,
                                   const std::string& image, const std::string& image_id,
                                   const std::function<std::string(const std::string&)>& container_of) {
  Json labels = Json::object();
  for (auto& [k, v] : s.labels) labels[k] = v;
  std::string deps;
  for (auto& d : s.depends_on) {
    static const char* kConditions[] = {"service_started", "service_healthy",
                                        "service_completed_successfully"};
    deps += (deps.empty() ? "" : ",") + d.service + ":" +
            kConditions[static_cast<int>(d.condition)] + ":" + (d.restart ? "true" : "false");
  }
  labels["com.docker.compose.project"] = p.name;
  labels["com.docker.compose.service"] = s.name;
  labels["com.docker.compose.container-number"] = std::to_string(number);
  labels["com.docker.compose.oneoff"] = "False";
  labels["com.docker.compose.config-hash"] = config_hash(s);
  labels["com.docker.compose.image"] = image_id;
  labels["com.docker.compose.project.working_dir"] = p.working_dir;
  labels["com.docker.compose.project.config_files"] = str::join(p.files, ",");
  labels["com.docker.compose.depends_on"] = deps;
  labels["com.docker.compose.version"] = "2.29.0";

  Json env = Json::array();
  for (auto& [k, v] : s.environment) env.push_back(k + "=" + v);
  Json body = {{"Image", image}, {"Env", env}, {"Labels", labels}, {"User", s.user},
               {"WorkingDir", s.working_dir}, {"Tty", s.tty}, {"OpenStdin", s.stdin_open},
               {"AttachStdin", false}, {"AttachStdout", true}, {"AttachStderr", true}};
  if (s.command) body["Cmd"] = *s.command;
  if (s.entrypoint) body["Entrypoint"] = *s.entrypoint;
  if (!s.hostname.empty()) body["Hostname"] = s.hostname;
  if (!s.domainname.empty()) body["Domainname"] = s.domainname;
  if (!s.stop_signal.empty()) body["StopSignal"] = s.stop_signal;
  if (s.stop_grace_period) body["StopTimeout"] = *s.stop_grace_period / 1000000000;
  if (s.healthcheck) body["Healthcheck"] = healthcheck_json(*s.healthcheck);

  Json exposed = Json::object(), bindings = Json::object();
  for (auto& e : s.expose) exposed[e.find('/') == std::string::npos ? e + "/tcp" : e] = Json::object();
  // published range -> targets given so far; replica n starts after the ports of replicas
  // 1..n-1, so that scaled replicas of "8000-8003:80" do not all ask for 8000.
  std::map<std::string, size_t> range_use, range_targets;
  for (auto& port : s.ports) range_targets[port.published]++;
  for (auto& [range, targets] : range_targets) {
    range_use[range] = static_cast<size_t>(std::max(number - 1, 0)) * targets;
  }
  for (auto& port : s.ports) {
    std::string key = std::to_string(port.target) + "/" + port.protocol;
    exposed[key] = Json::object();
    if (!bindings.contains(key)) bindings[key] = Json::array();
    bindings[key].push_back({{"HostIp", port.host_ip},
                             {"HostPort", host_port(port.published, range_use[port.published]++)}});
  }
  if (!exposed.empty()) body["ExposedPorts"] = exposed;

  Json hc = {{"RestartPolicy", restart_policy(s.restart)},
             {"PortBindings", bindings},
             {"Privileged", s.privileged},
             {"ReadonlyRootfs", s.read_only}};
  if (s.init) hc["Init"] = *s.init;
  if (!s.cap_add.empty()) hc["CapAdd"] = s.cap_add;
  if (!s.cap_drop.empty()) hc["CapDrop"] = s.cap_drop;
  if (!s.dns.empty()) hc["Dns"] = s.dns;
  if (!s.dns_search.empty()) hc["DnsSearch"] = s.dns_search;
  if (!s.dns_opt.empty()) hc["DnsOptions"] = s.dns_opt;
  if (!s.extra_hosts.empty()) hc["ExtraHosts"] = s.extra_hosts;
  if (!s.sysctls.empty()) hc["Sysctls"] = s.sysctls;
  add_mounts(p, s, hc);
  BERTH_TRY(add_file_objects(p, s, hc));

  // Networks: the first by priority (then name) is NetworkMode; all of them are endpoints,
  // each with the service name as an alias.
  Json endpoints = Json::object();
  if (s.network_mode.empty()) {
    std::vector<const ServiceNetwork*> nets;
    for (auto& n : s.networks) nets.push_back(&n);
    std::stable_sort(nets.begin(), nets.end(),
                     [](auto* a, auto* b) { return a->priority > b->priority; });
    for (auto* n : nets) {
      auto it = p.networks.find(n->name);
      std::string name = it != p.networks.end() ? it->second.name : n->name;
      if (!hc.contains("NetworkMode")) hc["NetworkMode"] = name;
      Json aliases = Json::array({s.name});
      for (auto& a : n->aliases) aliases.push_back(a);
      Json ep = {{"Aliases", aliases}};
      if (!n->ipv4_address.empty()) ep["IPAMConfig"] = {{"IPv4Address", n->ipv4_address}};
      endpoints[name] = ep;
    }
  } else if (s.network_mode.starts_with("service:")) {
    std::string target = s.network_mode.substr(8);
    std::string id = container_of(target);
    if (id.empty()) {
      return make_error(Errc::kInvalidArgument, "service \"" + s.name + "\": network_mode " +
                                                    s.network_mode + ": no container for service " + target);
    }
    hc["NetworkMode"] = "container:" + id;
  } else {
    hc["NetworkMode"] = s.network_mode;
  }
  body["HostConfig"] = hc;
  body["NetworkingConfig"] = {{"EndpointsConfig", endpoints}};
  return body;
}

}  // namespace berth::compose
