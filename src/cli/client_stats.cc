// docker stats: each container's row computed from the stats JSON as the docker CLI computes
// it (CPU and memory percentages, network and block I/O), sampled once or redrawn.
#include "cli/client_internal.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <thread>

namespace berth::cli {
namespace {

// One row of docker stats, computed as the docker CLI computes it from the stats JSON.
Json stats_row(const std::string& arg, const Json& s) {
  auto u = [](const Json& j, const char* k) -> double {
    auto it = j.find(k);
    return it != j.end() && it->is_number() ? it->get<double>() : 0;
  };
  Json cpu = s.value("cpu_stats", Json::object()), pre = s.value("precpu_stats", Json::object());
  double cpu_delta = u(cpu.value("cpu_usage", Json::object()), "total_usage") -
                     u(pre.value("cpu_usage", Json::object()), "total_usage");
  double sys_delta = u(cpu, "system_cpu_usage") - u(pre, "system_cpu_usage");
  double online = u(cpu, "online_cpus");
  if (online == 0) online = static_cast<double>(cpu.value("cpu_usage", Json::object()).value("percpu_usage", Json::array()).size());
  double cpu_pct = sys_delta > 0 && cpu_delta > 0 ? cpu_delta / sys_delta * online * 100.0 : 0;
  Json mem = s.value("memory_stats", Json::object());
  Json mstats = mem.value("stats", Json::object());
  double usage = u(mem, "usage"), limit = u(mem, "limit");
  if (mstats.contains("total_inactive_file") && u(mstats, "total_inactive_file") < usage) {
    usage -= u(mstats, "total_inactive_file");
  } else if (u(mstats, "inactive_file") < usage) {
    usage -= u(mstats, "inactive_file");
  }
  double mem_pct = limit != 0 ? usage / limit * 100.0 : 0;
  double rx = 0, tx = 0;
  Json nets = s.value("networks", Json::object());
  if (nets.is_object()) {
    for (auto& [k, n] : nets.items()) {
      rx += u(n, "rx_bytes");
      tx += u(n, "tx_bytes");
    }
  }
  double rd = 0, wr = 0;
  Json blk = s.value("blkio_stats", Json::object()).value("io_service_bytes_recursive", Json());
  if (blk.is_array()) {
    for (auto& e : blk) {
      std::string op = e.value("op", "");
      if (op.empty()) continue;
      if (op[0] == 'r' || op[0] == 'R') rd += u(e, "value");
      if (op[0] == 'w' || op[0] == 'W') wr += u(e, "value");
    }
  }
  char cpu_s[32], mem_s[32];
  std::snprintf(cpu_s, sizeof cpu_s, "%.2f%%", cpu_pct);
  std::snprintf(mem_s, sizeof mem_s, "%.2f%%", mem_pct);
  std::string name = s.value("name", "");
  if (name.starts_with("/")) name = name.substr(1);
  int64_t pids = static_cast<int64_t>(u(s.value("pids_stats", Json::object()), "current"));
  return {{"Container", arg},
          {"Name", name},
          {"ID", short_id(s.value("id", arg))},
          {"CPUPerc", cpu_s},
          {"MemUsage", bytes_size(usage) + " / " + bytes_size(limit)},
          {"MemPerc", mem_s},
          {"NetIO", human_size3(rx) + " / " + human_size3(tx)},
          {"BlockIO", human_size3(rd) + " / " + human_size3(wr)},
          {"PIDs", std::to_string(pids)}};
}

}  // namespace

int cmd_stats(const Client& c, std::vector<std::string> refs, bool all, bool no_stream,
              bool no_trunc, const std::string& format) {
  bool listed = refs.empty();
  for (;;) {
    std::vector<std::string> ids = refs;
    if (listed) {
      auto list = c.call_json("GET", "/containers/json", all ? Query{{"all", "1"}} : Query{});
      if (!list) return fail(list.error());
      ids.clear();
      for (auto& x : *list) ids.push_back(x.value("Id", ""));
    }
    std::vector<Result<Json>> res(ids.size());
    std::vector<std::thread> threads;
    for (size_t i = 0; i < ids.size(); ++i) {
      threads.emplace_back([&, i] {
        res[i] = c.call_json("GET", cpath(ids[i], "/stats"), {{"stream", "0"}});
      });
    }
    for (auto& t : threads) t.join();
    std::vector<Json> rows;
    int rc = 0;
    for (size_t i = 0; i < ids.size(); ++i) {
      if (!res[i]) {
        if (listed && res[i].error().code == Errc::kNotFound) continue;  // gone meanwhile
        rc = fail(res[i].error());
        if (unreachable(res[i].error())) return rc;
        continue;
      }
      Json row = stats_row(listed ? short_id(ids[i]) : ids[i], *res[i]);
      if (no_trunc) row["ID"] = res[i]->value("id", ids[i]);
      rows.push_back(row);
    }
    if (!no_stream && ::isatty(STDOUT_FILENO)) std::printf("\x1b[2J\x1b[H");
    Json headers = {{"Container", "CONTAINER"}, {"Name", "NAME"}, {"ID", "CONTAINER ID"},
                    {"CPUPerc", "CPU %"}, {"MemUsage", "MEM USAGE / LIMIT"}, {"MemPerc", "MEM %"},
                    {"NetIO", "NET I/O"}, {"BlockIO", "BLOCK I/O"}, {"PIDs", "PIDS"}};
    print_formatted(format,
                    "table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}",
                    rows, headers);
    std::fflush(stdout);
    if (no_stream) return rc;
    if (rc && !listed) return rc;
    std::this_thread::sleep_for(std::chrono::milliseconds(800));
  }
}

}  // namespace berth::cli
