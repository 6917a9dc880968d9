// Images as the Docker Engine API shows them (api/swagger.yaml: ImageInspect, ImageSummary,
// HistoryResponseItem), shared by the API server and berth's CLI so both print the same.
#pragma once

#include "common/json.h"
#include "image/service.h"

namespace berth::image {

// `docker image inspect`: Id, RepoTags, RepoDigests (familiar names), Created, Config,
// Architecture, Os, Size, RootFS, ... (ImageInspect).
Json inspect_json(const Image& img);
// One entry of GET /images/json (ImageSummary): Created in unix seconds.
Json summary_json(const Image& img);
// GET /images/{name}/history (newest first): Id ("<missing>" below the top), Created
// (unix seconds), CreatedBy, Tags, Size (bytes of that layer's snapshot), Comment.
Json history_json(ImageService& images, const Image& img);

}  // namespace berth::image
