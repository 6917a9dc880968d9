// docker stats: one sample of a container's counters in the Engine API's ContainerStats shape
// (api/swagger.yaml ContainerStatsResponse; moby daemon/stats_collector.go and
// stats/collector_unix.go for system_cpu_usage), from its cgroups (runtime) and the network
// devices its init sees (/proc/<pid>/net/dev).
#include <unistd.h>

#include "common/fs.h"
#include "common/strings.h"
#include "common/time.h"
#include "engine/engine_impl.h"
#include "runtime/container.h"

namespace berth::engine {
namespace {

// The host's CPU time in nanoseconds: the first line of /proc/stat, in USER_HZ ticks.
uint64_t system_cpu_ns() {
  auto text = fs::read_file("/proc/stat").value_or("");
  auto line = text.substr(0, text.find('\n'));
  uint64_t ticks = 0;
  auto fields = str::split(line, ' ');
  for (size_t i = 1; i < fields.size() && i <= 8; ++i) ticks += str::parse_uint(fields[i]).value_or(0);
  return ticks * (1000000000 / static_cast<uint64_t>(::sysconf(_SC_CLK_TCK)));
}

uint64_t host_memory() {
  return static_cast<uint64_t>(::sysconf(_SC_PHYS_PAGES)) * static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
}

// /proc/<pid>/net/dev: "  eth0: rx_bytes rx_packets rx_errs rx_drop ... tx_bytes tx_packets ..."
Json network_counters(int pid) {
  Json out = Json::object();
  auto text = fs::read_file("/proc/" + std::to_string(pid) + "/net/dev");
  if (!text) return out;
  for (auto& line : str::split(*text, '\n')) {
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name(str::trim(line.substr(0, colon)));
    if (name == "lo") continue;
    std::vector<uint64_t> v;
    for (auto& f : str::split(line.substr(colon + 1), ' ')) {
      if (auto n = str::parse_uint(f)) v.push_back(*n);
    }
    if (v.size() < 12) continue;
    out[name] = {{"rx_bytes", v[0]},  {"rx_packets", v[1]}, {"rx_errors", v[2]},
                 {"rx_dropped", v[3]}, {"tx_bytes", v[8]},  {"tx_packets", v[9]},
                 {"tx_errors", v[10]}, {"tx_dropped", v[11]}};
  }
  return out;
}

}  // namespace

Result<Json> Engine::stats(const std::string& ref) {
  auto& s = *impl_;
  std::string id, name;
  int pid = 0;
  bool running = false;
  {
    std::lock_guard<std::mutex> l(s.mu);
    BERTH_ASSIGN_OR_RETURN(Container * p, s.find(ref));
    id = p->id;
    name = p->name;
    pid = p->state.pid;
    running = p->state.status == "running" || p->state.status == "paused";
  }
  Json out = {{"read", rfc3339_now()},
              {"preread", "0001-01-01T00:00:00Z"},
              {"name", "/" + name},
              {"id", id},
              {"num_procs", 0},
              {"storage_stats", Json::object()},
              {"pids_stats", Json::object()},
              {"blkio_stats", {{"io_service_bytes_recursive", Json()}}},
              {"cpu_stats", {{"cpu_usage", {{"total_usage", 0}, {"usage_in_kernelmode", 0},
                                            {"usage_in_usermode", 0}}},
                             {"throttling_data", {{"periods", 0}, {"throttled_periods", 0},
                                                  {"throttled_time", 0}}}}},
              {"memory_stats", Json::object()}};
  if (!running) return out;  // docker: an empty sample for a container that does not run
  runtime::Runtime rt(s.opts.runtime_root, [](const std::string&) {});
  auto st = rt.stats(id);
  if (!st) return out;  // it stopped meanwhile
  unsigned cpus = static_cast<unsigned>(::sysconf(_SC_NPROCESSORS_ONLN));
  out["cpu_stats"] = {{"cpu_usage", {{"total_usage", st->cpu_total_ns},
                                     {"usage_in_kernelmode", st->cpu_system_ns},
                                     {"usage_in_usermode", st->cpu_user_ns}}},
                      {"system_cpu_usage", system_cpu_ns()},
                      {"online_cpus", cpus},
                      {"throttling_data", {{"periods", st->throttle_periods},
                                           {"throttled_periods", st->throttled_periods},
                                           {"throttled_time", st->throttled_ns}}}};
  Json mstat = Json::object();
  for (auto& [k, v] : st->memory_stat) mstat[k] = v;
  out["memory_stats"] = {{"usage", st->memory_usage},
                         {"stats", mstat},
                         {"limit", st->memory_limit ? st->memory_limit : host_memory()}};
  if (st->memory_max_usage) out["memory_stats"]["max_usage"] = st->memory_max_usage;
  if (st->memory_failcnt) out["memory_stats"]["failcnt"] = st->memory_failcnt;
  out["pids_stats"] = {{"current", st->pids_current}};
  if (st->pids_limit) out["pids_stats"]["limit"] = st->pids_limit;
  out["blkio_stats"]["io_service_bytes_recursive"] =
      Json::array({{{"major", 0}, {"minor", 0}, {"op", "read"}, {"value", st->io_read_bytes}},
                   {{"major", 0}, {"minor", 0}, {"op", "write"}, {"value", st->io_write_bytes}}});
  if (pid > 0) {
    if (Json nets = network_counters(pid); !nets.empty()) out["networks"] = nets;
  }
  return out;
}

}  // namespace berth::engine
