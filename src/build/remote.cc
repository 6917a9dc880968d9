#include "build/remote.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <memory>

#include "common/digest.h"
#include "common/fs.h"
#include "common/unique_fd.h"

namespace berth::build {
namespace {

struct Sink {
  int fd;
  bool failed = false;
};

size_t write_cb(char* data, size_t size, size_t n, void* p) {
  auto* s = static_cast<Sink*>(p);
  size_t len = size * n;
  const char* d = data;
  size_t left = len;
  while (left > 0) {
    ssize_t w = ::write(s->fd, d, left);
    if (w <= 0) {
      s->failed = true;
      return 0;  // aborts the transfer
    }
    d += w;
    left -= static_cast<size_t>(w);
  }
  return len;
}

}  // namespace

bool is_remote_source(const std::string& source) {
  return source.starts_with("http://") || source.starts_with("https://");
}

Result<std::string> download(const std::string& url, const std::string& dir, const std::string& checksum) {
  if (!checksum.empty() && !checksum.starts_with("sha256:")) {
    return make_error(Errc::kInvalidArgument, "unsupported checksum algorithm in \"" + checksum + "\"");
  }
  // moby: the last element of the URL's path (query and fragment left out).
  std::string path = url.substr(url.find("://") + 3);
  path = path.substr(0, path.find_first_of("?#"));
  auto slash = path.find('/');
  std::string name = slash == std::string::npos ? "" : path.substr(path.rfind('/') + 1);
  if (name.empty() || name == "." || name == "..") {
    return make_error(Errc::kInvalidArgument, "cannot determine filename from url: " + url);
  }
  std::string file = dir + "/" + name;
  UniqueFd fd(::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!fd) return sys_error(errno, "create `" + file + "`");
  Sink sink{fd.get()};
  static bool once = (curl_global_init(CURL_GLOBAL_DEFAULT), true);
  (void)once;
  std::unique_ptr<CURL, void (*)(CURL*)> c(curl_easy_init(), curl_easy_cleanup);
  curl_easy_setopt(c.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(c.get(), CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(c.get(), CURLOPT_MAXREDIRS, 10L);
  curl_easy_setopt(c.get(), CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c.get(), CURLOPT_USERAGENT, "berth/0.1 (docker-compatible)");
  curl_easy_setopt(c.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c.get(), CURLOPT_CONNECTTIMEOUT, 30L);
  curl_easy_setopt(c.get(), CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(c.get(), CURLOPT_LOW_SPEED_TIME, 60L);
  curl_easy_setopt(c.get(), CURLOPT_FILETIME, 1L);
  curl_easy_setopt(c.get(), CURLOPT_WRITEFUNCTION, write_cb);
  curl_easy_setopt(c.get(), CURLOPT_WRITEDATA, &sink);
  CURLcode rc = curl_easy_perform(c.get());
  long status = 0;
  curl_easy_getinfo(c.get(), CURLINFO_RESPONSE_CODE, &status);
  if (rc != CURLE_OK && !sink.failed) {
    return make_error(Errc::kUnavailable, "failed to GET " + url + ": " + curl_easy_strerror(rc));
  }
  if (sink.failed) return sys_error(errno, "write `" + file + "`");
  if (status >= 400) {
    return make_error(Errc::kUnavailable, "failed to GET " + url + " with status " + std::to_string(status));
  }
  // Last-Modified becomes the file's mtime (moby); none = now.
  curl_off_t filetime = -1;
  curl_easy_getinfo(c.get(), CURLINFO_FILETIME_T, &filetime);
  if (filetime >= 0) {
    timespec times[2] = {{filetime, 0}, {filetime, 0}};
    ::futimens(fd.get(), times);
  }
  fd.reset();
  if (!checksum.empty()) {
    BERTH_ASSIGN_OR_RETURN(std::string content, fs::read_file(file));
    std::string got = sha256_digest(content);
    if (got != checksum) {
      return make_error(Errc::kDataLoss, "digest mismatch " + got + ": " + checksum);
    }
  }
  return name;
}

}  // namespace berth::build
