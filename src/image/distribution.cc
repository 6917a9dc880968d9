#include "image/distribution.h"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "common/digest.h"
#include "image/reference.h"
#include "image/pipe.h"
#include "image/registry.h"

namespace berth::image {
namespace {

// Runs `jobs` on up to `n` threads; the first error is returned (others still finish).
Result<void> run_parallel(size_t count, int n, const std::function<Result<void>(size_t)>& job) {
  std::mutex mu;
  size_t next = 0;
  std::optional<Error> first;
  auto worker = [&] {
    for (;;) {
      size_t i;
      {
        std::lock_guard<std::mutex> l(mu);
        if (next >= count || first) return;
        i = next++;
      }
      auto r = job(i);
      if (!r) {
        std::lock_guard<std::mutex> l(mu);
        if (!first) first = r.error();
      }
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < std::max(1, n) && static_cast<size_t>(t) < count; ++t) {
    threads.emplace_back(worker);
  }
  for (auto& t : threads) t.join();
  if (first) return tl::unexpected(*first);
  return {};
}

struct Repo {
  Reference ref;
  std::unique_ptr<RegistryClient> client;
};

Result<Repo> connect(ImageService& images, std::string_view ref_str, bool push,
                     const std::optional<Credentials>& given) {
  BERTH_ASSIGN_OR_RETURN(Reference ref, parse_docker_reference(ref_str));
  std::string host = registry_host(ref);
  std::optional<Credentials> creds = given;
  if (!creds) {
    BERTH_ASSIGN_OR_RETURN(creds, load_credentials(images.options().auth_config, ref.domain));
  }
  bool insecure = is_insecure_registry(ref.domain, images.options().insecure_registries);
  return Repo{ref, std::make_unique<RegistryClient>(host, ref.path, insecure, creds, push)};
}

void report(Progress* p, const std::string& id, const std::string& status, int64_t cur = 0,
            int64_t total = 0) {
  if (p) p->update({id, status, cur, total});
}

// Downloads one layer into the content store while unpacking it into its snapshot.
Result<void> pull_layer(ImageService& images, RegistryClient& client, const Descriptor& layer,
                        const std::string& chain, const std::string& diff_id, Progress* p) {
  std::string id = short_id(layer.digest);
  if (images.snapshots().has(chain)) {
    report(p, id, "Already exists");
    return {};
  }
  auto& content = images.content();
  if (content.exists(layer.digest)) {
    report(p, id, "Extracting", 0, layer.size);
    BERTH_TRY(images.snapshots().unpack(chain, diff_id,
                                        file_reader(content.blob_path(layer.digest))));
    report(p, id, "Pull complete");
    return {};
  }
  BERTH_ASSIGN_OR_RETURN(auto writer, content.writer(layer.digest, layer.size));
  Pipe pipe;
  // Bytes of an earlier interrupted download are fed to the unpacker from the file first.
  int64_t resumed_from = writer->offset();
  ReadFn partial = resumed_from > 0 ? file_reader(writer->path()) : ReadFn();
  int64_t partial_left = resumed_from;
  ReadFn source = [&](char* buf, size_t cap) -> Result<size_t> {
    if (partial_left > 0) {
      BERTH_ASSIGN_OR_RETURN(size_t n, partial(buf, std::min<int64_t>(cap, partial_left)));
      if (n > 0) {
        partial_left -= static_cast<int64_t>(n);
        return n;
      }
      partial_left = 0;
    }
    return pipe.read(buf, cap);
  };
  Result<UnpackResult> unpacked = make_error(Errc::kInternal, "not run");
  std::thread unpacker;
  // Started when the server answers, so that a resume the server refuses (200, not 206)
  // restarts before the unpacker has read any of the partial bytes.
  auto start_unpacker = [&] {
    if (unpacker.joinable()) return;
    unpacker = std::thread([&] {
      unpacked = images.snapshots().unpack(chain, diff_id, source);
      pipe.cancel();
    });
  };
  report(p, id, "Downloading", writer->offset(), layer.size);
  int64_t last_report = 0;
  auto fetched = client.get_blob(
      layer.digest, writer->offset(),
      [&](bool resumed) {
        if (!resumed && writer->offset() > 0) {
          (void)writer->restart();  // the server sends the whole blob
          partial_left = 0;
        }
        start_unpacker();
      },
      [&](const char* data, size_t len) -> Result<void> {
        BERTH_TRY(writer->write(data, len));
        BERTH_TRY(pipe.write(data, len));
        if (writer->offset() - last_report >= (1 << 20) || writer->offset() == layer.size) {
          last_report = writer->offset();
          report(p, id, "Downloading", writer->offset(), layer.size);
        }
        return {};
      });
  Result<std::string> committed =
      fetched ? writer->commit() : Result<std::string>(tl::unexpected(fetched.error()));
  if (committed) start_unpacker();
  if (committed) {
    report(p, id, "Verifying Checksum");
    report(p, id, "Download complete");
    report(p, id, "Extracting", layer.size, layer.size);
    pipe.close();
  } else {
    // The unpacker must fail rather than commit a snapshot of unverified bytes.
    pipe.close(committed.error());
  }
  if (unpacker.joinable()) unpacker.join();
  if (!committed) return tl::unexpected(committed.error());
  if (!unpacked) return tl::unexpected(unpacked.error());
  report(p, id, "Pull complete");
  return {};
}

}  // namespace

Result<Image> pull(ImageService& images, std::string_view ref_str, const PullOptions& opts) {
  BERTH_ASSIGN_OR_RETURN(Repo repo, connect(images, ref_str, false, opts.credentials));
  BERTH_ASSIGN_OR_RETURN(auto lock, images.lock(false));
  images.snapshots().clean_temp();  // what a killed pull left behind
  Progress* p = opts.progress;
  std::string what = repo.ref.tag.empty() ? repo.ref.digest : repo.ref.tag;
  // docker: {"id": "1.0", "status": "Pulling from library/busybox"} (path, no registry).
  report(p, repo.ref.tag.empty() ? repo.ref.digest : repo.ref.tag, "Pulling from " + repo.ref.path);
  BERTH_ASSIGN_OR_RETURN(FetchedManifest top, repo.client->get_manifest(what));
  std::string repo_digest = top.digest;
  FetchedManifest m = top;
  std::string extra;
  if (media::is_index(top.media_type)) {
    BERTH_ASSIGN_OR_RETURN(Index idx, parse_index(top.bytes, top.media_type));
    BERTH_ASSIGN_OR_RETURN(Descriptor d, select_platform(idx, opts.platform));
    BERTH_TRY(images.content().put(top.bytes, top.digest));
    BERTH_ASSIGN_OR_RETURN(m, repo.client->get_manifest(d.digest));
  }
  BERTH_ASSIGN_OR_RETURN(Manifest manifest, parse_manifest(m.bytes, m.media_type));
  if (!images.content().exists(manifest.config.digest)) {
    std::string cfg;
    BERTH_TRY(repo.client->get_blob(manifest.config.digest, 0, nullptr,
                                    [&](const char* d, size_t n) -> Result<void> {
                                      if (cfg.size() + n > kMaxJsonBlobBytes) {
                                        return make_error(Errc::kResourceExhausted,
                                                          "image config too large");
                                      }
                                      cfg.append(d, n);
                                      return {};
                                    }));
    BERTH_TRY(images.content().put(cfg, manifest.config.digest));
  }
  BERTH_ASSIGN_OR_RETURN(std::string cbytes, images.content().read(manifest.config.digest));
  BERTH_ASSIGN_OR_RETURN(ImageConfig cfg, parse_config(cbytes));
  if (cfg.diff_ids.size() != manifest.layers.size()) {
    return make_error(Errc::kInvalidArgument, "image " + manifest.config.digest +
                                                  ": layer count does not match its config");
  }
  auto chain = chain_ids(cfg.diff_ids);
  for (const auto& l : manifest.layers) {
    if (!media::is_layer(l.media_type)) {
      return make_error(Errc::kNotImplemented, "layer " + l.digest + ": media type `" +
                                                   l.media_type + "` is not supported");
    }
  }
  for (size_t i = 0; i < manifest.layers.size(); ++i) {
    if (!images.snapshots().has(chain[i])) report(p, short_id(manifest.layers[i].digest), "Pulling fs layer");
  }
  auto layers_done = run_parallel(manifest.layers.size(), opts.max_concurrent, [&](size_t i) {
    return pull_layer(images, *repo.client, manifest.layers[i], chain[i], cfg.diff_ids[i], p);
  });
  BERTH_TRY(layers_done);
  BERTH_TRY(images.content().put(m.bytes, m.digest));
  Descriptor md{m.media_type, m.digest, static_cast<int64_t>(m.bytes.size()), std::nullopt, {},
                {}};
  std::vector<std::string> names;
  Reference named = repo.ref;
  named.digest.clear();
  if (!repo.ref.tag.empty()) names.push_back(named.string());
  named.tag.clear();
  names.push_back(named.name() + "@" + repo_digest);
  // Up to date when the name already pointed at this very manifest.
  auto before = images.get(repo.ref.string());
  bool up_to_date = before && before->manifest.digest == m.digest;
  BERTH_ASSIGN_OR_RETURN(Image img, images.register_manifest(md, names));
  report(p, "", "Digest: " + repo_digest);
  report(p, "", (up_to_date ? "Status: Image is up to date for " : "Status: Downloaded newer image for ") +
                    repo.ref.familiar_string());
  return img;
}

Result<std::string> push(ImageService& images, std::string_view ref_str, const PushOptions& opts) {
  BERTH_ASSIGN_OR_RETURN(Image img, images.get(ref_str));
  BERTH_ASSIGN_OR_RETURN(Repo repo, connect(images, ref_str, true, opts.credentials));
  BERTH_ASSIGN_OR_RETURN(auto lock, images.lock(false));
  Progress* p = opts.progress;
  std::string tag = repo.ref.tag.empty() ? "latest" : repo.ref.tag;
  report(p, "", "The push refers to repository [" + repo.ref.name() + "]");
  // Other repositories of the same registry that hold this image: mount sources.
  std::vector<std::string> mount_from;
  for (auto& names : {img.repo_tags, img.repo_digests}) {
    for (auto& n : names) {
      auto r = parse_reference(n);
      if (r && r->domain == repo.ref.domain && r->path != repo.ref.path) mount_from.push_back(r->path);
    }
  }
  std::vector<Descriptor> blobs = img.layers;
  BERTH_ASSIGN_OR_RETURN(std::string mbytes, images.content().read(img.manifest.digest));
  BERTH_ASSIGN_OR_RETURN(Manifest manifest, parse_manifest(mbytes, img.manifest.media_type));
  for (auto& b : blobs) report(p, short_id(b.digest), "Preparing");
  blobs.push_back(manifest.config);  // uploaded like a layer, but docker shows no line for it
  const std::string config_digest = manifest.config.digest;
  // Authenticate once before the parallel uploads (a 401 cannot replay a streamed body).
  BERTH_TRY(repo.client->blob_exists(manifest.config.digest));
  auto pushed = run_parallel(blobs.size(), opts.max_concurrent, [&](size_t i) -> Result<void> {
    const Descriptor& b = blobs[i];
    Progress* lp = b.digest == config_digest ? nullptr : p;
    std::string id = short_id(b.digest);
    BERTH_ASSIGN_OR_RETURN(bool have, repo.client->blob_exists(b.digest));
    if (have) {
      report(lp, id, "Layer already exists");
      return {};
    }
    for (auto& from : mount_from) {
      BERTH_ASSIGN_OR_RETURN(bool mounted, repo.client->mount_blob(b.digest, from));
      if (mounted) {
        report(lp, id, "Mounted from " + from);
        return {};
      }
    }
    if (!images.content().exists(b.digest)) {
      return make_error(Errc::kNotFound, "blob " + b.digest + ": not in the content store");
    }
    BERTH_TRY(repo.client->put_blob(
        b.digest, b.size, file_reader(images.content().blob_path(b.digest)), opts.chunk_bytes,
        [&](int64_t sent) { report(lp, id, "Pushing", sent, b.size); }));
    report(lp, id, "Pushed");
    return {};
  });
  BERTH_TRY(pushed);
  BERTH_ASSIGN_OR_RETURN(std::string digest,
                         repo.client->put_manifest(tag, mbytes, img.manifest.media_type));
  report(p, "", tag + ": digest: " + digest + " size: " + std::to_string(mbytes.size()));
  return digest;
}

}  // namespace berth::image
