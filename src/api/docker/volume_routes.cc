// /volumes/...: create, list, inspect, remove, prune (the local driver).
#include "api/docker/routes.h"
#include "common/strings.h"

namespace berth::api {

void add_volume_routes(Router& r, DaemonContext& ctx) {
  engine::Engine& eng = *ctx.engine;

  r.add("POST", "/volumes/create", [&eng](Exchange& ex) {
    auto body = ex.body();
    if (!body) return ex.error(body.error());
    auto j = parse_json(body->empty() ? "{}" : *body, "volume config");
    if (!j || !j->is_object()) return ex.error(400, "invalid volume config");
    std::string driver = j->value("Driver", "local");
    if (!driver.empty() && driver != "local") {
      return ex.error(404, "error looking up volume plugin " + driver + ": plugin \"" + driver +
                               "\" not found");
    }
    std::map<std::string, std::string> labels;
    if (auto l = j->find("Labels"); l != j->end() && l->is_object()) {
      for (auto& [k, v] : l->items()) {
        if (v.is_string()) labels[k] = v.get<std::string>();
      }
    }
    auto v = eng.volumes().create(j->value("Name", ""), labels);
    if (!v) return ex.error(v.error());
    eng.emit("volume", "create", v->name, {{"driver", "local"}});
    ex.reply_json(201, engine::volume_json(*v));
  });

  r.add("GET", "/volumes", [&eng](Exchange& ex) {
    auto filters = parse_json(ex.query("filters", "{}"), "filters").value_or(Json::object());
    bool dangling_only = false;
    if (auto d = filters.find("dangling"); d != filters.end()) {
      dangling_only = dump_json(*d).find("true") != std::string::npos ||
                      dump_json(*d).find("\"1\"") != std::string::npos;
    }
    Json out = Json::array();
    for (auto& v : eng.volumes().list()) {
      if (dangling_only && !eng.volume_users(v.name).empty()) continue;
      out.push_back(engine::volume_json(v));
    }
    ex.reply_json(200, {{"Volumes", out}, {"Warnings", Json::array()}});
  });

  r.add("GET", "/volumes/([^/]+)", [&eng](Exchange& ex) {
    auto v = eng.volumes().get(ex.params()[0]);
    if (!v) return ex.error(v.error());
    ex.reply_json(200, engine::volume_json(*v));
  });

  r.add("DELETE", "/volumes/([^/]+)", [&eng](Exchange& ex) {
    std::string name = ex.params()[0];
    if (auto users = eng.volume_users(name); !users.empty()) {
      return ex.error(409, "remove " + name + ": volume is in use - [" + str::join(users, ", ") + "]");
    }
    auto d = eng.volumes().remove(name);
    if (!d) return ex.error(d.error());
    eng.emit("volume", "destroy", name, {{"driver", "local"}});
    ex.reply(204, "");
  });

  r.add("POST", "/volumes/prune", [&eng](Exchange& ex) {
    // docker 23+: anonymous volumes only, unless all=true.
    auto filters = parse_json(ex.query("filters", "{}"), "filters").value_or(Json::object());
    bool all = dump_json(filters).find("\"all\"") != std::string::npos &&
               dump_json(filters["all"]).find("true") != std::string::npos;
    Json deleted = Json::array();
    for (auto& v : eng.volumes().list()) {
      if ((!v.anonymous && !all) || !eng.volume_users(v.name).empty()) continue;
      if (eng.volumes().remove(v.name)) deleted.push_back(v.name);
    }
    ex.reply_json(200, {{"VolumesDeleted", deleted}, {"SpaceReclaimed", 0}});
  });
}

}  // namespace berth::api
