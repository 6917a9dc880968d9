// .dockerignore: which build-context paths are left out of a build. Follows the Dockerfile
// reference (".dockerignore file"), moby/patternmatcher (ignorefile.ReadAll reads the file;
// New + MatchesOrParentMatches match), tonistiigi/fsutil's filtered walk (when a directory can
// be skipped) and BuildKit's dockerui (which file applies).
//
// Patterns are Go filepath.Match globs on '/'-separated paths relative to the context root:
//   *       any run of characters except '/'
//   ?       one character except '/'
//   [a-c]   one character of a class; [^a-c] negated; '\' escapes inside
//   **      any number of directories, none included ("**/x", "a/**/b"); a trailing "/**"
//           matches everything below the directory
//   \x      x taken literally
//   !p      exception: re-includes what earlier patterns excluded
// The last pattern that matches a path (or one of its parent directories) decides.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace berth::build {

// The patterns of a .dockerignore text (ignorefile.ReadAll): a UTF-8 BOM is dropped; lines that
// start with '#' are comments; other lines are trimmed and blank ones dropped; each pattern is
// cleaned like Go's filepath.Clean ("a//b/../c/" -> "a/c") and a leading '/' removed, after a
// leading '!' (kept) and its blanks.
std::vector<std::string> parse_dockerignore(std::string_view text);

class IgnoreMatcher {
 public:
  IgnoreMatcher();  // excludes nothing
  ~IgnoreMatcher();
  IgnoreMatcher(const IgnoreMatcher&);
  IgnoreMatcher(IgnoreMatcher&&) noexcept;
  IgnoreMatcher& operator=(const IgnoreMatcher&);
  IgnoreMatcher& operator=(IgnoreMatcher&&) noexcept;

  // A matcher of `patterns` (parse_dockerignore's output, or any list: each is trimmed and
  // cleaned again, blank ones skipped). Errors: kInvalidArgument for `illegal exclusion
  // pattern: "!"` and for a malformed glob ("syntax error in pattern \"[\"": an unclosed or
  // empty class, a bad range, a trailing '\').
  static Result<IgnoreMatcher> create(const std::vector<std::string>& patterns);

  // Whether `path` (relative to the context root, '/'-separated; it is cleaned, and a leading
  // '/' dropped) is excluded: the last pattern matching it or one of its parent directories
  // is not an exception. The root itself (".", "") is never excluded.
  bool excluded(std::string_view path) const;

  // Whether a walk of the context can skip directory `dir` without looking inside: it is
  // excluded and no exception could re-include anything below it. Conservative, as fsutil:
  // false whenever an exception holds a wildcard other than a trailing "/*" or "/**".
  bool can_skip_dir(std::string_view dir) const;

  bool has_exceptions() const { return has_exceptions_; }

 private:
  struct Pattern;  // a compiled pattern (dockerignore.cc)
  std::vector<Pattern> patterns_;
  bool has_exceptions_ = false;
};

// The ignore file of a build (BuildKit dockerui): "<dockerfile>.dockerignore" beside the
// Dockerfile when it exists ("app.Dockerfile" -> "app.Dockerfile.dockerignore"), else
// "<context_dir>/.dockerignore" when it exists, else "". Paths are host paths.
std::string find_ignore_file(const std::string& context_dir, const std::string& dockerfile);

// A matcher for the ignore file find_ignore_file() picks, empty (excludes nothing) when there
// is none. Errors: reading errors (kPermissionDenied, ...), bad patterns, prefixed with the
// file's path.
Result<IgnoreMatcher> load_ignore_matcher(const std::string& context_dir,
                                          const std::string& dockerfile);

}  // namespace berth::build
