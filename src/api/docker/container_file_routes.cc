// A container's files: /containers/{id}/archive (HEAD, GET, PUT: docker cp), /export and
// /changes (docker diff).
#include <unistd.h>

#include "api/docker/routes.h"
#include "common/strings.h"

namespace berth::api {
namespace {

// X-Docker-Container-Path-Stat: base64 of the stat JSON (moby api/types ContainerPathStat).
std::string stat_header(const engine::PathStat& s) {
  Json j = {{"name", s.name}, {"size", s.size}, {"mode", s.mode}, {"mtime", s.mtime},
            {"linkTarget", s.link_target}};
  return str::base64_encode(dump_json(j));
}

}  // namespace

void add_container_file_routes(Router& r, DaemonContext& ctx) {
  engine::Engine& eng = *ctx.engine;

  r.add("HEAD", "/containers/([^/]+)/archive", [&eng](Exchange& ex) {
    if (!ex.has_query("path")) return ex.error(400, "path is required");
    auto st = eng.path_stat(ex.params()[0], ex.query("path"));
    if (!st) return ex.error(st.error());
    ex.set_header("X-Docker-Container-Path-Stat", stat_header(*st));
    ex.reply(200, "");
  });

  r.add("GET", "/containers/([^/]+)/archive", [&eng](Exchange& ex) {
    if (!ex.has_query("path")) return ex.error(400, "path is required");
    auto st = eng.path_stat(ex.params()[0], ex.query("path"));
    if (!st) return ex.error(st.error());
    ex.set_header("X-Docker-Container-Path-Stat", stat_header(*st));
    if (!ex.begin_stream(200, "application/x-tar")) return;
    (void)eng.archive_get(ex.params()[0], ex.query("path"), [&](const char* d, size_t n) {
      return ex.write(std::string_view(d, n));
    });
    ex.end_stream();
  });

  r.add("PUT", "/containers/([^/]+)/archive", [&eng, &ctx](Exchange& ex) {
    if (!ex.has_query("path")) return ex.error(400, "path is required");
    auto c = eng.get(ex.params()[0]);
    if (!c) return ex.error(c.error());
    auto file = spool_body(ex, ctx.data_root);
    if (!file) return ex.error(file.error());
    std::string v = ex.query("copyUIDGID");
    auto put = eng.archive_put(c->id, ex.query("path"), *file, v == "1" || v == "true");
    ::unlink(file->c_str());
    if (!put) return ex.error(put.error());
    ex.reply(200, "");
  });

  r.add("GET", "/containers/([^/]+)/export", [&eng](Exchange& ex) {
    auto c = eng.get(ex.params()[0]);
    if (!c) return ex.error(c.error());
    if (!ex.begin_stream(200, "application/x-tar")) return;
    (void)eng.export_rootfs(c->id, [&](const char* d, size_t n) {
      return ex.write(std::string_view(d, n));
    });
    ex.end_stream();
  });

  r.add("GET", "/containers/([^/]+)/changes", [&eng](Exchange& ex) {
    auto ch = eng.changes(ex.params()[0]);
    if (!ch) return ex.error(ch.error());
    Json out = Json::array();
    for (auto& [kind, path] : *ch) out.push_back({{"Path", path}, {"Kind", kind}});
    ex.reply_json(200, out);
  });
}

}  // namespace berth::api
