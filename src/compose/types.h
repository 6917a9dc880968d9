// The typed Compose application model: what a runner needs of each service, network, volume,
// config and secret, after loading (interpolated, merged, extended, normalised, validated).
// Field meanings follow the Compose Specification (compose-spec 05-services.md,
// 06-networks.md, 07-volumes.md, 08-configs.md, 09-secrets.md); defaults are compose-go's.
// Attributes without a field here stay in Service::raw (the canonical JSON of the service).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/json.h"

namespace berth::compose {

using StringMap = std::map<std::string, std::string>;

struct BuildConfig {
  std::string context;            // absolute path, or a remote context (URL, git) as written
  std::string dockerfile;         // "Dockerfile" unless given (or dockerfile_inline is)
  std::string dockerfile_inline;  // the Dockerfile's text, "" when not given
  StringMap args;                 // "KEY" without a value takes it from the environment
  std::string target;
  StringMap labels;
  std::string network;
  std::vector<std::string> cache_from, tags;
  bool no_cache = false, pull = false;
};

// One published or exposed port, as the long syntax has it; a short "3000-3005" is six.
struct PortConfig {
  uint32_t target = 0;
  std::string published;  // "8080", a range "8000-8005", or "" (a random host port)
  std::string host_ip;    // "" = every address
  std::string protocol = "tcp";
  std::string mode = "ingress";
  std::string name, app_protocol;
};

enum class MountType { kVolume, kBind, kTmpfs, kImage, kNpipe, kCluster };

struct VolumeMount {
  MountType type = MountType::kVolume;
  // kVolume: the key of a top-level volume, "" for an anonymous one; kBind: an absolute host
  // path; kImage: an image reference; kTmpfs: "".
  std::string source;
  std::string target;  // clean absolute path in the container
  bool read_only = false;
  std::string consistency;
  // bind:
  std::string propagation, selinux;  // "" = the engine's default
  bool create_host_path = false;     // true for the short syntax, as docker-compose did
  // volume:
  bool nocopy = false;
  std::string subpath;
  // tmpfs:
  int64_t tmpfs_size = 0;   // bytes, 0 = no limit
  uint32_t tmpfs_mode = 0;  // 0 = the kernel's default
};

enum class DependsCondition { kStarted, kHealthy, kCompletedSuccessfully };

struct Dependency {
  std::string service;
  DependsCondition condition = DependsCondition::kStarted;
  bool restart = false;  // restart this service when the dependency is restarted
  bool required = true;  // false: a missing or disabled dependency is skipped
};

struct Healthcheck {
  // {"CMD", args...}, {"CMD-SHELL", command} or {"NONE"}; empty = the image's test.
  std::vector<std::string> test;
  // Nanoseconds; 0 = not given (the engine's default applies).
  int64_t interval = 0, timeout = 0, start_period = 0, start_interval = 0;
  std::optional<uint64_t> retries;
  bool disable = false;  // disable: true — the runner uses test {"NONE"}
};

struct ServiceNetwork {
  std::string name;  // key of a top-level network
  std::vector<std::string> aliases;
  std::string ipv4_address, ipv6_address, mac_address;
  int priority = 0;
};

struct EnvFile {
  std::string path;  // absolute
  bool required = true;
  std::string format;  // "" = compose's dotenv format, "raw"
};

struct Service {
  std::string name;
  std::string image;
  std::optional<BuildConfig> build;
  // argv; nullopt = the image's; an empty vector (command: "" or []) clears the image's.
  std::optional<std::vector<std::string>> command, entrypoint;
  StringMap environment;  // env_file contents, then environment (later wins), resolved
  std::vector<EnvFile> env_file;
  std::vector<PortConfig> ports;
  std::vector<VolumeMount> volumes;
  std::vector<Dependency> depends_on;  // ordered by service name
  std::optional<Healthcheck> healthcheck;
  std::string restart;       // "", "no", "always", "on-failure[:N]", "unless-stopped"
  std::optional<int> scale;  // scale or deploy.replicas; nullopt = 1
  int replicas() const { return scale.value_or(1); }
  std::string user, working_dir, hostname, domainname;
  StringMap labels;
  std::vector<ServiceNetwork> networks;  // ordered by name; {"default"} unless network_mode
  std::string network_mode;              // "", "host", "none", "bridge", "service:x", ...
  std::vector<std::string> expose;       // "80", "80/udp", "8000-8010"
  std::vector<std::string> extra_hosts;  // "host:ip", as docker's ExtraHosts
  std::vector<std::string> dns, dns_search, dns_opt;
  std::vector<std::string> cap_add, cap_drop;
  bool privileged = false, read_only = false, tty = false, stdin_open = false;
  std::optional<bool> init;
  std::vector<std::string> tmpfs;  // "/path" or "/path:options"
  std::string stop_signal;
  std::optional<int64_t> stop_grace_period;  // nanoseconds
  std::string container_name;
  std::vector<std::string> profiles;
  std::string pull_policy;  // "", "always", "never", "missing", "build", ...
  std::string platform;
  StringMap sysctls;
  Json raw;  // the service's canonical JSON: every attribute, typed here or not
};

struct IpamPool {
  std::string subnet, gateway, ip_range;
  StringMap aux_addresses;
};

struct Network {
  std::string key;   // the name in the compose file
  std::string name;  // the engine's name: "<project>_<key>" unless `name:` or external
  std::string driver;
  StringMap driver_opts;
  std::string ipam_driver;
  std::vector<IpamPool> ipam_config;
  bool external = false, internal = false, attachable = false;
  std::optional<bool> enable_ipv6;
  StringMap labels;
};

struct Volume {
  std::string key;
  std::string name;  // "<project>_<key>" unless `name:` or external
  std::string driver;
  StringMap driver_opts, labels;
  bool external = false;
};

// A top-level config or secret.
struct FileObject {
  std::string key;
  std::string name;
  std::string file;                    // absolute path, "" when not a file
  std::string environment;             // variable name, "" when not from the environment
  std::optional<std::string> content;  // configs' inline content, or the variable's value
  bool external = false;
  StringMap labels;
};

}  // namespace berth::compose
