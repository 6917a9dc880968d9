// /images/...: the image endpoints of the Engine API over the image service.
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <mutex>

#include "api/docker/routes.h"
#include "common/fs.h"
#include "common/strings.h"
#include "image/archive.h"
#include "image/distribution.h"
#include "image/docker_json.h"
#include "image/filters.h"
#include "image/reference.h"

namespace berth::api {
namespace {

using image::Image;

// Progress as docker's JSON message stream (moby pkg/jsonmessage), one object per line.
class StreamProgress : public image::Progress {
 public:
  explicit StreamProgress(Exchange& ex) : ex_(ex) {}
  void update(const image::ProgressEvent& e) override {
    Json j = {{"status", e.status}};
    if (!e.id.empty()) j["id"] = e.id;
    if (e.total > 0 || e.current > 0) {
      j["progressDetail"] = {{"current", e.current}, {"total", e.total}};
    } else {
      j["progressDetail"] = Json::object();
    }
    std::lock_guard<std::mutex> l(mu_);
    (void)ex_.write(dump_json(j) + "\r\n");
  }
  void fail(const Error& e) {
    std::lock_guard<std::mutex> l(mu_);
    (void)ex_.write(dump_json(Json{{"errorDetail", {{"message", e.message}}},
                                   {"error", e.message}}) +
                    "\r\n");
  }

 private:
  Exchange& ex_;
  std::mutex mu_;
};

// X-Registry-Auth: base64url of {"username","password","identitytoken","serveraddress"}.
std::optional<image::Credentials> registry_auth(const Exchange& ex) {
  std::string h = ex.header("X-Registry-Auth");
  if (h.empty()) return std::nullopt;
  auto raw = str::base64_decode(h);
  if (!raw) return std::nullopt;
  auto j = parse_json(*raw, "X-Registry-Auth");
  if (!j || !j->is_object()) return std::nullopt;
  image::Credentials c;
  c.username = j->value("username", "");
  c.password = j->value("password", "");
  if (std::string t = j->value("identitytoken", ""); !t.empty()) {
    c.username = "<token>";
    c.password = t;
  }
  if (c.username.empty()) return std::nullopt;
  return c;
}

}  // namespace

void add_image_routes(Router& r, DaemonContext& ctx) {
  image::ImageService& svc = *ctx.images;

  r.add("GET", "/images/json", [&svc](Exchange& ex) {
    auto filters = image::parse_filters_json(ex.query("filters"));
    if (!filters) return ex.error(filters.error());
    auto images = svc.list();
    if (!images) return ex.error(images.error());
    Json out = Json::array();
    for (auto& img : *images) {
      auto ok = image::matches(img, *filters);
      if (!ok) return ex.error(ok.error());
      if (*ok) out.push_back(image::summary_json(img));
    }
    ex.reply_json(200, out);
  });

  r.add("GET", "/images/(.+)/json", [&svc](Exchange& ex) {
    auto img = svc.get(ex.params()[0]);
    if (!img) return ex.error(img.error());
    ex.reply_json(200, image::inspect_json(*img));
  });

  r.add("GET", "/images/(.+)/history", [&svc](Exchange& ex) {
    auto img = svc.get(ex.params()[0]);
    if (!img) return ex.error(img.error());
    ex.reply_json(200, image::history_json(svc, *img));
  });

  r.add("POST", "/images/create", [&svc, &ctx](Exchange& ex) {
    std::string from_image = ex.query("fromImage"), from_src = ex.query("fromSrc");
    if (!from_src.empty()) {
      // docker import: the body (fromSrc=-) or nothing else (URLs are not fetched).
      if (from_src != "-") {
        return ex.error(501, "import from a URL is not supported; use fromSrc=-");
      }
      std::string name = ex.query("repo");
      if (!name.empty() && !ex.query("tag").empty()) name += ":" + ex.query("tag");
      auto body = spool_body(ex, ctx.data_root);
      if (!body) return ex.error(body.error());
      image::ImportOptions o;
      o.changes = ex.query_all("changes");
      o.message = ex.query("message");
      auto img = image::import_rootfs(svc, image::file_reader(*body), name, o);
      ::unlink(body->c_str());
      if (!img) return ex.error(img.error());
      ctx.engine->emit("image", "import", img->id, {{"name", name}});
      if (!ex.begin_stream(200, "application/json")) return;
      (void)ex.write(dump_json(Json{{"status", img->id}}) + "\r\n");
      return ex.end_stream();
    }
    if (from_image.empty()) return ex.error(400, "fromImage or fromSrc is required");
    std::string tag = ex.query("tag");
    std::string ref = from_image;
    if (!tag.empty()) ref += (tag.find(':') != std::string::npos ? "@" : ":") + tag;
    auto parsed = image::parse_docker_reference(ref);
    if (!parsed) return ex.error(parsed.error());
    image::PullOptions o;
    if (std::string plat = ex.query("platform"); !plat.empty()) {
      auto p = image::parse_platform(plat);
      if (!p) return ex.error(p.error());
      o.platform = *p;
    }
    o.credentials = registry_auth(ex);
    // The manifest is fetched before answering, so "not found" and auth errors get their
    // status codes (docker shows them as `Error response from daemon`).
    if (!ex.begin_stream(200, "application/json")) return;
    StreamProgress progress(ex);
    o.progress = &progress;
    auto img = image::pull(svc, ref, o);
    if (!img) progress.fail(img.error());
    if (img) ctx.engine->emit("image", "pull", ref, {{"name", ref}});
    ex.end_stream();
  });

  r.add("POST", "/images/(.+)/push", [&svc](Exchange& ex) {
    std::string ref = ex.params()[0];
    if (std::string tag = ex.query("tag"); !tag.empty()) ref += ":" + tag;
    if (!svc.get(ref)) return ex.error(404, "An image does not exist locally with the tag: " + ref);
    image::PushOptions o;
    o.credentials = registry_auth(ex);
    if (!ex.begin_stream(200, "application/json")) return;
    StreamProgress progress(ex);
    o.progress = &progress;
    auto d = image::push(svc, ref, o);
    if (!d) progress.fail(d.error());
    ex.end_stream();
  });

  r.add("POST", "/images/(.+)/tag", [&svc, &ctx](Exchange& ex) {
    std::string target = ex.query("repo");
    if (target.empty()) return ex.error(400, "repository name must have at least one component");
    if (std::string tag = ex.query("tag"); !tag.empty()) target += ":" + tag;
    auto t = svc.tag(ex.params()[0], target);
    if (!t) return ex.error(t.error());
    if (auto img = svc.get(target)) ctx.engine->emit("image", "tag", img->id, {{"name", target}});
    ex.reply(201, "");
  });

  r.add("DELETE", "/images/(.+)", [&svc, &ctx](Exchange& ex) {
    bool force = ex.query("force") == "1" || ex.query("force") == "true";
    // An image a container uses stays (docker's 409), names aside with force.
    auto done = svc.remove(ex.params()[0], force,
                           [&](const std::string& id) { return ctx.engine->image_in_use(id); });
    if (!done) return ex.error(done.error());
    Json out = Json::array();
    for (auto& a : *done) {
      if (!a.untagged.empty()) out.push_back({{"Untagged", a.untagged}});
      if (!a.deleted.empty()) out.push_back({{"Deleted", a.deleted}});
      if (!a.untagged.empty()) ctx.engine->emit("image", "untag", a.untagged, {{"name", a.untagged}});
      if (!a.deleted.empty()) ctx.engine->emit("image", "delete", a.deleted, {{"name", a.deleted}});
    }
    ex.reply_json(200, out);
  });

  auto save = [&svc](Exchange& ex, std::vector<std::string> names) {
    for (auto& n : names) {
      if (auto img = svc.get(n); !img) return ex.error(img.error());
    }
    if (!ex.begin_stream(200, "application/x-tar")) return;
    (void)image::save(svc, names, [&](const char* d, size_t n) { return ex.write({d, n}); });
    ex.end_stream();
  };
  r.add("GET", "/images/get", [save](Exchange& ex) { save(ex, ex.query_all("names")); });
  r.add("GET", "/images/(.+)/get", [save](Exchange& ex) { save(ex, {ex.params()[0]}); });

  r.add("POST", "/images/load", [&svc, &ctx](Exchange& ex) {
    auto body = spool_body(ex, ctx.data_root);
    if (!body) return ex.error(body.error());
    auto loaded = image::load(svc, image::file_reader(*body));
    ::unlink(body->c_str());
    if (!loaded) return ex.error(loaded.error());
    if (!ex.begin_stream(200, "application/json")) return;
    for (auto& n : *loaded) {
      std::string line;
      if (n.starts_with("sha256:")) {
        line = "Loaded image ID: " + n;
      } else {
        auto p = image::parse_reference(n);
        line = "Loaded image: " + (p ? p->familiar_string() : n);
      }
      (void)ex.write(dump_json(Json{{"stream", line + "\n"}}) + "\r\n");
    }
    ex.end_stream();
  });

  r.add("POST", "/images/prune", [&svc](Exchange& ex) {
    auto filters = image::parse_filters_json(ex.query("filters"));
    if (!filters) return ex.error(filters.error());
    bool all = false;
    for (auto& v : (*filters)["dangling"]) all = all || v == "false" || v == "0";
    auto rep = svc.prune(all, nullptr);
    if (!rep) return ex.error(rep.error());
    Json deleted = Json::array();
    for (auto& a : rep->removed) {
      if (!a.untagged.empty()) deleted.push_back({{"Untagged", a.untagged}});
      if (!a.deleted.empty()) deleted.push_back({{"Deleted", a.deleted}});
    }
    ex.reply_json(200, {{"ImagesDeleted", deleted}, {"SpaceReclaimed", rep->reclaimed}});
  });
}

}  // namespace berth::api
