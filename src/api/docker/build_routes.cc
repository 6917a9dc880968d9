// POST /build: the legacy builder's endpoint (moby api/server/router/build): a tar context in
// the body, options in the query, progress as a stream of JSON messages.
#include <unistd.h>

#include "api/docker/routes.h"
#include "build/builder.h"
#include "common/fs.h"
#include "common/strings.h"
#include "image/layer.h"

namespace berth::api {
namespace {

bool flag(const Exchange& ex, const std::string& key) {
  std::string v = ex.query(key);
  return v == "1" || v == "true" || v == "True";
}

std::map<std::string, std::string> json_map(const std::string& text) {
  std::map<std::string, std::string> out;
  auto j = parse_json(text.empty() ? "{}" : text, "query");
  if (!j || !j->is_object()) return out;
  for (auto& [k, v] : j->items()) {
    if (v.is_string()) out[k] = v.get<std::string>();
  }
  return out;
}

// Runs the build and streams the legacy builder's messages, the stream already begun.
void run_build(Exchange& ex, DaemonContext& ctx, const build::BuildOptions& o) {
  auto send = [&](const Json& j) { (void)ex.write(dump_json(j) + "\r\n"); };
  auto id = ctx.builder->build(o, [&](const std::string& text) { send({{"stream", text}}); });
  if (!id) {
    send({{"errorDetail", {{"message", id.error().message}}}, {"error", id.error().message}});
  } else {
    send({{"aux", {{"ID", *id}}}});
    if (o.quiet) {
      send({{"stream", *id + "\n"}});
    } else {
      send({{"stream", "Successfully built " + id->substr(7, 12) + "\n"}});
      for (auto& t : o.tags) {
        send({{"stream", "Successfully tagged " + t + (t.find(':') == std::string::npos ? ":latest" : "") + "\n"}});
      }
    }
  }
  ex.end_stream();
}

}  // namespace

void add_build_routes(Router& r, DaemonContext& ctx) {
  r.add("POST", "/build", [&ctx](Exchange& ex) {
    build::BuildOptions o;
    o.dockerfile = ex.query("dockerfile", "Dockerfile");
    o.tags = ex.query_all("t");
    o.build_args = json_map(ex.query("buildargs"));
    o.labels = json_map(ex.query("labels"));
    o.target = ex.query("target");
    o.platform = ex.query("platform");
    o.no_cache = flag(ex, "nocache");
    o.pull = flag(ex, "pull");
    o.quiet = flag(ex, "q");
    if (std::string n = ex.query("networkmode"); !n.empty() && n != "default") o.network = n;
    if (!ex.query("remote").empty()) return ex.error(400, "remote build contexts are not supported");
    // berth's CLI on this machine: the context directory read in place (no upload).
    if (std::string dir = ex.query("contextdir"); !dir.empty()) {
      if (!dir.starts_with("/") || !fs::is_dir(dir)) {
        return ex.error(400, "contextdir " + dir + " is not a directory the daemon can read "
                             "(set BERTH_BUILD_UPLOAD=1 to send the context)");
      }
      (void)ex.body();  // empty
      o.context_dir = dir;
      o.in_place = true;
      // berth build --secret: {"id": "/host/file"}, files the local client names.
      o.secrets = json_map(ex.query("secrets"));
      if (!ex.begin_stream(200, "application/json")) return;
      run_build(ex, ctx, o);
      return;
    }
    // The context: the body (a tar, maybe compressed) unpacked into a directory of its own.
    auto body = spool_body(ex, ctx.data_root);
    if (!body) return ex.error(body.error());
    std::string dir = ctx.data_root + "/build/context-" + str::random_hex(8);
    struct Cleanup {
      std::string body, dir;
      ~Cleanup() {
        ::unlink(body.c_str());
        (void)fs::remove_all(dir);
      }
    } cleanup{*body, dir};
    if (auto m = fs::mkdir_all(dir, 0700); !m) return ex.error(m.error());
    image::UnpackOptions uo;
    uo.overlay_whiteouts = false;
    if (auto u = image::unpack_layer(image::file_reader(*body), dir, uo); !u) {
      return ex.error(400, "invalid build context: " + u.error().message);
    }
    o.context_dir = dir;
    if (!ex.begin_stream(200, "application/json")) return;
    run_build(ex, ctx, o);
  });

  r.add("POST", "/build/prune", [&ctx](Exchange& ex) {
    auto n = ctx.builder->prune();
    if (!n) return ex.error(n.error());
    ex.reply_json(200, {{"CachesDeleted", Json::array()}, {"SpaceReclaimed", 0}});
  });
}

}  // namespace berth::api
