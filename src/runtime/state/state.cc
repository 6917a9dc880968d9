#include "runtime/state/state.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cerrno>
#include <ctime>

#include "common/fs.h"
#include "common/strings.h"

namespace berth::runtime {

std::string_view status_name(Status s) {
  switch (s) {
    case Status::kCreating: return "creating";
    case Status::kCreated: return "created";
    case Status::kRunning: return "running";
    case Status::kPaused: return "paused";
    case Status::kStopped: return "stopped";
  }
  return "unknown";
}

Result<void> validate_id(const std::string& id) {
  if (id.empty() || id == "." || id == ".." || id.size() > 1024) {
    return make_error(Errc::kInvalidArgument, "invalid container id " + dump_json(Json(id)));
  }
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '+' || c == '-' || c == '.';
    if (!ok) {
      // Quoted as JSON: control characters must not break the one-line error.
      return make_error(Errc::kInvalidArgument,
                        "invalid container id " + dump_json(Json(id)) + ": only [A-Za-z0-9_+.-] allowed");
    }
  }
  return {};
}

std::string StateStore::dir(const std::string& id) const { return fs::join(root_, id); }
std::string StateStore::fifo_path(const std::string& id) const {
  return fs::join(dir(id), "exec.fifo");
}
std::string StateStore::config_path(const std::string& id) const {
  return fs::join(dir(id), "config.json");
}

Result<void> StateStore::reserve(const std::string& id) {
  BERTH_TRY(validate_id(id));
  BERTH_TRY(fs::mkdir_all(root_, 0700));
  if (::mkdir(dir(id).c_str(), 0711) < 0) {
    if (errno == EEXIST) {
      return make_error(Errc::kAlreadyExists, "container with id exists: " + id);
    }
    return sys_error(errno, "create state dir `" + dir(id) + "`");
  }
  return {};
}

Result<ContainerState> StateStore::load(const std::string& id) const {
  BERTH_TRY(validate_id(id));
  auto text = fs::read_file(fs::join(dir(id), "state.json"));
  if (!text) {
    if (text.error().code == Errc::kNotFound) {
      return make_error(Errc::kNotFound, "container does not exist: " + id);
    }
    return tl::unexpected(text.error());
  }
  BERTH_ASSIGN_OR_RETURN(Json j, parse_json(*text, "state.json of " + id));
  if (!j.is_object()) {
    return make_error(Errc::kDataLoss, "state of container " + id + " is corrupt");
  }
  // Typed reads that never throw: a field of the wrong type reads as empty.
  auto str = [&](const char* k) {
    auto it = j.find(k);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  auto num = [&](const char* k) {
    auto it = j.find(k);
    return it != j.end() && it->is_number_unsigned() ? it->get<uint64_t>() : uint64_t{0};
  };
  ContainerState st;
  st.oci_version = str("ociVersion");
  st.id = str("id");
  st.bundle = str("bundle");
  st.pid = static_cast<pid_t>(std::min<uint64_t>(num("pid"), INT32_MAX));
  st.pid_start_ticks = num("pidStartTicks");
  st.created = str("created");
  st.cgroup_path = str("cgroupPath");
  auto def = j.find("cgroupDefault");
  st.cgroup_default = def != j.end() && def->is_boolean() && def->get<bool>();
  if (j.contains("annotations") && j["annotations"].is_object()) {
    for (auto& [k, v] : j["annotations"].items()) {
      if (v.is_string()) {
        st.annotations[k] = v.get<std::string>();
      }
    }
  }
  // A state without its own cgroup or with a pid that is not a container's would point delete
  // and kill at the host (the root cgroup, pid 1): treat it as corrupt.
  if (st.id != id || st.cgroup_path.empty() || st.cgroup_path == "/" ||
      st.cgroup_path[0] != '/' || st.cgroup_path.find("..") != std::string::npos ||
      (st.pid != 0 && st.pid <= 1)) {
    return make_error(Errc::kDataLoss, "state of container " + id + " is corrupt");
  }
  return st;
}

Result<void> StateStore::save(const ContainerState& st) const {
  OrderedJson j;
  j["ociVersion"] = st.oci_version;
  j["id"] = st.id;
  j["bundle"] = st.bundle;
  j["pid"] = st.pid;
  j["pidStartTicks"] = st.pid_start_ticks;
  j["created"] = st.created;
  j["cgroupPath"] = st.cgroup_path;
  j["cgroupDefault"] = st.cgroup_default;
  j["annotations"] = st.annotations;
  return fs::atomic_write(fs::join(dir(st.id), "state.json"), dump_json(j), 0600);
}

Result<void> StateStore::remove(const std::string& id) const {
  BERTH_TRY(validate_id(id));
  return fs::remove_all(dir(id));
}

Result<std::vector<std::string>> StateStore::list() const {
  auto names = fs::list_dir(root_);
  if (!names) {
    if (names.error().sys_errno == ENOENT) {
      return std::vector<std::string>{};
    }
    return tl::unexpected(names.error());
  }
  std::vector<std::string> out;
  for (auto& n : *names) {
    if (fs::exists(fs::join(fs::join(root_, n), "state.json"))) {
      out.push_back(n);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

uint64_t process_start_ticks(pid_t pid) {
  auto stat = fs::read_file("/proc/" + std::to_string(pid) + "/stat");
  if (!stat) {
    return 0;
  }
  // Fields after the last ')' (comm may hold spaces): state is field 3, starttime field 22.
  auto close = stat->rfind(')');
  if (close == std::string::npos) {
    return 0;
  }
  auto fields = str::split(str::trim(std::string_view(*stat).substr(close + 2)), ' ');
  if (fields.size() < 20 || fields[0] == "Z" || fields[0] == "X") {
    return 0;  // zombies count as gone: the container's process has exited
  }
  return str::parse_uint(fields[19]).value_or(0);
}

Status current_status(const StateStore& store, const ContainerState& st) {
  if (st.pid <= 0) {
    return Status::kStopped;
  }
  uint64_t ticks = process_start_ticks(st.pid);
  if (ticks == 0 || (st.pid_start_ticks != 0 && ticks != st.pid_start_ticks)) {
    return Status::kStopped;
  }
  if (fs::exists(store.fifo_path(st.id))) {
    return Status::kCreated;
  }
  return Status::kRunning;
}

OrderedJson state_json(const ContainerState& st, Status status, const std::string& rootfs) {
  OrderedJson j;
  j["ociVersion"] = st.oci_version;
  j["id"] = st.id;
  j["pid"] = status == Status::kStopped ? 0 : st.pid;
  j["status"] = status_name(status);
  j["bundle"] = st.bundle;
  j["rootfs"] = rootfs;
  j["created"] = st.created;
  j["owner"] = "";
  if (!st.annotations.empty()) {
    j["annotations"] = st.annotations;
  }
  return j;
}

}  // namespace berth::runtime
