// Small file-system helpers returning Result. Paths are host paths; sizes are bytes.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "common/unique_fd.h"

namespace berth::fs {

// Whole file as bytes. Errors: kNotFound, kPermissionDenied, kInternal.
Result<std::string> read_file(const std::string& path);

// Writes `data` to an existing file (no create, no truncate beyond O_TRUNC): for
// cgroup and /proc control files, where one write() is one command. Errors: kNotFound (no such
// knob), kInvalidArgument (the kernel refused the value), kPermissionDenied, kResourceExhausted.
Result<void> write_control(const std::string& path, std::string_view data);

// Writes `data` to `path` in place (created with `mode`, or truncated): for files nobody reads
// while they are written. Keeps the inode (a bind mount of the file stays valid) and allocates
// none when the file exists. Errors: kNotFound (dir missing), kPermissionDenied, kInternal.
Result<void> write_file(const std::string& path, std::string_view data, mode_t mode = 0644);

// Writes `data` to `path` atomically: a temp file in the same dir, fsync-free rename.
// Errors: kNotFound (dir missing), kPermissionDenied, kInternal.
Result<void> atomic_write(const std::string& path, std::string_view data, mode_t mode = 0644);

// mkdir -p with `mode` for the dirs it creates. Errors: kPermissionDenied, kInternal.
Result<void> mkdir_all(const std::string& path, mode_t mode = 0755);

// rm -rf; a missing path is not an error. Errors: kPermissionDenied, kConflict (busy mount).
Result<void> remove_all(const std::string& path);

bool exists(const std::string& path);
bool is_dir(const std::string& path);

// Names in a directory, without "." and "..". Errors: kNotFound, kPermissionDenied.
Result<std::vector<std::string>> list_dir(const std::string& path);

// `path` made absolute against the current directory ("" = the current directory).
std::string absolute(const std::string& path);

// "a/b" + "c" with exactly one slash between.
std::string join(std::string_view a, std::string_view b);
// `path` opened below the directory `dirfd` with openat2(RESOLVE_IN_ROOT |
// RESOLVE_NO_MAGICLINKS): `..` and absolute symlinks stop at dirfd, so nothing in the tree can
// lead outside it (container roots, build contexts). "" opens dirfd itself. Invalid on error,
// with errno set.
UniqueFd open_in_root(int dirfd, const std::string& path, int flags);
// mkdir -p of `path` inside the directory `root`, each component resolved as open_in_root.
// Errors: the fs's ("create `path`").
Result<void> mkdir_in_root(const std::string& root, const std::string& path, mode_t mode = 0755);

// Go's filepath.Clean on '/'-separated paths: "a//b/../c/" -> "a/c", "/../x" -> "/x",
// "" -> "."; `..` above a relative start is kept ("../a").
std::string clean_path(std::string_view p);

}  // namespace berth::fs
