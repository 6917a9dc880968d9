#include "cli/client.h"

#include <curl/curl.h>
#include <errno.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "common/strings.h"

namespace berth::cli {
namespace {

constexpr const char* kDefaultHost = "unix:///run/berth/berth.sock";

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// Percent-encoding of all but RFC 3986's unreserved characters (and ':' with `keep_colon`).
std::string percent_encode(std::string_view s, bool keep_colon) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' ||
        (keep_colon && c == ':')) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string url_encode(std::string_view s) { return percent_encode(s, false); }

Errc errc_of(int status) {
  switch (status) {
    case 400: return Errc::kInvalidArgument;
    case 401: return Errc::kUnauthenticated;
    case 403: return Errc::kPermissionDenied;
    case 404: return Errc::kNotFound;
    case 409: return Errc::kConflict;
    case 501: return Errc::kNotImplemented;
    case 503: return Errc::kUnavailable;
    default: return Errc::kInternal;
  }
}

struct CurlHandle {
  CURL* c = nullptr;
  curl_slist* headers = nullptr;
  CurlHandle() : c(curl_easy_init()) {}
  ~CurlHandle() {
    if (headers) curl_slist_free_all(headers);
    if (c) curl_easy_cleanup(c);
  }
  CurlHandle(const CurlHandle&) = delete;
  CurlHandle& operator=(const CurlHandle&) = delete;
};

// What a request collects while libcurl runs it.
struct Exchange {
  const Client::Stream* s = nullptr;
  CURL* c = nullptr;
  int status = 0;
  bool head_done = false;
  bool stopped = false;  // on_data asked to stop
  std::string content_type;
  std::string body;  // the whole body (request()), or an error status's body (stream())
};

size_t on_header(char* data, size_t size, size_t n, void* user) {
  auto* x = static_cast<Exchange*>(user);
  std::string_view line(data, size * n);
  if (line.starts_with("HTTP/")) {  // a new response (after a 1xx): forget the last
    x->content_type.clear();
    x->head_done = false;
    auto sp = line.find(' ');
    if (sp != std::string_view::npos) {
      x->status = static_cast<int>(str::parse_int(line.substr(sp + 1, 3)).value_or(0));
    }
  } else if (auto colon = line.find(':'); colon != std::string_view::npos) {
    if (str::to_lower(line.substr(0, colon)) == "content-type") {
      x->content_type = std::string(str::trim(line.substr(colon + 1)));
    }
  } else if (str::trim(line).empty() && x->status >= 200) {
    x->head_done = true;
    if (x->s && x->s->on_head) x->s->on_head(x->status, x->content_type);
  }
  return size * n;
}

size_t on_body(char* data, size_t size, size_t n, void* user) {
  auto* x = static_cast<Exchange*>(user);
  size_t len = size * n;
  if (x->s == nullptr || x->status >= 400) {
    x->body.append(data, len);
    return len;
  }
  if (x->s->on_data && !x->s->on_data(data, len)) {
    x->stopped = true;
    return 0;
  }
  return len;
}

size_t on_upload(char* buf, size_t size, size_t n, void* user) {
  auto* x = static_cast<Exchange*>(user);
  long got = x->s->upload(buf, size * n);
  if (got < 0) return CURL_READFUNC_ABORT;
  return static_cast<size_t>(got);
}

// Connects to the unix socket `path`: the fd, or errno.
int connect_unix(const std::string& path, int* err) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *err = errno;
    return -1;
  }
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  if (path.size() >= sizeof sa.sun_path) {
    ::close(fd);
    *err = ENAMETOOLONG;
    return -1;
  }
  std::memcpy(sa.sun_path, path.c_str(), path.size() + 1);
  while (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0) {
    if (errno == EINTR) continue;
    *err = errno;
    ::close(fd);
    return -1;
  }
  return fd;
}

// What request() and stream() share: the handle aimed at `url` over the daemon's socket, the
// headers (JSON by default when there is a body), the callbacks filling `x`, the error buffer.
void prepare(CurlHandle& h, Exchange& x, const std::string& url, const std::string& socket,
             const Headers& headers, bool has_body, char* errbuf) {
  global_init();
  x.c = h.c;
  curl_easy_setopt(h.c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h.c, CURLOPT_UNIX_SOCKET_PATH, socket.c_str());
  curl_easy_setopt(h.c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h.c, CURLOPT_USERAGENT, "berth-cli/0.1");
  bool has_type = false;
  for (auto& [k, v] : headers) {
    has_type = has_type || str::to_lower(k) == "content-type";
    h.headers = curl_slist_append(h.headers, (k + ": " + v).c_str());
  }
  if (has_body && !has_type) h.headers = curl_slist_append(h.headers, "Content-Type: application/json");
  h.headers = curl_slist_append(h.headers, "Expect:");
  curl_easy_setopt(h.c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(h.c, CURLOPT_HEADERDATA, &x);
  curl_easy_setopt(h.c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(h.c, CURLOPT_WRITEDATA, &x);
  curl_easy_setopt(h.c, CURLOPT_ERRORBUFFER, errbuf);
}

// Why a transfer that could not connect failed: the socket's errno when nothing listens.
std::string connect_reason(CURLcode rc, const std::string& socket) {
  int err = 0;
  int fd = connect_unix(socket, &err);
  if (fd >= 0) ::close(fd);
  return fd >= 0 ? std::string(curl_easy_strerror(rc)) : std::string("connect: ") + std::strerror(err);
}

}  // namespace

Result<std::string> resolve_host(const std::string& flag) {
  auto unix_path = [](const std::string& h) -> std::string {
    if (h.starts_with("unix://")) return h.substr(7);
    if (h.starts_with("/")) return h;
    return "";
  };
  std::string h = flag;
  const char* from = "-H";
  if (h.empty()) {
    if (const char* e = std::getenv("BERTH_HOST"); e && *e) {
      h = e;
      from = "BERTH_HOST";
    }
  }
  if (h.empty()) {
    // DOCKER_HOST counts only when it names a unix socket (a tcp:// one is dockerd's).
    if (const char* e = std::getenv("DOCKER_HOST"); e && !unix_path(e).empty()) h = e;
  }
  if (h.empty()) h = kDefaultHost;
  std::string path = unix_path(h);
  if (path.empty()) {
    return make_error(Errc::kInvalidArgument, std::string("invalid daemon address `") + h +
                                                  "` (" + from +
                                                  "): berth speaks only unix://PATH");
  }
  return "unix://" + path;
}

bool unreachable(const Error& e) {
  return e.code == Errc::kUnavailable && e.message.starts_with("cannot reach the berth daemon");
}

Error api_error(int status, std::string_view body) {
  std::string msg;
  if (auto j = parse_json(body, "error"); j && j->is_object() && j->contains("message") &&
                                          (*j)["message"].is_string()) {
    msg = (*j)["message"].get<std::string>();
  } else {
    msg = std::string(str::trim(body));
  }
  if (msg.empty()) msg = "the daemon answered with HTTP status " + std::to_string(status);
  return Error{errc_of(status), msg, -status};
}

std::string path_escape(std::string_view s) { return percent_encode(s, true); }

bool from_daemon(const Error& e) { return e.sys_errno <= -400 && e.sys_errno > -600; }

bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t w = ::write(fd, data.data(), data.size());
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data.remove_prefix(static_cast<size_t>(w));
  }
  return true;
}

Client::Client(std::string host) : host_(std::move(host)) {
  path_ = host_.starts_with("unix://") ? host_.substr(7) : host_;
}

Error Client::connect_error(const std::string& why) const {
  return Error{Errc::kUnavailable, "cannot reach the berth daemon at " + host_ + ": " + why +
                                       " (start it with: berth daemon)"};
}

std::string Client::url(const std::string& path, const Query& query) const {
  std::string u = std::string("http://localhost/v") + kClientApiVersion + path;
  char sep = '?';
  for (auto& [k, v] : query) {
    u += sep;
    u += url_encode(k) + "=" + url_encode(v);
    sep = '&';
  }
  return u;
}

Result<Response> Client::request(const std::string& method, const std::string& path,
                                 const Query& query, const std::string& body,
                                 const Headers& headers) const {
  Response r;
  Exchange x;
  CurlHandle h;
  if (!h.c) return make_error(Errc::kInternal, "curl_easy_init failed");
  char errbuf[CURL_ERROR_SIZE] = {0};
  prepare(h, x, url(path, query), path_, headers, !body.empty(), errbuf);
  curl_easy_setopt(h.c, CURLOPT_HTTPHEADER, h.headers);
  if (method == "HEAD") {
    curl_easy_setopt(h.c, CURLOPT_NOBODY, 1L);
  } else if (method != "GET") {
    if (method == "POST" || method == "PUT" || !body.empty()) {
      curl_easy_setopt(h.c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
      curl_easy_setopt(h.c, CURLOPT_POSTFIELDS, body.c_str());
    }
    curl_easy_setopt(h.c, CURLOPT_CUSTOMREQUEST, method.c_str());
  }
  CURLcode rc = curl_easy_perform(h.c);
  if (rc == CURLE_COULDNT_CONNECT) return tl::unexpected(connect_error(connect_reason(rc, path_)));
  if (rc != CURLE_OK) {
    return make_error(Errc::kInternal, method + " " + path + ": " + (errbuf[0] ? errbuf : curl_easy_strerror(rc)));
  }
  long code = 0;
  curl_easy_getinfo(h.c, CURLINFO_RESPONSE_CODE, &code);
  r.status = static_cast<int>(code);
  r.content_type = x.content_type;
  r.body = std::move(x.body);
  return r;
}

Result<Response> Client::call(const std::string& method, const std::string& path,
                              const Query& query, const std::string& body,
                              const Headers& headers) const {
  BERTH_ASSIGN_OR_RETURN(Response r, request(method, path, query, body, headers));
  if (r.status >= 400) return tl::unexpected(api_error(r.status, r.body));
  return r;
}

Result<Json> Client::call_json(const std::string& method, const std::string& path,
                               const Query& query, const Json& body) const {
  BERTH_ASSIGN_OR_RETURN(Response r,
                         call(method, path, query, body.is_null() ? "" : dump_json(body)));
  if (str::trim(r.body).empty()) return Json();
  return parse_json(r.body, method + " " + path);
}

Result<int> Client::stream(const std::string& method, const std::string& path,
                           const Query& query, const std::string& body, const Headers& headers,
                           const Stream& s) const {
  Exchange x;
  x.s = &s;
  CurlHandle h;
  if (!h.c) return make_error(Errc::kInternal, "curl_easy_init failed");
  char errbuf[CURL_ERROR_SIZE] = {0};
  prepare(h, x, url(path, query), path_, headers, !body.empty() || s.upload, errbuf);
  // Hand over data as it arrives, not in 16 KiB lumps.
  curl_easy_setopt(h.c, CURLOPT_BUFFERSIZE, 64L * 1024);
  if (s.upload) {
    h.headers = curl_slist_append(h.headers, "Transfer-Encoding: chunked");
    curl_easy_setopt(h.c, CURLOPT_POST, 1L);
    curl_easy_setopt(h.c, CURLOPT_READFUNCTION, on_upload);
    curl_easy_setopt(h.c, CURLOPT_READDATA, &x);
  } else if (method != "GET") {
    curl_easy_setopt(h.c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    curl_easy_setopt(h.c, CURLOPT_POSTFIELDS, body.c_str());
  }
  if (method != "GET" && method != "POST") {
    curl_easy_setopt(h.c, CURLOPT_CUSTOMREQUEST, method.c_str());
  }
  curl_easy_setopt(h.c, CURLOPT_HTTPHEADER, h.headers);
  CURLcode rc = curl_easy_perform(h.c);
  if (x.stopped) return x.status;
  if (rc == CURLE_COULDNT_CONNECT) return tl::unexpected(connect_error(connect_reason(rc, path_)));
  if (x.status >= 400) return tl::unexpected(api_error(x.status, x.body));
  if (rc != CURLE_OK) {
    return make_error(Errc::kInternal, method + " " + path + ": " + (errbuf[0] ? errbuf : curl_easy_strerror(rc)));
  }
  return x.status;
}

Result<Hijacked> Client::hijack(const std::string& path, const Query& query,
                                const Json& body) const {
  int err = 0;
  UniqueFd fd(connect_unix(path_, &err));
  if (!fd) return tl::unexpected(connect_error(std::string("connect: ") + std::strerror(err)));
  std::string target = url(path, query).substr(std::strlen("http://localhost"));
  std::string payload = body.is_null() ? "" : dump_json(body);
  std::string req = "POST " + target + " HTTP/1.1\r\nHost: localhost\r\n"
                    "User-Agent: berth-cli/0.1\r\nContent-Type: application/json\r\n"
                    "Connection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: " +
                    std::to_string(payload.size()) + "\r\n\r\n" + payload;
  if (!write_all(fd.get(), req)) return sys_error(errno, "send " + path);
  // The response header, byte runs until the blank line.
  std::string buf;
  size_t end = std::string::npos;
  char tmp[16 * 1024];
  while ((end = buf.find("\r\n\r\n")) == std::string::npos) {
    if (buf.size() > 64 * 1024) return make_error(Errc::kInternal, path + ": response header too long");
    ssize_t n = ::read(fd.get(), tmp, sizeof tmp);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return sys_error(errno, "read " + path);
    if (n == 0) return make_error(Errc::kInternal, path + ": the daemon closed the connection");
    buf.append(tmp, static_cast<size_t>(n));
  }
  std::string head = buf.substr(0, end);
  std::string rest = buf.substr(end + 4);
  auto lines = str::split(head, '\n');
  int status = 0;
  if (!lines.empty()) {
    auto sp = lines[0].find(' ');
    if (sp != std::string::npos) {
      status = static_cast<int>(str::parse_int(lines[0].substr(sp + 1, 3)).value_or(0));
    }
  }
  Hijacked out;
  int64_t length = -1;
  bool chunked = false;
  for (size_t i = 1; i < lines.size(); ++i) {
    auto colon = lines[i].find(':');
    if (colon == std::string::npos) continue;
    std::string key = str::to_lower(str::trim(std::string_view(lines[i]).substr(0, colon)));
    std::string val(str::trim(std::string_view(lines[i]).substr(colon + 1)));
    if (key == "content-type") out.content_type = val;
    if (key == "content-length") length = str::parse_int(val).value_or(-1);
    if (key == "transfer-encoding") chunked = str::to_lower(val).find("chunked") != std::string::npos;
  }
  if (status == 101 || (status >= 200 && status < 300)) {
    out.fd = std::move(fd);
    out.pending = std::move(rest);
    return out;
  }
  // An error answer: its body, by length or to the end.
  for (;;) {
    if (length >= 0 && rest.size() >= static_cast<size_t>(length)) break;
    ssize_t n = ::read(fd.get(), tmp, sizeof tmp);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    rest.append(tmp, static_cast<size_t>(n));
  }
  if (chunked) {  // de-chunk: size line, data, CRLF
    std::string plain;
    size_t i = 0;
    while (i < rest.size()) {
      size_t eol = rest.find("\r\n", i);
      if (eol == std::string::npos) break;
      size_t n = std::strtoul(rest.substr(i, eol - i).c_str(), nullptr, 16);
      if (n == 0) break;
      plain += rest.substr(eol + 2, n);
      i = eol + 2 + n + 2;
    }
    rest = plain;
  }
  return tl::unexpected(api_error(status, rest));
}

bool StdDemux::feed(const char* data, size_t n) {
  while (n > 0) {
    if (left_ == 0) {
      size_t take = std::min(n, 8 - head_.size());
      head_.append(data, take);
      data += take;
      n -= take;
      if (head_.size() < 8) return true;
      auto b = [&](int i) { return static_cast<uint32_t>(static_cast<unsigned char>(head_[i])); };
      stream_ = static_cast<int>(b(0));
      if (stream_ > 3) return false;
      left_ = b(4) << 24 | b(5) << 16 | b(6) << 8 | b(7);
      head_.clear();
      continue;
    }
    size_t take = std::min<size_t>(n, left_);
    if (!sink_(stream_, std::string_view(data, take))) return false;
    data += take;
    n -= take;
    left_ -= static_cast<uint32_t>(take);
  }
  return true;
}

}  // namespace berth::cli
