#include "image/docker_json.h"

#include <time.h>

#include <algorithm>

#include "common/time.h"
#include "image/progress.h"
#include "image/reference.h"

namespace berth::image {
namespace {

Json familiar(const std::vector<std::string>& names) {
  Json out = Json::array();
  for (auto& n : names) {
    auto r = parse_reference(n);
    out.push_back(r ? r->familiar_string() : n);
  }
  return out;
}

// Unix seconds of an image time; 0 when there is none.
int64_t created_seconds(const std::string& rfc3339) {
  return std::max<int64_t>(0, static_cast<int64_t>(parse_rfc3339(rfc3339)));
}

}  // namespace

Json inspect_json(const Image& img) {
  const Json& doc = img.config.doc;
  Json j = {{"Id", img.id},
            {"RepoTags", familiar(img.repo_tags)},
            {"RepoDigests", familiar(img.repo_digests)},
            {"Parent", ""},
            {"Comment", ""},
            {"Created", doc.value("created", "")},
            {"DockerVersion", doc.value("docker_version", "")},
            {"Author", doc.value("author", "")},
            {"Config", doc.value("config", Json::object())},
            {"Architecture", doc.value("architecture", "")},
            {"Os", doc.value("os", "")},
            {"Size", img.size},
            {"GraphDriver", {{"Name", "overlay2"}, {"Data", Json::object()}}},
            {"RootFS", {{"Type", "layers"}, {"Layers", img.config.diff_ids}}},
            {"Metadata", {{"LastTagTime", "0001-01-01T00:00:00Z"}}}};
  // API < 1.45 answered ContainerConfig too (docker-compose 1.29 reads its Volumes when it
  // recreates a container): the legacy container_config when the image has one, else Config.
  j["ContainerConfig"] = doc.value("container_config", j["Config"]);
  if (doc.contains("variant")) j["Variant"] = doc["variant"];
  if (auto h = doc.find("history"); h != doc.end() && h->is_array() && !h->empty()) {
    j["Comment"] = h->back().value("comment", "");
  }
  return j;
}

Json summary_json(const Image& img) {
  Json labels = img.config.doc.value("config", Json::object()).value("Labels", Json());
  return {{"Id", img.id},
          {"ParentId", ""},
          {"RepoTags", familiar(img.repo_tags)},
          {"RepoDigests", familiar(img.repo_digests)},
          {"Created", created_seconds(img.config.created)},
          {"Size", img.size},
          {"SharedSize", -1},
          {"VirtualSize", img.size},
          {"Labels", labels.is_object() ? labels : Json::object()},
          {"Containers", -1}};
}

Json history_json(ImageService& images, const Image& img) {
  Json hist = img.config.doc.value("history", Json::array());
  auto chain = ImageService::chain(img);
  size_t layer = chain.size();
  Json out = Json::array();
  bool top = true;
  for (auto it = hist.rbegin(); it != hist.rend(); ++it) {
    int64_t size = 0;
    if (!it->value("empty_layer", false) && layer > 0) {
      size = images.snapshots().size(chain[--layer]);
    }
    out.push_back({{"Id", top ? img.id : "<missing>"},
                   {"Created", created_seconds(it->value("created", ""))},
                   {"CreatedBy", it->value("created_by", "")},
                   {"Tags", top ? familiar(img.repo_tags) : Json()},
                   {"Size", size},
                   {"Comment", it->value("comment", "")}});
    top = false;
  }
  return out;
}

}  // namespace berth::image
