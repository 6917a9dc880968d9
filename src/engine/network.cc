#include "engine/network.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <thread>

#include "common/fs.h"
#include "common/strings.h"
#include "common/unique_fd.h"

namespace berth::engine {
namespace {

constexpr const char* kNetnsDir = "/run/berth/netns";
constexpr const char* kCniVersion = "1.0.0";

std::string netns_path(const std::string& id) { return std::string(kNetnsDir) + "/" + id; }

Json bridge_conflist_all(const std::string& ipam_dir) {
  return {{"cniVersion", kCniVersion},
          {"name", "bridge"},
          {"plugins",
           Json::array({{{"type", "bridge"},
                         {"bridge", "berth0"},
                         {"isGateway", true},
                         {"ipMasq", true},
                         {"hairpinMode", true},
                         {"ipam",
                          {{"type", "host-local"},
                           {"ranges", Json::array({Json::array({{{"subnet", "172.17.0.0/16"},
                                                                 {"gateway", "172.17.0.1"}}})})},
                           {"routes", Json::array({{{"dst", "0.0.0.0/0"}}})},
                           {"dataDir", ipam_dir}}}},
                        {{"type", "portmap"},
                         {"capabilities", {{"portMappings", true}}},
                         {"snat", true}},
                        {{"type", "firewall"}, {"backend", "iptables"}}})}};
}

// Whether the host forwards between interfaces without rules of ours (FORWARD policy ACCEPT):
// then the firewall plugin, three iptables calls per container, is not needed.
bool forward_accepts() {
  static const bool accepts = [] {
    FILE* f = ::popen("iptables -S FORWARD 2>/dev/null", "r");
    if (!f) return false;
    char line[256] = {};
    bool ok = std::fgets(line, sizeof line, f) && std::string(line).rfind("-P FORWARD ACCEPT", 0) == 0;
    ::pclose(f);
    return ok;
  }();
  return accepts;
}

// The bridge network as a conflist; portmap only when ports are published and firewall only
// when the host filters forwarding: each plugin is a process and several iptables calls.
Json bridge_conflist(const std::string& ipam_dir, bool with_ports, bool with_firewall) {
  Json list = bridge_conflist_all(ipam_dir);
  Json plugins = Json::array();
  for (auto& p : list["plugins"]) {
    if (p["type"] == "portmap" && !with_ports) continue;
    if (p["type"] == "firewall" && !with_firewall) continue;
    plugins.push_back(p);
  }
  list["plugins"] = plugins;
  return list;
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
  int in[2], out[2];
  if (::pipe2(in, O_CLOEXEC) < 0 || ::pipe2(out, O_CLOEXEC) < 0) return sys_error(errno, "pipe");
  std::vector<std::string> env = {"CNI_COMMAND=" + command, "CNI_CONTAINERID=" + id,
                                  "CNI_NETNS=" + netns,     "CNI_IFNAME=" + ifname,
                                  "CNI_PATH=" + cni_path,
                                  "PATH=/usr/sbin:/usr/bin:/sbin:/bin"};
  auto envp = str::c_strings(env);
  std::vector<std::string> argv = {bin};
  auto argvp = str::c_strings(argv);
  pid_t pid = ::fork();
  if (pid < 0) return sys_error(errno, "fork");
  if (pid == 0) {
    ::dup2(in[0], 0);
    ::dup2(out[1], 1);
    int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, 2);
    ::close_range(3, ~0U, 0);
    ::execve(bin.c_str(), argvp.data(), envp.data());
    ::_exit(127);
  }
  ::close(in[0]);
  ::close(out[1]);
  std::string input = dump_json(conf);
  (void)!::write(in[1], input.data(), input.size());
  ::close(in[1]);
  std::string output;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(out[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    output.append(buf, static_cast<size_t>(n));
  }
  ::close(out[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
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
                      const std::string& id, const std::string& netns, const Json& runtime_config,
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
    auto r = exec_plugin(cni_path, command, id, netns, "eth0", conf);
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

}  // namespace

Network::Network(std::string state_dir, std::string cni_path)
    : state_dir_(std::move(state_dir)), cni_path_(std::move(cni_path)) {}

Result<Attachment> Network::attach_none(const std::string& id) {
  Attachment a;
  a.netns = netns_path(id);
  BERTH_TRY(make_netns(a.netns));
  auto r = loopback_up(id, a.netns);
  if (!r) {
    remove_netns(a.netns);
    return tl::unexpected(r.error());
  }
  return a;
}

Result<void> Network::loopback_up(const std::string& id, const std::string& netns) {
  Json lo = {{"cniVersion", kCniVersion}, {"name", "lo"}, {"type", "loopback"}};
  return exec_plugin(cni_path_, "ADD", id, netns, "lo", lo).map([](auto&&) {});
}

Result<Attachment> Network::attach(const std::string& id, std::vector<PortMapping> ports) {
  Attachment a;
  a.netns = netns_path(id);
  BERTH_TRY(make_netns(a.netns));
  // The loopback beside the bridge chain: each plugin is a process of its own.
  Result<void> lo;
  std::thread lo_thread([&] { lo = loopback_up(id, a.netns); });
  struct Join {
    std::thread& t;
    ~Join() {
      if (t.joinable()) t.join();
    }
  } join{lo_thread};
  for (auto& p : ports) {
    if (p.host_port == 0) p.host_port = free_port(p.protocol);
  }
  Json mappings = Json::array();
  for (auto& p : ports) {
    Json m = {{"hostPort", p.host_port}, {"containerPort", p.container_port},
              {"protocol", p.protocol}};
    if (!p.host_ip.empty()) m["hostIP"] = p.host_ip;
    mappings.push_back(m);
  }
  BERTH_TRY(fs::mkdir_all(state_dir_ + "/cni", 0700));
  Json list = bridge_conflist(state_dir_ + "/ipam", !ports.empty(), !forward_accepts());
  Json rc = {{"portMappings", mappings}};
  // Kept for DEL, which needs the same plugins, runtime config and the ADD result.
  (void)fs::atomic_write(state_dir_ + "/cni/" + id + ".json",
                         dump_json(Json{{"runtimeConfig", rc}, {"list", list}}));
  auto result = run_list(cni_path_, "ADD", list, id, a.netns, rc, Json());
  if (!result) {
    detach(id);
    return tl::unexpected(result.error());
  }
  (void)fs::atomic_write(state_dir_ + "/cni/" + id + ".json",
                         dump_json(Json{{"runtimeConfig", rc}, {"list", list}, {"result", *result}}));
  if (auto ips = result->find("ips"); ips != result->end() && ips->is_array() && !ips->empty()) {
    std::string addr = (*ips)[0].value("address", "");
    a.ip = addr.substr(0, addr.find('/'));
    if (auto slash = addr.find('/'); slash != std::string::npos) {
      a.prefix = static_cast<int>(str::parse_int(addr.substr(slash + 1)).value_or(16));
    }
    a.gateway = (*ips)[0].value("gateway", "");
  }
  if (auto ifs = result->find("interfaces"); ifs != result->end() && ifs->is_array()) {
    for (auto& i : *ifs) {
      if (i.value("name", "") == "eth0") a.mac = i.value("mac", "");
    }
  }
  a.ports = ports;
  lo_thread.join();
  if (!lo) {
    detach(id);
    return tl::unexpected(lo.error());
  }
  return a;
}

void Network::detach(const std::string& id) {
  std::string saved = state_dir_ + "/cni/" + id + ".json";
  if (auto text = fs::read_file(saved)) {
    Json j = parse_json(*text, "cni state").value_or(Json::object());
    Json list = j.value("list", Json());
    if (!list.is_object()) list = bridge_conflist_all(state_dir_ + "/ipam");
    (void)run_list(cni_path_, "DEL", list, id, netns_path(id),
                   j.value("runtimeConfig", Json::object()), j.value("result", Json()));
    ::unlink(saved.c_str());
  }
  remove_netns(netns_path(id));
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
          auto n = str::parse_int(hp);
          if (!n || *n < 0 || *n > 65535) {
            return make_error(Errc::kInvalidArgument, "invalid port specification: \"" + hp + "\"");
          }
          m.host_port = static_cast<int>(*n);
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
