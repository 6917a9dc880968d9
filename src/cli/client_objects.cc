// The verbs of daemon objects other than containers and images: network ls/create/rm/inspect/
// prune, volume ls/create/rm/inspect/prune, builder prune.
#include "cli/client_internal.h"

#include <algorithm>
#include <cstdio>
#include <memory>
#include <utility>

#include <CLI/CLI.hpp>

#include "common/strings.h"

namespace berth::cli {
namespace {

// The Labels of a network or volume as ls shows them: "k=v,k2=v2".
std::string labels_of(const Json& object) {
  std::vector<std::string> labels;
  Json label_map = object.value("Labels", Json::object());
  for (auto& [k, v] : label_map.items()) labels.push_back(k + "=" + go_value(v));
  return str::join(labels, ",");
}

// The output of network ls and volume ls: the rows sorted by Name (natural order), then each
// row's `quiet_key` (-q) or the formatted table.
int print_ls(std::vector<Json> rows, bool quiet, const char* quiet_key, const std::string& format,
             const std::string& default_table, const Json& headers) {
  std::sort(rows.begin(), rows.end(), [](const Json& a, const Json& b) {
    return natural_less(a["Name"].get<std::string>(), b["Name"].get<std::string>());
  });
  if (quiet) {
    for (auto& r : rows) std::printf("%s\n", r[quiet_key].get<std::string>().c_str());
    return 0;
  }
  print_formatted(format, default_table, rows, headers);
  return 0;
}

// GET `path` (/networks, /volumes) with docker's filter flags.
Result<Json> list_filtered(const Client& c, const std::string& path,
                           const std::vector<std::string>& filters) {
  Query q;
  if (!filters.empty()) q.push_back({"filters", filters_json(filters)});
  return c.call_json("GET", path, q);
}

int cmd_network_ls(const Client& c, bool quiet, bool no_trunc, const std::string& format,
                   const std::vector<std::string>& filters) {
  auto list = list_filtered(c, "/networks", filters);
  if (!list) return fail(list.error());
  std::vector<Json> rows;
  for (auto& n : *list) {
    std::string id = n.value("Id", "");
    rows.push_back({{"ID", no_trunc ? id : short_id(id)},
                    {"Name", n.value("Name", "")},
                    {"Driver", n.value("Driver", "")},
                    {"Scope", n.value("Scope", "local")},
                    {"IPv4", "true"},
                    {"IPv6", n.value("EnableIPv6", false) ? "true" : "false"},
                    {"Internal", n.value("Internal", false) ? "true" : "false"},
                    {"Labels", labels_of(n)},
                    {"CreatedAt", go_time(n.value("Created", ""))}});
  }
  Json headers = {{"ID", "NETWORK ID"}, {"Name", "NAME"}, {"Driver", "DRIVER"}, {"Scope", "SCOPE"},
                  {"IPv4", "IPV4"}, {"IPv6", "IPV6"}, {"Internal", "INTERNAL"}, {"Labels", "LABELS"},
                  {"CreatedAt", "CREATED AT"}};
  return print_ls(std::move(rows), quiet, "ID", format,
                  "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}", headers);
}

struct NetCreateOpts {
  std::string name, driver = "bridge", subnet, gateway, ip_range;
  bool internal = false, attachable = false;
  std::vector<std::string> labels, options;
};

int cmd_network_create(const Client& c, const NetCreateOpts& o) {
  Json body = {{"Name", o.name}, {"Driver", o.driver}, {"Internal", o.internal},
               {"Attachable", o.attachable}, {"CheckDuplicate", true},
               {"Labels", kv_object(o.labels)}, {"Options", kv_object(o.options)}};
  if (!o.subnet.empty() || !o.gateway.empty() || !o.ip_range.empty()) {
    Json cfg = Json::object();
    if (!o.subnet.empty()) cfg["Subnet"] = o.subnet;
    if (!o.gateway.empty()) cfg["Gateway"] = o.gateway;
    if (!o.ip_range.empty()) cfg["IPRange"] = o.ip_range;
    body["IPAM"] = {{"Driver", "default"}, {"Config", Json::array({cfg})}};
  }
  auto r = c.call_json("POST", "/networks/create", {}, body);
  if (!r) return fail(r.error());
  std::printf("%s\n", r->value("Id", "").c_str());
  return 0;
}

int cmd_volume_ls(const Client& c, bool quiet, const std::string& format,
                  const std::vector<std::string>& filters) {
  auto list = list_filtered(c, "/volumes", filters);
  if (!list) return fail(list.error());
  std::vector<Json> rows;
  for (auto& v : list->value("Volumes", Json::array())) {
    rows.push_back({{"Driver", v.value("Driver", "local")},
                    {"Name", v.value("Name", "")},
                    {"Scope", v.value("Scope", "local")},
                    {"Mountpoint", v.value("Mountpoint", "")},
                    {"Labels", labels_of(v)},
                    {"Availability", "N/A"}, {"Group", "N/A"}, {"Links", "N/A"},
                    {"Size", "N/A"}, {"Status", "N/A"}});
  }
  Json headers = {{"Driver", "DRIVER"}, {"Name", "VOLUME NAME"}, {"Scope", "SCOPE"},
                  {"Mountpoint", "MOUNTPOINT"}, {"Labels", "LABELS"}, {"Availability", "AVAILABILITY"},
                  {"Group", "GROUP"}, {"Links", "LINKS"}, {"Size", "SIZE"}, {"Status", "STATUS"}};
  return print_ls(std::move(rows), quiet, "Name", format, "table {{.Driver}}\t{{.Name}}", headers);
}

// The flags of these verbs (a verb reads only its own).
struct ObjectFlags {
  NetCreateOpts no;
  std::vector<std::string> refs, filters, vol_labels, vol_opts;
  std::string format, vol_driver = "local", vol_name;
  bool quiet = false, no_trunc = false, force = false, all = false;
};

// `network rm|inspect` and `volume rm|inspect` (`kind` "network" or "volume"): DELETE and GET
// of /networks/{name} or /volumes/{name}; volume rm passes its --force on to the daemon.
void add_rm_inspect(CLI::App* group, const std::string& kind, bool force_query,
                    const std::shared_ptr<ObjectFlags>& f, Verbs& v) {
  std::string plural = kind + "s", operand = str::to_upper(kind), path = "/" + plural + "/";
  auto* rm = group->add_subcommand("rm", "remove " + plural);
  rm->alias("remove");
  rm->add_option(plural, f->refs, operand)->required();
  rm->add_flag("-f,--force", f->force, "no error for a missing " + kind);
  rm->callback(v.with([f, path, force_query](const Client& c) {
    return for_each(f->refs, [&](const std::string& r) -> Result<void> {
      Query q = force_query && f->force ? Query{{"force", "1"}} : Query{};
      auto d = c.call("DELETE", path + path_escape(r), q);
      if (!d && f->force && d.error().code == Errc::kNotFound) return {};
      if (!d) return tl::unexpected(d.error());
      return {};
    });
  }));
  auto* insp = group->add_subcommand("inspect", "low-level information on " + plural);
  insp->add_option(plural, f->refs, operand)->required();
  insp->add_option("-f,--format", f->format, "Go template");
  insp->callback(v.with([f, kind](const Client& c) { return cmd_inspect(c, f->refs, f->format, kind); }));
}

}  // namespace

void add_object_verbs(CLI::App& app, Verbs& v) {
  auto f = std::make_shared<ObjectFlags>();
  auto* net = app.add_subcommand("network", "manage networks");
  net->require_subcommand(1);
  auto* nls = net->add_subcommand("ls", "list networks");
  nls->alias("list");
  nls->add_flag("-q,--quiet", f->quiet, "only IDs");
  nls->add_flag("--no-trunc", f->no_trunc, "full IDs");
  nls->add_option("-f,--filter", f->filters, "name=, id=, driver=, label=, type=, dangling=")->allow_extra_args(false);
  nls->add_option("--format", f->format, "table, json or a Go template");
  nls->callback(v.with([f](const Client& c) { return cmd_network_ls(c, f->quiet, f->no_trunc, f->format, f->filters); }));
  auto* ncreate = net->add_subcommand("create", "create a network");
  ncreate->add_option("name", f->no.name, "NETWORK")->required();
  ncreate->add_option("-d,--driver", f->no.driver, "bridge");
  ncreate->add_option("--subnet", f->no.subnet, "subnet in CIDR form");
  ncreate->add_option("--gateway", f->no.gateway, "gateway address");
  ncreate->add_option("--ip-range", f->no.ip_range, "allocate addresses from this range");
  ncreate->add_flag("--internal", f->no.internal, "no access to the outside");
  ncreate->add_flag("--attachable", f->no.attachable, "accepted");
  ncreate->add_option("--label", f->no.labels, "label k=v")->allow_extra_args(false);
  ncreate->add_option("-o,--opt", f->no.options, "driver option k=v")->allow_extra_args(false);
  ncreate->callback(v.with([f](const Client& c) { return cmd_network_create(c, f->no); }));
  add_rm_inspect(net, "network", false, f, v);
  auto* nprune = net->add_subcommand("prune", "remove unused networks");
  nprune->add_flag("-f,--force", f->force, "do not prompt");
  nprune->callback(v.with([f](const Client& c) {
    auto r = c.call_json("POST", "/networks/prune");
    if (!r) return fail(r.error());
    auto names = string_array(r->value("NetworksDeleted", Json::array()));
    if (!names.empty()) std::printf("Deleted Networks:\n%s\n", str::join(names, "\n").c_str());
    return 0;
  }));

  auto* vol = app.add_subcommand("volume", "manage volumes");
  vol->require_subcommand(1);
  auto* vls = vol->add_subcommand("ls", "list volumes");
  vls->alias("list");
  vls->add_flag("-q,--quiet", f->quiet, "only names");
  vls->add_option("-f,--filter", f->filters, "dangling=true|false")->allow_extra_args(false);
  vls->add_option("--format", f->format, "table, json or a Go template");
  vls->callback(v.with([f](const Client& c) { return cmd_volume_ls(c, f->quiet, f->format, f->filters); }));
  auto* vcreate = vol->add_subcommand("create", "create a volume");
  vcreate->add_option("name", f->vol_name, "VOLUME (random when left out)");
  vcreate->add_option("--name", f->vol_name, "VOLUME");
  vcreate->add_option("-d,--driver", f->vol_driver, "local");
  vcreate->add_option("--label", f->vol_labels, "label k=v")->allow_extra_args(false);
  vcreate->add_option("-o,--opt", f->vol_opts, "driver option k=v")->allow_extra_args(false);
  vcreate->callback(v.with([f](const Client& c) {
    auto r = c.call_json("POST", "/volumes/create", {},
                         {{"Name", f->vol_name}, {"Driver", f->vol_driver}, {"Labels", kv_object(f->vol_labels)},
                          {"DriverOpts", kv_object(f->vol_opts)}});
    if (!r) return fail(r.error());
    std::printf("%s\n", r->value("Name", "").c_str());
    return 0;
  }));
  add_rm_inspect(vol, "volume", true, f, v);
  auto* vprune = vol->add_subcommand("prune", "remove unused anonymous volumes (all with -a)");
  vprune->add_flag("-a,--all", f->all, "named volumes too");
  vprune->add_flag("-f,--force", f->force, "do not prompt");
  vprune->callback(v.with([f](const Client& c) {
    Query q;
    if (f->all) q.push_back({"filters", "{\"all\":[\"true\"]}"});
    auto r = c.call_json("POST", "/volumes/prune", q);
    if (!r) return fail(r.error());
    auto names = string_array(r->value("VolumesDeleted", Json::array()));
    if (!names.empty()) std::printf("Deleted Volumes:\n%s\n\n", str::join(names, "\n").c_str());
    std::printf("Total reclaimed space: %s\n", human_size(r->value("SpaceReclaimed", 0.0)).c_str());
    return 0;
  }));

  auto* builder = app.add_subcommand("builder", "manage the build cache");
  builder->require_subcommand(1);
  auto* bprune = builder->add_subcommand("prune", "remove the build cache");
  bprune->add_flag("-a,--all", f->all, "accepted");
  bprune->add_flag("-f,--force", f->force, "do not prompt");
  bprune->callback(v.with([f](const Client& c) {
    auto r = c.call_json("POST", "/build/prune");
    if (!r) return fail(r.error());
    std::printf("Total:\t%s\n", human_size(r->value("SpaceReclaimed", 0.0)).c_str());
    return 0;
  }));
}

}  // namespace berth::cli
