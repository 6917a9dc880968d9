// COPY and ADD: files of the build context (or of another stage) into a step's root file
// system, with the Dockerfile reference's rules (COPY/ADD: a source directory's contents are
// copied, not the directory; several sources or a trailing '/' make the destination a
// directory; relative destinations start at WORKDIR; files belong to 0:0 unless --chown; ADD
// extracts local tar archives) as moby builder/dockerfile/copy.go does them. Both roots are
// walked through file descriptors resolved with RESOLVE_IN_ROOT and O_NOFOLLOW, so neither a
// symlink in the context nor one in the image leads outside them.
#pragma once

#include <string>
#include <vector>

#include "build/dockerignore.h"
#include "common/error.h"

namespace berth::build {

struct CopySpec {
  std::vector<std::string> sources;  // expanded; relative to the source root; globs allowed
  struct Inline {
    std::string name, data;  // COPY <<EOF: a file `name` holding `data`
  };
  std::vector<Inline> inline_files;
  std::string dest;     // expanded
  std::string workdir;  // the stage's WORKDIR ("" = /)
  std::string chown;    // "user[:group]", resolved in the destination's /etc/passwd
  std::string chmod;    // octal ("0755"), "" = keep the source's
  bool is_add = false;
  bool extract = true;  // ADD: local archives are extracted (downloaded ones are not)
  // The context's .dockerignore when the source root is a context read in place (what it
  // excludes does not exist for COPY); nullptr when the client filtered it already.
  const IgnoreMatcher* ignore = nullptr;
};

// sha256 over the relative path, type, mode and content (or link target) of everything the
// sources match under `root`, in path order: the step's cache key. Errors: kInvalidArgument
// (a source matches nothing: "file not found in build context or excluded by .dockerignore").
Result<std::string> content_digest(const std::string& root, const CopySpec& spec);

// Copies the sources under `src_root` into `dst_root` by the rules above. Errors:
// kInvalidArgument (no match, bad --chmod, unknown --chown user, a file over a directory),
// the file system's.
Result<void> copy_into(const std::string& src_root, const CopySpec& spec, const std::string& dst_root);

}  // namespace berth::build
