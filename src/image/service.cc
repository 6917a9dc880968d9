#include "image/service.h"

#include <fcntl.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <set>

#include "common/fs.h"
#include "common/sqlite.h"
#include "common/strings.h"
#include "common/unique_fd.h"
#include "image/reference.h"

namespace berth::image {

struct ImageService::Impl {
  ServiceOptions opts;
  ContentStore content;
  Snapshots snapshots;
  sql::Db db;
  Impl(ServiceOptions o, sql::Db d)
      : opts(std::move(o)),
        content(opts.root + "/content"),
        snapshots(opts.root + "/snapshots"),
        db(std::move(d)) {}
};

namespace {

constexpr std::string_view kSchema = R"sql(
CREATE TABLE IF NOT EXISTS images(
  id TEXT PRIMARY KEY,          -- config digest
  manifest TEXT NOT NULL,       -- descriptor of the manifest, JSON
  extra_blobs TEXT NOT NULL DEFAULT '',  -- other blobs kept for it (the index it came from)
  added INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS refs(
  name TEXT PRIMARY KEY,        -- normalised reference
  image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,
  kind TEXT NOT NULL);          -- 'tag' or 'digest'
CREATE INDEX IF NOT EXISTS refs_by_image ON refs(image_id);
)sql";

Error no_such_image(std::string_view ref) {
  return Error{Errc::kNotFound, "No such image: " + std::string(ref)};
}

bool is_hex(std::string_view s) {
  return !s.empty() && s.size() <= 64 && s.find_first_not_of("0123456789abcdef") == s.npos;
}

}  // namespace

ImageService::ImageService(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ImageService::~ImageService() = default;

Result<std::unique_ptr<ImageService>> ImageService::open(ServiceOptions opts) {
  opts.root = fs::absolute(opts.root);
  BERTH_TRY(fs::mkdir_all(opts.root, 0711));
  BERTH_ASSIGN_OR_RETURN(sql::Db db, sql::Db::open(opts.root + "/images.db"));
  BERTH_TRY(db.exec(kSchema));
  return std::unique_ptr<ImageService>(
      new ImageService(std::make_unique<Impl>(std::move(opts), std::move(db))));
}

ContentStore& ImageService::content() { return impl_->content; }
Snapshots& ImageService::snapshots() { return impl_->snapshots; }
const ServiceOptions& ImageService::options() const { return impl_->opts; }

Result<std::shared_ptr<void>> ImageService::lock(bool exclusive) {
  std::string path = impl_->opts.root + "/images.lock";
  auto fd = std::make_shared<UniqueFd>(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!*fd) {
    return sys_error(errno, "open `" + path + "`");
  }
  while (::flock(fd->get(), exclusive ? LOCK_EX : LOCK_SH) < 0) {
    if (errno != EINTR) return sys_error(errno, "lock `" + path + "`");
  }
  return std::shared_ptr<void>(fd);
}

std::vector<std::string> ImageService::chain(const Image& image) {
  return chain_ids(image.config.diff_ids);
}

namespace {

Result<Image> load_image(ImageService::Impl& s, const std::string& id) {
  BERTH_ASSIGN_OR_RETURN(auto st, s.db.prepare("SELECT manifest, added FROM images WHERE id=?"));
  st.bind(1, id);
  BERTH_ASSIGN_OR_RETURN(bool row, st.step());
  if (!row) {
    return tl::unexpected(no_such_image(id));
  }
  Image img;
  img.id = id;
  img.added = st.int64(1);
  BERTH_ASSIGN_OR_RETURN(Json mj, parse_json(st.text(0), "image record"));
  BERTH_ASSIGN_OR_RETURN(img.manifest, parse_descriptor(mj, "image record"));
  BERTH_ASSIGN_OR_RETURN(std::string mbytes, s.content.read(img.manifest.digest));
  BERTH_ASSIGN_OR_RETURN(Manifest m, parse_manifest(mbytes, img.manifest.media_type));
  img.layers = m.layers;
  BERTH_ASSIGN_OR_RETURN(std::string cbytes, s.content.read(id));
  BERTH_ASSIGN_OR_RETURN(img.config, parse_config(cbytes));
  for (const auto& c : chain_ids(img.config.diff_ids)) {
    img.size += s.snapshots.size(c);
  }
  BERTH_ASSIGN_OR_RETURN(auto refs,
                         s.db.prepare("SELECT name, kind FROM refs WHERE image_id=? ORDER BY name"));
  refs.bind(1, id);
  for (;;) {
    BERTH_ASSIGN_OR_RETURN(bool r, refs.step());
    if (!r) break;
    (refs.text(1) == "tag" ? img.repo_tags : img.repo_digests).push_back(refs.text(0));
  }
  return img;
}

Result<std::string> resolve_id(ImageService::Impl& s, std::string_view ref) {
  if (ref.starts_with("sha256:")) {
    if (!is_hex(ref.substr(7))) {
      return make_error(Errc::kInvalidArgument, "invalid image ID `" + std::string(ref) + "`");
    }
    ref.remove_prefix(7);
  } else {
    auto parsed = parse_docker_reference(ref);
    if (parsed) {
      BERTH_ASSIGN_OR_RETURN(auto st, s.db.prepare("SELECT image_id FROM refs WHERE name=?"));
      st.bind(1, parsed->string());
      BERTH_ASSIGN_OR_RETURN(bool row, st.step());
      if (row) return st.text(0);
      if (!parsed->digest.empty()) {
        // name@digest also finds an image stored as that manifest under another name.
        BERTH_ASSIGN_OR_RETURN(auto all, s.db.prepare("SELECT id, manifest FROM images"));
        for (;;) {
          BERTH_ASSIGN_OR_RETURN(bool r, all.step());
          if (!r) break;
          if (all.text(1).find(parsed->digest) != std::string::npos) return all.text(0);
        }
      }
    }
    if (!is_hex(ref)) {
      if (!parsed && parsed.error().message.find("64-byte") == std::string::npos) {
        return tl::unexpected(parsed.error());
      }
      if (parsed || ref.size() != 64) return tl::unexpected(no_such_image(ref));
    }
  }
  BERTH_ASSIGN_OR_RETURN(auto st, s.db.prepare("SELECT id FROM images WHERE id >= ? AND id < ?"));
  std::string lo = "sha256:" + std::string(ref);
  st.bind(1, lo).bind(2, lo + "~");
  std::vector<std::string> ids;
  for (;;) {
    BERTH_ASSIGN_OR_RETURN(bool r, st.step());
    if (!r) break;
    ids.push_back(st.text(0));
  }
  if (ids.empty()) return tl::unexpected(no_such_image(ref));
  if (ids.size() > 1) {
    return make_error(Errc::kConflict, "image ID prefix `" + std::string(ref) + "` is ambiguous");
  }
  return ids[0];
}

}  // namespace

Result<Image> ImageService::get(std::string_view ref) {
  BERTH_ASSIGN_OR_RETURN(std::string id, resolve_id(*impl_, ref));
  return load_image(*impl_, id);
}

Result<std::vector<Image>> ImageService::list() {
  BERTH_ASSIGN_OR_RETURN(auto st, impl_->db.prepare("SELECT id FROM images ORDER BY added DESC"));
  std::vector<std::string> ids;
  for (;;) {
    BERTH_ASSIGN_OR_RETURN(bool r, st.step());
    if (!r) break;
    ids.push_back(st.text(0));
  }
  std::vector<Image> out;
  for (auto& id : ids) {
    auto img = load_image(*impl_, id);
    if (img) out.push_back(std::move(*img));
  }
  return out;
}

namespace {

Result<void> set_ref(sql::Db& db, const std::string& name, const std::string& id) {
  BERTH_ASSIGN_OR_RETURN(
      auto st, db.prepare("INSERT INTO refs(name, image_id, kind) VALUES(?,?,?) "
                          "ON CONFLICT(name) DO UPDATE SET image_id=excluded.image_id"));
  st.bind(1, name).bind(2, id).bind(3, name.find('@') != std::string::npos ? "digest" : "tag");
  return st.run();
}

}  // namespace

Result<void> ImageService::tag(std::string_view source, std::string_view target) {
  BERTH_ASSIGN_OR_RETURN(std::string id, resolve_id(*impl_, source));
  BERTH_ASSIGN_OR_RETURN(Reference ref, parse_docker_reference(target));
  if (!ref.digest.empty()) {
    return make_error(Errc::kInvalidArgument,
                      "refusing to create a tag with a digest reference: " + std::string(target));
  }
  return set_ref(impl_->db, ref.string(), id);
}

Result<Image> ImageService::register_manifest(const Descriptor& manifest,
                                              const std::vector<std::string>& names,
                                              Progress* progress) {
  auto& s = *impl_;
  BERTH_ASSIGN_OR_RETURN(std::string mbytes, s.content.read(manifest.digest));
  BERTH_ASSIGN_OR_RETURN(Manifest m, parse_manifest(mbytes, manifest.media_type));
  BERTH_ASSIGN_OR_RETURN(std::string cbytes, s.content.read(m.config.digest));
  BERTH_ASSIGN_OR_RETURN(ImageConfig cfg, parse_config(cbytes));
  if (cfg.diff_ids.size() != m.layers.size()) {
    return make_error(Errc::kInvalidArgument,
                      "image " + m.config.digest + ": " + std::to_string(m.layers.size()) +
                          " layers but " + std::to_string(cfg.diff_ids.size()) + " diff_ids");
  }
  auto chain = chain_ids(cfg.diff_ids);
  for (size_t i = 0; i < m.layers.size(); ++i) {
    if (s.snapshots.has(chain[i])) continue;
    const auto& l = m.layers[i];
    if (!s.content.exists(l.digest)) {
      return make_error(Errc::kNotFound, "layer " + l.digest + ": blob missing");
    }
    if (progress) progress->update({short_id(l.digest), "Extracting", 0, l.size});
    BERTH_TRY(s.snapshots.unpack(chain[i], cfg.diff_ids[i],
                                 file_reader(s.content.blob_path(l.digest))));
    if (progress) progress->update({short_id(l.digest), "Pull complete", 0, 0});
  }
  Descriptor stored = manifest;
  stored.platform.reset();
  BERTH_ASSIGN_OR_RETURN(sql::Tx tx, sql::Tx::begin(s.db));
  BERTH_ASSIGN_OR_RETURN(
      auto st, s.db.prepare("INSERT INTO images(id, manifest, added) VALUES(?,?,?) "
                            "ON CONFLICT(id) DO UPDATE SET manifest=excluded.manifest"));
  st.bind(1, m.config.digest).bind(2, dump_json(to_json(stored))).bind(3, ::time(nullptr));
  BERTH_TRY(st.run());
  for (const auto& n : names) {
    BERTH_TRY(set_ref(s.db, n, m.config.digest));
  }
  BERTH_TRY(tx.commit());
  return load_image(s, m.config.digest);
}

Result<Image> ImageService::create(const Json& config, const std::vector<Descriptor>& layers,
                                   std::string_view name) {
  std::string names;
  std::vector<std::string> refs;
  if (!name.empty()) {
    BERTH_ASSIGN_OR_RETURN(Reference r, parse_docker_reference(name));
    refs.push_back(r.string());
  }
  std::string cbytes = dump_json(config);
  BERTH_ASSIGN_OR_RETURN(std::string cdigest, impl_->content.put(cbytes));
  Json manifest = {{"schemaVersion", 2},
                   {"mediaType", media::kOciManifest},
                   {"config",
                    {{"mediaType", media::kOciConfig},
                     {"digest", cdigest},
                     {"size", static_cast<int64_t>(cbytes.size())}}},
                   {"layers", Json::array()}};
  for (const auto& l : layers) {
    manifest["layers"].push_back(to_json(l));
  }
  std::string mbytes = dump_json(manifest);
  BERTH_ASSIGN_OR_RETURN(std::string mdigest, impl_->content.put(mbytes));
  Descriptor md{std::string(media::kOciManifest), mdigest, static_cast<int64_t>(mbytes.size()),
                std::nullopt, {}, {}};
  return register_manifest(md, refs);
}

namespace {

// Deletes blobs and snapshots that no image (and no writable snapshot) uses. Caller holds
// the exclusive lock. Returns bytes freed.
Result<int64_t> sweep(ImageService::Impl& s) {
  std::set<std::string> blobs, chains;
  BERTH_ASSIGN_OR_RETURN(auto st, s.db.prepare("SELECT id, manifest, extra_blobs FROM images"));
  for (;;) {
    BERTH_ASSIGN_OR_RETURN(bool r, st.step());
    if (!r) break;
    blobs.insert(st.text(0));
    for (auto& b : str::split(st.text(2), '\n')) {
      if (!b.empty()) blobs.insert(b);
    }
    auto mj = parse_json(st.text(1), "image record");
    if (!mj || !mj->contains("digest")) continue;
    std::string md = (*mj)["digest"].get<std::string>();
    blobs.insert(md);
    auto mbytes = s.content.read(md);
    if (!mbytes) continue;
    auto m = parse_manifest(*mbytes, "");
    if (!m) continue;
    for (auto& l : m->layers) blobs.insert(l.digest);
    auto cbytes = s.content.read(m->config.digest);
    if (!cbytes) continue;
    auto cfg = parse_config(*cbytes);
    if (!cfg) continue;
    for (auto& c : chain_ids(cfg->diff_ids)) chains.insert(c);
  }
  for (auto& c : s.snapshots.active_parents()) chains.insert(c);
  int64_t freed = 0;
  BERTH_ASSIGN_OR_RETURN(auto all, s.content.list());
  for (auto& d : all) {
    if (blobs.count(d)) continue;
    freed += s.content.size(d).value_or(0);
    (void)s.content.remove(d);
  }
  for (auto& c : s.snapshots.list()) {
    if (chains.count(c)) continue;
    freed += s.snapshots.size(c);
    (void)s.snapshots.remove(c);
  }
  s.content.clean_ingest(24 * 3600);
  return freed;
}

Result<void> delete_image(sql::Db& db, const std::string& id) {
  BERTH_ASSIGN_OR_RETURN(auto st, db.prepare("DELETE FROM images WHERE id=?"));
  st.bind(1, id);
  return st.run();
}

Result<void> delete_ref(sql::Db& db, const std::string& name) {
  BERTH_ASSIGN_OR_RETURN(auto st, db.prepare("DELETE FROM refs WHERE name=?"));
  st.bind(1, name);
  return st.run();
}

std::string repo_of(const std::string& name) {
  auto at = name.find('@');
  if (at != std::string::npos) return name.substr(0, at);
  auto colon = name.rfind(':');
  auto slash = name.rfind('/');
  return colon != std::string::npos && (slash == std::string::npos || colon > slash)
             ? name.substr(0, colon)
             : name;
}

}  // namespace

Result<std::vector<RemoveAction>> ImageService::remove(
    std::string_view ref, bool force, const std::function<bool(const std::string&)>& in_use) {
  auto& s = *impl_;
  BERTH_ASSIGN_OR_RETURN(auto guard, lock(true));
  BERTH_ASSIGN_OR_RETURN(std::string id, resolve_id(s, ref));
  BERTH_ASSIGN_OR_RETURN(Image img, load_image(s, id));
  std::vector<RemoveAction> out;
  bool by_name = !ref.starts_with("sha256:") && !(is_hex(ref) && [&] {
    auto p = parse_docker_reference(ref);
    return !p || std::find(img.repo_tags.begin(), img.repo_tags.end(), p->string()) ==
                     img.repo_tags.end();
  }());
  bool used = in_use && in_use(id);
  if (by_name) {
    auto p = parse_docker_reference(ref);
    std::string name = p->string();
    size_t names_left = img.repo_tags.size() + img.repo_digests.size();
    // Untag only, when other names keep the image (moby image_delete.go).
    bool other_tags = std::count_if(img.repo_tags.begin(), img.repo_tags.end(),
                                    [&](auto& t) { return t != name; }) > 0;
    if (other_tags || used || names_left == 0) {
      if (used && !other_tags && !force) {
        return make_error(Errc::kConflict, "conflict: unable to remove repository reference \"" +
                                               std::string(ref) + "\" (must force) - image " +
                                               short_id(id) + " is being used by a container");
      }
      BERTH_TRY(delete_ref(s.db, name));
      out.push_back({Reference(*p).familiar_string(), ""});
      return out;
    }
  } else {
    std::set<std::string> repos;
    for (auto& t : img.repo_tags) repos.insert(repo_of(t));
    if (repos.size() > 1 && !force) {
      return make_error(Errc::kConflict, "conflict: unable to delete " + short_id(id) +
                                             " (must be forced) - image is referenced in "
                                             "multiple repositories");
    }
    if (used && !force) {
      return make_error(Errc::kConflict, "conflict: unable to delete " + short_id(id) +
                                             " (must be forced) - image is being used by a "
                                             "container");
    }
  }
  for (auto& names : {img.repo_tags, img.repo_digests}) {
    for (auto& n : names) {
      auto p = parse_reference(n);
      out.push_back({p ? p->familiar_string() : n, ""});
      // A forced removal of an image a container uses takes its names only (moby).
      if (used) BERTH_TRY(delete_ref(s.db, n));
    }
  }
  if (used) return out;
  BERTH_TRY(delete_image(s.db, id));
  out.push_back({"", id});
  BERTH_TRY(sweep(s));
  return out;
}

Result<int64_t> ImageService::collect_garbage() {
  BERTH_ASSIGN_OR_RETURN(auto guard, lock(true));
  return sweep(*impl_);
}

Result<PruneReport> ImageService::prune(bool all,
                                        const std::function<bool(const std::string&)>& keep) {
  auto& s = *impl_;
  BERTH_ASSIGN_OR_RETURN(auto guard, lock(true));
  PruneReport rep;
  BERTH_ASSIGN_OR_RETURN(auto images, list());
  for (auto& img : images) {
    if ((!all && !img.repo_tags.empty()) || (keep && keep(img.id))) continue;
    for (auto& n : img.repo_tags) rep.removed.push_back({n, ""});
    BERTH_TRY(delete_image(s.db, img.id));
    rep.removed.push_back({"", img.id});
  }
  BERTH_ASSIGN_OR_RETURN(rep.reclaimed, sweep(s));
  s.snapshots.clean_temp();
  return rep;
}

Result<DiskUsage> ImageService::disk_usage() {
  DiskUsage du;
  BERTH_ASSIGN_OR_RETURN(auto images, list());
  du.images = static_cast<int64_t>(images.size());
  for (auto& c : impl_->snapshots.list()) du.layers_bytes += impl_->snapshots.size(c);
  BERTH_ASSIGN_OR_RETURN(auto blobs, impl_->content.list());
  for (auto& b : blobs) du.content_bytes += impl_->content.size(b).value_or(0);
  return du;
}

}  // namespace berth::image
