// config.json -> Spec. Every error names the JSON path of the offending field.
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/capability.h>

#include <algorithm>
#include <climits>
#include <cstdlib>

#include "common/fs.h"
#include "runtime/spec/spec.h"

namespace berth::runtime::spec {
namespace {

tl::unexpected<Error> field_error(const std::string& path, const std::string& why) {
  return make_error(Errc::kInvalidArgument, path + ": " + why);
}

std::string type_name(const Json& j) { return j.type_name(); }

// Typed getters: a missing key yields the default; a wrong type is an error.
Result<std::string> get_string(const Json& obj, const char* key, const std::string& path,
                               bool required = false) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) {
    if (required) {
      return field_error(path + "." + key, "required field is missing");
    }
    return std::string();
  }
  if (!it->is_string()) {
    return field_error(path + "." + key, "expected a string, got " + type_name(*it));
  }
  std::string v = it->get<std::string>();
  if (v.find('\0') != std::string::npos) {
    return field_error(path + "." + key, "contains a NUL byte");
  }
  return v;
}

Result<bool> get_bool(const Json& obj, const char* key, const std::string& path) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) {
    return false;
  }
  if (!it->is_boolean()) {
    return field_error(path + "." + key, "expected a boolean, got " + type_name(*it));
  }
  return it->get<bool>();
}

template <class T>
Result<std::optional<T>> get_int(const Json& obj, const char* key, const std::string& path) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) {
    return std::optional<T>();
  }
  const std::string p = path + "." + key;
  if (!it->is_number_integer()) {
    return field_error(p, "expected an integer, got " + type_name(*it));
  }
  if constexpr (std::is_unsigned_v<T>) {
    if (it->is_number_unsigned()) {
      uint64_t v = it->get<uint64_t>();
      if (v > std::numeric_limits<T>::max()) {
        return field_error(p, "value " + std::to_string(v) + " out of range");
      }
      return std::optional<T>(static_cast<T>(v));
    }
    int64_t v = it->get<int64_t>();
    if (v < 0) {
      return field_error(p, "value " + std::to_string(v) + " must not be negative");
    }
    if (static_cast<uint64_t>(v) > std::numeric_limits<T>::max()) {
      return field_error(p, "value " + std::to_string(v) + " out of range");
    }
    return std::optional<T>(static_cast<T>(v));
  } else {
    if (it->is_number_unsigned() && it->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) {
      return field_error(p, "value out of range");
    }
    int64_t v = it->get<int64_t>();
    if (v < std::numeric_limits<T>::min() || v > std::numeric_limits<T>::max()) {
      return field_error(p, "value " + std::to_string(v) + " out of range");
    }
    return std::optional<T>(static_cast<T>(v));
  }
}

Result<std::vector<std::string>> get_strings(const Json& obj, const char* key,
                                             const std::string& path) {
  std::vector<std::string> out;
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) {
    return out;
  }
  const std::string p = path + "." + key;
  if (!it->is_array()) {
    return field_error(p, "expected an array of strings, got " + type_name(*it));
  }
  for (size_t i = 0; i < it->size(); ++i) {
    const Json& e = (*it)[i];
    if (!e.is_string()) {
      return field_error(p + "[" + std::to_string(i) + "]",
                         "expected a string, got " + type_name(e));
    }
    out.push_back(e.get<std::string>());
    if (out.back().find('\0') != std::string::npos) {
      return field_error(p + "[" + std::to_string(i) + "]", "contains a NUL byte");
    }
  }
  return out;
}

Result<std::map<std::string, std::string>> get_string_map(const Json& obj, const char* key,
                                                          const std::string& path) {
  std::map<std::string, std::string> out;
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) {
    return out;
  }
  const std::string p = path + "." + key;
  if (!it->is_object()) {
    return field_error(p, "expected an object, got " + type_name(*it));
  }
  for (auto& [k, v] : it->items()) {
    if (!v.is_string()) {
      return field_error(p + "." + k, "expected a string, got " + type_name(v));
    }
    out[k] = v.get<std::string>();
    if (out[k].find('\0') != std::string::npos || k.find('\0') != std::string::npos) {
      return field_error(p + "." + k, "contains a NUL byte");
    }
  }
  return out;
}

// The array at obj[key] (empty when absent); error when it is not an array.
Result<const Json*> get_array(const Json& obj, const char* key, const std::string& path) {
  static const Json kEmpty = Json::array();
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) {
    return &kEmpty;
  }
  if (!it->is_array()) {
    return field_error(path + "." + key, "expected an array, got " + type_name(*it));
  }
  return &*it;
}

Result<const Json*> get_object(const Json& obj, const char* key, const std::string& path) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) {
    return nullptr;
  }
  if (!it->is_object()) {
    return field_error(path + "." + key, "expected an object, got " + type_name(*it));
  }
  return &*it;
}

std::string idx(const std::string& p, size_t i) { return p + "[" + std::to_string(i) + "]"; }

Result<std::vector<int>> parse_cap_list(const Json& caps, const char* key,
                                        const std::string& path) {
  BERTH_ASSIGN_OR_RETURN(auto names, get_strings(caps, key, path));
  std::vector<int> out;
  for (size_t i = 0; i < names.size(); ++i) {
    cap_value_t v;
    if (cap_from_name(names[i].c_str(), &v) != 0) {
      return field_error(idx(path + "." + key, i), "unknown capability \"" + names[i] + "\"");
    }
    out.push_back(v);
  }
  return out;
}

struct RlimitName {
  const char* name;
  int value;
};
constexpr RlimitName kRlimits[] = {
    {"RLIMIT_AS", RLIMIT_AS},         {"RLIMIT_CORE", RLIMIT_CORE},
    {"RLIMIT_CPU", RLIMIT_CPU},       {"RLIMIT_DATA", RLIMIT_DATA},
    {"RLIMIT_FSIZE", RLIMIT_FSIZE},   {"RLIMIT_LOCKS", RLIMIT_LOCKS},
    {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK}, {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
    {"RLIMIT_NICE", RLIMIT_NICE},     {"RLIMIT_NOFILE", RLIMIT_NOFILE},
    {"RLIMIT_NPROC", RLIMIT_NPROC},   {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_RTPRIO", RLIMIT_RTPRIO}, {"RLIMIT_RTTIME", RLIMIT_RTTIME},
    {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING}, {"RLIMIT_STACK", RLIMIT_STACK},
};

Result<User> parse_user(const Json& u, const std::string& p) {
  User user;
  BERTH_ASSIGN_OR_RETURN(auto uid, get_int<uint32_t>(u, "uid", p));
  BERTH_ASSIGN_OR_RETURN(auto gid, get_int<uint32_t>(u, "gid", p));
  BERTH_ASSIGN_OR_RETURN(user.umask, get_int<uint32_t>(u, "umask", p));
  if (user.umask && *user.umask > 0777) {
    return field_error(p + ".umask", "must be between 0 and 0777 (511)");
  }
  user.uid = uid.value_or(0);
  user.gid = gid.value_or(0);
  BERTH_ASSIGN_OR_RETURN(const Json* gids, get_array(u, "additionalGids", p));
  for (size_t i = 0; i < gids->size(); ++i) {
    const Json& g = (*gids)[i];
    if (!g.is_number_unsigned() || g.get<uint64_t>() > UINT32_MAX) {
      return field_error(idx(p + ".additionalGids", i), "expected a gid (0..4294967295)");
    }
    user.additional_gids.push_back(g.get<uint32_t>());
  }
  return user;
}

Result<std::vector<Hook>> parse_hooks(const Json& hooks, const char* key, const std::string& p) {
  BERTH_ASSIGN_OR_RETURN(const Json* arr, get_array(hooks, key, p));
  std::vector<Hook> out;
  for (size_t i = 0; i < arr->size(); ++i) {
    const std::string hp = idx(p + "." + key, i);
    const Json& h = (*arr)[i];
    if (!h.is_object()) {
      return field_error(hp, "expected an object");
    }
    Hook hook;
    BERTH_ASSIGN_OR_RETURN(hook.path, get_string(h, "path", hp, true));
    if (hook.path.empty() || hook.path[0] != '/') {
      return field_error(hp + ".path", "must be an absolute path");
    }
    BERTH_ASSIGN_OR_RETURN(hook.args, get_strings(h, "args", hp));
    BERTH_ASSIGN_OR_RETURN(hook.env, get_strings(h, "env", hp));
    BERTH_ASSIGN_OR_RETURN(hook.timeout_seconds, get_int<int>(h, "timeout", hp));
    if (hook.timeout_seconds && *hook.timeout_seconds <= 0) {
      return field_error(hp + ".timeout", "must be greater than zero");
    }
    out.push_back(std::move(hook));
  }
  return out;
}

Result<std::vector<IdMapping>> parse_id_mappings(const Json& lx, const char* key,
                                                 const std::string& p) {
  BERTH_ASSIGN_OR_RETURN(const Json* arr, get_array(lx, key, p));
  std::vector<IdMapping> out;
  for (size_t i = 0; i < arr->size(); ++i) {
    const std::string mp = idx(p + "." + key, i);
    const Json& m = (*arr)[i];
    if (!m.is_object()) {
      return field_error(mp, "expected an object");
    }
    BERTH_ASSIGN_OR_RETURN(auto c, get_int<uint32_t>(m, "containerID", mp));
    BERTH_ASSIGN_OR_RETURN(auto h, get_int<uint32_t>(m, "hostID", mp));
    BERTH_ASSIGN_OR_RETURN(auto s, get_int<uint32_t>(m, "size", mp));
    if (!c || !h || !s) {
      return field_error(mp, "containerID, hostID and size are required");
    }
    if (*s == 0) {
      return field_error(mp + ".size", "must be greater than zero");
    }
    if (uint64_t(*c) + *s > (1ULL << 32) || uint64_t(*h) + *s > (1ULL << 32)) {
      return field_error(mp, "mapping overflows the 32-bit id range");
    }
    out.push_back({*c, *h, *s});
  }
  return out;
}

Result<std::optional<int64_t>> parse_dev_number(const Json& d, const char* key,
                                                const std::string& p) {
  auto it = d.find(key);
  if (it == d.end() || it->is_null()) {
    return std::optional<int64_t>();
  }
  if (!it->is_number_integer()) {
    return field_error(p + "." + key, "expected an integer");
  }
  int64_t v = it->get<int64_t>();
  if (v == -1) {
    return std::optional<int64_t>();  // runc's "any"
  }
  return std::optional<int64_t>(v);
}

Result<Resources> parse_resources(const Json& r, const std::string& p) {
  Resources res;
  BERTH_ASSIGN_OR_RETURN(const Json* devs, get_array(r, "devices", p));
  for (size_t i = 0; i < devs->size(); ++i) {
    const std::string dp = idx(p + ".devices", i);
    const Json& d = (*devs)[i];
    if (!d.is_object()) {
      return field_error(dp, "expected an object");
    }
    DeviceRule rule;
    BERTH_ASSIGN_OR_RETURN(rule.allow, get_bool(d, "allow", dp));
    BERTH_ASSIGN_OR_RETURN(std::string t, get_string(d, "type", dp));
    if (t.empty()) {
      t = "a";
    }
    if (t != "a" && t != "c" && t != "b") {
      return field_error(dp + ".type", "must be \"a\", \"c\" or \"b\", got \"" + t + "\"");
    }
    rule.type = t[0];
    BERTH_ASSIGN_OR_RETURN(rule.major, parse_dev_number(d, "major", dp));
    BERTH_ASSIGN_OR_RETURN(rule.minor, parse_dev_number(d, "minor", dp));
    BERTH_ASSIGN_OR_RETURN(rule.access, get_string(d, "access", dp));
    if (rule.access.empty()) {
      rule.access = "rwm";
    }
    if (rule.access.find_first_not_of("rwm") != std::string::npos) {
      return field_error(dp + ".access", "must be a combination of r, w and m");
    }
    res.devices.push_back(rule);
  }
  BERTH_ASSIGN_OR_RETURN(const Json* mem, get_object(r, "memory", p));
  if (mem) {
    const std::string mp = p + ".memory";
    MemoryResources m;
    BERTH_ASSIGN_OR_RETURN(m.limit_bytes, get_int<int64_t>(*mem, "limit", mp));
    BERTH_ASSIGN_OR_RETURN(m.reservation_bytes, get_int<int64_t>(*mem, "reservation", mp));
    BERTH_ASSIGN_OR_RETURN(m.swap_bytes, get_int<int64_t>(*mem, "swap", mp));
    BERTH_ASSIGN_OR_RETURN(m.swappiness, get_int<uint64_t>(*mem, "swappiness", mp));
    BERTH_ASSIGN_OR_RETURN(m.disable_oom_killer, get_bool(*mem, "disableOOMKiller", mp));
    if (m.limit_bytes && *m.limit_bytes == 0) {
      m.limit_bytes.reset();
    }
    if (m.limit_bytes && *m.limit_bytes != -1 && *m.limit_bytes < 6 * 1024 * 1024) {
      return field_error(mp + ".limit", "minimum memory limit is 6 MiB (6291456 bytes)");
    }
    if (m.limit_bytes && m.swap_bytes && *m.swap_bytes > 0 && *m.limit_bytes > 0 &&
        *m.swap_bytes < *m.limit_bytes) {
      return field_error(mp + ".swap", "memory+swap must not be lower than the memory limit");
    }
    if (m.swappiness && *m.swappiness > 100) {
      return field_error(mp + ".swappiness", "must be between 0 and 100");
    }
    res.memory = m;
  }
  BERTH_ASSIGN_OR_RETURN(const Json* cpu, get_object(r, "cpu", p));
  if (cpu) {
    const std::string cp = p + ".cpu";
    CpuResources c;
    BERTH_ASSIGN_OR_RETURN(c.shares, get_int<uint64_t>(*cpu, "shares", cp));
    BERTH_ASSIGN_OR_RETURN(c.quota_us, get_int<int64_t>(*cpu, "quota", cp));
    BERTH_ASSIGN_OR_RETURN(c.period_us, get_int<uint64_t>(*cpu, "period", cp));
    BERTH_ASSIGN_OR_RETURN(c.cpus, get_string(*cpu, "cpus", cp));
    BERTH_ASSIGN_OR_RETURN(c.mems, get_string(*cpu, "mems", cp));
    if (c.period_us && *c.period_us != 0 && (*c.period_us < 1000 || *c.period_us > 1000000)) {
      return field_error(cp + ".period", "must be between 1000 and 1000000 microseconds");
    }
    if (c.quota_us && *c.quota_us > 0 && *c.quota_us < 1000) {
      return field_error(cp + ".quota", "must be at least 1000 microseconds");
    }
    res.cpu = c;
  }
  BERTH_ASSIGN_OR_RETURN(const Json* pids, get_object(r, "pids", p));
  if (pids) {
    BERTH_ASSIGN_OR_RETURN(res.pids_limit, get_int<int64_t>(*pids, "limit", p + ".pids"));
  }
  BERTH_ASSIGN_OR_RETURN(const Json* bio, get_object(r, "blockIO", p));
  if (bio) {
    BlockIoResources b;
    BERTH_ASSIGN_OR_RETURN(b.weight, get_int<uint16_t>(*bio, "weight", p + ".blockIO"));
    if (b.weight && *b.weight > 1000) {  // bfq takes 1..1000; runc passes small values on
      return field_error(p + ".blockIO.weight", "must be between 1 and 1000");
    }
    res.block_io = b;
  }
  BERTH_ASSIGN_OR_RETURN(res.unified, get_string_map(r, "unified", p));
  return res;
}

Result<SeccompOp> parse_seccomp_op(const std::string& s, const std::string& p) {
  if (s == "SCMP_CMP_NE") return SeccompOp::kNotEqual;
  if (s == "SCMP_CMP_LT") return SeccompOp::kLessThan;
  if (s == "SCMP_CMP_LE") return SeccompOp::kLessEqual;
  if (s == "SCMP_CMP_EQ") return SeccompOp::kEqualTo;
  if (s == "SCMP_CMP_GE") return SeccompOp::kGreaterEqual;
  if (s == "SCMP_CMP_GT") return SeccompOp::kGreaterThan;
  if (s == "SCMP_CMP_MASKED_EQ") return SeccompOp::kMaskedEqual;
  return field_error(p, "unknown seccomp operator \"" + s + "\"");
}

bool known_seccomp_action(const std::string& a) {
  return a == "SCMP_ACT_KILL" || a == "SCMP_ACT_KILL_PROCESS" || a == "SCMP_ACT_KILL_THREAD" ||
         a == "SCMP_ACT_TRAP" || a == "SCMP_ACT_ERRNO" || a == "SCMP_ACT_TRACE" ||
         a == "SCMP_ACT_ALLOW" || a == "SCMP_ACT_LOG" || a == "SCMP_ACT_NOTIFY";
}

Result<Seccomp> parse_seccomp(const Json& s, const std::string& p) {
  Seccomp sc;
  BERTH_ASSIGN_OR_RETURN(sc.default_action, get_string(s, "defaultAction", p, true));
  if (!known_seccomp_action(sc.default_action)) {
    return field_error(p + ".defaultAction", "unknown action \"" + sc.default_action + "\"");
  }
  BERTH_ASSIGN_OR_RETURN(sc.default_errno_ret, get_int<uint32_t>(s, "defaultErrnoRet", p));
  BERTH_ASSIGN_OR_RETURN(sc.architectures, get_strings(s, "architectures", p));
  BERTH_ASSIGN_OR_RETURN(sc.flags, get_strings(s, "flags", p));
  BERTH_ASSIGN_OR_RETURN(const Json* calls, get_array(s, "syscalls", p));
  for (size_t i = 0; i < calls->size(); ++i) {
    const std::string rp = idx(p + ".syscalls", i);
    const Json& c = (*calls)[i];
    if (!c.is_object()) {
      return field_error(rp, "expected an object");
    }
    SeccompRule rule;
    BERTH_ASSIGN_OR_RETURN(rule.names, get_strings(c, "names", rp));
    BERTH_ASSIGN_OR_RETURN(rule.action, get_string(c, "action", rp, true));
    if (!known_seccomp_action(rule.action)) {
      return field_error(rp + ".action", "unknown action \"" + rule.action + "\"");
    }
    BERTH_ASSIGN_OR_RETURN(rule.errno_ret, get_int<uint32_t>(c, "errnoRet", rp));
    BERTH_ASSIGN_OR_RETURN(const Json* args, get_array(c, "args", rp));
    for (size_t j = 0; j < args->size(); ++j) {
      const std::string ap = idx(rp + ".args", j);
      const Json& a = (*args)[j];
      if (!a.is_object()) {
        return field_error(ap, "expected an object");
      }
      SeccompArg arg;
      BERTH_ASSIGN_OR_RETURN(auto index, get_int<uint32_t>(a, "index", ap));
      BERTH_ASSIGN_OR_RETURN(auto value, get_int<uint64_t>(a, "value", ap));
      BERTH_ASSIGN_OR_RETURN(auto value_two, get_int<uint64_t>(a, "valueTwo", ap));
      BERTH_ASSIGN_OR_RETURN(std::string op, get_string(a, "op", ap, true));
      BERTH_ASSIGN_OR_RETURN(arg.op, parse_seccomp_op(op, ap + ".op"));
      if (index.value_or(0) > 5) {
        return field_error(ap + ".index", "syscall argument index must be 0..5");
      }
      arg.index = index.value_or(0);
      arg.value = value.value_or(0);
      arg.value_two = value_two.value_or(0);
      rule.args.push_back(arg);
    }
    sc.syscalls.push_back(std::move(rule));
  }
  return sc;
}

Result<NamespaceType> parse_namespace_type(const std::string& t, const std::string& p) {
  if (t == "pid") return NamespaceType::kPid;
  if (t == "network") return NamespaceType::kNetwork;
  if (t == "mount") return NamespaceType::kMount;
  if (t == "ipc") return NamespaceType::kIpc;
  if (t == "uts") return NamespaceType::kUts;
  if (t == "user") return NamespaceType::kUser;
  if (t == "cgroup") return NamespaceType::kCgroup;
  if (t == "time") return NamespaceType::kTime;
  return field_error(p, "unknown namespace type \"" + t + "\"");
}

// Whether the container has a namespace of type `t` apart from the host's: a new one, or one
// joined by path that is not the runtime's own.
bool owns_namespace(const Linux& lx, NamespaceType t) {
  const Namespace* ns = lx.find_namespace(t);
  if (ns == nullptr) {
    return false;
  }
  if (ns->path.empty()) {
    return true;
  }
  struct stat theirs, mine;
  const std::string self = "/proc/self/ns/" + std::string(namespace_proc_name(t));
  return ::stat(ns->path.c_str(), &theirs) != 0 || ::stat(self.c_str(), &mine) != 0 ||
         theirs.st_ino != mine.st_ino || theirs.st_dev != mine.st_dev;
}

// A sysctl must belong to a namespace the container has apart from the host, or it would change
// the host (runc's validator: ipc sysctls need an ipc ns, net.* a network ns, uts names a uts ns).
Result<void> check_sysctl(const Linux& lx, const std::string& key, const std::string& p) {
  auto owns = [&](NamespaceType t) { return owns_namespace(lx, t); };
  static const char* const kIpc[] = {"kernel.msgmax", "kernel.msgmnb", "kernel.msgmni",
                                     "kernel.sem",    "kernel.shmall", "kernel.shmmax",
                                     "kernel.shmmni", "kernel.shm_rmid_forced"};
  bool ipc = key.rfind("fs.mqueue.", 0) == 0;
  for (const char* k : kIpc) {
    ipc = ipc || key == k;
  }
  if (ipc) {
    return owns(NamespaceType::kIpc) ? Result<void>{}
                                      : field_error(p, "needs an ipc namespace of the container's own");
  }
  if (key.rfind("net.", 0) == 0) {
    return owns(NamespaceType::kNetwork) ? Result<void>{}
                                          : field_error(p, "needs a network namespace of the container's own");
  }
  if (key == "kernel.hostname" || key == "kernel.domainname") {
    return owns(NamespaceType::kUts) ? Result<void>{}
                                      : field_error(p, "needs a uts namespace of the container's own");
  }
  return field_error(p, "is not namespaced: it would change the host");
}

Result<Linux> parse_linux(const Json& lx, const std::string& p) {
  Linux out;
  BERTH_ASSIGN_OR_RETURN(const Json* nss, get_array(lx, "namespaces", p));
  for (size_t i = 0; i < nss->size(); ++i) {
    const std::string np = idx(p + ".namespaces", i);
    const Json& n = (*nss)[i];
    if (!n.is_object()) {
      return field_error(np, "expected an object");
    }
    BERTH_ASSIGN_OR_RETURN(std::string t, get_string(n, "type", np, true));
    Namespace ns;
    BERTH_ASSIGN_OR_RETURN(ns.type, parse_namespace_type(t, np + ".type"));
    BERTH_ASSIGN_OR_RETURN(ns.path, get_string(n, "path", np));
    if (out.find_namespace(ns.type) != nullptr) {
      return field_error(np + ".type", "duplicate namespace \"" + t + "\"");
    }
    out.namespaces.push_back(ns);
  }
  BERTH_ASSIGN_OR_RETURN(out.uid_mappings, parse_id_mappings(lx, "uidMappings", p));
  BERTH_ASSIGN_OR_RETURN(out.gid_mappings, parse_id_mappings(lx, "gidMappings", p));
  const Namespace* userns = out.find_namespace(NamespaceType::kUser);
  bool new_userns = userns != nullptr && userns->path.empty();
  if (new_userns && (out.uid_mappings.empty() || out.gid_mappings.empty())) {
    return field_error(p + ".uidMappings",
                       "a new user namespace needs uidMappings and gidMappings");
  }
  if (!new_userns && (!out.uid_mappings.empty() || !out.gid_mappings.empty())) {
    return field_error(p + ".uidMappings", "id mappings given without a new user namespace");
  }
  BERTH_ASSIGN_OR_RETURN(const Json* devs, get_array(lx, "devices", p));
  for (size_t i = 0; i < devs->size(); ++i) {
    const std::string dp = idx(p + ".devices", i);
    const Json& d = (*devs)[i];
    if (!d.is_object()) {
      return field_error(dp, "expected an object");
    }
    Device dev;
    BERTH_ASSIGN_OR_RETURN(dev.path, get_string(d, "path", dp, true));
    if (dev.path.empty() || dev.path[0] != '/') {
      return field_error(dp + ".path", "must be an absolute path");
    }
    BERTH_ASSIGN_OR_RETURN(std::string t, get_string(d, "type", dp, true));
    if (t != "c" && t != "b" && t != "u" && t != "p") {
      return field_error(dp + ".type", "must be \"c\", \"b\", \"u\" or \"p\", got \"" + t + "\"");
    }
    dev.type = t[0];
    BERTH_ASSIGN_OR_RETURN(auto major, get_int<int64_t>(d, "major", dp));
    BERTH_ASSIGN_OR_RETURN(auto minor, get_int<int64_t>(d, "minor", dp));
    if (dev.type != 'p' && (!major || !minor)) {
      return field_error(dp, "major and minor are required for device type " + t);
    }
    dev.major = major.value_or(0);
    dev.minor = minor.value_or(0);
    BERTH_ASSIGN_OR_RETURN(dev.file_mode, get_int<uint32_t>(d, "fileMode", dp));
    BERTH_ASSIGN_OR_RETURN(dev.uid, get_int<uint32_t>(d, "uid", dp));
    BERTH_ASSIGN_OR_RETURN(dev.gid, get_int<uint32_t>(d, "gid", dp));
    out.devices.push_back(dev);
  }
  BERTH_ASSIGN_OR_RETURN(out.cgroups_path, get_string(lx, "cgroupsPath", p));
  BERTH_ASSIGN_OR_RETURN(const Json* res, get_object(lx, "resources", p));
  if (res) {
    BERTH_ASSIGN_OR_RETURN(out.resources, parse_resources(*res, p + ".resources"));
  }
  BERTH_ASSIGN_OR_RETURN(out.sysctl, get_string_map(lx, "sysctl", p));
  BERTH_ASSIGN_OR_RETURN(const Json* sc, get_object(lx, "seccomp", p));
  if (sc) {
    BERTH_ASSIGN_OR_RETURN(out.seccomp, parse_seccomp(*sc, p + ".seccomp"));
  }
  BERTH_ASSIGN_OR_RETURN(out.rootfs_propagation, get_string(lx, "rootfsPropagation", p));
  static const char* kPropagations[] = {"", "private", "rprivate", "slave", "rslave",
                                        "shared", "rshared", "unbindable", "runbindable"};
  bool ok = false;
  for (const char* k : kPropagations) {
    ok = ok || out.rootfs_propagation == k;
  }
  if (!ok) {
    return field_error(p + ".rootfsPropagation",
                       "unknown propagation \"" + out.rootfs_propagation + "\"");
  }
  BERTH_ASSIGN_OR_RETURN(out.masked_paths, get_strings(lx, "maskedPaths", p));
  BERTH_ASSIGN_OR_RETURN(out.readonly_paths, get_strings(lx, "readonlyPaths", p));
  for (const char* key : {"maskedPaths", "readonlyPaths"}) {
    const auto& list = std::string(key) == "maskedPaths" ? out.masked_paths : out.readonly_paths;
    for (size_t i = 0; i < list.size(); ++i) {
      if (list[i].empty() || list[i][0] != '/') {
        return field_error(idx(p + "." + key, i), "must be an absolute path");
      }
    }
  }

  BERTH_ASSIGN_OR_RETURN(out.mount_label, get_string(lx, "mountLabel", p));
  return out;
}

}  // namespace

Result<Resources> parse_linux_resources(const Json& resources) {
  if (!resources.is_object()) return field_error("linux.resources", "expected an object");
  return parse_resources(resources, "linux.resources");
}

Result<Process> parse_process(const Json& pr, std::string_view what) {
  const std::string p(what);
  if (!pr.is_object()) {
    return field_error(p, "expected an object, got " + type_name(pr));
  }
  Process proc;
  BERTH_ASSIGN_OR_RETURN(proc.terminal, get_bool(pr, "terminal", p));
  BERTH_ASSIGN_OR_RETURN(const Json* cs, get_object(pr, "consoleSize", p));
  if (cs) {
    BERTH_ASSIGN_OR_RETURN(auto h, get_int<uint32_t>(*cs, "height", p + ".consoleSize"));
    BERTH_ASSIGN_OR_RETURN(auto w, get_int<uint32_t>(*cs, "width", p + ".consoleSize"));
    proc.console_height = h.value_or(0);
    proc.console_width = w.value_or(0);
  }
  BERTH_ASSIGN_OR_RETURN(const Json* user, get_object(pr, "user", p));
  if (user) {
    BERTH_ASSIGN_OR_RETURN(proc.user, parse_user(*user, p + ".user"));
  }
  BERTH_ASSIGN_OR_RETURN(proc.args, get_strings(pr, "args", p));
  if (proc.args.empty()) {
    return field_error(p + ".args", "must name at least the program to run");
  }
  BERTH_ASSIGN_OR_RETURN(proc.env, get_strings(pr, "env", p));
  for (size_t i = 0; i < proc.env.size(); ++i) {
    auto eq = proc.env[i].find('=');
    if (eq == std::string::npos || eq == 0) {
      return field_error(idx(p + ".env", i), "expected KEY=value, got \"" + proc.env[i] + "\"");
    }
  }
  BERTH_ASSIGN_OR_RETURN(proc.cwd, get_string(pr, "cwd", p, true));
  if (proc.cwd.empty() || proc.cwd[0] != '/') {
    return field_error(p + ".cwd", "must be an absolute path");
  }
  BERTH_ASSIGN_OR_RETURN(const Json* caps, get_object(pr, "capabilities", p));
  if (caps) {
    const std::string cp = p + ".capabilities";
    Capabilities c;
    BERTH_ASSIGN_OR_RETURN(c.bounding, parse_cap_list(*caps, "bounding", cp));
    BERTH_ASSIGN_OR_RETURN(c.effective, parse_cap_list(*caps, "effective", cp));
    BERTH_ASSIGN_OR_RETURN(c.inheritable, parse_cap_list(*caps, "inheritable", cp));
    BERTH_ASSIGN_OR_RETURN(c.permitted, parse_cap_list(*caps, "permitted", cp));
    BERTH_ASSIGN_OR_RETURN(c.ambient, parse_cap_list(*caps, "ambient", cp));
    proc.capabilities = std::move(c);
  }
  BERTH_ASSIGN_OR_RETURN(const Json* rls, get_array(pr, "rlimits", p));
  for (size_t i = 0; i < rls->size(); ++i) {
    const std::string rp = idx(p + ".rlimits", i);
    const Json& r = (*rls)[i];
    if (!r.is_object()) {
      return field_error(rp, "expected an object");
    }
    Rlimit rl;
    BERTH_ASSIGN_OR_RETURN(rl.name, get_string(r, "type", rp, true));
    rl.type = -1;
    for (const auto& k : kRlimits) {
      if (rl.name == k.name) {
        rl.type = k.value;
      }
    }
    if (rl.type < 0) {
      return field_error(rp + ".type", "unknown rlimit \"" + rl.name + "\"");
    }
    for (const auto& seen : proc.rlimits) {
      if (seen.type == rl.type) {
        return field_error(rp + ".type", "duplicate rlimit \"" + rl.name + "\"");
      }
    }
    BERTH_ASSIGN_OR_RETURN(auto hard, get_int<uint64_t>(r, "hard", rp));
    BERTH_ASSIGN_OR_RETURN(auto soft, get_int<uint64_t>(r, "soft", rp));
    rl.hard = hard.value_or(0);
    rl.soft = soft.value_or(0);
    if (rl.soft > rl.hard) {
      return field_error(rp, "soft limit " + std::to_string(rl.soft) +
                                 " is greater than hard limit " + std::to_string(rl.hard));
    }
    proc.rlimits.push_back(rl);
  }
  BERTH_ASSIGN_OR_RETURN(proc.no_new_privileges, get_bool(pr, "noNewPrivileges", p));
  BERTH_ASSIGN_OR_RETURN(proc.apparmor_profile, get_string(pr, "apparmorProfile", p));
  BERTH_ASSIGN_OR_RETURN(proc.selinux_label, get_string(pr, "selinuxLabel", p));
  BERTH_ASSIGN_OR_RETURN(proc.oom_score_adj, get_int<int>(pr, "oomScoreAdj", p));
  if (proc.oom_score_adj && (*proc.oom_score_adj < -1000 || *proc.oom_score_adj > 1000)) {
    return field_error(p + ".oomScoreAdj", "must be between -1000 and 1000");
  }
  return proc;
}

// Fields of runtime-spec that berth does not implement: they are reported, never silently
// dropped (a warning per field present).
void warn_unsupported(const Json& c, std::vector<std::string>& warnings) {
  struct Field {
    const char* pointer;
    const char* name;
  };
  static const Field kFields[] = {
      {"/process/ioPriority", "process.ioPriority"},
      {"/process/scheduler", "process.scheduler"},
      {"/process/execCPUAffinity", "process.execCPUAffinity"},
      {"/linux/personality", "linux.personality"},
      {"/linux/timeOffsets", "linux.timeOffsets"},
      {"/linux/intelRdt", "linux.intelRdt"},
      {"/linux/memoryPolicy", "linux.memoryPolicy"},
      {"/linux/seccomp/listenerPath", "linux.seccomp.listenerPath"},
      {"/linux/resources/hugepageLimits", "linux.resources.hugepageLimits"},
      {"/linux/resources/network", "linux.resources.network"},
      {"/linux/resources/rdma", "linux.resources.rdma"},
      {"/linux/resources/blockIO/weightDevice", "linux.resources.blockIO.weightDevice"},
      {"/linux/resources/blockIO/throttleReadBpsDevice",
       "linux.resources.blockIO.throttleReadBpsDevice"},
      {"/linux/resources/blockIO/throttleWriteBpsDevice",
       "linux.resources.blockIO.throttleWriteBpsDevice"},
      {"/linux/resources/blockIO/throttleReadIOPSDevice",
       "linux.resources.blockIO.throttleReadIOPSDevice"},
      {"/linux/resources/blockIO/throttleWriteIOPSDevice",
       "linux.resources.blockIO.throttleWriteIOPSDevice"},
      {"/linux/resources/cpu/realtimeRuntime", "linux.resources.cpu.realtimeRuntime"},
      {"/linux/resources/cpu/realtimePeriod", "linux.resources.cpu.realtimePeriod"},
      {"/linux/resources/cpu/idle", "linux.resources.cpu.idle"},
      {"/linux/resources/cpu/burst", "linux.resources.cpu.burst"},
      {"/linux/resources/memory/kernel", "linux.resources.memory.kernel"},
      {"/linux/resources/memory/kernelTCP", "linux.resources.memory.kernelTCP"},
  };
  for (const auto& f : kFields) {
    const Json::json_pointer ptr(f.pointer);
    if (c.contains(ptr) && !c.at(ptr).is_null()) {
      warnings.push_back(std::string(f.name) + " is not supported by berth; ignored");
    }
  }
}

Result<Spec> parse_spec(const Json& c, const std::string& bundle) {
  if (!c.is_object()) {
    return field_error("config.json", "expected an object, got " + type_name(c));
  }
  Spec s;
  const std::string p = "config.json";
  BERTH_ASSIGN_OR_RETURN(s.oci_version, get_string(c, "ociVersion", p, true));
  if (s.oci_version.rfind("1.", 0) != 0) {
    return field_error("ociVersion", "unsupported version \"" + s.oci_version + "\" (want 1.x)");
  }
  BERTH_ASSIGN_OR_RETURN(const Json* root, get_object(c, "root", p));
  if (root == nullptr) {
    return field_error("root", "required field is missing");
  }
  BERTH_ASSIGN_OR_RETURN(s.root_path, get_string(*root, "path", "root", true));
  BERTH_ASSIGN_OR_RETURN(s.root_readonly, get_bool(*root, "readonly", "root"));
  if (s.root_path.empty()) {
    return field_error("root.path", "must not be empty");
  }
  if (s.root_path[0] != '/') {
    s.root_path = fs::join(bundle, s.root_path);
  }
  BERTH_ASSIGN_OR_RETURN(const Json* mounts, get_array(c, "mounts", p));
  for (size_t i = 0; i < mounts->size(); ++i) {
    const std::string mp = idx("mounts", i);
    const Json& m = (*mounts)[i];
    if (!m.is_object()) {
      return field_error(mp, "expected an object");
    }
    Mount mount;
    BERTH_ASSIGN_OR_RETURN(mount.destination, get_string(m, "destination", mp, true));
    if (mount.destination.empty() || mount.destination[0] != '/') {
      return field_error(mp + ".destination", "must be an absolute path");
    }
    BERTH_ASSIGN_OR_RETURN(mount.type, get_string(m, "type", mp));
    BERTH_ASSIGN_OR_RETURN(mount.source, get_string(m, "source", mp));
    BERTH_ASSIGN_OR_RETURN(mount.options, get_strings(m, "options", mp));
    const bool bind = mount.type == "bind" ||
                      std::find(mount.options.begin(), mount.options.end(), "bind") !=
                          mount.options.end() ||
                      std::find(mount.options.begin(), mount.options.end(), "rbind") !=
                          mount.options.end();
    if (bind && !mount.source.empty() && mount.source[0] != '/') {
      mount.source = fs::join(bundle, mount.source);  // relative to the bundle, as in runc
    }
    s.mounts.push_back(std::move(mount));
  }
  BERTH_ASSIGN_OR_RETURN(const Json* proc, get_object(c, "process", p));
  if (proc) {
    BERTH_ASSIGN_OR_RETURN(s.process, parse_process(*proc, "process"));
  }
  BERTH_ASSIGN_OR_RETURN(s.hostname, get_string(c, "hostname", p));
  BERTH_ASSIGN_OR_RETURN(s.domainname, get_string(c, "domainname", p));
  BERTH_ASSIGN_OR_RETURN(const Json* hooks, get_object(c, "hooks", p));
  if (hooks) {
    BERTH_ASSIGN_OR_RETURN(s.hooks.prestart, parse_hooks(*hooks, "prestart", "hooks"));
    BERTH_ASSIGN_OR_RETURN(s.hooks.create_runtime, parse_hooks(*hooks, "createRuntime", "hooks"));
    BERTH_ASSIGN_OR_RETURN(s.hooks.create_container,
                           parse_hooks(*hooks, "createContainer", "hooks"));
    BERTH_ASSIGN_OR_RETURN(s.hooks.start_container,
                           parse_hooks(*hooks, "startContainer", "hooks"));
    BERTH_ASSIGN_OR_RETURN(s.hooks.poststart, parse_hooks(*hooks, "poststart", "hooks"));
    BERTH_ASSIGN_OR_RETURN(s.hooks.poststop, parse_hooks(*hooks, "poststop", "hooks"));
  }
  BERTH_ASSIGN_OR_RETURN(s.annotations, get_string_map(c, "annotations", p));
  BERTH_ASSIGN_OR_RETURN(const Json* lx, get_object(c, "linux", p));
  if (lx) {
    BERTH_ASSIGN_OR_RETURN(s.linux, parse_linux(*lx, "linux"));
  }
  warn_unsupported(c, s.warnings);
  if (s.linux.find_namespace(NamespaceType::kMount) == nullptr) {
    // Without one, the rootfs, mounts, masked and read-only paths could only be had by changing
    // the host's own mount table.
    return field_error("linux.namespaces", "a mount namespace is required");
  }
  return s;
}

Result<void> check_against_host(const Spec& s) {
  for (size_t i = 0; i < s.linux.namespaces.size(); ++i) {
    const auto& ns = s.linux.namespaces[i];
    if (!ns.path.empty() && !fs::exists(ns.path)) {
      return field_error(idx("linux.namespaces", i) + ".path",
                         "namespace path \"" + ns.path + "\" does not exist");
    }
  }
  for (const auto& [key, value] : s.linux.sysctl) {
    BERTH_TRY(check_sysctl(s.linux, key, "linux.sysctl." + key));
  }
  const bool uts = owns_namespace(s.linux, NamespaceType::kUts);
  if (!s.hostname.empty() && !uts) {
    return field_error("hostname", "needs a uts namespace of the container's own");
  }
  if (!s.domainname.empty() && !uts) {
    return field_error("domainname", "needs a uts namespace of the container's own");
  }
  return {};
}

Result<Spec> load_bundle(const std::string& bundle) {
  const std::string path = fs::join(bundle, "config.json");
  auto text = fs::read_file(path);
  if (!text) {
    return tl::unexpected(wrap(std::move(text.error()), "load bundle"));
  }
  BERTH_ASSIGN_OR_RETURN(Json j, parse_json(*text, "config.json"));
  BERTH_ASSIGN_OR_RETURN(Spec s, parse_spec(j, bundle));
  BERTH_TRY(check_against_host(s));
  if (!fs::is_dir(s.root_path)) {
    return make_error(Errc::kNotFound,
                      "root.path: rootfs \"" + s.root_path + "\" does not exist or is not a directory");
  }
  // Without symlinks: mount points are checked against it by their real paths.
  if (char* real = ::realpath(s.root_path.c_str(), nullptr)) {
    s.root_path = real;
    ::free(real);
  }
  if (!s.process) {
    return field_error("process", "required field is missing");
  }
  return s;
}

const Namespace* Linux::find_namespace(NamespaceType t) const {
  for (const auto& ns : namespaces) {
    if (ns.type == t) {
      return &ns;
    }
  }
  return nullptr;
}

}  // namespace berth::runtime::spec
