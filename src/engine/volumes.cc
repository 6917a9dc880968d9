#include "engine/volumes.h"

#include <regex>

#include "common/fs.h"
#include "common/strings.h"
#include "common/time.h"

namespace berth::engine {
namespace {

constexpr std::string_view kSchema = R"sql(
CREATE TABLE IF NOT EXISTS volumes(
  name TEXT PRIMARY KEY,
  data TEXT NOT NULL);
)sql";

Volume from_row(const std::string& name, const std::string& data, const std::string& root) {
  Volume v;
  v.name = name;
  v.mountpoint = root + "/" + name + "/_data";
  Json j = parse_json(data, "volume").value_or(Json::object());
  v.created = j.value("created", "");
  v.anonymous = j.value("anonymous", false);
  v.populated = j.value("populated", false);
  if (auto l = j.find("labels"); l != j.end() && l->is_object()) {
    for (auto& [k, val] : l->items()) {
      if (val.is_string()) v.labels[k] = val.get<std::string>();
    }
  }
  return v;
}

}  // namespace

Result<std::unique_ptr<Volumes>> Volumes::open(const std::string& db_path, std::string root) {
  BERTH_TRY(fs::mkdir_all(root, 0701));
  BERTH_ASSIGN_OR_RETURN(sql::Db db, sql::Db::open(db_path));
  BERTH_TRY(db.exec(kSchema));
  return std::unique_ptr<Volumes>(new Volumes(std::move(db), std::move(root)));
}

Result<Volume> Volumes::create(const std::string& name_in,
                               const std::map<std::string, std::string>& labels, bool anonymous) {
  std::string name = name_in;
  if (name.empty()) {
    name = str::random_hex(32);
    anonymous = true;
  }
  static const std::regex kName("^[a-zA-Z0-9][a-zA-Z0-9_.-]+$");
  if (!std::regex_match(name, kName)) {
    return make_error(Errc::kInvalidArgument,
                      "create " + name + ": \"" + name +
                          "\" includes invalid characters for a local volume name, only "
                          "\"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed");
  }
  if (auto existing = get(name)) return existing;
  Volume v;
  v.name = name;
  v.mountpoint = root_ + "/" + name + "/_data";
  v.created = rfc3339_now();
  v.labels = labels;
  v.anonymous = anonymous;
  BERTH_TRY(fs::mkdir_all(v.mountpoint, 0755));
  Json data = {{"created", v.created}, {"labels", labels}, {"anonymous", anonymous},
               {"populated", false}};
  std::lock_guard<std::mutex> l(mu_);
  BERTH_ASSIGN_OR_RETURN(auto st, db_.prepare("INSERT OR IGNORE INTO volumes(name, data) VALUES(?,?)"));
  st.bind(1, name).bind(2, dump_json(data));
  BERTH_TRY(st.run());
  return v;
}

Result<Volume> Volumes::get(const std::string& name) const {
  std::lock_guard<std::mutex> l(mu_);
  BERTH_ASSIGN_OR_RETURN(auto st, db_.prepare("SELECT data FROM volumes WHERE name=?"));
  st.bind(1, name);
  BERTH_ASSIGN_OR_RETURN(bool row, st.step());
  if (!row) return make_error(Errc::kNotFound, "get " + name + ": no such volume");
  return from_row(name, st.text(0), root_);
}

std::vector<Volume> Volumes::list() const {
  std::vector<Volume> out;
  std::lock_guard<std::mutex> l(mu_);
  auto st = db_.prepare("SELECT name, data FROM volumes ORDER BY name");
  if (!st) return out;
  while (st->step().value_or(false)) out.push_back(from_row(st->text(0), st->text(1), root_));
  return out;
}

Result<void> Volumes::remove(const std::string& name) {
  BERTH_ASSIGN_OR_RETURN(Volume v, get(name));
  {
    std::lock_guard<std::mutex> l(mu_);
    BERTH_ASSIGN_OR_RETURN(auto st, db_.prepare("DELETE FROM volumes WHERE name=?"));
    st.bind(1, name);
    BERTH_TRY(st.run());
  }
  return fs::remove_all(root_ + "/" + name);
}

Result<void> Volumes::mark_populated(const std::string& name) {
  BERTH_ASSIGN_OR_RETURN(Volume v, get(name));
  Json data = {{"created", v.created}, {"labels", v.labels}, {"anonymous", v.anonymous},
               {"populated", true}};
  std::lock_guard<std::mutex> l(mu_);
  BERTH_ASSIGN_OR_RETURN(auto st, db_.prepare("UPDATE volumes SET data=? WHERE name=?"));
  st.bind(1, dump_json(data)).bind(2, name);
  return st.run();
}

Json volume_json(const Volume& v) {
  return {{"Name", v.name},
          {"Driver", "local"},
          {"Mountpoint", v.mountpoint},
          {"CreatedAt", v.created},
          {"Labels", v.labels.empty() ? Json() : Json(v.labels)},
          {"Scope", "local"},
          {"Options", Json()}};
}

}  // namespace berth::engine
