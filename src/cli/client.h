// A small client of berth's Docker Engine API (API 1.43) over the daemon's unix socket: what
// the `berth` container and build verbs speak (one implementation, two front ends).
// Follows the docker CLI's client (moby/client): every path is prefixed with /v1.43; an error
// answer's {"message"} becomes the Error; hijacked endpoints (attach, exec start) upgrade the
// connection to a raw byte stream; multiplexed output uses docker's stdcopy frames.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/error.h"
#include "common/json.h"
#include "common/unique_fd.h"

namespace berth::cli {

// The API version every request names.
inline constexpr const char* kClientApiVersion = "1.43";

// Query parameters in order (a key may repeat: build's `t`); values are URL-encoded on the way.
using Query = std::vector<std::pair<std::string, std::string>>;
// Extra request headers ("Content-Type", "application/x-tar").
using Headers = std::vector<std::pair<std::string, std::string>>;

struct Response {
  int status = 0;
  std::string content_type;
  std::string body;
};

// `s` as one segment of a request path (a container, network or volume name): percent-encoded
// but for RFC 3986's unreserved characters and ':'.
std::string path_escape(std::string_view s);

// The daemon address: the -H value, else $BERTH_HOST, else $DOCKER_HOST, else the default
// unix:///run/berth/berth.sock. Only unix:// addresses (a bare absolute path is taken as one).
// Errors: kInvalidArgument for other schemes.
Result<std::string> resolve_host(const std::string& flag);

// True when `e` says the daemon could not be reached at all (nothing answered on the socket),
// as opposed to an answer with an error status.
bool unreachable(const Error& e);

// A connection opened by a hijacked request: the raw socket, and the bytes already read after
// the response header (the start of the stream).
struct Hijacked {
  UniqueFd fd;
  std::string pending;
  std::string content_type;
};

class Client {
 public:
  // `host` is "unix:///path". Nothing is connected until a request.
  explicit Client(std::string host);

  const std::string& host() const { return host_; }
  const std::string& socket_path() const { return path_; }

  // One request; the whole answer. A transport failure is an error (unreachable() true); an
  // error status is returned as a Response (see check()).
  Result<Response> request(const std::string& method, const std::string& path,
                           const Query& query = {}, const std::string& body = "",
                           const Headers& headers = {}) const;

  // request() that turns a status >= 400 into an Error holding the daemon's message (and the
  // code that status stands for: 404 kNotFound, 409 kConflict, 400 kInvalidArgument, ...).
  Result<Response> call(const std::string& method, const std::string& path,
                        const Query& query = {}, const std::string& body = "",
                        const Headers& headers = {}) const;
  // call() whose answer is JSON (an empty body is null).
  Result<Json> call_json(const std::string& method, const std::string& path,
                         const Query& query = {}, const Json& body = Json()) const;

  // A streaming request: `on_data` gets the body as it arrives (chunked answers are
  // de-chunked) and returns false to stop early; `on_head` (optional) gets the status and
  // content type once the header is in (before any data). `upload` (optional) supplies the
  // request body in pieces (chunked transfer encoding): it fills the buffer and returns the
  // byte count, 0 at the end, or -1 to abort. An error status's body is read whole and
  // returned as an Error (the daemon's message), without calling on_data.
  struct Stream {
    std::function<void(int status, const std::string& content_type)> on_head;
    std::function<bool(const char* data, size_t n)> on_data;
    std::function<long(char* buf, size_t max)> upload;
  };
  Result<int> stream(const std::string& method, const std::string& path, const Query& query,
                     const std::string& body, const Headers& headers, const Stream& s) const;

  // A request whose answer upgrades the connection to a raw stream (POST /containers/{id}/attach,
  // POST /exec/{id}/start): sends it with `Connection: Upgrade`, reads the header, and hands
  // back the socket. Error statuses come back as an Error with the daemon's message.
  Result<Hijacked> hijack(const std::string& path, const Query& query, const Json& body) const;

 private:
  Error connect_error(const std::string& why) const;
  std::string url(const std::string& path, const Query& query) const;

  std::string host_, path_;
};

// The Error a failed answer stands for: its {"message"} (or the body's text), the Errc of its
// status, and sys_errno set to minus the HTTP status (so that from_daemon() knows it).
Error api_error(int status, std::string_view body);
// Whether `e` is an answer of the daemon (api_error), to print as docker does:
// "Error response from daemon: <message>".
bool from_daemon(const Error& e);

// docker's stdcopy: a multiplexed stream of [stream, 0, 0, 0, size (u32 big endian)] + payload
// frames (stream 0 stdin, 1 stdout, 2 stderr; 3 is the daemon's system error). feed() takes
// bytes in any pieces and calls `sink` for each payload piece.
class StdDemux {
 public:
  using Sink = std::function<bool(int stream, std::string_view data)>;
  explicit StdDemux(Sink sink) : sink_(std::move(sink)) {}
  // False when the sink asked to stop, or on a malformed frame header.
  bool feed(const char* data, size_t n);

 private:
  Sink sink_;
  std::string head_;    // a partial 8-byte header
  uint32_t left_ = 0;   // payload bytes still to come of the current frame
  int stream_ = 1;
};

// Writes all of `data` to `fd` (EINTR and short writes handled). False on error.
bool write_all(int fd, std::string_view data);

}  // namespace berth::cli
