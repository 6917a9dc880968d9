#include "image/registry.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <stdlib.h>

#include <cstring>

#include <mutex>
#include <vector>

#include "common/digest.h"
#include "common/fs.h"
#include "common/json.h"
#include "common/strings.h"
#include "image/content_store.h"

namespace berth::image {
namespace {

// The keys `docker login` may have used for a registry.
std::vector<std::string> auth_keys(const std::string& registry) {
  if (registry == "docker.io" || registry == "registry-1.docker.io" ||
      registry == "index.docker.io") {
    return {"https://index.docker.io/v1/", "docker.io", "index.docker.io"};
  }
  return {registry, "https://" + registry, "http://" + registry, "https://" + registry + "/v1/"};
}

void curl_init_once() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// `Bearer realm="...",service="...",scope="..."` -> scheme + params.
std::pair<std::string, std::map<std::string, std::string>> parse_challenge(std::string_view h) {
  std::map<std::string, std::string> params;
  auto sp = h.find(' ');
  std::string scheme = str::to_lower(std::string(h.substr(0, sp)));
  if (sp == std::string_view::npos) return {scheme, params};
  std::string_view rest = h.substr(sp + 1);
  size_t i = 0;
  while (i < rest.size()) {
    while (i < rest.size() && (rest[i] == ' ' || rest[i] == ',')) ++i;
    size_t eq = rest.find('=', i);
    if (eq == std::string_view::npos) break;
    std::string key = str::to_lower(std::string(str::trim(rest.substr(i, eq - i))));
    i = eq + 1;
    std::string val;
    if (i < rest.size() && rest[i] == '"') {
      ++i;
      while (i < rest.size() && rest[i] != '"') {
        if (rest[i] == '\\' && i + 1 < rest.size()) ++i;
        val += rest[i++];
      }
      ++i;
    } else {
      size_t end = rest.find(',', i);
      val = std::string(str::trim(rest.substr(i, end == std::string_view::npos ? end : end - i)));
      i = end == std::string_view::npos ? rest.size() : end;
    }
    params[key] = val;
  }
  return {scheme, params};
}

std::string url_escape(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::string> headers;
  std::string body;                  // small bodies
  const ReadFn* upload = nullptr;    // large bodies, `upload_size` bytes
  int64_t upload_size = 0;
  const WriteFn* sink = nullptr;     // 2xx body goes here instead of into the response
  int64_t max_body = kMaxJsonBlobBytes;
  std::function<void(long status)> on_status;
  std::function<void(int64_t)> on_upload;
  bool auth = true;
};

struct HttpResponse {
  long status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names, last value wins
};

struct Transfer {
  Transfer(HttpRequest* rq, HttpResponse* rs, CURL* c) : req(rq), resp(rs), curl(c) {}
  HttpRequest* req;
  HttpResponse* resp;
  CURL* curl;
  bool status_seen = false;
  bool too_large = false;
  std::optional<Error> error;
  std::string_view small_body;
  size_t small_off = 0;
  int64_t uploaded = 0;
};

size_t header_cb(char* data, size_t size, size_t n, void* ctx) {
  auto* t = static_cast<Transfer*>(ctx);
  std::string_view line(data, size * n);
  if (line.starts_with("HTTP/")) {
    t->resp->headers.clear();  // a new response (after a redirect or 100-continue)
    return size * n;
  }
  auto colon = line.find(':');
  if (colon != std::string_view::npos) {
    t->resp->headers[str::to_lower(std::string(line.substr(0, colon)))] =
        std::string(str::trim(line.substr(colon + 1)));
  }
  return size * n;
}

size_t write_cb(char* data, size_t size, size_t n, void* ctx) {
  auto* t = static_cast<Transfer*>(ctx);
  size_t len = size * n;
  if (!t->status_seen) {
    t->status_seen = true;
    curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &t->resp->status);
    if (t->req->on_status) t->req->on_status(t->resp->status);
  }
  bool ok = t->resp->status >= 200 && t->resp->status < 300;
  if (ok && t->req->sink) {
    auto r = (*t->req->sink)(data, len);
    if (!r) {
      t->error = r.error();
      return 0;
    }
    return len;
  }
  if (t->req->max_body >= 0 &&
      static_cast<int64_t>(t->resp->body.size() + len) > t->req->max_body) {
    t->too_large = true;
    return 0;
  }
  t->resp->body.append(data, len);
  return len;
}

size_t read_cb(char* buf, size_t size, size_t n, void* ctx) {
  auto* t = static_cast<Transfer*>(ctx);
  size_t cap = size * n;
  size_t got = 0;
  if (t->req->upload) {
    auto r = (*t->req->upload)(buf, std::min<int64_t>(cap, t->req->upload_size - t->uploaded));
    if (!r) {
      t->error = r.error();
      return CURL_READFUNC_ABORT;
    }
    got = *r;
  } else {
    got = std::min(cap, t->small_body.size() - t->small_off);
    std::memcpy(buf, t->small_body.data() + t->small_off, got);
    t->small_off += got;
  }
  t->uploaded += static_cast<int64_t>(got);
  if (t->req->on_upload) t->req->on_upload(t->uploaded);
  return got;
}

}  // namespace

std::string default_auth_config() {
  const char* dc = ::getenv("DOCKER_CONFIG");
  if (dc && *dc) return fs::join(dc, "config.json");
  const char* home = ::getenv("HOME");
  return fs::join(home && *home ? home : "/root", ".docker/config.json");
}

Result<std::optional<Credentials>> load_credentials(const std::string& path,
                                                    const std::string& registry) {
  auto text = fs::read_file(path.empty() ? default_auth_config() : path);
  if (!text) {
    return std::optional<Credentials>();
  }
  BERTH_ASSIGN_OR_RETURN(Json j, parse_json(*text, path));
  if (!j.is_object() || !j.contains("auths") || !j["auths"].is_object()) {
    return std::optional<Credentials>();
  }
  for (const auto& key : auth_keys(registry)) {
    auto it = j["auths"].find(key);
    if (it == j["auths"].end() || !it->is_object()) continue;
    Credentials c;
    if (auto a = it->find("auth"); a != it->end() && a->is_string() &&
                                   !a->get<std::string>().empty()) {
      auto dec = str::base64_decode(a->get<std::string>());
      auto colon = dec ? dec->find(':') : std::string::npos;
      if (colon == std::string::npos) {
        return make_error(Errc::kInvalidArgument, path + ": the `auth` of `" + key +
                                                      "` is not base64 of user:password");
      }
      c.username = dec->substr(0, colon);
      c.password = dec->substr(colon + 1);
    }
    if (auto t = it->find("identitytoken"); t != it->end() && t->is_string()) {
      c.username = "<token>";
      c.password = t->get<std::string>();
    }
    if (!c.username.empty()) return std::optional<Credentials>(c);
  }
  return std::optional<Credentials>();
}

Result<void> store_credentials(const std::string& path_in, const std::string& registry,
                               const std::optional<Credentials>& creds) {
  std::string path = path_in.empty() ? default_auth_config() : path_in;
  Json j = Json::object();
  if (auto text = fs::read_file(path)) {
    BERTH_ASSIGN_OR_RETURN(j, parse_json(*text, path));
  }
  if (!j.is_object()) j = Json::object();
  if (!j.contains("auths") || !j["auths"].is_object()) j["auths"] = Json::object();
  for (const auto& key : auth_keys(registry)) j["auths"].erase(key);
  if (creds) {
    j["auths"][auth_keys(registry)[0]] = {
        {"auth", str::base64_encode(creds->username + ":" + creds->password)}};
  }
  auto slash = path.rfind('/');
  if (slash != std::string::npos) BERTH_TRY(fs::mkdir_all(path.substr(0, slash), 0700));
  return fs::atomic_write(path, dump_json(j, 1) + "\n", 0600);
}

bool is_insecure_registry(const std::string& host, const std::vector<std::string>& insecure) {
  for (const auto& h : insecure) {
    if (h == host) return true;
  }
  std::string name = host;
  if (name.starts_with("[")) {
    name = name.substr(1, name.find(']') - 1);
  } else if (auto c = name.rfind(':'); c != std::string::npos) {
    name = name.substr(0, c);
  }
  if (name == "localhost" || name == "::1") return true;
  in_addr a{};
  return ::inet_pton(AF_INET, name.c_str(), &a) == 1 && (ntohl(a.s_addr) >> 24) == 127;
}

struct RegistryClient::Impl {
  std::string host, repository;
  bool insecure;
  std::optional<Credentials> creds;
  bool push;
  std::string scheme;  // "https" or "http" (insecure fallback)
  std::mutex mu;       // guards the auth state below (blobs download in parallel)
  std::string auth_header;  // current Authorization value
  bool basic = false;

  std::string url(const std::string& path) const { return scheme + "://" + host + path; }
  std::string repo_url(const std::string& tail) const {
    return url("/v2/" + repository + tail);
  }

  Result<HttpResponse> perform(HttpRequest& req) {
    curl_init_once();
    CURL* c = curl_easy_init();
    std::unique_ptr<CURL, void (*)(CURL*)> guard(c, curl_easy_cleanup);
    HttpResponse resp;
    Transfer t(&req, &resp, c);
    t.small_body = req.body;
    curl_slist* hdrs = nullptr;
    for (auto& h : req.headers) hdrs = curl_slist_append(hdrs, h.c_str());
    if (req.auth) {
      std::lock_guard<std::mutex> l(mu);
      if (!auth_header.empty()) {
        hdrs = curl_slist_append(hdrs, ("Authorization: " + auth_header).c_str());
      }
    }
    if (req.method == "PUT" || req.method == "PATCH" || req.method == "POST") {
      // No "Expect: 100-continue" round trip before each body.
      hdrs = curl_slist_append(hdrs, "Expect:");
    }
    std::unique_ptr<curl_slist, void (*)(curl_slist*)> hguard(hdrs, curl_slist_free_all);
    curl_easy_setopt(c, CURLOPT_URL, req.url.c_str());
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "berth/0.1 (docker-compatible)");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);  // stalled for 60 s = failed
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, header_cb);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &t);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_cb);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
    curl_easy_setopt(c, CURLOPT_BUFFERSIZE, 512L * 1024);
    if (insecure) {
      curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
      curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (req.method == "HEAD") {
      curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    } else if (req.method == "PUT" || req.method == "PATCH" || req.method == "POST") {
      curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
      curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req.method.c_str());
      curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
      curl_easy_setopt(c, CURLOPT_READDATA, &t);
      curl_off_t n = req.upload ? req.upload_size : static_cast<curl_off_t>(req.body.size());
      curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, n);
      // Big reads for blob uploads (and no Expect: 100-continue, see the headers above).
      curl_easy_setopt(c, CURLOPT_UPLOAD_BUFFERSIZE, 2L * 1024 * 1024);

    } else if (req.method != "GET") {
      curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req.method.c_str());
    }
    CURLcode rc = curl_easy_perform(c);
    if (!t.status_seen) {
      curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp.status);
    }
    if (t.error) return tl::unexpected(*t.error);
    if (t.too_large) {
      return make_error(Errc::kResourceExhausted,
                        req.url + ": response larger than " + std::to_string(req.max_body) +
                            " bytes");
    }
    if (rc != CURLE_OK) {
      Errc code = rc == CURLE_OPERATION_TIMEDOUT ? Errc::kDeadlineExceeded : Errc::kUnavailable;
      return make_error(code, req.method + " " + req.url + ": " + curl_easy_strerror(rc));
    }
    return resp;
  }

  // perform() with docker's auth dance on a 401, and the HTTPS -> HTTP fallback of insecure
  // registries on the first request.
  Result<HttpResponse> send(HttpRequest req) {
    for (int attempt = 0; attempt < 3; ++attempt) {
      auto resp = perform(req);
      if (!resp && insecure && scheme == "https" && resp.error().code == Errc::kUnavailable) {
        scheme = "http";
        req.url = "http" + req.url.substr(5);
        continue;
      }
      if (!resp) return resp;
      if (resp->status != 401 || !req.auth || attempt == 2 || req.upload) return resp;
      auto it = resp->headers.find("www-authenticate");
      if (it == resp->headers.end()) return resp;
      BERTH_TRY(authenticate(it->second));
    }
    return make_error(Errc::kUnauthenticated, req.url + ": authentication failed");
  }

  Result<void> authenticate(const std::string& challenge) {
    auto [scheme_name, params] = parse_challenge(challenge);
    if (scheme_name == "basic") {
      if (!creds) {
        return make_error(Errc::kUnauthenticated,
                          host + ": authentication required (no credentials; berth login " +
                              host + ")");
      }
      std::lock_guard<std::mutex> l(mu);
      auth_header = "Basic " + str::base64_encode(creds->username + ":" + creds->password);
      return {};
    }
    if (scheme_name != "bearer" || params["realm"].empty()) {
      return make_error(Errc::kUnauthenticated, host + ": unsupported auth challenge `" +
                                                    challenge + "`");
    }
    std::string token_url = params["realm"];
    token_url += token_url.find('?') == std::string::npos ? "?" : "&";
    if (!params["service"].empty()) token_url += "service=" + url_escape(params["service"]) + "&";
    std::string scope =
        "repository:" + repository + (push ? ":pull,push" : ":pull");
    token_url += "scope=" + url_escape(scope);
    HttpRequest tr;
    tr.url = token_url;
    tr.auth = false;
    if (creds) {
      tr.headers.push_back("Authorization: Basic " +
                           str::base64_encode(creds->username + ":" + creds->password));
    }
    BERTH_ASSIGN_OR_RETURN(HttpResponse resp, perform(tr));
    if (resp.status != 200) {
      return make_error(Errc::kUnauthenticated, "get token from " + params["realm"] + ": HTTP " +
                                                    std::to_string(resp.status) + " " +
                                                    std::string(str::trim(resp.body)));
    }
    BERTH_ASSIGN_OR_RETURN(Json j, parse_json(resp.body, "token response"));
    std::string token = j.value("token", "");
    if (token.empty()) token = j.value("access_token", "");
    if (token.empty()) {
      return make_error(Errc::kUnauthenticated, "token response from " + params["realm"] +
                                                    " holds no token");
    }
    std::lock_guard<std::mutex> l(mu);
    auth_header = "Bearer " + token;
    return {};
  }

  // The registry's error for a non-2xx answer, in the distribution spec's error codes.
  Error http_error(const HttpResponse& r, const std::string& what) {
    Errc code = Errc::kInternal;
    if (r.status == 401 || r.status == 403) code = Errc::kUnauthenticated;
    if (r.status == 404) code = Errc::kNotFound;
    if (r.status == 429 || r.status >= 500) code = Errc::kUnavailable;
    std::string msg;
    if (auto j = parse_json(r.body, "error"); j && j->is_object() && j->contains("errors") &&
                                             (*j)["errors"].is_array() &&
                                             !(*j)["errors"].empty()) {
      auto& e = (*j)["errors"][0];
      msg = e.value("message", e.value("code", ""));
      if (e.value("code", "") == "MANIFEST_UNKNOWN" || e.value("code", "") == "NAME_UNKNOWN") {
        code = Errc::kNotFound;
      }
    }
    if (msg.empty()) msg = "HTTP " + std::to_string(r.status);
    return Error{code, what + ": " + msg};
  }

  std::string location(const HttpResponse& r) const {
    auto it = r.headers.find("location");
    if (it == r.headers.end()) return "";
    if (it->second.starts_with("http://") || it->second.starts_with("https://")) return it->second;
    return url(it->second);
  }
};

RegistryClient::RegistryClient(std::string host, std::string repository, bool insecure,
                               std::optional<Credentials> creds, bool push)
    : impl_(std::make_unique<Impl>()) {
  impl_->host = std::move(host);
  impl_->repository = std::move(repository);
  impl_->insecure = insecure;
  impl_->creds = std::move(creds);
  impl_->push = push;
  impl_->scheme = "https";
}
RegistryClient::~RegistryClient() = default;

Result<void> RegistryClient::ping() {
  HttpRequest r;
  r.url = impl_->url("/v2/");
  BERTH_ASSIGN_OR_RETURN(HttpResponse resp, impl_->send(r));
  if (resp.status == 200) return {};
  return tl::unexpected(impl_->http_error(resp, "login to " + impl_->host));
}

Result<FetchedManifest> RegistryClient::get_manifest(const std::string& reference) {
  HttpRequest r;
  r.url = impl_->repo_url("/manifests/" + reference);
  r.headers.push_back("Accept: " + std::string(media::kOciIndex) + ", " +
                      std::string(media::kOciManifest) + ", " +
                      std::string(media::kDockerManifestList) + ", " +
                      std::string(media::kDockerManifest));
  BERTH_ASSIGN_OR_RETURN(HttpResponse resp, impl_->send(r));
  std::string what = impl_->host + "/" + impl_->repository + ":" + reference;
  if (resp.status != 200) return tl::unexpected(impl_->http_error(resp, "manifest for " + what));
  FetchedManifest m;
  m.digest = sha256_digest(resp.body);
  if (reference.starts_with("sha256:") && reference != m.digest) {
    return make_error(Errc::kDataLoss, "manifest " + reference + ": content does not match");
  }
  BERTH_ASSIGN_OR_RETURN(m.media_type, detect_media_type(resp.body, resp.headers["content-type"]));
  m.bytes = std::move(resp.body);
  return m;
}

Result<void> RegistryClient::get_blob(const std::string& digest, int64_t offset,
                                      const std::function<void(bool)>& on_start,
                                      const WriteFn& sink) {
  HttpRequest r;
  r.url = impl_->repo_url("/blobs/" + digest);
  if (offset > 0) r.headers.push_back("Range: bytes=" + std::to_string(offset) + "-");
  r.sink = &sink;
  r.on_status = [&](long status) {
    if (status >= 200 && status < 300 && on_start) on_start(status == 206);
  };
  BERTH_ASSIGN_OR_RETURN(HttpResponse resp, impl_->send(r));
  if (resp.status == 416 && offset > 0) {
    return get_blob(digest, 0, on_start, sink);  // our partial file was longer than the blob
  }
  if (resp.status < 200 || resp.status >= 300) {
    return tl::unexpected(impl_->http_error(resp, "blob " + digest));
  }
  return {};
}

Result<bool> RegistryClient::blob_exists(const std::string& digest) {
  HttpRequest r;
  r.method = "HEAD";
  r.url = impl_->repo_url("/blobs/" + digest);
  BERTH_ASSIGN_OR_RETURN(HttpResponse resp, impl_->send(r));
  if (resp.status == 200) return true;
  if (resp.status == 404) return false;
  return tl::unexpected(impl_->http_error(resp, "blob " + digest));
}

Result<bool> RegistryClient::mount_blob(const std::string& digest, const std::string& from) {
  HttpRequest r;
  r.method = "POST";
  r.url = impl_->repo_url("/blobs/uploads/?mount=" + url_escape(digest) + "&from=" +
                          url_escape(from));
  BERTH_ASSIGN_OR_RETURN(HttpResponse resp, impl_->send(r));
  if (resp.status == 201) return true;
  if (resp.status == 202) return false;
  return tl::unexpected(impl_->http_error(resp, "mount blob " + digest));
}

Result<void> RegistryClient::put_blob(const std::string& digest, int64_t size, const ReadFn& read,
                                      int64_t chunk_bytes,
                                      const std::function<void(int64_t)>& on_progress) {
  HttpRequest start;
  start.method = "POST";
  start.url = impl_->repo_url("/blobs/uploads/");
  BERTH_ASSIGN_OR_RETURN(HttpResponse resp, impl_->send(start));
  if (resp.status != 202) {
    return tl::unexpected(impl_->http_error(resp, "start upload of " + digest));
  }
  std::string loc = impl_->location(resp);
  int64_t sent = 0;
  if (chunk_bytes > 0) {
    while (sent < size) {
      int64_t n = std::min(chunk_bytes, size - sent);
      int64_t chunk_sent = 0;
      ReadFn limited = [&](char* buf, size_t cap) -> Result<size_t> {
        size_t want = static_cast<size_t>(std::min<int64_t>(cap, n - chunk_sent));
        BERTH_ASSIGN_OR_RETURN(size_t got, read(buf, want));
        chunk_sent += static_cast<int64_t>(got);
        return got;
      };
      HttpRequest patch;
      patch.method = "PATCH";
      patch.url = loc;
      patch.upload = &limited;
      patch.upload_size = n;
      patch.headers = {"Content-Type: application/octet-stream",
                       "Content-Range: " + std::to_string(sent) + "-" +
                           std::to_string(sent + n - 1)};
      int64_t base = sent;
      patch.on_upload = [&](int64_t k) {
        if (on_progress) on_progress(base + k);
      };
      BERTH_ASSIGN_OR_RETURN(HttpResponse pr, impl_->send(patch));
      if (pr.status != 202) {
        return tl::unexpected(impl_->http_error(pr, "upload chunk of " + digest));
      }
      loc = impl_->location(pr);
      sent += n;
    }
  }
  HttpRequest put;
  put.method = "PUT";
  put.url = loc + (loc.find('?') == std::string::npos ? "?" : "&") + "digest=" + url_escape(digest);
  put.headers = {"Content-Type: application/octet-stream"};
  if (chunk_bytes <= 0) {
    put.upload = &read;
    put.upload_size = size;
    put.on_upload = on_progress;
  }
  BERTH_ASSIGN_OR_RETURN(HttpResponse pr, impl_->send(put));
  if (pr.status != 201) {
    return tl::unexpected(impl_->http_error(pr, "upload of " + digest));
  }
  return {};
}

Result<std::string> RegistryClient::put_manifest(const std::string& reference,
                                                 const std::string& bytes,
                                                 const std::string& media_type) {
  HttpRequest r;
  r.method = "PUT";
  r.url = impl_->repo_url("/manifests/" + reference);
  r.body = bytes;
  r.headers = {"Content-Type: " + media_type};
  BERTH_ASSIGN_OR_RETURN(HttpResponse resp, impl_->send(r));
  if (resp.status != 201 && resp.status != 200) {
    return tl::unexpected(impl_->http_error(resp, "push manifest " + reference));
  }
  return sha256_digest(bytes);
}

}  // namespace berth::image
