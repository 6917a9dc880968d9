#include "image/oci.h"

#include <sys/utsname.h>

#include "common/digest.h"
#include "common/strings.h"

namespace berth::image {

namespace media {
bool is_index(std::string_view m) { return m == kOciIndex || m == kDockerManifestList; }
bool is_manifest(std::string_view m) { return m == kOciManifest || m == kDockerManifest; }
bool is_layer(std::string_view m) {
  return m == kOciLayer || m == kOciLayerGzip || m == kOciLayerZstd || m == kDockerLayerGzip ||
         m == kDockerForeignLayer || m == "application/vnd.docker.image.rootfs.diff.tar" ||
         m == "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip";
}
}  // namespace media

namespace {

// containerd platforms.Normalize: the names the Go toolchain uses.
std::pair<std::string, std::string> normalize_arch(std::string arch, std::string variant) {
  if (arch == "x86_64" || arch == "x86-64" || arch == "amd64") {
    return {"amd64", variant == "v1" ? "" : variant};
  }
  if (arch == "aarch64" || arch == "arm64") {
    return {"arm64", variant == "8" || variant == "v8" ? "" : variant};
  }
  if (arch == "armhf") {
    return {"arm", "v7"};
  }
  if (arch == "armel") {
    return {"arm", "v6"};
  }
  if (arch == "i386" || arch == "i686") {
    return {"386", variant};
  }
  return {arch, variant};
}

Result<std::string> get_string(const Json& j, const char* key, std::string_view what,
                               bool required) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) {
    if (required) {
      return make_error(Errc::kInvalidArgument, std::string(what) + ": `" + key + "` is missing");
    }
    return std::string();
  }
  if (!it->is_string()) {
    return make_error(Errc::kInvalidArgument,
                      std::string(what) + ": `" + key + "` must be a string");
  }
  return it->get<std::string>();
}

}  // namespace

Platform host_platform() {
  struct utsname u {};
  ::uname(&u);
  auto [arch, variant] = normalize_arch(u.machine, "");
  return Platform{"linux", arch, variant};
}

Result<Platform> parse_platform(std::string_view s) {
  auto parts = str::split(s, '/');
  if (parts.size() < 2 || parts.size() > 3 || parts[0].empty() || parts[1].empty()) {
    return make_error(Errc::kInvalidArgument,
                      "platform `" + std::string(s) + "`: expected os/arch[/variant]");
  }
  for (auto& p : parts) p = str::to_lower(p);
  auto [arch, variant] = normalize_arch(parts[1], parts.size() == 3 ? parts[2] : "");
  return Platform{parts[0], arch, variant};
}

std::string to_string(const Platform& p) {
  return p.os + "/" + p.architecture + (p.variant.empty() ? "" : "/" + p.variant);
}

bool platform_matches(const Platform& want, const Platform& have) {
  auto [wa, wv] = normalize_arch(want.architecture, want.variant);
  auto [ha, hv] = normalize_arch(have.architecture, have.variant);
  return want.os == have.os && wa == ha && (wv.empty() || hv.empty() || wv == hv);
}

Result<Descriptor> parse_descriptor(const Json& j, std::string_view what) {
  if (!j.is_object()) {
    return make_error(Errc::kInvalidArgument, std::string(what) + ": must be an object");
  }
  Descriptor d;
  BERTH_ASSIGN_OR_RETURN(d.media_type, get_string(j, "mediaType", what, false));
  BERTH_ASSIGN_OR_RETURN(d.digest, get_string(j, "digest", what, true));
  if (digest_hex(d.digest).empty() ||
      d.digest.find_first_not_of("0123456789abcdef", 7) != std::string::npos) {
    return make_error(Errc::kInvalidArgument,
                      std::string(what) + ": `" + d.digest + "` is not a sha256 digest");
  }
  auto size = j.find("size");
  if (size == j.end() || !size->is_number_integer() || size->get<int64_t>() < 0) {
    return make_error(Errc::kInvalidArgument, std::string(what) + ": `size` must be >= 0");
  }
  d.size = size->get<int64_t>();
  if (auto p = j.find("platform"); p != j.end() && p->is_object()) {
    Platform pl;
    BERTH_ASSIGN_OR_RETURN(pl.os, get_string(*p, "os", what, false));
    BERTH_ASSIGN_OR_RETURN(pl.architecture, get_string(*p, "architecture", what, false));
    BERTH_ASSIGN_OR_RETURN(pl.variant, get_string(*p, "variant", what, false));
    d.platform = pl;
  }
  if (auto a = j.find("annotations"); a != j.end() && a->is_object()) {
    for (auto& [k, v] : a->items()) {
      if (v.is_string()) {
        d.annotations[k] = v.get<std::string>();
      }
    }
  }
  if (auto u = j.find("urls"); u != j.end() && u->is_array()) {
    for (auto& v : *u) {
      if (v.is_string()) {
        d.urls.push_back(v.get<std::string>());
      }
    }
  }
  return d;
}

Json to_json(const Descriptor& d) {
  Json j = {{"mediaType", d.media_type}, {"digest", d.digest}, {"size", d.size}};
  if (d.platform) {
    j["platform"] = {{"os", d.platform->os}, {"architecture", d.platform->architecture}};
    if (!d.platform->variant.empty()) {
      j["platform"]["variant"] = d.platform->variant;
    }
  }
  if (!d.annotations.empty()) {
    j["annotations"] = d.annotations;
  }
  if (!d.urls.empty()) {
    j["urls"] = d.urls;
  }
  return j;
}

Result<std::string> detect_media_type(std::string_view bytes, std::string_view content_type) {
  // "application/json; charset=utf-8" and friends carry no information.
  std::string_view ct = content_type.substr(0, content_type.find(';'));
  if (media::is_index(ct) || media::is_manifest(ct)) {
    return std::string(ct);
  }
  BERTH_ASSIGN_OR_RETURN(Json j, parse_json(bytes, "manifest"));
  if (!j.is_object()) {
    return make_error(Errc::kInvalidArgument, "manifest: not a JSON object");
  }
  if (auto m = j.find("mediaType"); m != j.end() && m->is_string()) {
    std::string mt = m->get<std::string>();
    if (media::is_index(mt) || media::is_manifest(mt)) {
      return mt;
    }
    return make_error(Errc::kInvalidArgument, "manifest: unsupported media type `" + mt + "`");
  }
  if (j.contains("manifests")) {
    return std::string(media::kOciIndex);
  }
  if (j.contains("config") && j.contains("layers")) {
    return std::string(media::kOciManifest);
  }
  if (j.value("schemaVersion", 0) == 1) {
    return make_error(Errc::kNotImplemented,
                      "manifest: Docker schema 1 images are deprecated and not supported");
  }
  return make_error(Errc::kInvalidArgument, "manifest: not an image manifest or index");
}

Result<Manifest> parse_manifest(std::string_view bytes, std::string_view media_type) {
  BERTH_ASSIGN_OR_RETURN(Json j, parse_json(bytes, "manifest"));
  if (!j.is_object() || j.value("schemaVersion", 0) != 2) {
    return make_error(Errc::kInvalidArgument, "manifest: schemaVersion must be 2");
  }
  Manifest m;
  m.media_type = std::string(media_type);
  auto cfg = j.find("config");
  auto layers = j.find("layers");
  if (cfg == j.end() || layers == j.end() || !layers->is_array()) {
    return make_error(Errc::kInvalidArgument, "manifest: `config` and `layers` are required");
  }
  BERTH_ASSIGN_OR_RETURN(m.config, parse_descriptor(*cfg, "manifest config"));
  for (size_t i = 0; i < layers->size(); ++i) {
    BERTH_ASSIGN_OR_RETURN(Descriptor d,
                           parse_descriptor((*layers)[i], "manifest layer " + std::to_string(i)));
    m.layers.push_back(std::move(d));
  }
  return m;
}

Result<Index> parse_index(std::string_view bytes, std::string_view media_type) {
  BERTH_ASSIGN_OR_RETURN(Json j, parse_json(bytes, "index"));
  if (!j.is_object() || j.value("schemaVersion", 0) != 2) {
    return make_error(Errc::kInvalidArgument, "index: schemaVersion must be 2");
  }
  auto ms = j.find("manifests");
  if (ms == j.end() || !ms->is_array()) {
    return make_error(Errc::kInvalidArgument, "index: `manifests` is required");
  }
  Index idx;
  idx.media_type = std::string(media_type);
  for (size_t i = 0; i < ms->size(); ++i) {
    BERTH_ASSIGN_OR_RETURN(Descriptor d,
                           parse_descriptor((*ms)[i], "index entry " + std::to_string(i)));
    idx.manifests.push_back(std::move(d));
  }
  return idx;
}

Result<Descriptor> select_platform(const Index& index, const Platform& want) {
  for (const auto& d : index.manifests) {
    // Entries without a platform are attestations or unknown; skip them.
    if (d.platform && media::is_manifest(d.media_type.empty() ? media::kOciManifest
                                                              : std::string_view(d.media_type)) &&
        platform_matches(want, *d.platform)) {
      return d;
    }
  }
  return make_error(Errc::kNotFound, "no matching manifest for " + to_string(want) +
                                         " in the manifest list entries");
}

Result<ImageConfig> parse_config(std::string_view bytes) {
  BERTH_ASSIGN_OR_RETURN(Json j, parse_json(bytes, "image config"));
  if (!j.is_object()) {
    return make_error(Errc::kInvalidArgument, "image config: not a JSON object");
  }
  ImageConfig c;
  auto rootfs = j.find("rootfs");
  if (rootfs == j.end() || !rootfs->is_object() || rootfs->value("type", "") != "layers") {
    return make_error(Errc::kInvalidArgument, "image config: rootfs.type must be \"layers\"");
  }
  if (auto ids = rootfs->find("diff_ids"); ids != rootfs->end() && ids->is_array()) {
    for (auto& v : *ids) {
      if (!v.is_string() || digest_hex(v.get<std::string>()).empty()) {
        return make_error(Errc::kInvalidArgument, "image config: bad rootfs.diff_ids entry");
      }
      c.diff_ids.push_back(v.get<std::string>());
    }
  }
  BERTH_ASSIGN_OR_RETURN(c.platform.os, get_string(j, "os", "image config", false));
  BERTH_ASSIGN_OR_RETURN(c.platform.architecture,
                         get_string(j, "architecture", "image config", false));
  BERTH_ASSIGN_OR_RETURN(c.platform.variant, get_string(j, "variant", "image config", false));
  BERTH_ASSIGN_OR_RETURN(c.created, get_string(j, "created", "image config", false));
  c.doc = std::move(j);
  return c;
}

std::vector<std::string> chain_ids(const std::vector<std::string>& diff_ids) {
  std::vector<std::string> out;
  for (const auto& d : diff_ids) {
    out.push_back(out.empty() ? d : sha256_digest(out.back() + " " + d));
  }
  return out;
}

}  // namespace berth::image
