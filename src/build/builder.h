// The builder: runs a parsed Dockerfile (dockerfile.h) into an image, as `docker build` does.
// Stages run in order and only those the target needs; each instruction makes a new state
// (image config + layers). RUN runs in a container through the engine (bridge network unless
// RUN --network says otherwise); COPY/ADD write into a writable snapshot of the state; a step
// that changes files becomes an uncompressed tar layer in the content store. Every step is
// cached (SQLite, <data-root>/berth.db, table build_cache) under its parent state, its
// instruction as expanded, the build args it sees and, for COPY/ADD, the content and mode of
// the files it copies, so an unchanged step and all before it are reused and a change
// invalidates that step and every one after it. Progress text is the legacy builder's ("Step
// 2/5 : RUN make", " ---> Using cache", "Successfully built ..."); history entries and config
// changes are BuildKit's (moby/buildkit frontend/dockerfile/dockerfile2llb/convert.go,
// moby builder/dockerfile/dispatchers.go).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/sqlite.h"
#include "engine/engine.h"
#include "image/service.h"

namespace berth::build {

struct BuildOptions {
  std::string context_dir;                  // the build context, unpacked (already filtered)
  std::string dockerfile = "Dockerfile";    // path inside the context
  std::vector<std::string> tags;            // names for the result ("app", "app:1")
  std::map<std::string, std::string> build_args;  // --build-arg
  std::map<std::string, std::string> labels;      // --label, on the final image
  std::string target;                       // stage name; "" = the last stage
  bool no_cache = false;                    // --no-cache: run every step
  bool pull = false;                        // --pull: fetch FROM images even when present
  std::string network = "bridge";           // default RUN network (--network)
  std::string platform;                     // --platform: "" or the host's ("linux/amd64")
  bool quiet = false;                       // -q: no step output
  // The context is read where it is (berth's contextdir): COPY/ADD apply its .dockerignore.
  bool in_place = false;
  // RUN --mount=type=secret: id -> a file on the daemon's host (berth build --secret).
  std::map<std::string, std::string> secrets;
};

// Text for the client (a line or a piece of RUN output), in order.
using BuildOutput = std::function<void(const std::string& text)>;

class Builder {
 public:
  // The cache lives in `<data_root>/berth.db`. Errors: kUnavailable (database).
  static Result<std::unique_ptr<Builder>> open(image::ImageService& images, engine::Engine& engine,
                                               const std::string& data_root);

  // Builds and returns the image ID ("sha256:..."); the image gets each of `tags`.
  // Errors: kInvalidArgument (Dockerfile errors as "Dockerfile:3:1: ...", a missing COPY
  // source, an unknown stage), kNotFound (FROM image missing and not pullable), kInternal
  // ("The command '/bin/sh -c x' returned a non-zero code: N"), and those of the engine.
  Result<std::string> build(const BuildOptions& opts, const BuildOutput& out);

  // docker builder prune (and system prune): forgets every cached step and removes the RUN
  // --mount=type=cache directories; returns how many steps there were.
  Result<int64_t> prune();

  ~Builder();

 private:
  struct Impl;
  explicit Builder(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace berth::build
