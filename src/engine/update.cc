// docker update (moby daemon/update.go): new resource limits and restart policy for a
// container, kept in its HostConfig and, while it runs, written to its cgroups by the runtime.
#include "engine/engine_impl.h"
#include "engine/spec_builder.h"
#include "engine/spec_options.h"
#include "runtime/container.h"
#include "runtime/spec/spec.h"

namespace berth::engine {

Result<std::vector<std::string>> Engine::update(const std::string& ref, const Json& body) {
  auto& s = *impl_;
  static const char* kFields[] = {"CpuShares",  "Memory",     "MemorySwap", "MemoryReservation",
                                  "NanoCpus",   "CpusetCpus", "CpusetMems", "PidsLimit",
                                  "BlkioWeight"};
  if (!body.is_object()) return make_error(Errc::kInvalidArgument, "update config must be an object");
  Container c;
  {
    std::lock_guard<std::mutex> l(s.mu);
    BERTH_ASSIGN_OR_RETURN(Container * p, s.find(ref));
    Container next = *p;
    for (const char* f : kFields) {
      if (auto it = body.find(f); it != body.end() && !it->is_null()) next.host_config[f] = *it;
    }
    // A memory limit below the old swap limit takes the swap along (docker CLI's -m alone).
    int64_t mem = spec_opts::int_field(next.host_config, "Memory");
    int64_t swap = spec_opts::int_field(next.host_config, "MemorySwap");
    if (body.contains("Memory") && !body.contains("MemorySwap") && swap > 0 && swap < mem) {
      next.host_config["MemorySwap"] = mem * 2;
    }
    if (auto rp = body.find("RestartPolicy"); rp != body.end() && rp->is_object() &&
                                               !rp->value("Name", "").empty()) {
      if (next.host_config.value("AutoRemove", false) && rp->value("Name", "") != "no") {
        return make_error(Errc::kInvalidArgument,
                          "Restart policy cannot be updated because AutoRemove is enabled for the container");
      }
      next.host_config["RestartPolicy"] = *rp;
    }
    BERTH_TRY(validate_host_config(next));
    p->host_config = next.host_config;
    BERTH_TRY(s.save(*p));
    c = *p;
  }
  std::vector<std::string> warnings;
  if (c.state.status != "running" && c.state.status != "paused") return warnings;
  BERTH_ASSIGN_OR_RETURN(OrderedJson res, spec_opts::resources_for(c.host_config));
  BERTH_ASSIGN_OR_RETURN(runtime::spec::Resources parsed,
                         runtime::spec::parse_linux_resources(Json::parse(res.dump())));
  runtime::Runtime rt(s.opts.runtime_root, [](const std::string&) {});
  BERTH_TRY(rt.update(c.id, parsed, warnings));
  return warnings;
}

}  // namespace berth::engine
