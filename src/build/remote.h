// ADD <url> <dest>: a source fetched over HTTP(S) by the daemon (libcurl), as the Dockerfile
// reference and moby's builder/remotecontext/remote.go describe it: redirects followed, the
// file named after the last element of the URL's path, its mtime from Last-Modified, mode
// 0600; not extracted even when it is an archive. ADD --checksum=sha256:<hex> is checked
// (BuildKit).
#pragma once

#include <string>

#include "common/error.h"

namespace berth::build {

// Whether an ADD source is a URL (http:// or https://).
bool is_remote_source(const std::string& source);

// Downloads `url` into the existing directory `dir` and returns the file's name there.
// `checksum` "" or "sha256:<64 hex>". Errors: kInvalidArgument (no file name in the URL,
// unsupported checksum algorithm), kUnavailable ("failed to GET <url> with status 404 Not
// Found", connection errors), kDataLoss (checksum mismatch), the file system's.
Result<std::string> download(const std::string& url, const std::string& dir, const std::string& checksum);

}  // namespace berth::build
