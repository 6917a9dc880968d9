// Container networks through the CNI plugins (Debian's containernetworking-plugins), with
// docker's model (moby libnetwork): the predefined `bridge` (Linux bridge berth0, host-local
// IPAM on 172.17.0.0/16), `host` and `none` networks, and user-defined bridge networks (bridge
// br-<id12>, a subnet of their own from docker's default pools 172.18-31.0.0/16 then
// 192.168.0.0/20 steps, or the user's subnet/gateway/ip-range). Records live in SQLite
// (berth.db, table networks). Each container gets a network namespace, bind-mounted at
// /run/berth/netns/<id> (its sandbox), which the runtime joins by path; every network it is on
// is one CNI attachment (eth0, eth1, ...). Follows the CNI spec 1.0 (SPEC.md: ADD/DEL,
// prevResult chaining, runtimeConfig portMappings and ips) as libcni does it.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/json.h"
#include "common/sqlite.h"

namespace berth::engine {

struct PortMapping {
  int host_port = 0;       // 0 = pick a free one
  int host_port_end = 0;   // > host_port: a range, of which the first free port is taken
  int container_port = 0;
  std::string protocol = "tcp";
  std::string host_ip;     // "" = every address
};

// A network as docker's NetworkResource knows it (api/swagger.yaml Network).
struct NetworkRecord {
  std::string id;      // 64 hex
  std::string name;
  std::string driver = "bridge";  // bridge, host, null
  std::string subnet;             // "172.18.0.0/16" (bridge drivers)
  std::string gateway;            // "172.18.0.1"
  std::string ip_range;           // "" or a CIDR inside subnet: addresses handed out
  std::string bridge;             // Linux bridge interface
  bool internal = false;          // no default route, no masquerade
  std::map<std::string, std::string> labels, options;
  std::string created;            // RFC 3339
  // bridge, host and none: made by the daemon, never removed.
  bool predefined() const { return name == "bridge" || name == "host" || name == "none"; }
};

// One container's attachment to one network.
struct Endpoint {
  std::string network_id, network;  // id and name
  std::string ifname;               // eth0, eth1, ...
  std::string ip, gateway, mac;     // "172.18.0.2", "172.18.0.1", "aa:bb:..."
  int prefix = 0;                   // 16
};

class Networks {
 public:
  // Records in the database at `db_path` (a connection of its own); IPAM leases and CNI
  // results under `state_dir`; plugins in `cni_path`. Makes bridge/host/none on first use.
  // Errors: kUnavailable (database).
  static Result<std::unique_ptr<Networks>> open(const std::string& db_path, std::string state_dir,
                                                std::string cni_path = "/usr/lib/cni");

  // docker network create: `want` with name, driver ("" = bridge), optional subnet, gateway,
  // ip_range, internal, labels, options. Errors: kConflict ("network with name x already
  // exists"), kInvalidArgument (bad name, subnet, gateway or range, or a subnet overlapping
  // another network's), kNotFound (driver other than bridge), kResourceExhausted (no free
  // subnet in the default pools).
  Result<NetworkRecord> create(NetworkRecord want);
  // By name, full id or unique id prefix (docker's order). Errors: kNotFound ("network x not
  // found").
  Result<NetworkRecord> get(const std::string& ref) const;
  std::vector<NetworkRecord> list() const;
  // Removes the record, its IPAM leases and its Linux bridge. The caller checks that no
  // container is attached. Errors: kNotFound, kPermissionDenied (a predefined network).
  Result<void> remove(const std::string& ref);

  // A new network namespace for container `id` with its loopback up; returns its path.
  // Errors: the kernel's (unshare, mount, the loopback's flags).
  Result<std::string> make_sandbox(const std::string& id);
  // Attaches the sandbox of `id` to network `n` as interface `ifname`. `ports` are published
  // through portmap (host ports 0 are filled in); `ip` ("" = next free) asks host-local for
  // that address. `primary`: this network carries the default route. Errors: kUnavailable (a
  // plugin failed: its message), kNotFound (plugins missing), kInvalidArgument (ip outside the
  // subnet).
  Result<Endpoint> connect(const std::string& id, const NetworkRecord& n, const std::string& ifname,
                           const std::string& ip, std::vector<PortMapping>* ports, bool primary);
  // CNI DEL of one attachment. Idempotent.
  void disconnect(const std::string& id, const std::string& network_id);
  // The namespace of `id`, then every attachment of it (CNI DEL: rules, lease). Idempotent.
  void destroy_sandbox(const std::string& id);
  // Ids of the containers that have a sandbox or an attachment record (to find those a
  // daemon that ended abruptly left behind).
  std::vector<std::string> sandboxes() const;

 private:
  Networks(sql::Db db, std::string state_dir, std::string cni_path)
      : db_(std::move(db)), state_dir_(std::move(state_dir)), cni_path_(std::move(cni_path)) {}
  Result<void> save(const NetworkRecord& n);
  Result<void> ensure_predefined();
  // The host's rules for the bridge networks, rewritten from the records after each create
  // and remove and at open (moby libnetwork/drivers/bridge setup_ip_tables.go):
  // - nat BERTH-POSTROUTING: each non-internal network's subnet is masqueraded when it leaves
  //   by another interface (docker's one rule per network, instead of the CNI bridge plugin's
  //   ipMasq chain per container, which costs ~20 ms of iptables calls per start and ~50 ms
  //   per stop);
  // - filter BERTH-ISOLATION-1/2 (docker's DOCKER-ISOLATION): traffic that enters from one
  //   berth bridge and leaves by another is dropped, so containers on different networks
  //   cannot reach each other; gone (chains and FORWARD jump) when there is no user network.
  // iptables errors are ignored: no iptables, no masquerade and no isolation.
  void sync_rules();
  mutable sql::Db db_;
  mutable std::mutex mu_;
  std::string state_dir_, cni_path_;
};

// Where container `id`'s network namespace is bind-mounted.
std::string netns_path(const std::string& id);

// docker's NetworkResource JSON for `n`; `containers` is its Containers map.
Json network_json(const NetworkRecord& n, const Json& containers);

// HostConfig.PortBindings / PublishAllPorts + Config.ExposedPorts as port mappings.
// Errors: kInvalidArgument ("invalid port specification").
Result<std::vector<PortMapping>> port_mappings(const Json& config, const Json& host_config);

}  // namespace berth::engine
