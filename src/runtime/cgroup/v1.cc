// cgroup v1 resource files (kernel Documentation/admin-guide/cgroup-v1/, runc fs/*.go).
#include "common/fs.h"
#include "runtime/cgroup/manager.h"

namespace berth::runtime::cgroup::internal {
namespace {

// A knob this kernel lacks (memsw without swap accounting, blkio without bfq) is a warning.
Result<void> knob(const std::string& dir, const char* file, const std::string& value,
                  std::vector<std::string>& warnings) {
  return write_knob(dir, file, value, "cgroup v1", "is not supported by this kernel", warnings);
}

std::string dir_of(const Layout& l, const char* controller, const std::string& path) {
  const V1Hierarchy* h = l.find_v1(controller);
  return h ? h->mountpoint + path : std::string();
}

std::string device_rule(const spec::DeviceRule& r) {
  auto num = [](const std::optional<int64_t>& v) {
    return v ? std::to_string(*v) : std::string("*");
  };
  return std::string(1, r.type) + " " + num(r.major) + ":" + num(r.minor) + " " + r.access;
}

}  // namespace

Result<void> apply_v1(const Layout& l, const std::string& path, const spec::Resources& res,
                      std::vector<std::string>& warnings) {
  if (res.memory) {
    std::string d = dir_of(l, "memory", path);
    const auto& m = *res.memory;
    if (d.empty()) {
      warnings.push_back("cgroup v1: memory controller is not mounted; memory limits ignored");
    } else {
      if (m.limit_bytes) {
        // memsw must stay >= limit: raise memsw first when it is given.
        if (m.swap_bytes) {
          (void)fs::write_control(d + "/memory.memsw.limit_in_bytes", std::to_string(*m.swap_bytes));
        }
        BERTH_TRY(knob(d, "memory.limit_in_bytes", std::to_string(*m.limit_bytes), warnings));
      }
      if (m.swap_bytes) {
        BERTH_TRY(knob(d, "memory.memsw.limit_in_bytes", std::to_string(*m.swap_bytes), warnings));
      }
      if (m.reservation_bytes) {
        BERTH_TRY(knob(d, "memory.soft_limit_in_bytes", std::to_string(*m.reservation_bytes),
                       warnings));
      }
      if (m.swappiness) {
        BERTH_TRY(knob(d, "memory.swappiness", std::to_string(*m.swappiness), warnings));
      }
      if (m.disable_oom_killer) {
        BERTH_TRY(knob(d, "memory.oom_control", "1", warnings));
      }
    }
  }
  if (res.cpu) {
    const auto& c = *res.cpu;
    std::string d = dir_of(l, "cpu", path);
    if (!d.empty()) {
      if (c.shares && *c.shares != 0) {
        BERTH_TRY(knob(d, "cpu.shares", std::to_string(*c.shares), warnings));
      }
      if (c.period_us && *c.period_us != 0) {
        BERTH_TRY(knob(d, "cpu.cfs_period_us", std::to_string(*c.period_us), warnings));
      }
      if (c.quota_us && *c.quota_us != 0) {
        BERTH_TRY(knob(d, "cpu.cfs_quota_us", std::to_string(*c.quota_us), warnings));
      }
    }
    std::string cs = dir_of(l, "cpuset", path);
    if (!cs.empty()) {
      if (!c.cpus.empty()) {
        BERTH_TRY(knob(cs, "cpuset.cpus", c.cpus, warnings));
      }
      if (!c.mems.empty()) {
        BERTH_TRY(knob(cs, "cpuset.mems", c.mems, warnings));
      }
    }
  }
  if (res.pids_limit) {
    std::string d = dir_of(l, "pids", path);
    if (!d.empty()) {
      BERTH_TRY(knob(d, "pids.max", *res.pids_limit > 0 ? std::to_string(*res.pids_limit) : "max",
                     warnings));
    }
  }
  if (res.block_io && res.block_io->weight && *res.block_io->weight != 0) {
    std::string d = dir_of(l, "blkio", path);
    if (!d.empty()) {
      const char* file = fs::exists(d + "/blkio.weight") ? "blkio.weight" : "blkio.bfq.weight";
      BERTH_TRY(knob(d, file, std::to_string(*res.block_io->weight), warnings));
    }
  }
  if (!res.devices.empty()) {
    std::string d = dir_of(l, "devices", path);
    if (!d.empty()) {
      for (const auto& r : res.devices) {
        BERTH_TRY(fs::write_control(d + (r.allow ? "/devices.allow" : "/devices.deny"),
                                    device_rule(r)));
      }
    } else if (!l.unified.empty()) {
      BERTH_TRY(apply_v2_devices(l.unified + path, res.devices));
    }
  }
  return {};
}

}  // namespace berth::runtime::cgroup::internal
