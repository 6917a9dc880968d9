#include "image/archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <map>
#include <memory>
#include <set>

#include "common/digest.h"
#include "common/fs.h"
#include "common/strings.h"
#include "image/reference.h"

namespace berth::image {
namespace {

std::string now_rfc3339() {
  char buf[40];
  time_t t = ::time(nullptr);
  struct tm tm {};
  ::gmtime_r(&t, &tm);
  ::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// Words of a shell-ish instruction argument, honouring "double" and 'single' quotes.
std::vector<std::string> words(std::string_view s) {
  std::vector<std::string> out;
  std::string cur;
  bool in_word = false;
  char quote = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (quote) {
      if (c == quote) quote = 0;
      else if (c == '\\' && quote == '"' && i + 1 < s.size()) cur += s[++i];
      else cur += c;
    } else if (c == '"' || c == '\'') {
      quote = c;
      in_word = true;
    } else if (c == ' ' || c == '\t') {
      if (in_word) out.push_back(cur);
      cur.clear();
      in_word = false;
    } else {
      if (c == '\\' && i + 1 < s.size()) c = s[++i];
      cur += c;
      in_word = true;
    }
  }
  if (in_word) out.push_back(cur);
  return out;
}

Result<Json> command_form(std::string_view rest) {
  if (rest.starts_with("[")) {
    auto j = parse_json(rest, "instruction");
    if (j && j->is_array() && std::all_of(j->begin(), j->end(), [](auto& v) { return v.is_string(); })) {
      return *j;
    }
  }
  return Json::array({"/bin/sh", "-c", std::string(rest)});
}

// "k=v k2=v2" or "k v" (ENV and LABEL's two forms).
std::vector<std::pair<std::string, std::string>> key_values(std::string_view rest) {
  std::vector<std::pair<std::string, std::string>> out;
  auto first_space = rest.find_first_of(" \t");
  auto first_eq = rest.find('=');
  if (first_eq == std::string_view::npos || (first_space != std::string_view::npos &&
                                             first_space < first_eq)) {
    std::string key(rest.substr(0, first_space));
    std::string val = first_space == std::string_view::npos
                          ? ""
                          : std::string(str::trim(rest.substr(first_space)));
    out.emplace_back(key, val);
    return out;
  }
  for (auto& w : words(rest)) {
    auto eq = w.find('=');
    out.emplace_back(w.substr(0, eq), eq == std::string::npos ? "" : w.substr(eq + 1));
  }
  return out;
}

}  // namespace

Result<void> apply_change(Json& cfg, std::string_view change) {
  change = str::trim(change);
  auto sp = change.find_first_of(" \t");
  std::string kw(change.substr(0, sp));
  for (char& c : kw) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  std::string_view rest = sp == std::string_view::npos ? "" : str::trim(change.substr(sp));
  if (!cfg.is_object()) cfg = Json::object();
  auto need = [&](bool ok) -> Result<void> {
    if (ok) return {};
    return make_error(Errc::kInvalidArgument, kw + " requires at least one argument");
  };
  if (kw == "CMD" || kw == "ENTRYPOINT") {
    BERTH_TRY(need(!rest.empty()));
    BERTH_ASSIGN_OR_RETURN(cfg[kw == "CMD" ? "Cmd" : "Entrypoint"], command_form(rest));
  } else if (kw == "ENV" || kw == "LABEL") {
    BERTH_TRY(need(!rest.empty()));
    for (auto& [k, v] : key_values(rest)) {
      if (k.empty()) {
        return make_error(Errc::kInvalidArgument, kw + " names must not be empty");
      }
      if (kw == "LABEL") {
        cfg["Labels"][k] = v;
        continue;
      }
      Json env = cfg.value("Env", Json::array());
      bool replaced = false;
      for (auto& e : env) {
        std::string s = e.get<std::string>();
        if (s.substr(0, s.find('=')) == k) {
          e = k + "=" + v;
          replaced = true;
        }
      }
      if (!replaced) env.push_back(k + "=" + v);
      cfg["Env"] = env;
    }
  } else if (kw == "EXPOSE") {
    BERTH_TRY(need(!rest.empty()));
    for (auto& p : words(rest)) {
      std::string port = p.find('/') == std::string::npos ? p + "/tcp" : p;
      auto num = port.substr(0, port.find('/'));
      auto dash = num.find('-');
      if (!str::parse_uint(num.substr(0, dash)) ||
          (dash != std::string::npos && !str::parse_uint(num.substr(dash + 1)))) {
        return make_error(Errc::kInvalidArgument, "invalid containerPort: " + num);
      }
      cfg["ExposedPorts"][port] = Json::object();
    }
  } else if (kw == "USER" || kw == "WORKDIR" || kw == "STOPSIGNAL") {
    BERTH_TRY(need(!rest.empty()));
    cfg[kw == "USER" ? "User" : kw == "WORKDIR" ? "WorkingDir" : "StopSignal"] = std::string(rest);
  } else if (kw == "VOLUME") {
    BERTH_TRY(need(!rest.empty()));
    auto j = rest.starts_with("[") ? parse_json(rest, "VOLUME") : Result<Json>(Json());
    std::vector<std::string> vols;
    if (j && j->is_array()) {
      for (auto& v : *j) vols.push_back(v.get<std::string>());
    } else {
      vols = words(rest);
    }
    for (auto& v : vols) cfg["Volumes"][v] = Json::object();
  } else if (kw == "ONBUILD") {
    BERTH_TRY(need(!rest.empty()));
    cfg["OnBuild"].push_back(std::string(rest));
  } else {
    return make_error(Errc::kInvalidArgument, kw.empty() ? "empty --change instruction"
                                                         : kw + " is not a valid change command");
  }
  return {};
}

Result<Image> import_rootfs(ImageService& images, const ReadFn& read, std::string_view name,
                            const ImportOptions& opts) {
  Json container_config = Json::object();
  for (auto& c : opts.changes) {
    BERTH_TRY(apply_change(container_config, c));
  }
  if (!name.empty()) {
    BERTH_TRY(parse_docker_reference(name));
  }
  BERTH_ASSIGN_OR_RETURN(auto lock, images.lock(false));
  BERTH_ASSIGN_OR_RETURN(auto writer, images.content().writer("", -1));
  BERTH_ASSIGN_OR_RETURN(std::string diff_id, decompress(read, [&](const char* d, size_t n) {
                           return writer->write(d, n);
                         }));
  int64_t size = writer->offset();
  // Unpacked before the blob becomes visible: input that is not a tar leaves nothing behind.
  if (!images.snapshots().has(diff_id)) {
    auto unpacked = images.snapshots().unpack(diff_id, diff_id, file_reader(writer->path()));
    if (!unpacked) return tl::unexpected(wrap(unpacked.error(), "import " + opts.source));
  }
  BERTH_ASSIGN_OR_RETURN(std::string digest, writer->commit());
  std::string created = now_rfc3339();
  Json config = {
      {"architecture", opts.platform.architecture},
      {"os", opts.platform.os},
      {"created", created},
      {"config", container_config},
      {"rootfs", {{"type", "layers"}, {"diff_ids", Json::array({diff_id})}}},
      {"history",
       Json::array({{{"created", created},
                     {"comment", opts.message.empty() ? "Imported from " + opts.source
                                                      : opts.message}}})}};
  if (!opts.platform.variant.empty()) config["variant"] = opts.platform.variant;
  Descriptor layer{std::string(media::kOciLayer), digest, size, std::nullopt, {}, {}};
  return images.create(config, {layer}, name);
}

// ---- save -----------------------------------------------------------------------------

namespace {

struct ArchiveWriter {
  std::unique_ptr<archive, int (*)(archive*)> a{archive_write_new(), archive_write_free};
  const WriteFn* write;
  std::optional<Error> error;

  static la_ssize_t cb(archive*, void* ctx, const void* buf, size_t len) {
    auto* w = static_cast<ArchiveWriter*>(ctx);
    auto r = (*w->write)(static_cast<const char*>(buf), len);
    if (!r) {
      w->error = r.error();
      return -1;
    }
    return static_cast<la_ssize_t>(len);
  }

  Result<void> open() {
    archive_write_set_format_pax_restricted(a.get());
    archive_write_add_filter_none(a.get());
    archive_write_set_bytes_in_last_block(a.get(), 1);
    if (archive_write_open(a.get(), this, nullptr, cb, nullptr) != ARCHIVE_OK) {
      return make_error(Errc::kInternal, "open archive writer");
    }
    return {};
  }

  Result<void> fail(const std::string& what) {
    if (error) return tl::unexpected(*error);
    const char* msg = archive_error_string(a.get());
    return make_error(Errc::kInternal, what + ": " + (msg ? msg : "failed"));
  }

  Result<void> header(const std::string& name, mode_t type, int64_t size) {
    std::unique_ptr<archive_entry, void (*)(archive_entry*)> e(archive_entry_new(),
                                                                 archive_entry_free);
    archive_entry_set_pathname(e.get(), name.c_str());
    archive_entry_set_filetype(e.get(), type);
    archive_entry_set_perm(e.get(), type == AE_IFDIR ? 0755 : 0644);
    archive_entry_set_size(e.get(), size);
    archive_entry_set_mtime(e.get(), 0, 0);
    if (archive_write_header(a.get(), e.get()) < ARCHIVE_WARN) return fail("write " + name);
    return {};
  }

  Result<void> dir(const std::string& name) { return header(name, AE_IFDIR, 0); }

  Result<void> file(const std::string& name, std::string_view data) {
    BERTH_TRY(header(name, AE_IFREG, static_cast<int64_t>(data.size())));
    if (!data.empty() && archive_write_data(a.get(), data.data(), data.size()) < 0) {
      return fail("write " + name);
    }
    return {};
  }

  Result<void> file_from(const std::string& name, const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) < 0) return sys_error(errno, "stat `" + path + "`");
    BERTH_TRY(header(name, AE_IFREG, st.st_size));
    ReadFn r = file_reader(path);
    std::string buf(1 << 20, '\0');
    for (;;) {
      BERTH_ASSIGN_OR_RETURN(size_t n, r(buf.data(), buf.size()));
      if (n == 0) break;
      if (archive_write_data(a.get(), buf.data(), n) < 0) return fail("write " + name);
    }
    return {};
  }

  Result<void> close() {
    if (archive_write_close(a.get()) != ARCHIVE_OK) return fail("finish archive");
    return {};
  }
};

std::string blob_name(const std::string& digest) {
  return "blobs/sha256/" + std::string(digest_hex(digest));
}

// The index.json entry of an image: its manifest, named as containerd and docker 25 do.
Json index_entry(const Image& img, const std::string& tag_ref) {
  Json d = to_json(img.manifest);
  if (!tag_ref.empty()) {
    auto r = parse_reference(tag_ref);
    d["annotations"] = {{"io.containerd.image.name", tag_ref},
                        {"org.opencontainers.image.ref.name", r ? r->tag : tag_ref}};
  }
  return d;
}

}  // namespace

Result<void> save(ImageService& images, const std::vector<std::string>& refs,
                  const WriteFn& write) {
  std::vector<std::pair<Image, std::vector<std::string>>> picked;
  for (auto& r : refs) {
    BERTH_ASSIGN_OR_RETURN(Image img, images.get(r));
    std::vector<std::string> tags;
    auto parsed = parse_docker_reference(r);
    if (parsed && parsed->digest.empty() &&
        std::find(img.repo_tags.begin(), img.repo_tags.end(), parsed->string()) !=
            img.repo_tags.end()) {
      tags.push_back(parsed->string());
    } else if (!parsed || r.find(':') == std::string::npos) {
      tags = img.repo_tags;  // by ID or by repository: every tag (docker save)
    }
    picked.emplace_back(std::move(img), std::move(tags));
  }
  ArchiveWriter w;
  w.write = &write;
  BERTH_TRY(w.open());
  BERTH_TRY(w.dir("blobs/"));
  BERTH_TRY(w.dir("blobs/sha256/"));
  std::set<std::string> written;
  Json manifest_json = Json::array();
  Json index = {{"schemaVersion", 2}, {"mediaType", media::kOciIndex}, {"manifests", Json::array()}};
  Json repositories = Json::object();
  for (auto& [img, tags] : picked) {
    std::vector<std::string> blobs = {img.manifest.digest, img.id};
    for (auto& l : img.layers) blobs.push_back(l.digest);
    for (auto& b : blobs) {
      if (written.insert(b).second) {
        BERTH_TRY(w.file_from(blob_name(b), images.content().blob_path(b)));
      }
    }
    Json entry = {{"Config", blob_name(img.id)}, {"RepoTags", Json::array()},
                  {"Layers", Json::array()}};
    for (auto& l : img.layers) entry["Layers"].push_back(blob_name(l.digest));
    for (auto& t : tags) {
      auto r = parse_reference(t);
      if (!r) continue;
      entry["RepoTags"].push_back(r->familiar_string());
      if (!img.layers.empty()) {
        repositories[r->familiar_name()][r->tag] = std::string(digest_hex(img.layers.back().digest));
      }
      index["manifests"].push_back(index_entry(img, t));
    }
    if (tags.empty()) index["manifests"].push_back(index_entry(img, ""));
    manifest_json.push_back(entry);
  }
  BERTH_TRY(w.file("index.json", dump_json(index)));
  BERTH_TRY(w.file("manifest.json", dump_json(manifest_json)));
  BERTH_TRY(w.file("oci-layout", R"({"imageLayoutVersion":"1.0.0"})"));
  if (!repositories.empty()) BERTH_TRY(w.file("repositories", dump_json(repositories)));
  return w.close();
}

Result<void> save_oci_layout(ImageService& images, const std::vector<std::string>& refs,
                             const std::string& dir) {
  BERTH_TRY(fs::mkdir_all(dir + "/blobs/sha256", 0755));
  Json index = {{"schemaVersion", 2}, {"mediaType", media::kOciIndex}, {"manifests", Json::array()}};
  if (auto text = fs::read_file(dir + "/index.json")) {
    BERTH_ASSIGN_OR_RETURN(index, parse_json(*text, dir + "/index.json"));
  }
  for (auto& r : refs) {
    BERTH_ASSIGN_OR_RETURN(Image img, images.get(r));
    std::vector<std::string> blobs = {img.manifest.digest, img.id};
    for (auto& l : img.layers) blobs.push_back(l.digest);
    for (auto& b : blobs) {
      std::string dst = dir + "/" + blob_name(b);
      if (fs::exists(dst)) continue;
      std::string src = images.content().blob_path(b);
      if (::link(src.c_str(), dst.c_str()) < 0) {
        BERTH_ASSIGN_OR_RETURN(std::string data, fs::read_file(src));
        BERTH_TRY(fs::atomic_write(dst, data));
      }
    }
    auto parsed = parse_docker_reference(r);
    std::string tag = parsed && parsed->digest.empty() ? parsed->string() : "";
    Json entry = index_entry(img, tag);
    auto& ms = index["manifests"];
    for (auto it = ms.begin(); it != ms.end();) {
      bool same_name = !tag.empty() && it->contains("annotations") &&
                       (*it)["annotations"].value("io.containerd.image.name", "") == tag;
      it = same_name ? ms.erase(it) : it + 1;
    }
    ms.push_back(entry);
  }
  BERTH_TRY(fs::atomic_write(dir + "/oci-layout", R"({"imageLayoutVersion":"1.0.0"})"));
  return fs::atomic_write(dir + "/index.json", dump_json(index));
}

// ---- load -----------------------------------------------------------------------------

namespace {

// Media type of a layer file from its first bytes.
std::string layer_media_type(const std::string& path) {
  unsigned char magic[4] = {};
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd) (void)!::read(fd.get(), magic, sizeof magic);
  if (magic[0] == 0x1f && magic[1] == 0x8b) return std::string(media::kOciLayerGzip);
  if (magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f && magic[3] == 0xfd) {
    return std::string(media::kOciLayerZstd);
  }
  return std::string(media::kOciLayer);
}

// A file of the unpacked archive into the content store; returns its descriptor.
Result<Descriptor> ingest_file(ImageService& images, const std::string& path,
                               const std::string& media_type) {
  BERTH_ASSIGN_OR_RETURN(auto w, images.content().writer("", -1));
  ReadFn r = file_reader(path);
  std::string buf(1 << 20, '\0');
  for (;;) {
    BERTH_ASSIGN_OR_RETURN(size_t n, r(buf.data(), buf.size()));
    if (n == 0) break;
    BERTH_TRY(w->write(buf.data(), n));
  }
  int64_t size = w->offset();
  BERTH_ASSIGN_OR_RETURN(std::string digest, w->commit());
  return Descriptor{media_type, digest, size, std::nullopt, {}, {}};
}

// A path inside the unpacked archive, refusing ones that leave it.
Result<std::string> inside(const std::string& dir, const std::string& rel) {
  if (rel.empty() || rel[0] == '/' || rel.find("..") != std::string::npos) {
    return make_error(Errc::kInvalidArgument, "archive path `" + rel + "` is not allowed");
  }
  return dir + "/" + rel;
}

Result<std::vector<std::string>> load_docker_archive(ImageService& images, const std::string& dir,
                                                     Progress* progress) {
  BERTH_ASSIGN_OR_RETURN(std::string text, fs::read_file(dir + "/manifest.json"));
  BERTH_ASSIGN_OR_RETURN(Json mj, parse_json(text, "manifest.json"));
  if (!mj.is_array()) {
    return make_error(Errc::kInvalidArgument, "manifest.json: not an array");
  }
  std::vector<std::string> loaded;
  for (auto& entry : mj) {
    if (!entry.is_object() || !entry.contains("Config") || !entry["Config"].is_string() ||
        !entry.contains("Layers") || !entry["Layers"].is_array()) {
      return make_error(Errc::kInvalidArgument, "manifest.json: entry needs Config and Layers");
    }
    BERTH_ASSIGN_OR_RETURN(std::string cpath, inside(dir, entry["Config"].get<std::string>()));
    BERTH_ASSIGN_OR_RETURN(std::string cbytes, fs::read_file(cpath));
    BERTH_ASSIGN_OR_RETURN(ImageConfig cfg, parse_config(cbytes));
    if (cfg.diff_ids.size() != entry["Layers"].size()) {
      return make_error(Errc::kInvalidArgument, "manifest.json: layer count does not match "
                                                "the config's diff_ids");
    }
    std::vector<Descriptor> layers;
    for (auto& l : entry["Layers"]) {
      BERTH_ASSIGN_OR_RETURN(std::string lpath, inside(dir, l.get<std::string>()));
      BERTH_ASSIGN_OR_RETURN(Descriptor d, ingest_file(images, lpath, layer_media_type(lpath)));
      if (progress) progress->update({short_id(d.digest), "Loading layer", d.size, d.size});
      layers.push_back(d);
    }
    std::string name;
    std::vector<std::string> tags;
    if (auto t = entry.find("RepoTags"); t != entry.end() && t->is_array()) {
      for (auto& v : *t) {
        if (v.is_string()) tags.push_back(v.get<std::string>());
      }
    }
    // The config keeps docker's bytes, so the image ID is the one docker showed.
    BERTH_ASSIGN_OR_RETURN(std::string cdigest, images.content().put(cbytes));
    Json manifest = {{"schemaVersion", 2}, {"mediaType", media::kOciManifest},
                     {"config", {{"mediaType", media::kOciConfig}, {"digest", cdigest},
                                 {"size", static_cast<int64_t>(cbytes.size())}}},
                     {"layers", Json::array()}};
    for (auto& l : layers) manifest["layers"].push_back(to_json(l));
    std::string mbytes = dump_json(manifest);
    BERTH_ASSIGN_OR_RETURN(std::string mdigest, images.content().put(mbytes));
    std::vector<std::string> names;
    for (auto& t : tags) {
      BERTH_ASSIGN_OR_RETURN(Reference r, parse_docker_reference(t));
      names.push_back(r.string());
    }
    BERTH_ASSIGN_OR_RETURN(
        Image img, images.register_manifest({std::string(media::kOciManifest), mdigest,
                                             static_cast<int64_t>(mbytes.size()), std::nullopt,
                                             {}, {}},
                                            names, progress));
    if (tags.empty()) loaded.push_back(img.id);
    for (auto& t : tags) loaded.push_back(t);
  }
  return loaded;
}

Result<void> copy_blob(ImageService& images, const std::string& dir, const Descriptor& d) {
  if (images.content().exists(d.digest)) return {};
  BERTH_ASSIGN_OR_RETURN(auto w, images.content().writer(d.digest, d.size));
  if (w->offset() != 0) BERTH_TRY(w->restart());
  ReadFn r = file_reader(dir + "/" + blob_name(d.digest));
  std::string buf(1 << 20, '\0');
  for (;;) {
    BERTH_ASSIGN_OR_RETURN(size_t n, r(buf.data(), buf.size()));
    if (n == 0) break;
    BERTH_TRY(w->write(buf.data(), n));
  }
  return w->commit().map([](auto&&) {});
}

Result<std::vector<std::string>> load_oci(ImageService& images, const std::string& dir,
                                          Progress* progress) {
  BERTH_ASSIGN_OR_RETURN(std::string text, fs::read_file(dir + "/index.json"));
  BERTH_ASSIGN_OR_RETURN(Index idx, parse_index(text, media::kOciIndex));
  std::vector<std::string> loaded;
  for (auto d : idx.manifests) {
    std::string name;
    if (auto a = d.annotations.find("io.containerd.image.name"); a != d.annotations.end()) {
      name = a->second;
    } else if (auto b = d.annotations.find("org.opencontainers.image.ref.name");
               b != d.annotations.end() &&
               b->second.find_first_of("/:") != std::string::npos) {
      name = b->second;
    }
    BERTH_TRY(copy_blob(images, dir, d));
    if (media::is_index(d.media_type)) {
      BERTH_ASSIGN_OR_RETURN(std::string ib, images.content().read(d.digest));
      BERTH_ASSIGN_OR_RETURN(Index inner, parse_index(ib, d.media_type));
      BERTH_ASSIGN_OR_RETURN(d, select_platform(inner, host_platform()));
      BERTH_TRY(copy_blob(images, dir, d));
    }
    BERTH_ASSIGN_OR_RETURN(std::string mb, images.content().read(d.digest));
    BERTH_ASSIGN_OR_RETURN(Manifest m, parse_manifest(mb, d.media_type));
    BERTH_TRY(copy_blob(images, dir, m.config));
    for (auto& l : m.layers) {
      BERTH_TRY(copy_blob(images, dir, l));
      if (progress) progress->update({short_id(l.digest), "Loading layer", l.size, l.size});
    }
    std::vector<std::string> names;
    if (!name.empty()) {
      BERTH_ASSIGN_OR_RETURN(Reference r, parse_docker_reference(name));
      names.push_back(r.string());
    }
    BERTH_ASSIGN_OR_RETURN(Image img, images.register_manifest(d, names, progress));
    loaded.push_back(name.empty() ? img.id : name);
  }
  return loaded;
}

}  // namespace

Result<std::vector<std::string>> load_dir(ImageService& images, const std::string& dir,
                                          Progress* progress) {
  Result<std::vector<std::string>> r;
  {
    BERTH_ASSIGN_OR_RETURN(auto lock, images.lock(false));
    if (fs::exists(dir + "/manifest.json")) {
      r = load_docker_archive(images, dir, progress);
    } else if (fs::exists(dir + "/index.json")) {
      r = load_oci(images, dir, progress);
    } else {
      return make_error(Errc::kInvalidArgument,
                        "not a docker archive or OCI layout: no manifest.json or index.json");
    }
  }
  if (!r) {
    (void)images.collect_garbage();  // blobs of the images that did not load
  }
  return r;
}

Result<std::vector<std::string>> load(ImageService& images, const ReadFn& read,
                                      Progress* progress) {
  std::string tmp_root = images.options().root + "/tmp";
  BERTH_TRY(fs::mkdir_all(tmp_root, 0700));
  std::string tmp = tmp_root + "/load-XXXXXX";
  if (!::mkdtemp(tmp.data())) return sys_error(errno, "create `" + tmp + "`");
  auto drop = [&] { (void)fs::remove_all(tmp); };
  auto unpacked = unpack_layer(read, tmp, UnpackOptions{false, false});
  if (!unpacked) {
    drop();
    return tl::unexpected(wrap(unpacked.error(), "load"));
  }
  auto r = load_dir(images, tmp, progress);
  drop();
  return r;
}

}  // namespace berth::image
