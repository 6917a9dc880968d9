#include "api/docker/http.h"

#include <grp.h>
#include <malloc.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <mutex>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <limits>
#include <optional>
#include <thread>

#include "common/fs.h"
#include "common/unique_fd.h"

namespace berth::api {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using Local = asio::local::stream_protocol;

constexpr const char* kApiVersion = "1.43";

std::string url_decode(std::string_view s, bool plus_is_space) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else if (s[i] == '+' && plus_is_space) {
      out += ' ';
    } else {
      out += s[i];
    }
  }
  return out;
}

class BeastExchange : public Exchange {
 public:
  BeastExchange(Local::socket& sock, beast::flat_buffer& buf,
                http::request_parser<http::empty_body>& hp, const Peer& peer)
      : sock_(sock), buf_(buf), hp_(hp), peer_(peer) {
    const auto& req = hp_.get();
    keep_alive_ = req.keep_alive();  // read now: body() moves the parser away
    for (const auto& f : req) headers_[std::string(f.name_string())] = std::string(f.value());
    method_ = std::string(req.method_string());
    std::string_view target(req.target().data(), req.target().size());
    target_ = std::string(target);
    auto q = target.find('?');
    std::string path = url_decode(target.substr(0, q), false);
    // docker prefixes every path with the API version it negotiated.
    static const std::regex kVersioned(R"(^/v[0-9]+\.[0-9]+(/.*)$)");
    std::smatch m;
    path_ = std::regex_match(path, m, kVersioned) ? m[1].str() : path;
    if (q != std::string_view::npos) {
      std::string_view qs = target.substr(q + 1);
      size_t i = 0;
      while (i <= qs.size()) {
        size_t amp = qs.find('&', i);
        if (amp == std::string_view::npos) amp = qs.size();
        std::string_view kv = qs.substr(i, amp - i);
        if (!kv.empty()) {
          auto eq = kv.find('=');
          query_.emplace(url_decode(kv.substr(0, eq), true),
                         eq == std::string_view::npos ? "" : url_decode(kv.substr(eq + 1), true));
        }
        i = amp + 1;
      }
    }
  }

  const std::string& method() const override { return method_; }
  const std::string& path() const override { return path_; }
  std::string query(const std::string& key, const std::string& dflt) const override {
    auto it = query_.find(key);
    return it == query_.end() ? dflt : it->second;
  }
  bool has_query(const std::string& key) const override { return query_.count(key) > 0; }
  std::vector<std::string> query_all(const std::string& key) const override {
    std::vector<std::string> out;
    auto [b, e] = query_.equal_range(key);
    for (auto it = b; it != e; ++it) out.push_back(it->second);
    return out;
  }
  std::string header(const std::string& name) const override {
    auto it = headers_.find(name);
    return it == headers_.end() ? "" : it->second;
  }
  const std::vector<std::string>& params() const override { return params_; }
  const Peer& peer() const override { return peer_; }
  const std::string& target() const override { return target_; }
  int status_sent() const override { return status_; }
  void set_params(std::vector<std::string> p) { params_ = std::move(p); }

  Result<std::string> body(size_t max_bytes) override {
    if (body_cached_) return body_;  // read before (a filter looked at it first)
    if (hp_.is_done()) return std::string();
    // Beast checks a Content-Length against the limit when it parses the header, which was
    // parsed before the limit was known: checked here, before anything is read.
    if (auto n = hp_.content_length(); n && *n > max_bytes) {
      keep_alive_ = false;  // the body stays unread on the connection
      return make_error(Errc::kInvalidArgument, "request body larger than " +
                                                    std::to_string(max_bytes) + " bytes");
    }
    http::request_parser<http::string_body> p(std::move(hp_));
    p.body_limit(max_bytes);
    beast::error_code ec;
    http::read(sock_, buf_, p, ec);
    body_read_ = true;
    if (ec) keep_alive_ = false;  // the rest of the body is still on the connection
    if (ec == http::error::body_limit) {  // a chunked body grew past it
      return make_error(Errc::kInvalidArgument, "request body larger than " +
                                                    std::to_string(max_bytes) + " bytes");
    }
    if (ec) return make_error(Errc::kUnavailable, "read request body: " + ec.message());
    body_ = std::move(p.get().body());
    body_cached_ = true;
    return body_;
  }

  Result<void> body_stream(
      const std::function<Result<void>(const char*, size_t)>& sink) override {
    if (hp_.is_done()) return {};
    http::request_parser<http::buffer_body> p(std::move(hp_));
    p.body_limit(std::numeric_limits<std::uint64_t>::max());  // none: boost::none means 0 in 1.74
    body_read_ = true;
    std::string chunk(1 << 20, '\0');
    while (!p.is_done()) {
      p.get().body().data = chunk.data();
      p.get().body().size = chunk.size();
      beast::error_code ec;
      http::read(sock_, buf_, p, ec);
      if (ec == http::error::need_buffer) ec = {};
      if (ec) {
        keep_alive_ = false;
        return make_error(Errc::kUnavailable, "read request body: " + ec.message());
      }
      size_t n = chunk.size() - p.get().body().size;
      if (n > 0) BERTH_TRY(sink(chunk.data(), n));
    }
    return {};
  }

  bool client_gone() override {
    pollfd p{sock_.native_handle(), POLLRDHUP, 0};
    return ::poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR));
  }

  void set_header(const std::string& name, const std::string& value) override {
    extra_headers_.emplace_back(name, value);
  }

  template <class Msg>
  void common_headers(Msg& res) {
    for (auto& [k, v] : extra_headers_) res.set(k, v);
    res.set(http::field::server, "Docker/berth (linux)");
    res.set("Api-Version", kApiVersion);
    res.set("Docker-Experimental", "false");
    res.set("Ostype", "linux");
  }

  // A body the handler did not read is read and dropped (up to 1 MiB) so that the connection
  // can serve the next request; a larger one closes it. Clients such as kubectl send a body
  // with a DELETE and reuse the connection.
  void drain_body() {
    if (!body_read_ && !hp_.is_done()) (void)body(1 << 20);
  }

  void reply(int status, const std::string& body, const std::string& content_type) override {
    drain_body();
    status_ = status;
    http::response<http::string_body> res{static_cast<http::status>(status), 11};
    common_headers(res);
    if (!body.empty() || status != 204) res.set(http::field::content_type, content_type);
    res.body() = method_ == "HEAD" ? "" : body;  // a HEAD answer has headers only
    res.keep_alive(keep_alive());
    res.prepare_payload();
    beast::error_code ec;
    http::write(sock_, res, ec);
    answered_ = true;
    if (ec) broken_ = true;
  }

  Result<void> begin_stream(int status, const std::string& content_type) override {
    status_ = status;
    http::response<http::empty_body> res{static_cast<http::status>(status), 11};
    common_headers(res);
    res.set(http::field::content_type, content_type);
    res.chunked(true);
    res.keep_alive(keep_alive());
    http::response_serializer<http::empty_body> sr{res};
    beast::error_code ec;
    http::write_header(sock_, sr, ec);
    answered_ = true;
    streaming_ = true;
    if (ec) {
      broken_ = true;
      return make_error(Errc::kCanceled, "client went away");
    }
    return {};
  }

  Result<void> write(std::string_view data) override {
    if (data.empty()) return {};
    beast::error_code ec;
    asio::write(sock_, http::make_chunk(asio::buffer(data.data(), data.size())), ec);
    if (ec) {
      broken_ = true;
      return make_error(Errc::kCanceled, "client went away");
    }
    return {};
  }

  void end_stream() override {
    beast::error_code ec;
    asio::write(sock_, http::make_chunk_last(), ec);
    if (ec) broken_ = true;
    streaming_ = false;
  }

  Result<int> hijack(const std::string& content_type) override {
    status_ = 101;
    std::string head = "HTTP/1.1 101 UPGRADED\r\nContent-Type: " + content_type +
                       "\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nApi-Version: " + kApiVersion +
                       "\r\n\r\n";
    beast::error_code ec;
    asio::write(sock_, asio::buffer(head), ec);
    answered_ = true;
    hijacked_ = true;
    if (ec) return make_error(Errc::kCanceled, "client went away");
    int fd = ::fcntl(sock_.native_handle(), F_DUPFD_CLOEXEC, 0);
    if (fd < 0) return sys_error(errno, "dup hijacked socket");
    return fd;
  }

  bool keep_alive() const { return keep_alive_; }
  bool answered() const { return answered_; }
  bool reusable() const {
    return !broken_ && !hijacked_ && !streaming_ && keep_alive_ && (body_read_ || hp_.is_done());
  }

 private:
  Local::socket& sock_;
  beast::flat_buffer& buf_;
  http::request_parser<http::empty_body>& hp_;
  const Peer& peer_;
  std::string target_;
  int status_ = 0;
  std::string body_;  // the body once read whole, for a second body() call
  bool body_cached_ = false;
  std::string method_, path_;
  std::multimap<std::string, std::string> query_;
  std::map<std::string, std::string, beast::iless> headers_;
  std::vector<std::string> params_;
  bool keep_alive_ = false;
  std::vector<std::pair<std::string, std::string>> extra_headers_;
  bool answered_ = false, broken_ = false, hijacked_ = false, streaming_ = false,
       body_read_ = false;
};

}  // namespace

void Exchange::error(const Error& e) { error(http_status(e.code), e.message); }

void Exchange::error(int status, const std::string& message) {
  reply_json(status, Json{{"message", message}});
}

int http_status(Errc code) {
  switch (code) {
    case Errc::kNotFound: return 404;
    case Errc::kInvalidArgument: return 400;
    case Errc::kAlreadyExists:
    case Errc::kConflict:
    case Errc::kFailedPrecondition: return 409;
    case Errc::kUnauthenticated: return 401;
    case Errc::kPermissionDenied: return 403;
    case Errc::kNotImplemented: return 501;
    default: return 500;
  }
}

void Router::add(const std::string& method, const std::string& pattern, Handler h) {
  routes_.push_back({method, std::regex("^" + pattern + "$"), std::move(h)});
}

void Router::dispatch(Exchange& ex) const {
  auto* bex = static_cast<BeastExchange*>(&ex);
  bool path_known = false;
  for (const auto& r : routes_) {
    std::smatch m;
    if (!std::regex_match(ex.path(), m, r.re)) continue;
    path_known = true;
    if (r.method != ex.method() && !(r.method == "GET" && ex.method() == "HEAD")) continue;
    std::vector<std::string> params;
    for (size_t i = 1; i < m.size(); ++i) params.push_back(m[i].str());
    bex->set_params(std::move(params));
    // A body of the wrong shape (a null where a number belongs) is the client's error; no
    // request may take the daemon down.
    try {
      r.handler(ex);
    } catch (const Json::exception& e) {
      if (!bex->answered()) ex.error(400, std::string("invalid request: ") + e.what());
    } catch (const std::exception& e) {
      if (!bex->answered()) ex.error(500, e.what());
    }
    return;
  }
  ex.error(path_known ? 405 : 404, path_known ? "method not allowed" : "page not found");
}

namespace {

// glibc keeps what a connection's thread freed in that thread's arena (an image import leaves
// megabytes there). Once a second has passed without a request ending, the free memory of
// every arena goes back to the system: an idle daemon holds only what it uses.
class IdleTrim {
 public:
  static IdleTrim& get() {
    static IdleTrim* t = new IdleTrim();  // lives as long as the process; its thread too
    return *t;
  }
  void request_done() {
    std::lock_guard<std::mutex> l(mu_);
    last_ = std::chrono::steady_clock::now();
    dirty_ = true;
    cv_.notify_one();
  }

 private:
  IdleTrim() {
    std::thread([this] { run(); }).detach();
  }
  void run() {
    std::unique_lock<std::mutex> l(mu_);
    for (;;) {
      cv_.wait(l, [&] { return dirty_; });
      // A second after the last request, however many end meanwhile.
      while (std::chrono::steady_clock::now() < last_ + std::chrono::seconds(1)) {
        cv_.wait_until(l, last_ + std::chrono::seconds(1));
      }
      dirty_ = false;
      l.unlock();
      ::malloc_trim(0);
      l.lock();
    }
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::chrono::steady_clock::time_point last_;
  bool dirty_ = false;
};

}  // namespace

struct Server::Impl {
  asio::io_context ioc;
  Local::acceptor acceptor{ioc};
  const Router* router = nullptr;
  std::string path;
  // Without a unix socket, run() waits here for stop().
  std::mutex mu;
  std::condition_variable stopped_cv;
  bool stopped = false;

  void session(Local::socket sock, const Peer& peer = {}) {
    beast::flat_buffer buf;
    for (;;) {
      http::request_parser<http::empty_body> hp;
      hp.body_limit(std::numeric_limits<std::uint64_t>::max());  // none: boost::none means 0 in 1.74
      beast::error_code ec;
      http::read_header(sock, buf, hp, ec);
      if (ec) return;  // closed, or not HTTP
      BeastExchange ex(sock, buf, hp, peer);
      router->dispatch(ex);
      if (!ex.answered()) ex.error(500, "no answer");
      IdleTrim::get().request_done();
      if (!ex.reusable()) {
        beast::error_code ignored;
        sock.shutdown(Local::socket::shutdown_send, ignored);
        return;
      }
    }
  }
};

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Server::~Server() = default;

Result<std::unique_ptr<Server>> Server::listen(const std::string& path, const Router& router) {
  auto impl = std::make_unique<Impl>();
  impl->router = &router;
  impl->path = path;
  if (path.empty()) return std::unique_ptr<Server>(new Server(std::move(impl)));
  // A live daemon on the socket keeps it; a stale socket file is replaced.
  {
    UniqueFd probe(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    if (path.size() >= sizeof sa.sun_path) {
      return make_error(Errc::kInvalidArgument, "socket path `" + path + "` is too long");
    }
    std::memcpy(sa.sun_path, path.c_str(), path.size() + 1);
    if (::connect(probe.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0) {
      return make_error(Errc::kAlreadyExists,
                        "a daemon is already listening on `" + path + "`");
    }
  }
  ::unlink(path.c_str());
  beast::error_code ec;
  impl->acceptor.open(Local(), ec);
  if (!ec) impl->acceptor.bind(Local::endpoint(path), ec);
  if (!ec) impl->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return make_error(Errc::kPermissionDenied, "listen on `" + path + "`: " + ec.message());
  }
  ::fcntl(impl->acceptor.native_handle(), F_SETFD, FD_CLOEXEC);
  // root:berth 0660 (root:root when there is no berth group), as dockerd's docker group.
  gid_t gid = 0;
  if (struct group* g = ::getgrnam("berth")) gid = g->gr_gid;
  (void)!::chown(path.c_str(), 0, gid);
  ::chmod(path.c_str(), 0660);
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

void Server::run() {
  if (impl_->path.empty()) {
    std::unique_lock<std::mutex> l(impl_->mu);
    impl_->stopped_cv.wait(l, [&] { return impl_->stopped; });
    return;
  }
  for (;;) {
    Local::socket sock(impl_->ioc);
    beast::error_code ec;
    impl_->acceptor.accept(sock, ec);
    if (ec) {
      if (!impl_->acceptor.is_open() || ec == asio::error::bad_descriptor ||
          ec == asio::error::invalid_argument || ec == asio::error::operation_aborted) {
        return;
      }
      continue;
    }
    ::fcntl(sock.native_handle(), F_SETFD, FD_CLOEXEC);
    std::thread([this, s = std::move(sock)]() mutable { impl_->session(std::move(s)); }).detach();
  }
}

void Server::stop() {
  {
    std::lock_guard<std::mutex> l(impl_->mu);
    impl_->stopped = true;
  }
  impl_->stopped_cv.notify_all();
  if (impl_->path.empty()) return;
  // Wakes the blocking accept(); the socket file goes with the daemon.
  ::shutdown(impl_->acceptor.native_handle(), SHUT_RDWR);
  ::unlink(impl_->path.c_str());
}

void Server::serve_connection(int fd, const Peer& peer) {
  Local::socket sock(impl_->ioc);
  beast::error_code ec;
  sock.assign(Local(), fd, ec);
  if (ec) {
    ::close(fd);
    return;
  }
  impl_->session(std::move(sock), peer);
}

Result<std::string> spool_body(Exchange& ex, const std::string& root) {
  std::string dir = root + "/tmp";
  BERTH_TRY(fs::mkdir_all(dir, 0700));
  std::string path = dir + "/body-XXXXXX";
  int fd = ::mkstemp(path.data());
  if (fd < 0) return sys_error(errno, "create `" + path + "`");
  UniqueFd guard(fd);
  auto r = ex.body_stream([&](const char* d, size_t n) -> Result<void> {
    while (n > 0) {
      ssize_t w = ::write(fd, d, n);
      if (w < 0) {
        if (errno == EINTR) continue;
        return sys_error(errno, "write `" + path + "`");
      }
      d += w;
      n -= static_cast<size_t>(w);
    }
    return {};
  });
  if (!r) {
    ::unlink(path.c_str());
    return tl::unexpected(r.error());
  }
  return path;
}


}  // namespace berth::api
