// The HTTP side of the Docker Engine API server: a unix-socket listener (Boost.Beast over
// Asio), one thread per connection (attach, logs -f and events hold theirs for long), a
// router on method + path pattern with docker's optional /v<major>.<minor> prefix, and the
// response shapes docker clients expect: JSON bodies, `{"message": ...}` errors, chunked
// streams (pull progress, logs) and hijacked connections (attach).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "common/json.h"

namespace berth::api {

// Who is on the other end of a connection, as its transport proved it: the subject of a
// verified TLS client certificate (CN = user, O = groups, as Kubernetes' x509 authenticator
// reads it). Empty for the unix socket and for TLS clients without a certificate.
struct Peer {
  std::string address;  // the client's IP address ("" = a unix socket)
  bool verified = false;
  std::string common_name;
  std::vector<std::string> organizations;
};

// One request and the connection it came on. Handlers answer exactly once: reply()/error(),
// or begin_stream() + write() (+ end_stream()), or hijack().
class Exchange {
 public:
  virtual ~Exchange() = default;
  virtual const std::string& method() const = 0;
  virtual const std::string& path() const = 0;  // without the /vX.Y prefix and the query
  virtual std::string query(const std::string& key, const std::string& dflt = "") const = 0;
  virtual bool has_query(const std::string& key) const = 0;
  // Every value of a repeated parameter (`changes=..&changes=..`, `names=..`).
  virtual std::vector<std::string> query_all(const std::string& key) const = 0;
  virtual std::string header(const std::string& name) const = 0;
  virtual const Peer& peer() const = 0;
  // The request target as sent: path and query ("/api/v1/pods?watch=1").
  virtual const std::string& target() const = 0;
  // The status of the response begun so far (0 = none yet).
  virtual int status_sent() const = 0;
  // Path parameters captured by the route pattern, in order.
  virtual const std::vector<std::string>& params() const = 0;
  // The whole body (refused above `max_bytes`); a second call returns it again. Errors:
  // kInvalidArgument (too large: then the connection closes after the reply), kUnavailable.
  virtual Result<std::string> body(size_t max_bytes = 16 << 20) = 0;
  // The body in pieces (image loads, build contexts): `sink` gets each; ends at the body's end.
  virtual Result<void> body_stream(const std::function<Result<void>(const char*, size_t)>& sink) = 0;

  // A header for the response that follows (reply, begin_stream).
  virtual void set_header(const std::string& name, const std::string& value) = 0;
  virtual void reply(int status, const std::string& body,
                     const std::string& content_type = "application/json") = 0;
  void reply_json(int status, const Json& j) { reply(status, dump_json(j) + "\n"); }
  // Docker's error body {"message": "..."} with the status that `e.code` maps to.
  void error(const Error& e);
  void error(int status, const std::string& message);

  // A chunked response; write() sends one chunk and fails once the client went away.
  virtual Result<void> begin_stream(int status, const std::string& content_type) = 0;
  virtual Result<void> write(std::string_view data) = 0;
  virtual void end_stream() = 0;
  // Whether the client has closed its side (long streams with nothing to send check it).
  virtual bool client_gone() = 0;
  // Answers 101 UPGRADED (Upgrade: tcp) and gives the raw socket fd to the caller, who owns
  // it from then on (docker's attach and exec start).
  virtual Result<int> hijack(const std::string& content_type) = 0;
};

using Handler = std::function<void(Exchange&)>;

// The request body in a new temp file under `<root>/tmp` (image loads, imports, docker cp);
// returns its path, which the caller removes. Errors: the file system's, the body's.
Result<std::string> spool_body(Exchange& ex, const std::string& root);

class Router {
 public:
  // `pattern` is a regex over the path ("/images/(.+)/json"); captures become params().
  void add(const std::string& method, const std::string& pattern, Handler h);
  // Runs the handler of the first matching route; 404 "page not found" otherwise.
  void dispatch(Exchange& ex) const;

 private:
  struct Route {
    std::string method;
    std::regex re;
    Handler handler;
  };
  std::vector<Route> routes_;
};

// HTTP status for an error code (NotFound 404, InvalidArgument 400, Conflict/AlreadyExists
// 409, FailedPrecondition 409, Unauthenticated 401, PermissionDenied 403, NotImplemented 501,
// the rest 500), as moby's errdefs map them.
int http_status(Errc code);

// Listens on the unix socket `path` (replacing a stale one; mode 0660, group "berth" when it
// exists; "" = no unix socket) and serves `router` until `stop()` is called. Errors:
// kPermissionDenied, kAlreadyExists (another daemon answers on `path`).
class Server {
 public:
  static Result<std::unique_ptr<Server>> listen(const std::string& path, const Router& router);
  ~Server();
  // Blocks, accepting connections, until stop().
  void run();
  void stop();
  // Serves one connection that arrived elsewhere (the TLS listener's plaintext end) until it
  // closes; takes ownership of `fd`; its requests see `peer`. Blocks: call it on a thread of
  // its own.
  void serve_connection(int fd, const Peer& peer = {});

  struct Impl;

 private:
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace berth::api
