#include "engine/network.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <optional>
#include <regex>
#include <set>
#include <thread>

#include "common/fs.h"
#include "common/process.h"
#include "common/strings.h"
#include "common/time.h"
#include "common/unique_fd.h"

namespace berth::engine {
namespace {

constexpr const char* kNetnsDir = "/run/berth/netns";
// nat chain of the networks' masquerade rules, jumped to from POSTROUTING.
constexpr const char* kMasqChain = "BERTH-POSTROUTING";
constexpr const char* kCniVersion = "1.0.0";

constexpr std::string_view kSchema = R"sql(
CREATE TABLE IF NOT EXISTS networks(
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  data TEXT NOT NULL);
)sql";

// An IPv4 prefix: address in host byte order and its length.
struct Cidr {
  uint32_t addr = 0;
  int len = 32;
  uint32_t mask() const { return len == 0 ? 0 : ~uint32_t{0} << (32 - len); }
  uint32_t first() const { return addr & mask(); }
  uint32_t last() const { return first() | ~mask(); }
  bool contains(uint32_t a) const { return (a & mask()) == first(); }
  bool overlaps(const Cidr& o) const { return first() <= o.last() && o.first() <= last(); }
};

std::optional<uint32_t> parse_ipv4(const std::string& s) {
  in_addr a{};
  if (::inet_pton(AF_INET, s.c_str(), &a) != 1) return std::nullopt;
  return ntohl(a.s_addr);
}

std::string format_ipv4(uint32_t a) {
  in_addr n{htonl(a)};
  char buf[INET_ADDRSTRLEN];
  ::inet_ntop(AF_INET, &n, buf, sizeof buf);
  return buf;
}

std::optional<Cidr> parse_cidr(const std::string& s) {
  auto slash = s.find('/');
  if (slash == std::string::npos) return std::nullopt;
  auto a = parse_ipv4(s.substr(0, slash));
  auto len = str::parse_int(s.substr(slash + 1));
  if (!a || !len || *len < 0 || *len > 32) return std::nullopt;
  return Cidr{*a, static_cast<int>(*len)};
}

std::string format_cidr(const Cidr& c) { return format_ipv4(c.first()) + "/" + std::to_string(c.len); }

// The IPv4 prefixes of the host's interfaces: a new network must not shadow them.
std::vector<Cidr> host_prefixes() {
  std::vector<Cidr> out;
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return out;
  for (ifaddrs* i = list; i; i = i->ifa_next) {
    if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET || !i->ifa_netmask) continue;
    uint32_t a = ntohl(reinterpret_cast<sockaddr_in*>(i->ifa_addr)->sin_addr.s_addr);
    uint32_t m = ntohl(reinterpret_cast<sockaddr_in*>(i->ifa_netmask)->sin_addr.s_addr);
    out.push_back(Cidr{a, std::popcount(m)});
  }
  ::freeifaddrs(list);
  return out;
}

std::string cni_name(const NetworkRecord& n) {
  return n.name == "bridge" ? "bridge" : "berth-" + n.id.substr(0, 12);
}

// Whether the host forwards between interfaces without rules of ours (FORWARD policy ACCEPT):
// then the firewall plugin, three iptables calls per container, is not needed.
bool forward_accepts() {
  static const bool accepts = [] {
    auto r = proc::run({"iptables", "-S", "FORWARD"}, {});
    return r && r->status == 0 && r->out.starts_with("-P FORWARD ACCEPT");
  }();
  return accepts;
}

// Runs one CNI plugin: `conf` on stdin, the CNI_* variables, result JSON on stdout.
Result<Json> exec_plugin(const std::string& cni_path, const std::string& command,
                         const std::string& id, const std::string& netns,
                         const std::string& ifname, const Json& conf) {
  std::string type = conf.value("type", "");
  std::string bin = cni_path + "/" + type;
  if (::access(bin.c_str(), X_OK) != 0) {
    return make_error(Errc::kNotFound, "CNI plugin `" + type + "` not found in " + cni_path +
                                           " (install containernetworking-plugins)");
  }
  std::vector<std::string> env = {"CNI_COMMAND=" + command, "CNI_CONTAINERID=" + id,
                                  "CNI_NETNS=" + netns,     "CNI_IFNAME=" + ifname,
                                  "CNI_PATH=" + cni_path,
                                  "PATH=/usr/sbin:/usr/bin:/sbin:/bin"};
  BERTH_ASSIGN_OR_RETURN(proc::Output res, proc::run({bin}, env, dump_json(conf)));
  std::string& output = res.out;
  if (res.status != 0) {
    auto err = parse_json(output, "CNI error");
    std::string msg = err && err->is_object() ? err->value("msg", output) : output;
    if (err && err->is_object() && !err->value("details", "").empty()) {
      msg += ": " + err->value("details", "");
    }
    return make_error(Errc::kUnavailable, "CNI " + type + " " + command + ": " + msg);
  }
  if (output.empty()) return Json::object();
  return parse_json(output, "CNI result");
}

// The conflist's plugins in order with prevResult chaining (libcni's AddNetworkList).
Result<Json> run_list(const std::string& cni_path, const std::string& command, const Json& list,
                      const std::string& id, const std::string& netns, const std::string& ifname,
                      const Json& runtime_config,
                      const Json& prev_in) {
  Json prev = prev_in;
  auto plugins = list["plugins"];
  std::vector<Json> order(plugins.begin(), plugins.end());
  if (command == "DEL") std::reverse(order.begin(), order.end());
  for (auto& p : order) {
    Json conf = p;
    conf["cniVersion"] = list["cniVersion"];
    conf["name"] = list["name"];
    if (!prev.is_null()) conf["prevResult"] = prev;
    if (p.contains("capabilities")) {
      Json rc = Json::object();
      for (auto& [cap, on] : p["capabilities"].items()) {
        if (on.is_boolean() && on.get<bool>() && runtime_config.contains(cap)) rc[cap] = runtime_config[cap];
      }
      if (!rc.empty()) conf["runtimeConfig"] = rc;
    }
    auto r = exec_plugin(cni_path, command, id, netns, ifname, conf);
    if (!r) {
      if (command == "DEL") continue;  // best effort: the rest still cleans up
      return r;
    }
    if (command == "ADD") prev = *r;
  }
  return prev;
}

// A network namespace bind-mounted at `path` (as `ip netns add` makes it).
Result<void> make_netns(const std::string& path) {
  BERTH_TRY(fs::mkdir_all(kNetnsDir, 0755));
  UniqueFd f(::open(path.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444));
  if (!f) return sys_error(errno, "create `" + path + "`");
  f.reset();
  Result<void> res;
  // unshare(CLONE_NEWNET) moves only the calling thread: do it on a thread of its own.
  std::thread([&] {
    if (::unshare(CLONE_NEWNET) < 0) {
      res = sys_error(errno, "unshare network namespace");
      return;
    }
    if (::mount("/proc/thread-self/ns/net", path.c_str(), nullptr, MS_BIND, nullptr) < 0) {
      res = sys_error(errno, "bind network namespace to `" + path + "`");
      return;
    }
    // Its loopback up, as docker's sandbox has it: one ioctl here instead of the CNI loopback
    // plugin, a process of ~6 ms on every container start.
    UniqueFd s(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    ifreq ifr{};
    std::memcpy(ifr.ifr_name, "lo", 3);
    bool up = s && ::ioctl(s.get(), SIOCGIFFLAGS, &ifr) == 0;
    ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
    if (!up || ::ioctl(s.get(), SIOCSIFFLAGS, &ifr) < 0) {
      res = sys_error(errno, "bring up the loopback interface");
      ::umount2(path.c_str(), MNT_DETACH);
    }
  }).join();
  if (!res) ::unlink(path.c_str());
  return res;
}

void remove_netns(const std::string& path) {
  ::umount2(path.c_str(), MNT_DETACH);
  ::unlink(path.c_str());
}

// A free TCP/UDP port on the host (for -P and HostPort 0).
int free_port(const std::string& proto) {
  UniqueFd s(::socket(AF_INET, (proto == "udp" ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  socklen_t len = sizeof a;
  if (::bind(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) < 0 ||
      ::getsockname(s.get(), reinterpret_cast<sockaddr*>(&a), &len) < 0) {
    return 0;
  }
  return ntohs(a.sin_port);
}


// A bridge network as a conflist; portmap only when ports are published and firewall only
// when the host filters forwarding: each plugin is a process and several iptables calls.
Json bridge_conflist(const NetworkRecord& n, const std::string& ipam_dir, bool with_ports,
                     bool with_firewall, bool primary) {
  Json range = {{"subnet", n.subnet}, {"gateway", n.gateway}};
  if (auto r = parse_cidr(n.ip_range); r && !n.ip_range.empty()) {
    // The range's own network address is skipped, as docker's IPAM does.
    uint32_t start = r->len <= 30 ? r->first() + 1 : r->first();
    range["rangeStart"] = format_ipv4(std::max(start, parse_cidr(n.subnet)->first() + 1));
    range["rangeEnd"] = format_ipv4(r->last() - (r->len < 32 ? 1 : 0));
  }
  Json ipam = {{"type", "host-local"},
               {"ranges", Json::array({Json::array({range})})},
               {"dataDir", ipam_dir}};
  // Only one network may carry the default route; an internal one never does (docker).
  if (primary && !n.internal) ipam["routes"] = Json::array({{{"dst", "0.0.0.0/0"}}});
  Json plugins = Json::array({{{"type", "bridge"},
                               {"bridge", n.bridge},
                               {"isGateway", !n.internal},
                               {"ipMasq", false},  // one rule per network: sync_rules
                               {"hairpinMode", true},
                               {"capabilities", {{"ips", true}}},
                               {"ipam", ipam}}});
  if (with_ports) {
    plugins.push_back({{"type", "portmap"}, {"capabilities", {{"portMappings", true}}}, {"snat", true}});
  }
  if (with_firewall) plugins.push_back({{"type", "firewall"}, {"backend", "iptables"}});
  return {{"cniVersion", kCniVersion}, {"name", cni_name(n)}, {"plugins", plugins}};
}

// Brings a Linux bridge down and deletes it (brctl delbr's ioctls).
// Runs `iptables -w ARGS` quietly; its exit status (-1 when it cannot run).
int iptables(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"iptables", "-w"};
  argv.insert(argv.end(), args.begin(), args.end());
  proc::SpawnOptions o;
  o.search_path = true;
  auto pid = proc::spawn(argv, o);
  return pid ? proc::wait_exit(*pid) : -1;
}

void delete_bridge(const std::string& name) {
  if (name.empty() || name.size() >= IFNAMSIZ) return;
  UniqueFd s(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  ifreq ifr{};
  std::memcpy(ifr.ifr_name, name.c_str(), name.size());
  if (::ioctl(s.get(), SIOCGIFFLAGS, &ifr) < 0) return;
  ifr.ifr_flags = static_cast<short>(ifr.ifr_flags & ~IFF_UP);
  (void)::ioctl(s.get(), SIOCSIFFLAGS, &ifr);
  char buf[IFNAMSIZ] = {};
  std::memcpy(buf, name.c_str(), name.size());
  (void)::ioctl(s.get(), SIOCBRDELBR, buf);
}

NetworkRecord from_row(const std::string& id, const std::string& name, const std::string& data) {
  NetworkRecord n;
  n.id = id;
  n.name = name;
  Json j = parse_json(data, "network").value_or(Json::object());
  n.driver = j.value("driver", "bridge");
  n.subnet = j.value("subnet", "");
  n.gateway = j.value("gateway", "");
  n.ip_range = j.value("ip_range", "");
  n.bridge = j.value("bridge", "");
  n.internal = j.value("internal", false);
  n.created = j.value("created", "");
  for (auto* m : {&n.labels, &n.options}) {
    auto key = m == &n.labels ? "labels" : "options";
    if (auto l = j.find(key); l != j.end() && l->is_object()) {
      for (auto& [k, v] : l->items()) {
        if (v.is_string()) (*m)[k] = v.get<std::string>();
      }
    }
  }
  return n;
}

}  // namespace

std::string netns_path(const std::string& id) { return std::string(kNetnsDir) + "/" + id; }

Result<std::unique_ptr<Networks>> Networks::open(const std::string& db_path, std::string state_dir,
                                                 std::string cni_path) {
  BERTH_ASSIGN_OR_RETURN(sql::Db db, sql::Db::open(db_path));
  BERTH_TRY(db.exec(kSchema));
  std::unique_ptr<Networks> n(new Networks(std::move(db), std::move(state_dir), std::move(cni_path)));
  BERTH_TRY(n->ensure_predefined());
  n->sync_rules();
  return n;
}

void Networks::sync_rules() {
  std::vector<std::string> user_bridges;
  std::string masq;
  for (auto& n : list()) {
    if (n.driver != "bridge" || n.bridge.empty()) continue;
    if (!n.predefined()) user_bridges.push_back(n.bridge);
    if (!n.internal && !n.subnet.empty()) {
      masq += "-A " + std::string(kMasqChain) + " -s " + n.subnet + " ! -d 224.0.0.0/4 ! -o " +
              n.bridge + " -j MASQUERADE\n";
    }
  }
  const std::string one = "BERTH-ISOLATION-1", two = "BERTH-ISOLATION-2";
  // One iptables-restore for both tables (a call costs milliseconds); the jumps into our
  // chains only when missing, so that a restart does not stack them.
  std::string script = "*nat\n:" + std::string(kMasqChain) + " - [0:0]\n" + masq;
  if (iptables({"-t", "nat", "-C", "POSTROUTING", "-j", kMasqChain}) != 0) {
    script += "-A POSTROUTING -j " + std::string(kMasqChain) + "\n";
  }
  script += "COMMIT\n";
  if (!user_bridges.empty()) {
    user_bridges.push_back("berth0");  // the default network is isolated from the user ones too
    script += "*filter\n:" + one + " - [0:0]\n:" + two + " - [0:0]\n";
    for (auto& b : user_bridges) {
      script += "-A " + one + " -i " + b + " ! -o " + b + " -j " + two + "\n";
      script += "-A " + two + " -o " + b + " -j DROP\n";
    }
    script += "-A " + one + " -j RETURN\n-A " + two + " -j RETURN\n";
    if (iptables({"-C", "FORWARD", "-j", one}) != 0) script += "-I FORWARD 1 -j " + one + "\n";
    script += "COMMIT\n";
  }
  (void)proc::run({"iptables-restore", "-w", "--noflush"}, {}, script);
  // No user network: no isolation chains (a start without them learns it in one call).
  if (user_bridges.empty() && iptables({"-S", one}) == 0) {
    (void)iptables({"-D", "FORWARD", "-j", one});
    for (auto* c : {&one, &two}) {
      (void)iptables({"-F", *c});
      (void)iptables({"-X", *c});
    }
  }
}

Result<void> Networks::save(const NetworkRecord& n) {
  Json data = {{"driver", n.driver},   {"subnet", n.subnet},     {"gateway", n.gateway},
               {"ip_range", n.ip_range}, {"bridge", n.bridge},   {"internal", n.internal},
               {"labels", n.labels},   {"options", n.options},   {"created", n.created}};
  BERTH_ASSIGN_OR_RETURN(auto st, db_.prepare("INSERT INTO networks(id, name, data) VALUES(?,?,?)"));
  st.bind(1, n.id).bind(2, n.name).bind(3, dump_json(data));
  return st.run();
}

Result<void> Networks::ensure_predefined() {
  std::lock_guard<std::mutex> l(mu_);
  for (const char* name : {"bridge", "host", "none"}) {
    BERTH_ASSIGN_OR_RETURN(auto st, db_.prepare("SELECT 1 FROM networks WHERE name=?"));
    st.bind(1, name);
    BERTH_ASSIGN_OR_RETURN(bool exists, st.step());
    if (exists) continue;
    NetworkRecord n;
    n.id = str::random_hex(32);
    n.name = name;
    n.created = rfc3339_now();
    n.driver = n.name == "bridge" ? "bridge" : n.name == "host" ? "host" : "null";
    if (n.name == "bridge") {
      n.subnet = "172.17.0.0/16";
      n.gateway = "172.17.0.1";
      n.bridge = "berth0";
    }
    BERTH_TRY(save(n));
  }
  return {};
}

Result<NetworkRecord> Networks::get(const std::string& ref) const {
  auto all = list();
  for (auto& n : all) {
    if (n.name == ref || n.id == ref) return n;
  }
  const NetworkRecord* match = nullptr;
  for (auto& n : all) {
    if (!ref.empty() && n.id.starts_with(ref)) {
      if (match) return make_error(Errc::kNotFound, "network " + ref + " is ambiguous");
      match = &n;
    }
  }
  if (!match) return make_error(Errc::kNotFound, "network " + ref + " not found");
  return *match;
}

std::vector<NetworkRecord> Networks::list() const {
  std::lock_guard<std::mutex> l(mu_);
  std::vector<NetworkRecord> out;
  auto st = db_.prepare("SELECT id, name, data FROM networks ORDER BY name");
  if (!st) return out;
  while (st->step().value_or(false)) out.push_back(from_row(st->text(0), st->text(1), st->text(2)));
  return out;
}

Result<NetworkRecord> Networks::create(NetworkRecord want) {
  static const std::regex kName("^[a-zA-Z0-9][a-zA-Z0-9_.-]*$");
  if (!std::regex_match(want.name, kName)) {
    return make_error(Errc::kInvalidArgument, "invalid network name \"" + want.name +
                                                  "\": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
  }
  if (want.driver.empty()) want.driver = "bridge";
  if (want.driver != "bridge") {
    return make_error(Errc::kNotFound, "plugin \"" + want.driver + "\" not found");
  }
  auto existing = list();
  for (auto& n : existing) {
    if (n.name == want.name) {
      return make_error(Errc::kConflict, "network with name " + want.name + " already exists");
    }
  }
  std::vector<Cidr> taken = host_prefixes();
  for (auto& n : existing) {
    if (auto c = parse_cidr(n.subnet)) taken.push_back(*c);
  }
  Cidr subnet;
  if (!want.subnet.empty()) {
    auto c = parse_cidr(want.subnet);
    if (!c || c->len > 30) {
      return make_error(Errc::kInvalidArgument, "invalid subnet " + want.subnet + ": expected an "
                                                "IPv4 CIDR such as 172.30.0.0/16");
    }
    subnet = *c;
    for (auto& t : taken) {
      if (t.overlaps(subnet)) {
        return make_error(Errc::kInvalidArgument, "invalid pool request: Pool overlaps with other "
                                                  "one on this address space");
      }
    }
  } else {
    // docker's default address pools: 172.17-31.0.0/16, then 192.168.0.0/16 in /20 steps.
    std::vector<Cidr> pool;
    for (uint32_t b = 18; b <= 31; ++b) pool.push_back(Cidr{(172u << 24) | (b << 16), 16});
    for (uint32_t c = 0; c < 256; c += 16) pool.push_back(Cidr{(192u << 24) | (168u << 16) | (c << 8), 20});
    auto free = std::find_if(pool.begin(), pool.end(), [&](const Cidr& p) {
      return std::none_of(taken.begin(), taken.end(), [&](const Cidr& t) { return t.overlaps(p); });
    });
    if (free == pool.end()) {
      return make_error(Errc::kResourceExhausted, "could not find an available, non-overlapping "
                                                  "IPv4 address pool among the defaults to assign "
                                                  "to the network");
    }
    subnet = *free;
  }
  want.subnet = format_cidr(subnet);
  if (want.gateway.empty()) {
    want.gateway = format_ipv4(subnet.first() + 1);
  } else if (auto g = parse_ipv4(want.gateway); !g || !subnet.contains(*g)) {
    return make_error(Errc::kInvalidArgument, "invalid gateway " + want.gateway + ": not an address "
                                              "in subnet " + want.subnet);
  }
  if (!want.ip_range.empty()) {
    auto r = parse_cidr(want.ip_range);
    if (!r || !subnet.contains(r->first()) || !subnet.contains(r->last())) {
      return make_error(Errc::kInvalidArgument, "invalid ip-range " + want.ip_range +
                                                    ": must be a CIDR inside subnet " + want.subnet);
    }
    want.ip_range = format_cidr(*r);
  }
  want.id = str::random_hex(32);
  want.bridge = "br-" + want.id.substr(0, 12);
  want.created = rfc3339_now();
  {
    std::lock_guard<std::mutex> l(mu_);
    BERTH_TRY(save(want));
  }
  sync_rules();
  return want;
}

Result<void> Networks::remove(const std::string& ref) {
  BERTH_ASSIGN_OR_RETURN(NetworkRecord n, get(ref));
  if (n.predefined()) {
    return make_error(Errc::kPermissionDenied,
                      n.name + " is a pre-defined network and cannot be removed");
  }
  {
    std::lock_guard<std::mutex> l(mu_);
    BERTH_ASSIGN_OR_RETURN(auto st, db_.prepare("DELETE FROM networks WHERE id=?"));
    st.bind(1, n.id);
    BERTH_TRY(st.run());
  }
  (void)fs::remove_all(state_dir_ + "/ipam/" + cni_name(n));
  delete_bridge(n.bridge);
  sync_rules();
  return {};
}

Result<std::string> Networks::make_sandbox(const std::string& id) {
  std::string path = netns_path(id);
  BERTH_TRY(make_netns(path));
  return path;
}

Result<Endpoint> Networks::connect(const std::string& id, const NetworkRecord& n,
                                   const std::string& ifname, const std::string& ip,
                                   std::vector<PortMapping>* ports, bool primary) {
  Endpoint e;
  e.network_id = n.id;
  e.network = n.name;
  e.ifname = ifname;
  Json mappings = Json::array();
  if (ports) {
    for (auto& p : *ports) {
      if (p.host_port == 0) p.host_port = free_port(p.protocol);
      Json m = {{"hostPort", p.host_port}, {"containerPort", p.container_port},
                {"protocol", p.protocol}};
      if (!p.host_ip.empty()) m["hostIP"] = p.host_ip;
      mappings.push_back(m);
    }
  }
  Json rc = {{"portMappings", mappings}};
  if (!ip.empty()) {
    auto a = parse_ipv4(ip);
    auto sub = parse_cidr(n.subnet);
    if (!a || !sub || !sub->contains(*a)) {
      return make_error(Errc::kInvalidArgument, "invalid IPv4 address " + ip + " for network " +
                                                    n.name + " (subnet " + n.subnet + ")");
    }
    rc["ips"] = Json::array({ip + "/" + std::to_string(sub->len)});
  }
  BERTH_TRY(fs::mkdir_all(state_dir_ + "/cni", 0700));
  Json list = bridge_conflist(n, state_dir_ + "/ipam", !mappings.empty(), !forward_accepts(), primary);
  // Kept for DEL, which needs the same plugins, runtime config and the ADD result.
  std::string saved = state_dir_ + "/cni/" + id + "." + n.id.substr(0, 12) + ".json";
  Json record = {{"runtimeConfig", rc}, {"list", list}, {"ifname", ifname}};
  (void)fs::atomic_write(saved, dump_json(record));
  auto result = run_list(cni_path_, "ADD", list, id, netns_path(id), ifname, rc, Json());
  if (!result) {
    disconnect(id, n.id);
    return tl::unexpected(result.error());
  }
  record["result"] = *result;
  (void)fs::atomic_write(saved, dump_json(record));
  if (auto ips = result->find("ips"); ips != result->end() && ips->is_array() && !ips->empty()) {
    std::string addr = (*ips)[0].value("address", "");
    e.ip = addr.substr(0, addr.find('/'));
    if (auto slash = addr.find('/'); slash != std::string::npos) {
      e.prefix = static_cast<int>(str::parse_int(addr.substr(slash + 1)).value_or(16));
    }
    e.gateway = (*ips)[0].value("gateway", "");
  }
  if (auto ifs = result->find("interfaces"); ifs != result->end() && ifs->is_array()) {
    for (auto& i : *ifs) {
      if (i.value("name", "") == ifname) e.mac = i.value("mac", "");
    }
  }
  return e;
}

void Networks::disconnect(const std::string& id, const std::string& network_id) {
  std::string saved = state_dir_ + "/cni/" + id + "." + network_id.substr(0, 12) + ".json";
  auto text = fs::read_file(saved);
  if (!text) return;
  Json j = parse_json(*text, "cni state").value_or(Json::object());
  if (Json list = j.value("list", Json()); list.is_object()) {
    (void)run_list(cni_path_, "DEL", list, id, netns_path(id), j.value("ifname", "eth0"),
                   j.value("runtimeConfig", Json::object()), j.value("result", Json()));
  }
  ::unlink(saved.c_str());
}

void Networks::destroy_sandbox(const std::string& id) {
  // The namespace goes first: the kernel then deletes its interfaces when it frees it, and
  // the plugins' DEL, finding no namespace, only releases the address and rules (CNI SPEC.md:
  // DEL tolerates a missing namespace). A veth deleted by the bridge plugin waits for RCU grace
  // periods, ~20 ms on the path of every stop.
  remove_netns(netns_path(id));
  std::string dir = state_dir_ + "/cni";
  for (auto& name : fs::list_dir(dir).value_or(std::vector<std::string>{})) {
    // <id>.<network id12>.json
    if (name.size() == id.size() + 18 && name.starts_with(id + ".") && name.ends_with(".json")) {
      disconnect(id, name.substr(id.size() + 1, 12));
    }
  }
}

std::vector<std::string> Networks::sandboxes() const {
  std::set<std::string> ids;
  for (auto& name : fs::list_dir(kNetnsDir).value_or(std::vector<std::string>{})) ids.insert(name);
  for (auto& name : fs::list_dir(state_dir_ + "/cni").value_or(std::vector<std::string>{})) {
    if (auto dot = name.find('.'); dot != std::string::npos && name.ends_with(".json")) {
      ids.insert(name.substr(0, dot));
    }
  }
  return {ids.begin(), ids.end()};
}

Json network_json(const NetworkRecord& n, const Json& containers) {
  Json config = Json::array();
  if (!n.subnet.empty()) {
    Json c = {{"Subnet", n.subnet}, {"Gateway", n.gateway}};
    if (!n.ip_range.empty()) c["IPRange"] = n.ip_range;
    config.push_back(c);
  }
  Json options = Json::object();
  for (auto& [k, v] : n.options) options[k] = v;
  if (n.name == "bridge") options["com.docker.network.bridge.name"] = n.bridge;
  return {{"Name", n.name},
          {"Id", n.id},
          {"Created", n.created},
          {"Scope", "local"},
          {"Driver", n.driver},
          {"EnableIPv4", true},
          {"EnableIPv6", false},
          {"IPAM", {{"Driver", "default"}, {"Options", Json()}, {"Config", config}}},
          {"Internal", n.internal},
          {"Attachable", false},
          {"Ingress", false},
          {"ConfigFrom", {{"Network", ""}}},
          {"ConfigOnly", false},
          {"Containers", containers},
          {"Options", options},
          {"Labels", n.labels}};
}

Result<std::vector<PortMapping>> port_mappings(const Json& config, const Json& host_config) {
  std::vector<PortMapping> out;
  auto parse_key = [](const std::string& key, PortMapping& m) -> Result<void> {
    auto slash = key.find('/');
    auto port = str::parse_int(key.substr(0, slash));
    m.protocol = slash == std::string::npos ? "tcp" : key.substr(slash + 1);
    if (!port || *port <= 0 || *port > 65535 || (m.protocol != "tcp" && m.protocol != "udp")) {
      return make_error(Errc::kInvalidArgument, "invalid port specification: \"" + key + "\"");
    }
    m.container_port = static_cast<int>(*port);
    return {};
  };
  Json bindings = host_config.value("PortBindings", Json::object());
  if (bindings.is_object()) {
    for (auto& [key, list] : bindings.items()) {
      PortMapping base;
      BERTH_TRY(parse_key(key, base));
      if (!list.is_array() || list.empty()) {
        out.push_back(base);
        continue;
      }
      for (auto& b : list) {
        PortMapping m = base;
        m.host_ip = b.value("HostIp", "");
        if (m.host_ip == "0.0.0.0") m.host_ip.clear();
        std::string hp = b.value("HostPort", "");
        if (!hp.empty()) {
          // "8000" or a range "8000-8005" (one container port published on a free one of them).
          auto dash = hp.find('-', 1);
          auto n = str::parse_int(hp.substr(0, dash));
          auto e = dash == std::string::npos ? n : str::parse_int(hp.substr(dash + 1));
          if (!n || !e || *n < 0 || *e > 65535 || *e < *n) {
            return make_error(Errc::kInvalidArgument, "invalid port specification: \"" + hp + "\"");
          }
          m.host_port = static_cast<int>(*n);
          if (*e > *n) m.host_port_end = static_cast<int>(*e);
        }
        out.push_back(m);
      }
    }
  }
  if (host_config.value("PublishAllPorts", false)) {
    Json exposed = config.value("ExposedPorts", Json::object());
    if (exposed.is_object()) {
      for (auto& [key, v] : exposed.items()) {
        PortMapping m;
        BERTH_TRY(parse_key(key, m));
        bool bound = std::any_of(out.begin(), out.end(), [&](auto& o) {
          return o.container_port == m.container_port && o.protocol == m.protocol;
        });
        if (!bound) out.push_back(m);
      }
    }
  }
  return out;
}

}  // namespace berth::engine
