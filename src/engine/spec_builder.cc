#include "engine/spec_builder.h"

#include <algorithm>

#include "common/fs.h"
#include "common/strings.h"
#include "runtime/spec/spec.h"

namespace berth::engine {
namespace {

struct PasswdEntry {
  std::string name;
  uint32_t uid = 0, gid = 0;
  std::string home;
};

std::vector<std::vector<std::string>> colon_file(const std::string& path) {
  std::vector<std::vector<std::string>> out;
  auto text = fs::read_file(path);
  if (!text) return out;
  for (auto& line : str::split(*text, '\n')) {
    if (line.empty() || line[0] == '#') continue;
    out.push_back(str::split(line, ':'));
  }
  return out;
}

}  // namespace

// docker's user spec: user, uid, user:group, uid:gid (moby/sys/user GetExecUser).
Result<OrderedJson> resolve_user(const std::string& spec, const std::string& rootfs) {
  OrderedJson u = {{"uid", 0}, {"gid", 0}};
  if (spec.empty()) return u;
  auto colon = spec.find(':');
  std::string user = spec.substr(0, colon);
  std::string group = colon == std::string::npos ? "" : spec.substr(colon + 1);
  auto passwd = colon_file(rootfs + "/etc/passwd");
  auto groups = colon_file(rootfs + "/etc/group");
  uint32_t uid = 0, gid = 0;
  std::string name;
  bool found = false;
  for (auto& f : passwd) {
    if (f.size() < 4) continue;
    if (f[0] == user || (str::parse_uint(user) && f[2] == user)) {
      uid = static_cast<uint32_t>(str::parse_uint(f[2]).value_or(0));
      gid = static_cast<uint32_t>(str::parse_uint(f[3]).value_or(0));
      name = f[0];
      found = true;
      break;
    }
  }
  if (!found) {
    auto n = str::parse_uint(user);
    if (!n) {
      return make_error(Errc::kInvalidArgument,
                        "unable to find user " + user + ": no matching entries in passwd file");
    }
    uid = static_cast<uint32_t>(*n);
  }
  if (!group.empty()) {
    bool gfound = false;
    for (auto& f : groups) {
      if (f.size() >= 3 && (f[0] == group || (str::parse_uint(group) && f[2] == group))) {
        gid = static_cast<uint32_t>(str::parse_uint(f[2]).value_or(0));
        gfound = true;
        break;
      }
    }
    if (!gfound) {
      auto n = str::parse_uint(group);
      if (!n) {
        return make_error(Errc::kInvalidArgument,
                          "unable to find group " + group + ": no matching entries in group file");
      }
      gid = static_cast<uint32_t>(*n);
    }
  }
  u["uid"] = uid;
  u["gid"] = gid;
  OrderedJson extra = OrderedJson::array();
  if (!name.empty()) {
    for (auto& f : groups) {
      if (f.size() < 4) continue;
      for (auto& member : str::split(f[3], ',')) {
        auto g = str::parse_uint(f[2]);
        if (member == name && g && *g != gid) extra.push_back(*g);
      }
    }
  }
  if (!extra.empty()) u["additionalGids"] = extra;
  return u;
}

namespace {


OrderedJson bind_mount(const std::string& src, const std::string& dst, bool ro) {
  OrderedJson opts = OrderedJson::array({"rbind", "rprivate"});
  if (ro) opts.push_back("ro");
  return {{"destination", dst}, {"type", "bind"}, {"source", src}, {"options", opts}};
}

}  // namespace

Result<OrderedJson> build_spec(const Container& c, const std::string& rootfs) {
  OrderedJson spec = runtime::spec::default_spec_json();
  const Json& cfg = c.config;
  const Json& hc = c.host_config;
  std::vector<std::string> args = string_array(cfg.value("Entrypoint", Json()));
  for (auto& a : string_array(cfg.value("Cmd", Json()))) args.push_back(a);
  if (args.empty()) {
    return make_error(Errc::kInvalidArgument, "no command specified");
  }
  OrderedJson& proc = spec["process"];
  proc["terminal"] = cfg.value("Tty", false);
  proc["args"] = args;
  std::vector<std::string> env = string_array(cfg.value("Env", Json()));
  auto has = [&](const std::string& k) {
    return std::any_of(env.begin(), env.end(), [&](auto& e) { return e.rfind(k + "=", 0) == 0; });
  };
  if (!has("PATH")) env.insert(env.begin(), "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  std::string hostname = cfg.value("Hostname", "");
  if (hostname.empty()) hostname = c.id.substr(0, 12);
  if (!has("HOSTNAME")) env.insert(env.begin() + 1, "HOSTNAME=" + hostname);
  if (cfg.value("Tty", false) && !has("TERM")) env.push_back("TERM=xterm");
  proc["env"] = env;
  std::string cwd = cfg.value("WorkingDir", "");
  proc["cwd"] = cwd.empty() ? "/" : cwd;
  BERTH_ASSIGN_OR_RETURN(proc["user"], resolve_user(cfg.value("User", ""), rootfs));
  if (hc.value("Privileged", false)) {
    proc.erase("apparmorProfile");
  }
  spec["hostname"] = hostname;
  spec["root"] = {{"path", rootfs}, {"readonly", hc.value("ReadonlyRootfs", false)}};

  // /etc/hosts, /etc/hostname and /etc/resolv.conf are the container's own files.
  spec["mounts"].push_back(bind_mount(c.dir + "/resolv.conf", "/etc/resolv.conf", false));
  spec["mounts"].push_back(bind_mount(c.dir + "/hostname", "/etc/hostname", false));
  spec["mounts"].push_back(bind_mount(c.dir + "/hosts", "/etc/hosts", false));
  for (auto& m : c.mounts.is_array() ? c.mounts : Json::array()) {
    std::string type = m.value("Type", "");
    bool ro = !m.value("RW", true);
    if (type == "tmpfs") {
      OrderedJson opts = OrderedJson::array();
      for (auto& o : m.value("Options", Json::array())) opts.push_back(o.get<std::string>());
      if (ro) opts.push_back("ro");
      spec["mounts"].push_back({{"destination", m["Destination"]}, {"type", "tmpfs"},
                                {"source", "tmpfs"}, {"options", opts}});
    } else {
      spec["mounts"].push_back(bind_mount(m["Source"], m["Destination"], ro));
    }
  }

  OrderedJson& linux = spec["linux"];
  std::string net = hc.value("NetworkMode", "default");
  auto& ns = linux["namespaces"];
  if (net == "host" || (c.network.is_object() && c.network.value("mode", "") == "host")) {
    for (auto it = ns.begin(); it != ns.end();) {
      it = (*it)["type"] == "network" || (*it)["type"] == "uts" ? ns.erase(it) : it + 1;
    }
  } else if (std::string path = c.network.value("netns", ""); !path.empty()) {
    for (auto& n : ns) {
      if (n["type"] == "network") n["path"] = path;  // made and wired by the engine (CNI)
    }
  }
  OrderedJson res = OrderedJson::object();
  if (int64_t mem = hc.value("Memory", int64_t{0}); mem > 0) {
    res["memory"]["limit"] = mem;
    int64_t swap = hc.value("MemorySwap", int64_t{0});
    if (swap != 0) res["memory"]["swap"] = swap;  // -1 = unlimited
  }
  if (int64_t nano = hc.value("NanoCpus", int64_t{0}); nano > 0) {
    res["cpu"]["period"] = 100000;
    res["cpu"]["quota"] = nano / 10000;  // NanoCpus * period / 1e9
  }
  if (int64_t shares = hc.value("CpuShares", int64_t{0}); shares > 0) {
    res["cpu"]["shares"] = shares;
  }
  if (auto pids = hc.find("PidsLimit"); pids != hc.end() && pids->is_number_integer() &&
                                         pids->get<int64_t>() > 0) {
    res["pids"]["limit"] = pids->get<int64_t>();
  }
  if (!res.empty()) {
    for (auto& [k, v] : res.items()) linux["resources"][k] = v;
  }
  return spec;
}

}  // namespace berth::engine
