// The engine's side of networks (moby daemon/container_operations.go): which networks a
// container is on, its sandbox and endpoints at start, /etc/hosts and /etc/resolv.conf, the
// embedded DNS server's answers, connect/disconnect and the network views.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <thread>

#include "common/fs.h"
#include "common/strings.h"
#include "engine/engine_impl.h"

namespace berth::engine {
namespace {

std::string primary_network(const Container& c) {
  std::string mode = c.host_config.value("NetworkMode", "default");
  return mode == "default" ? "bridge" : mode;
}

Json endpoint_json(const Endpoint& e) {
  return {{"network_id", e.network_id}, {"ifname", e.ifname}, {"ip", e.ip},
          {"prefix", e.prefix},         {"gateway", e.gateway}, {"mac", e.mac}};
}

// The networks a container is on, the primary (NetworkMode) first.
std::vector<std::string> network_order(const Container& c) {
  std::vector<std::string> out = {primary_network(c)};
  if (c.networking.is_object()) {
    for (auto& [name, cfg] : c.networking.items()) {
      if (name != out[0]) out.push_back(name);
    }
  }
  return out;
}

// Lines of a resolv.conf other than nameservers (search, options), kept from the host's.
std::vector<std::string> resolv_other_lines(const std::string& host) {
  std::vector<std::string> out;
  for (auto& line : str::split(host, '\n')) {
    std::string_view l = str::trim(line);
    if (l.starts_with("search") || l.starts_with("options")) out.emplace_back(l);
  }
  return out;
}

}  // namespace

Result<Json> Engine::Impl::networking_for_create(const Json& hc, const Json& body) {
  std::string mode = hc.value("NetworkMode", "default");
  Json out = Json::object();
  if (mode.starts_with("container:")) {
    std::string target = mode.substr(10);
    std::lock_guard<std::mutex> l(mu);
    BERTH_TRY(find(target));
    return out;
  }
  std::string primary = mode == "default" ? "bridge" : mode;
  BERTH_ASSIGN_OR_RETURN(NetworkRecord n, nets->get(primary));
  out[n.name] = Json::object();
  Json endpoints = body.value("NetworkingConfig", Json::object()).value("EndpointsConfig", Json::object());
  if (!endpoints.is_object()) endpoints = Json::object();
  for (auto& [name, cfg] : endpoints.items()) {
    BERTH_ASSIGN_OR_RETURN(NetworkRecord en, nets->get(name == "default" ? "bridge" : name));
    Json e = Json::object();
    std::vector<std::string> aliases = string_array(cfg.value("Aliases", Json()));
    std::string ip = cfg.value("IPAMConfig", Json::object()).is_object()
                         ? cfg.value("IPAMConfig", Json::object()).value("IPv4Address", "")
                         : "";
    if (en.predefined() && !aliases.empty()) {
      return make_error(Errc::kInvalidArgument, "network-scoped alias is supported only for "
                                                "containers in user defined networks");
    }
    if (en.predefined() && !ip.empty()) {
      return make_error(Errc::kInvalidArgument, "user specified IP address is supported on user "
                                                "defined networks only");
    }
    if (!aliases.empty()) e["Aliases"] = aliases;
    if (!ip.empty()) e["IPv4Address"] = ip;
    out[en.name] = e;
  }
  if ((n.name == "host" || n.name == "none") && out.size() > 1) {
    return make_error(Errc::kInvalidArgument, "container cannot be connected to multiple "
                                              "networks with one of the networks in " +
                                                  n.name + " mode");
  }
  return out;
}

Result<void> Engine::Impl::attach_networks(Container& c) {
  std::string mode = primary_network(c);
  if (mode == "host") {
    c.network = {{"mode", "host"}};
    return {};
  }
  if (mode.starts_with("container:")) {
    std::lock_guard<std::mutex> l(mu);
    BERTH_ASSIGN_OR_RETURN(Container * t, find(mode.substr(10)));
    if (t->state.status != "running" && t->state.status != "paused") {
      return make_error(Errc::kConflict, "cannot join network namespace of a non running "
                                         "container: container " + t->id + " is " + t->state.status);
    }
    std::string netns = t->network.value("netns", "");
    c.network = {{"mode", netns.empty() ? "host" : mode}, {"netns", netns},
                 {"shares", t->id}, {"ports", Json::array()}};
    return {};
  }
  BERTH_ASSIGN_OR_RETURN(std::string netns, nets->make_sandbox(c.id));
  Json endpoints = Json::object();
  Json ports_json = Json::array();
  auto attach_all = [&]() -> Result<void> {
    if (mode == "none") return {};
    int index = 0;
    for (auto& name : network_order(c)) {
      BERTH_ASSIGN_OR_RETURN(NetworkRecord n, nets->get(name));
      if (n.driver != "bridge") continue;
      Json cfg = c.networking.is_object() ? c.networking.value(name, Json::object()) : Json::object();
      std::vector<PortMapping> ports;
      if (index == 0) {
        BERTH_ASSIGN_OR_RETURN(ports, port_mappings(c.config, c.host_config));
        BERTH_TRY(check_ports_free(c.id, ports));
      }
      BERTH_ASSIGN_OR_RETURN(
          Endpoint e, nets->connect(c.id, n, "eth" + std::to_string(index),
                                    cfg.is_object() ? cfg.value("IPv4Address", "") : "",
                                    index == 0 ? &ports : nullptr, index == 0));
      endpoints[n.name] = endpoint_json(e);
      for (auto& p : ports) {
        ports_json.push_back({{"HostIp", p.host_ip.empty() ? "0.0.0.0" : p.host_ip},
                              {"HostPort", std::to_string(p.host_port)},
                              {"ContainerPort", p.container_port},
                              {"Protocol", p.protocol}});
      }
      ++index;
    }
    return {};
  };
  if (auto attached = attach_all(); !attached) {
    detach_networks(c.id);
    return tl::unexpected(attached.error());
  }
  c.network = {{"mode", mode}, {"netns", netns}, {"endpoints", endpoints}, {"ports", ports_json}};
  return serve_dns(c);
}

Result<void> Engine::Impl::check_ports_free(const std::string& id, std::vector<PortMapping>& ports) {
  std::lock_guard<std::mutex> l(mu);
  std::lock_guard<std::mutex> lp(ports_mu);
  auto clash = [](const PortMapping& p, const PortMapping& q) {
    return p.host_port != 0 && p.host_port == q.host_port && p.protocol == q.protocol &&
           (p.host_ip.empty() || q.host_ip.empty() || p.host_ip == q.host_ip);
  };
  // Whether `p`'s host port is neither held by another container nor bound on the host.
  auto available = [&](const PortMapping& p) {
    for (auto& [other_id, held] : port_reservations) {
      if (other_id == id) continue;
      for (auto& q : held) {
        if (clash(p, q)) return false;
      }
    }
    // Containers restored from before a daemon restart hold theirs in their network record.
    for (auto& [other_id, o] : containers) {
      if (other_id == id || !o.network.is_object() || port_reservations.count(other_id)) continue;
      for (auto& q : o.network.value("ports", Json::array())) {
        PortMapping m;
        m.host_port = static_cast<int>(str::parse_int(q.value("HostPort", "0")).value_or(0));
        m.protocol = q.value("Protocol", "tcp");
        m.host_ip = q.value("HostIp", "0.0.0.0") == "0.0.0.0" ? "" : q.value("HostIp", "");
        if (clash(p, m)) return false;
      }
    }
    UniqueFd s(::socket(AF_INET, (p.protocol == "udp" ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0));
    int one = 1;
    ::setsockopt(s.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(p.host_port));
    if (!p.host_ip.empty() && ::inet_pton(AF_INET, p.host_ip.c_str(), &a.sin_addr) != 1) return true;
    return !(::bind(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) < 0 && errno == EADDRINUSE);
  };
  for (auto& p : ports) {
    if (p.host_port == 0) continue;
    std::string ip = p.host_ip.empty() ? "0.0.0.0" : p.host_ip;
    if (p.host_port_end > p.host_port) {
      // A host range: the first port of it that is free (docker's port allocator).
      int first = p.host_port, last = p.host_port_end;
      bool found = false;
      for (int port = first; port <= last && !found; ++port) {
        PortMapping candidate = p;
        candidate.host_port = port;
        if (available(candidate)) {
          p.host_port = port;
          found = true;
        }
      }
      if (!found) {
        return make_error(Errc::kConflict, "Bind for " + ip + ":" + std::to_string(first) + "-" + std::to_string(last) +
                                               " failed: every port in the range is already allocated");
      }
      p.host_port_end = 0;
      continue;
    }
    if (!available(p)) {
      return make_error(Errc::kConflict,
                        "Bind for " + ip + ":" + std::to_string(p.host_port) + " failed: port is already allocated");
    }
  }
  auto& mine = port_reservations[id];
  mine.insert(mine.end(), ports.begin(), ports.end());
  return {};
}

bool Engine::Impl::on_user_network(const Container& c) const {
  Json eps = c.network.is_object() ? c.network.value("endpoints", Json::object()) : Json::object();
  for (auto& [name, e] : eps.items()) {
    if (name != "bridge") return true;
  }
  return false;
}

Result<void> Engine::Impl::serve_dns(const Container& c) {
  if (!on_user_network(c)) return {};
  std::vector<std::string> upstream = string_array(c.host_config.value("Dns", Json()));
  if (upstream.empty()) upstream = resolv_nameservers(fs::read_file("/etc/resolv.conf").value_or(""));
  return dns->serve(c.id, c.network.value("netns", ""), upstream);
}

void Engine::Impl::detach_networks(const std::string& id) {
  dns->stop(id);
  nets->destroy_sandbox(id);
  std::lock_guard<std::mutex> l(ports_mu);
  port_reservations.erase(id);
}

void Engine::Impl::write_name_files(const Container& c, const std::string& hostname) {
  (void)fs::write_file(c.dir + "/hostname", hostname + "\n");
  std::string mode = c.network.value("mode", "");
  // --network container:<id> shares the other's files, as docker does.
  if (std::string other = c.network.value("shares", ""); !other.empty()) {
    for (const char* f : {"/hosts", "/resolv.conf"}) {
      (void)fs::write_file(c.dir + f, fs::read_file(dir_of(other) + f).value_or(""));
    }
    return;
  }
  std::string hosts =
      "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
      "fe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\n"
      "ff02::2\tip6-allrouters\n";
  std::string own_ip, gateway;
  Json eps = c.network.value("endpoints", Json::object());
  if (auto p = eps.find(primary_network(c)); p != eps.end()) {
    own_ip = p->value("ip", "");
    gateway = p->value("gateway", "");
  }
  // --add-host name:ip; "host-gateway" is the host as the container reaches it.
  for (auto& h : string_array(c.host_config.value("ExtraHosts", Json()))) {
    auto colon = h.find(':');
    if (colon == std::string::npos) continue;
    std::string ip = h.substr(colon + 1);
    if (ip == "host-gateway") ip = gateway.empty() ? "172.17.0.1" : gateway;
    hosts += ip + "\t" + h.substr(0, colon) + "\n";
  }
  if (!own_ip.empty()) hosts += own_ip + "\t" + hostname + "\n";
  (void)fs::write_file(c.dir + "/hosts", hosts);

  std::string host_resolv = fs::read_file("/etc/resolv.conf").value_or("");
  if (mode == "host") {
    (void)fs::write_file(c.dir + "/resolv.conf", host_resolv);
    return;
  }
  std::vector<std::string> servers = string_array(c.host_config.value("Dns", Json()));
  std::vector<std::string> lines;
  auto search = string_array(c.host_config.value("DnsSearch", Json()));
  auto options = string_array(c.host_config.value("DnsOptions", Json()));
  bool embedded = on_user_network(c);
  if (embedded) servers = {"127.0.0.11"};  // our DNS server, which forwards to --dns
  if (servers.empty()) servers = resolv_nameservers(host_resolv);
  for (auto& s : servers) lines.push_back("nameserver " + s);
  if (!search.empty()) lines.push_back("search " + str::join(search, " "));
  if (!options.empty()) lines.push_back("options " + str::join(options, " "));
  if (search.empty() && options.empty()) {
    for (auto& l : resolv_other_lines(host_resolv)) lines.push_back(l);
  }
  if (embedded && options.empty()) lines.push_back("options ndots:0");
  (void)fs::write_file(c.dir + "/resolv.conf", str::join(lines, "\n") + "\n");
}

std::optional<std::vector<std::string>> Engine::Impl::dns_lookup(const std::string& asker,
                                                                 const std::string& name) {
  std::lock_guard<std::mutex> l(mu);
  auto a = containers.find(asker);
  if (a == containers.end()) return std::nullopt;
  const Json& an = a->second.network;
  Json mine = an.is_object() ? an.value("endpoints", Json::object()) : Json::object();
  std::vector<std::string> ips;
  for (auto& [id, c] : containers) {
    if (c.state.status != "running" && c.state.status != "paused") continue;
    Json theirs = c.network.is_object() ? c.network.value("endpoints", Json::object()) : Json::object();
    for (auto& [net, e] : theirs.items()) {
      // Only user-defined networks the asker is on resolve names (docker's default bridge
      // does not).
      if (net == "bridge" || !mine.contains(net)) continue;
      std::vector<std::string> names = {str::to_lower(c.name), id.substr(0, 12)};
      Json cfg = c.networking.is_object() ? c.networking.value(net, Json::object()) : Json::object();
      for (auto& al : string_array(cfg.is_object() ? cfg.value("Aliases", Json()) : Json())) {
        names.push_back(str::to_lower(al));
      }
      if (std::find(names.begin(), names.end(), name) != names.end()) {
        ips.push_back(e.value("ip", ""));
      }
    }
  }
  if (ips.empty()) return std::nullopt;
  return ips;
}

Result<void> Engine::connect(const std::string& ref, const std::string& network,
                             const Json& endpoint_config) {
  auto& s = *impl_;
  BERTH_ASSIGN_OR_RETURN(NetworkRecord n, s.nets->get(network));
  Json cfg = Json::object();
  std::vector<std::string> aliases = string_array(endpoint_config.value("Aliases", Json()));
  Json ipam = endpoint_config.value("IPAMConfig", Json::object());
  std::string ip = ipam.is_object() ? ipam.value("IPv4Address", "") : "";
  if (!aliases.empty()) cfg["Aliases"] = aliases;
  if (!ip.empty()) cfg["IPv4Address"] = ip;
  Container c;
  {
    std::lock_guard<std::mutex> l(s.mu);
    BERTH_ASSIGN_OR_RETURN(Container * p, s.find(ref));
    std::string mode = primary_network(*p);
    if (mode == "host" || mode == "none" || mode.starts_with("container:") || n.driver != "bridge") {
      return make_error(Errc::kPermissionDenied, "container sharing network namespace with "
                                                 "another container or host cannot be connected "
                                                 "to any other network");
    }
    if (n.predefined() && (!aliases.empty() || !ip.empty())) {
      return make_error(Errc::kInvalidArgument, "network-scoped aliases and addresses are "
                                                "supported only on user defined networks");
    }
    if (p->networking.contains(n.name)) {
      return make_error(Errc::kPermissionDenied, "endpoint with name " + p->name +
                                                     " already exists in network " + n.name);
    }
    p->networking[n.name] = cfg;
    BERTH_TRY(s.save(*p));
    c = *p;
  }
  if (c.state.status != "running" && c.state.status != "paused") return {};
  int index = 0;
  Json current = c.network.value("endpoints", Json::object());
  for (auto& [name, e] : current.items()) {
    index = std::max(index, static_cast<int>(str::parse_int(e.value("ifname", "eth0").substr(3)).value_or(0)) + 1);
  }
  auto e = s.nets->connect(c.id, n, "eth" + std::to_string(index), ip, nullptr, false);
  std::lock_guard<std::mutex> l(s.mu);
  auto p = s.find(c.id);
  if (!e || !p) {
    if (p) {
      (*p)->networking.erase(n.name);
      (void)s.save(**p);
    }
    return e ? Result<void>{} : tl::unexpected(e.error());
  }
  (*p)->network["endpoints"][n.name] = endpoint_json(*e);
  BERTH_TRY(s.save(**p));
  s.events.emit(Event{"network", "connect", n.id, {{"container", c.id}, {"name", n.name}, {"type", n.driver}}, 0});
  s.changed();
  return s.serve_dns(**p);
}

Result<void> Engine::disconnect(const std::string& ref, const std::string& network, bool force) {
  auto& s = *impl_;
  auto n = s.nets->get(network);
  std::string name = n ? n->name : network;
  if (!n && !force) return tl::unexpected(n.error());
  std::lock_guard<std::mutex> l(s.mu);
  BERTH_ASSIGN_OR_RETURN(Container * p, s.find(ref));
  if (!p->networking.contains(name)) {
    return make_error(Errc::kFailedPrecondition, "container " + p->id +
                                                     " is not connected to network " + name);
  }
  if (name == primary_network(*p) && (name == "host" || name == "none")) {
    return make_error(Errc::kPermissionDenied, "container cannot be disconnected from " + name);
  }
  p->networking.erase(name);
  s.events.emit(Event{"network", "disconnect", n ? n->id : name, {{"container", p->id}, {"name", name}}, 0});
  if (p->network.is_object() && p->network.contains("endpoints") &&
      p->network["endpoints"].contains(name)) {
    s.nets->disconnect(p->id, p->network["endpoints"][name].value("network_id", ""));
    p->network["endpoints"].erase(name);
    if (!s.on_user_network(*p)) s.dns->stop(p->id);
  }
  BERTH_TRY(s.save(*p));
  s.changed();
  return {};
}

Networks& Engine::networks() { return *impl_->nets; }

Json Engine::network_containers(const NetworkRecord& n) const {
  std::lock_guard<std::mutex> l(impl_->mu);
  Json out = Json::object();
  for (auto& [id, c] : impl_->containers) {
    Json eps = c.network.is_object() ? c.network.value("endpoints", Json::object()) : Json::object();
    bool running = c.state.status == "running" || c.state.status == "paused";
    if (!running) continue;
    if (auto e = eps.find(n.name); e != eps.end() && e->value("network_id", "") == n.id) {
      out[id] = {{"Name", c.name},
                 {"EndpointID", id},
                 {"MacAddress", e->value("mac", "")},
                 {"IPv4Address", e->value("ip", "") + "/" + std::to_string(e->value("prefix", 0))},
                 {"IPv6Address", ""}};
    } else if (primary_network(c) == n.name && (n.name == "host" || n.name == "none")) {
      out[id] = {{"Name", c.name}, {"EndpointID", id}, {"MacAddress", ""},
                 {"IPv4Address", ""}, {"IPv6Address", ""}};
    }
  }
  return out;
}

Result<void> Engine::remove_network(const std::string& ref) {
  BERTH_ASSIGN_OR_RETURN(NetworkRecord n, impl_->nets->get(ref));
  if (!n.predefined()) {
    Json users = network_containers(n);
    if (!users.empty()) {
      std::vector<std::string> names;
      for (auto& [id, u] : users.items()) names.push_back(u.value("Name", id));
      return make_error(Errc::kPermissionDenied, "error while removing network: network " +
                                                     n.name + " id " + n.id +
                                                     " has active endpoints (" +
                                                     str::join(names, ", ") + ")");
    }
  }
  return impl_->nets->remove(n.id);
}

}  // namespace berth::engine
