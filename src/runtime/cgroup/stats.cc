// Manager::stats: what a container's cgroups have counted, from v1 controllers where they are
// mounted (hybrid hosts) and cgroup v2 files otherwise. File formats: the kernel's
// Documentation/admin-guide/cgroup-v1/{cpuacct,memory,blkio-controller,pids}.rst and
// cgroup-v2.rst; the same sources runc's libcontainer/cgroups/fs and fs2 GetStats read.
#include <unistd.h>

#include <map>
#include <optional>

#include "common/fs.h"
#include "common/strings.h"
#include "runtime/cgroup/manager.h"

namespace berth::runtime::cgroup {
namespace {

std::optional<uint64_t> read_u64(const std::string& path) {
  auto text = fs::read_file(path);
  if (!text) return std::nullopt;
  return str::parse_uint(str::trim(*text));
}

// "key value" lines (cpu.stat, memory.stat, cpuacct.stat).
std::map<std::string, uint64_t> read_flat(const std::string& path) {
  std::map<std::string, uint64_t> out;
  for (auto& line : str::split(fs::read_file(path).value_or(""), '\n')) {
    auto sp = line.find(' ');
    if (sp == std::string::npos) continue;
    if (auto v = str::parse_uint(str::trim(line.substr(sp + 1)))) out[line.substr(0, sp)] = *v;
  }
  return out;
}

// A v1 limit of "no limit" is the largest page-aligned value; v2 writes "max".
uint64_t limit_or_zero(const std::string& path) {
  auto text = fs::read_file(path);
  if (!text) return 0;
  auto v = str::parse_uint(str::trim(*text));
  return v && *v < (uint64_t{1} << 62) ? *v : 0;
}

}  // namespace

Result<Stats> Manager::stats() const {
  Stats s;
  auto v1 = [&](std::string_view controller) -> std::string {
    const V1Hierarchy* h = layout_.find_v1(controller);
    return h ? h->mountpoint + path_ : "";
  };
  std::string v2 = layout_.unified.empty() ? "" : layout_.unified + path_;
  bool any = false;

  if (std::string d = v1("cpuacct"); !d.empty()) {
    s.cpu_total_ns = read_u64(d + "/cpuacct.usage").value_or(0);
    auto st = read_flat(d + "/cpuacct.stat");  // USER_HZ ticks
    uint64_t tick_ns = 1000000000 / static_cast<uint64_t>(::sysconf(_SC_CLK_TCK));
    s.cpu_user_ns = st["user"] * tick_ns;
    s.cpu_system_ns = st["system"] * tick_ns;
    any = fs::exists(d);
  } else if (!v2.empty() && fs::exists(v2 + "/cpu.stat")) {
    auto st = read_flat(v2 + "/cpu.stat");
    s.cpu_total_ns = st["usage_usec"] * 1000;
    s.cpu_user_ns = st["user_usec"] * 1000;
    s.cpu_system_ns = st["system_usec"] * 1000;
    s.throttle_periods = st["nr_periods"];
    s.throttled_periods = st["nr_throttled"];
    s.throttled_ns = st["throttled_usec"] * 1000;
    any = true;
  }
  if (std::string d = v1("cpu"); !d.empty()) {
    auto st = read_flat(d + "/cpu.stat");
    s.throttle_periods = st["nr_periods"];
    s.throttled_periods = st["nr_throttled"];
    s.throttled_ns = st["throttled_time"];
  }

  if (std::string d = v1("memory"); !d.empty()) {
    s.memory_usage = read_u64(d + "/memory.usage_in_bytes").value_or(0);
    s.memory_max_usage = read_u64(d + "/memory.max_usage_in_bytes").value_or(0);
    s.memory_limit = limit_or_zero(d + "/memory.limit_in_bytes");
    s.memory_stat = read_flat(d + "/memory.stat");
    s.memory_failcnt = read_u64(d + "/memory.failcnt").value_or(0);
  } else if (!v2.empty() && fs::exists(v2 + "/memory.current")) {
    s.memory_usage = read_u64(v2 + "/memory.current").value_or(0);
    s.memory_max_usage = read_u64(v2 + "/memory.peak").value_or(0);
    s.memory_limit = limit_or_zero(v2 + "/memory.max");
    s.memory_stat = read_flat(v2 + "/memory.stat");
  }

  if (std::string d = v1("pids"); !d.empty()) {
    s.pids_current = read_u64(d + "/pids.current").value_or(0);
    s.pids_limit = limit_or_zero(d + "/pids.max");
  } else if (!v2.empty() && fs::exists(v2 + "/pids.current")) {
    s.pids_current = read_u64(v2 + "/pids.current").value_or(0);
    s.pids_limit = limit_or_zero(v2 + "/pids.max");
  }

  if (std::string d = v1("blkio"); !d.empty()) {
    // "8:0 Read 4096" lines, per device and operation.
    for (auto& line : str::split(
             fs::read_file(d + "/blkio.throttle.io_service_bytes_recursive").value_or(""), '\n')) {
      auto f = str::split(line, ' ');
      if (f.size() != 3) continue;
      uint64_t v = str::parse_uint(f[2]).value_or(0);
      if (f[1] == "Read") s.io_read_bytes += v;
      if (f[1] == "Write") s.io_write_bytes += v;
    }
  } else if (!v2.empty() && fs::exists(v2 + "/io.stat")) {
    // "8:0 rbytes=4096 wbytes=0 rios=1 ..." lines.
    for (auto& line : str::split(fs::read_file(v2 + "/io.stat").value_or(""), '\n')) {
      for (auto& kv : str::split(line, ' ')) {
        if (kv.starts_with("rbytes=")) s.io_read_bytes += str::parse_uint(kv.substr(7)).value_or(0);
        if (kv.starts_with("wbytes=")) s.io_write_bytes += str::parse_uint(kv.substr(7)).value_or(0);
      }
    }
  }
  if (!any) return make_error(Errc::kNotFound, "cgroup " + path_ + " has no cpu accounting");
  return s;
}

}  // namespace berth::runtime::cgroup
