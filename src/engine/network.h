// Container networking through the CNI plugins (Debian's containernetworking-plugins):
// docker's default `bridge` network as a CNI conflist (bridge "berth0", host-local IPAM on
// 172.17.0.0/16, portmap for published ports, firewall), plus the loopback plugin. Each
// container gets a network namespace of its own, bind-mounted at /run/berth/netns/<id>, which
// the runtime joins by path. Follows the CNI spec 1.0 (SPEC.md: ADD/DEL, prevResult chaining,
// runtimeConfig portMappings) as libcni does it.
#pragma once

#include <string>
#include <vector>

#include "common/error.h"
#include "common/json.h"

namespace berth::engine {

struct PortMapping {
  int host_port = 0;       // 0 = pick a free one
  int container_port = 0;
  std::string protocol = "tcp";
  std::string host_ip;     // "" = every address
};

struct Attachment {
  std::string netns;      // path the runtime joins
  std::string ip;         // "172.17.0.2"
  int prefix = 16;
  std::string gateway;    // "172.17.0.1"
  std::string mac;
  std::vector<PortMapping> ports;  // with host ports filled in
};

class Network {
 public:
  // `state_dir` keeps IPAM leases and CNI results; `cni_path` holds the plugins.
  Network(std::string state_dir, std::string cni_path = "/usr/lib/cni");

  // A new network namespace for container `id` on the bridge network, with `ports` published.
  // Errors: kUnavailable (a plugin failed: its message), kNotFound (plugins missing),
  // kAlreadyExists (a host port in use).
  Result<Attachment> attach(const std::string& id, std::vector<PortMapping> ports);
  // A new network namespace with only a loopback interface (`--network none`).
  Result<Attachment> attach_none(const std::string& id);
  // Undoes attach/attach_none: CNI DEL (rules, lease, veth), then the namespace. Idempotent.
  void detach(const std::string& id);

 private:
  Result<void> loopback_up(const std::string& id, const std::string& netns);
  std::string state_dir_, cni_path_;
};

// HostConfig.PortBindings / PublishAllPorts + Config.ExposedPorts as port mappings.
// Errors: kInvalidArgument ("invalid port specification").
Result<std::vector<PortMapping>> port_mappings(const Json& config, const Json& host_config);

}  // namespace berth::engine
