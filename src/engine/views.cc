// Containers as the Docker Engine API shows them: ContainerJSON (inspect) and ContainerSummary
// (ps), with docker's status texts.
#include <time.h>

#include "common/strings.h"
#include "common/time.h"
#include "engine/engine.h"

namespace berth::engine {

namespace {


std::string status_text(const State& st) {
  double now = static_cast<double>(::time(nullptr));
  if (st.status == "running") {
    std::string up = "Up " + human_duration(now - parse_rfc3339(st.started_at));
    if (st.health.is_object()) {
      std::string h = st.health.value("Status", "");
      up += h == "starting" ? " (health: starting)" : " (" + h + ")";
    }
    return up;
  }
  if (st.status == "paused") {
    return "Up " + human_duration(now - parse_rfc3339(st.started_at)) + " (Paused)";
  }
  if (st.status == "exited") {
    return "Exited (" + std::to_string(st.exit_code) + ") " +
           human_duration(now - parse_rfc3339(st.finished_at)) + " ago";
  }
  if (st.status == "removing") return "Removal In Progress";
  if (st.status == "restarting") {
    return "Restarting (" + std::to_string(st.exit_code) + ") " +
           human_duration(now - parse_rfc3339(st.finished_at)) + " ago";
  }
  return "Created";
}

// docker's NetworkSettings: one EndpointSettings per network the container is on (addresses
// while it runs); the top-level address fields are the default bridge's, as docker's.
Json network_settings(const Container& c) {
  const Json& n = c.network.is_object() ? c.network : Json::object();
  Json eps = n.value("endpoints", Json::object());
  Json ports = Json::object();
  for (auto& p : n.value("ports", Json::array())) {
    std::string key = std::to_string(p.value("ContainerPort", 0)) + "/" + p.value("Protocol", "tcp");
    ports[key].push_back({{"HostIp", p["HostIp"]}, {"HostPort", p["HostPort"]}});
  }
  Json networks = Json::object();
  Json net_cfg = c.networking.is_object() ? c.networking : Json::object();
  if (net_cfg.empty()) {
    std::string mode = c.host_config.value("NetworkMode", "default");
    if (!mode.starts_with("container:")) net_cfg[mode == "default" ? "bridge" : mode] = Json::object();
  }
  for (auto& [name, cfg] : net_cfg.items()) {
    Json e = eps.value(name, Json::object());
    std::string ip = e.value("ip", "");
    Json aliases = cfg.contains("Aliases") ? cfg["Aliases"] : Json();
    Json ipam = cfg.contains("IPv4Address") ? Json{{"IPv4Address", cfg["IPv4Address"]}} : Json();
    networks[name] = {{"IPAMConfig", ipam}, {"Links", Json()}, {"Aliases", aliases},
                      {"MacAddress", e.value("mac", "")}, {"DriverOpts", Json()},
                      {"NetworkID", e.value("network_id", "")},
                      {"EndpointID", ip.empty() ? "" : c.id},
                      {"Gateway", e.value("gateway", "")}, {"IPAddress", ip},
                      {"IPPrefixLen", ip.empty() ? 0 : e.value("prefix", 0)},
                      {"IPv6Gateway", ""}, {"GlobalIPv6Address", ""}, {"GlobalIPv6PrefixLen", 0},
                      {"DNSNames", Json()}};
  }
  Json bridge = eps.value("bridge", Json::object());
  std::string ip = bridge.value("ip", "");
  return {{"Bridge", ip.empty() ? "" : "berth0"},
          {"SandboxID", n.value("netns", "").empty() ? "" : c.id},
          {"SandboxKey", n.value("netns", "")},
          {"Ports", ports},
          {"IPAddress", ip},
          {"IPPrefixLen", ip.empty() ? 0 : bridge.value("prefix", 0)},
          {"Gateway", bridge.value("gateway", "")},
          {"MacAddress", bridge.value("mac", "")},
          {"Networks", networks}};
}

Json mounts_json(const Container& c) {
  Json out = Json::array();
  for (auto& m : c.mounts.is_array() ? c.mounts : Json::array()) {
    Json j = {{"Type", m["Type"]},
              {"Source", m["Source"]},
              {"Destination", m["Destination"]},
              {"Mode", m.value("RW", true) ? "" : "ro"},
              {"RW", m["RW"]},
              {"Propagation", m["Type"] == "bind" ? "rprivate" : ""}};
    if (m["Type"] == "volume") {
      j["Name"] = m["Name"];
      j["Driver"] = "local";
      j["Mode"] = m.value("RW", true) ? "z" : "ro";
    }
    out.push_back(j);
  }
  return out;
}

Json summary_ports(const Container& c) {
  Json out = Json::array();
  if (!c.network.is_object()) return out;
  for (auto& p : c.network.value("ports", Json::array())) {
    out.push_back({{"IP", p["HostIp"]},
                   {"PrivatePort", p["ContainerPort"]},
                   {"PublicPort", str::parse_int(p.value("HostPort", "0")).value_or(0)},
                   {"Type", p["Protocol"]}});
  }
  return out;
}

}  // namespace

Json inspect_json(const Container& c) {
  auto ep = string_array(c.config.value("Entrypoint", Json()));
  auto cmd = string_array(c.config.value("Cmd", Json()));
  std::vector<std::string> all = ep;
  all.insert(all.end(), cmd.begin(), cmd.end());
  std::string path = all.empty() ? "" : all[0];
  std::vector<std::string> args(all.empty() ? all.begin() : all.begin() + 1, all.end());
  const State& st = c.state;
  std::string status = st.status == "starting" ? "created" : st.status;
  Json cfg = c.config;
  if (cfg.value("Hostname", "").empty()) cfg["Hostname"] = c.id.substr(0, 12);
  return {{"Id", c.id},
          {"Created", c.created},
          {"Path", path},
          {"Args", args},
          {"State",
           {{"Status", status},
            {"Running", status == "running" || status == "paused"},
            {"Paused", status == "paused"},
            {"Restarting", status == "restarting"},
            {"OOMKilled", st.oom_killed},
            {"Dead", status == "dead"},
            {"Pid", st.pid},
            {"ExitCode", st.exit_code},
            {"Error", st.error},
            {"StartedAt", st.started_at},
            {"FinishedAt", st.finished_at},
            {"Health", st.health.is_object() ? st.health : Json()}}},
          {"Image", c.image_id},
          {"ResolvConfPath", c.dir + "/resolv.conf"},
          {"HostnamePath", c.dir + "/hostname"},
          {"HostsPath", c.dir + "/hosts"},
          {"LogPath", c.log_path},
          {"Name", "/" + c.name},
          {"RestartCount", st.restart_count},
          {"Driver", "overlay2"},
          {"Platform", "linux"},
          {"MountLabel", ""},
          {"ProcessLabel", ""},
          {"AppArmorProfile", ""},
          {"ExecIDs", Json()},
          {"HostConfig", c.host_config},
          {"GraphDriver", {{"Name", "overlay2"}, {"Data", Json::object()}}},
          {"Mounts", mounts_json(c)},
          {"Config", cfg},
          {"NetworkSettings", network_settings(c)}};
}

Json summary_json(const Container& c) {
  auto ep = string_array(c.config.value("Entrypoint", Json()));
  auto cmd = string_array(c.config.value("Cmd", Json()));
  std::vector<std::string> all = ep;
  all.insert(all.end(), cmd.begin(), cmd.end());
  std::string status = c.state.status == "starting" ? "created" : c.state.status;
  std::string net = c.host_config.value("NetworkMode", "default");
  return {{"Id", c.id},
          {"Names", Json::array({"/" + c.name})},
          {"Image", c.image},
          {"ImageID", c.image_id},
          {"Command", str::join(all, " ")},
          {"Created", static_cast<int64_t>(parse_rfc3339(c.created))},
          {"Ports", summary_ports(c)},
          {"Labels", c.config.value("Labels", Json::object())},
          {"State", status},
          {"Status", status_text(c.state)},
          {"HostConfig", {{"NetworkMode", net}}},
          {"NetworkSettings", {{"Networks", network_settings(c)["Networks"]}}},
          {"Mounts", mounts_json(c)}};
}

}  // namespace berth::engine
