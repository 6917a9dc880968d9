// Mounts of a container: docker's -v/--mount/--tmpfs and the image's VOLUMEs resolved at
// create, volume copy-up and working dirs at start (engine_impl.h).
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>

#include "common/fs.h"
#include "common/process.h"
#include "common/strings.h"
#include "common/unique_fd.h"
#include "engine/engine_impl.h"

namespace berth::engine {

// docker's -v/--mount/--tmpfs and the image's VOLUMEs as one list of mounts (moby
// daemon/volumes_unix.go, volume/mounts/linux_parser.go): binds need an existing absolute
// source, named volumes are created on first use, paths the image declares get anonymous
// volumes unless something else is mounted there.
Result<Json> resolve_mounts(Volumes& vols, const Json& cfg, const Json& hc) {
  Json out = Json::array();
  // Volumes this call creates are removed again when a later mount is refused.
  std::vector<std::string> made;
  struct Undo {
    Volumes& vols;
    std::vector<std::string>& made;
    bool keep = false;
    ~Undo() {
      if (!keep) {
        for (auto& n : made) (void)vols.remove(n);
      }
    }
  } undo{vols, made};
  auto check_target = [](const std::string& t, const std::string& spec) -> Result<void> {
    if (t.empty() || t[0] != '/') {
      return make_error(Errc::kInvalidArgument, "invalid mount config: mount path must be absolute: "
                                                "\"" + spec + "\"");
    }
    if (t == "/") return make_error(Errc::kInvalidArgument, "invalid specification: destination can't be '/'");
    return {};
  };
  auto add_bind = [&](const std::string& src, const std::string& dst, bool ro) -> Result<void> {
    if (!fs::exists(src)) {
      return make_error(Errc::kInvalidArgument,
                        "invalid mount config for type \"bind\": bind source path does not exist: " + src);
    }
    out.push_back({{"Type", "bind"}, {"Source", src}, {"Destination", dst}, {"RW", !ro},
                   {"Name", ""}, {"Options", Json::array()}});
    return {};
  };
  auto add_volume = [&](const std::string& name, const std::string& dst, bool ro) -> Result<void> {
    bool existed = !name.empty() && vols.get(name).has_value();
    BERTH_ASSIGN_OR_RETURN(Volume v, vols.create(name, {}));
    if (!existed) made.push_back(v.name);
    out.push_back({{"Type", "volume"}, {"Name", v.name}, {"Source", v.mountpoint},
                   {"Destination", dst}, {"RW", !ro}, {"Options", Json::array()}});
    return {};
  };
  for (auto& b : string_array(hc.value("Binds", Json()))) {
    auto parts = str::split(b, ':');
    if (parts.size() < 2 || parts.size() > 3 || parts[0].empty()) {
      return make_error(Errc::kInvalidArgument, "invalid volume specification: '" + b + "'");
    }
    BERTH_TRY(check_target(parts[1], b));
    bool ro = parts.size() == 3 && str::split(parts[2], ',')[0] == "ro";
    if (parts[0][0] == '/') {
      BERTH_TRY(add_bind(parts[0], parts[1], ro));
    } else {
      BERTH_TRY(add_volume(parts[0], parts[1], ro));
    }
  }
  if (auto ms = hc.find("Mounts"); ms != hc.end() && ms->is_array()) {
    for (auto& m : *ms) {
      std::string type = m.value("Type", "volume"), src = m.value("Source", ""),
                  dst = m.value("Target", "");
      bool ro = m.value("ReadOnly", false);
      BERTH_TRY(check_target(dst, dst));
      if (type == "bind") {
        BERTH_TRY(add_bind(src, dst, ro));
      } else if (type == "volume") {
        BERTH_TRY(add_volume(src, dst, ro));
      } else if (type == "tmpfs") {
        Json opts = Json::array({"nosuid", "nodev", "noexec"});
        Json t = m.value("TmpfsOptions", Json::object());
        if (int64_t size = t.value("SizeBytes", int64_t{0}); size > 0) {
          opts.push_back("size=" + std::to_string(size));
        }
        if (int mode = t.value("Mode", 0); mode > 0) {
          char buf[32];
          std::snprintf(buf, sizeof buf, "mode=%o", static_cast<unsigned>(mode));
          opts.push_back(buf);
        }
        out.push_back({{"Type", "tmpfs"}, {"Source", ""}, {"Destination", dst}, {"RW", !ro},
                       {"Name", ""}, {"Options", opts}});
      } else {
        return make_error(Errc::kInvalidArgument, "mount type \"" + type + "\" is not supported");
      }
    }
  }
  if (auto tm = hc.find("Tmpfs"); tm != hc.end() && tm->is_object()) {
    for (auto& [dst, optstr] : tm->items()) {
      BERTH_TRY(check_target(dst, dst));
      Json opts = Json::array({"nosuid", "nodev", "noexec"});
      if (optstr.is_string()) {
        for (auto& o : str::split(optstr.get<std::string>(), ',')) {
          if (!o.empty()) opts.push_back(o);
        }
      }
      out.push_back({{"Type", "tmpfs"}, {"Source", ""}, {"Destination", dst}, {"RW", true},
                     {"Name", ""}, {"Options", opts}});
    }
  }
  if (auto vs = cfg.find("Volumes"); vs != cfg.end() && vs->is_object()) {
    for (auto& [dst, unused] : vs->items()) {
      bool covered = std::any_of(out.begin(), out.end(),
                                 [&](auto& m) { return m["Destination"] == dst; });
      if (!covered) {
        BERTH_TRY(check_target(dst, dst));
        BERTH_TRY(add_volume("", dst, false));
      }
    }
  }
  undo.keep = true;
  return out;
}

// docker's volume copy-up: an empty volume gets what the image has at its mount path, once.
void populate_volume(Volumes& vols, const Json& m, const std::string& rootfs) {
  if (m.value("Type", "") != "volume") return;
  auto v = vols.get(m.value("Name", ""));
  if (!v || v->populated) return;
  std::string src = rootfs + m.value("Destination", "");
  auto entries = fs::list_dir(v->mountpoint);
  if (fs::is_dir(src) && entries && entries->empty()) {
    // cp -a keeps owners, modes, links and xattrs; the source is the container's own rootfs.
    std::vector<std::string> argv = {"/bin/cp", "-a", "--no-target-directory", src + "/.",
                                     v->mountpoint};
    if (auto pid = proc::spawn(argv)) (void)proc::wait_exit(*pid);
  }
  (void)vols.mark_populated(v->name);
}

}  // namespace berth::engine
