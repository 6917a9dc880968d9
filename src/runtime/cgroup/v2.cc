// cgroup v2 resource files (kernel Documentation/admin-guide/cgroup-v2.rst, runc fs2/*.go).
#include <algorithm>

#include "common/fs.h"
#include "runtime/cgroup/manager.h"

namespace berth::runtime::cgroup::internal {
namespace {

Result<void> knob(const std::string& dir, const std::string& file, const std::string& value,
                  std::vector<std::string>& warnings) {
  return write_knob(dir, file, value, "cgroup v2", "is not available (controller not enabled?)",
                    warnings);
}

std::string max_or(int64_t v) { return v < 0 ? "max" : std::to_string(v); }

}  // namespace

uint64_t shares_to_weight(uint64_t shares) {
  if (shares == 0) {
    return 0;
  }
  if (shares < 2) shares = 2;
  if (shares > 262144) shares = 262144;
  return 1 + ((shares - 2) * 9999) / 262142;
}

Result<void> apply_v2(const std::string& dir, const spec::Resources& res,
                      std::vector<std::string>& warnings) {
  if (res.memory) {
    const auto& m = *res.memory;
    if (m.limit_bytes) {
      BERTH_TRY(knob(dir, "memory.max", max_or(*m.limit_bytes), warnings));
    }
    if (m.swap_bytes && *m.swap_bytes != 0) {  // 0 = unset, as runc reads it
      // The spec's swap is memory+swap (v1 memsw); v2 limits swap alone.
      std::string v = "max";
      if (*m.swap_bytes > 0 && m.limit_bytes && *m.limit_bytes > 0) {
        v = std::to_string(std::max<int64_t>(*m.swap_bytes - *m.limit_bytes, 0));
      }
      BERTH_TRY(knob(dir, "memory.swap.max", v, warnings));
    }
    if (m.reservation_bytes) {
      BERTH_TRY(knob(dir, "memory.low", max_or(*m.reservation_bytes), warnings));
    }
  }
  if (res.cpu) {
    const auto& c = *res.cpu;
    if (c.shares && *c.shares != 0) {
      BERTH_TRY(knob(dir, "cpu.weight", std::to_string(shares_to_weight(*c.shares)), warnings));
    }
    if ((c.quota_us && *c.quota_us != 0) || (c.period_us && *c.period_us != 0)) {
      std::string quota = c.quota_us && *c.quota_us > 0 ? std::to_string(*c.quota_us) : "max";
      uint64_t period = c.period_us && *c.period_us ? *c.period_us : 100000;
      BERTH_TRY(knob(dir, "cpu.max", quota + " " + std::to_string(period), warnings));
    }
    if (!c.cpus.empty()) {
      BERTH_TRY(knob(dir, "cpuset.cpus", c.cpus, warnings));
    }
    if (!c.mems.empty()) {
      BERTH_TRY(knob(dir, "cpuset.mems", c.mems, warnings));
    }
  }
  if (res.pids_limit) {
    BERTH_TRY(knob(dir, "pids.max", *res.pids_limit > 0 ? std::to_string(*res.pids_limit) : "max",
                   warnings));
  }
  if (res.block_io && res.block_io->weight && *res.block_io->weight != 0) {
    const uint64_t weight = *res.block_io->weight;
    if (fs::exists(dir + "/io.bfq.weight")) {
      BERTH_TRY(knob(dir, "io.bfq.weight", std::to_string(weight), warnings));
    } else {
      // blkio's 10..1000 scale onto io.weight's 1..10000 (runc's ConvertBlkIOToIOWeightValue).
      const uint64_t io = 1 + (std::max<uint64_t>(weight, 10) - 10) * 9999 / 990;
      BERTH_TRY(knob(dir, "io.weight", "default " + std::to_string(io), warnings));
    }
  }
  if (!res.devices.empty()) {
    BERTH_TRY(apply_v2_devices(dir, res.devices));
  }
  for (const auto& [file, value] : res.unified) {
    // Resource knobs only: membership, freezing and the tree's shape are the runtime's business.
    static const char* const kForbidden[] = {"cgroup.procs", "cgroup.threads", "cgroup.freeze",
                                             "cgroup.kill", "cgroup.subtree_control",
                                             "cgroup.type"};
    bool forbidden = file.empty() || file.find('/') != std::string::npos;
    for (const char* f : kForbidden) {
      forbidden = forbidden || file == f;
    }
    if (forbidden) {
      return make_error(Errc::kInvalidArgument, "linux.resources.unified: key `" + file +
                                                    "` is not a resource setting");
    }
    BERTH_TRY(knob(dir, file, value, warnings));
  }
  return {};
}

}  // namespace berth::runtime::cgroup::internal
