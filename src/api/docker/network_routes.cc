// /networks/...: list (filters), inspect, create, connect, disconnect, delete, prune.
#include <set>

#include "api/docker/routes.h"
#include "common/strings.h"
#include "image/filters.h"

namespace berth::api {
namespace {

// docker network ls filters (moby daemon/network/filter.go): name (substring), id (prefix),
// driver, label (key or key=value), type (builtin|custom), dangling.
Result<bool> matches(const engine::NetworkRecord& n, const Json& containers,
                     const image::Filters& f) {
  for (auto& [key, values] : f) {
    bool any = false;
    for (auto& v : values) {
      if (key == "name") any = any || n.name.find(v) != std::string::npos;
      else if (key == "id") any = any || n.id.starts_with(v);
      else if (key == "driver") any = any || n.driver == v;
      else if (key == "type") any = any || (v == "builtin") == n.predefined();
      else if (key == "dangling") any = any || (v == "true" || v == "1") == containers.empty();
      else if (key == "label") {
        auto eq = v.find('=');
        auto it = n.labels.find(v.substr(0, eq));
        any = any || (it != n.labels.end() && (eq == std::string::npos || it->second == v.substr(eq + 1)));
      } else {
        return make_error(Errc::kInvalidArgument, "invalid filter '" + key + "'");
      }
    }
    if (!any) return false;
  }
  return true;
}

}  // namespace

void add_network_routes(Router& r, DaemonContext& ctx) {
  engine::Engine& eng = *ctx.engine;

  r.add("GET", "/networks", [&eng](Exchange& ex) {
    auto f = image::parse_filters_json(ex.query("filters", "{}"));
    if (!f) return ex.error(f.error());
    Json out = Json::array();
    for (auto& n : eng.networks().list()) {
      Json users = eng.network_containers(n);
      auto ok = matches(n, users, *f);
      if (!ok) return ex.error(ok.error());
      if (*ok) out.push_back(engine::network_json(n, Json::object()));
    }
    ex.reply_json(200, out);
  });

  r.add("GET", "/networks/([^/]+)", [&eng](Exchange& ex) {
    auto n = eng.networks().get(ex.params()[0]);
    if (!n) return ex.error(n.error());
    ex.reply_json(200, engine::network_json(*n, eng.network_containers(*n)));
  });

  r.add("POST", "/networks/create", [&eng](Exchange& ex) {
    auto body = ex.body();
    if (!body) return ex.error(body.error());
    auto j = parse_json(body->empty() ? "{}" : *body, "network config");
    if (!j || !j->is_object()) return ex.error(400, "invalid network config: " + (j ? "not an object" : j.error().message));
    engine::NetworkRecord want;
    want.name = j->value("Name", "");
    want.driver = j->value("Driver", "bridge");
    want.internal = j->value("Internal", false);
    if (j->value("EnableIPv6", false)) {
      return ex.error(400, "IPv6 networks are not supported by berth yet");
    }
    for (auto* m : {&want.labels, &want.options}) {
      Json src = j->value(m == &want.labels ? "Labels" : "Options", Json::object());
      if (!src.is_object()) continue;
      for (auto& [k, v] : src.items()) {
        if (v.is_string()) (*m)[k] = v.get<std::string>();
      }
    }
    Json ipam = j->value("IPAM", Json::object());
    if (ipam.is_object() && !ipam.value("Driver", "default").empty() &&
        ipam.value("Driver", "default") != "default") {
      return ex.error(404, "plugin \"" + ipam.value("Driver", "") + "\" not found");
    }
    Json configs = ipam.is_object() ? ipam.value("Config", Json::array()) : Json::array();
    if (configs.is_array() && configs.size() > 1) {
      return ex.error(400, "berth supports one IPv4 subnet per network");
    }
    if (configs.is_array() && !configs.empty() && configs[0].is_object()) {
      want.subnet = configs[0].value("Subnet", "");
      want.gateway = configs[0].value("Gateway", "");
      want.ip_range = configs[0].value("IPRange", "");
      if (want.subnet.empty() && (!want.gateway.empty() || !want.ip_range.empty())) {
        return ex.error(400, "a gateway or ip-range needs a subnet");
      }
    }
    if (want.name.empty()) return ex.error(400, "network name must not be empty");
    auto n = eng.networks().create(want);
    if (!n) return ex.error(n.error());
    eng.emit("network", "create", n->id, {{"name", n->name}, {"type", n->driver}});
    ex.reply_json(201, {{"Id", n->id}, {"Warning", ""}});
  });

  r.add("POST", "/networks/([^/]+)/(connect|disconnect)", [&eng](Exchange& ex) {
    auto body = ex.body();
    if (!body) return ex.error(body.error());
    auto j = parse_json(body->empty() ? "{}" : *body, "request");
    if (!j || !j->is_object()) return ex.error(400, "invalid request body");
    std::string container = j->value("Container", "");
    if (container.empty()) return ex.error(400, "no container given");
    Result<void> done;
    if (ex.params()[1] == "connect") {
      Json ep = j->value("EndpointConfig", Json::object());
      done = eng.connect(container, ex.params()[0], ep.is_object() ? ep : Json::object());
    } else {
      done = eng.disconnect(container, ex.params()[0], j->value("Force", false));
    }
    if (!done) return ex.error(done.error());
    ex.reply(200, "");
  });

  r.add("DELETE", "/networks/([^/]+)", [&eng](Exchange& ex) {
    auto n = eng.networks().get(ex.params()[0]);
    auto d = eng.remove_network(ex.params()[0]);
    if (!d) return ex.error(d.error());
    eng.emit("network", "destroy", n->id, {{"name", n->name}, {"type", n->driver}});
    ex.reply(204, "");
  });

  r.add("POST", "/networks/prune", [&eng](Exchange& ex) {
    // Unused = referenced by no container, running or not (docker network prune).
    std::set<std::string> used;
    for (auto& c : eng.list()) {
      if (!c.networking.is_object()) continue;
      for (auto& [name, cfg] : c.networking.items()) used.insert(name);
    }
    Json deleted = Json::array();
    for (auto& n : eng.networks().list()) {
      if (n.predefined() || used.count(n.name) || !eng.network_containers(n).empty()) continue;
      if (eng.remove_network(n.id)) deleted.push_back(n.name);
    }
    ex.reply_json(200, {{"NetworksDeleted", deleted}});
  });
}

}  // namespace berth::api
