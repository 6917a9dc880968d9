// The Engine API on TCP, only with TLS and verified client certificates (dockerd's
// `-H tcp://ADDR:PORT --tlsverify --tlscacert --tlscert --tlskey`; docker's "Protect the
// Docker daemon socket"). Each accepted connection is handshaken with OpenSSL (TLS 1.2 or
// newer, a client certificate signed by the CA required), then bridged to a socketpair
// whose other end the HTTP server serves as if it came on the unix socket — so streams,
// attach and exec's hijacked connections work unchanged, encrypted on the wire.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "api/docker/http.h"
#include "common/error.h"

namespace berth::api {

struct TlsOptions {
  std::string ca_file;    // PEM: the CA that signs client certificates (--tlscacert)
  std::string cert_file;  // PEM: the server's certificate chain (--tlscert)
  std::string key_file;   // PEM: its private key (--tlskey)
  // Let clients without a certificate in (Kubernetes' API: they may bring a bearer token);
  // a certificate that is presented must still verify.
  bool client_certificate_optional = false;
};

class TlsListener {
 public:
  // Listens on `address` ("tcp://HOST:PORT"; HOST an IPv4 address or "localhost"; PORT
  // 1-65535). `serve` is called on a thread of its own with the plaintext end of each
  // connection (it owns the fd) and the client certificate's subject. Errors: kInvalidArgument (address, certificate or key
  // unreadable or not matching), kPermissionDenied/kAlreadyExists from bind.
  static Result<std::unique_ptr<TlsListener>> listen(const std::string& address, const TlsOptions& tls,
                                                     std::function<void(int fd, const Peer& peer)> serve);
  ~TlsListener();
  // Blocks, accepting connections, until stop().
  void run();
  void stop();

  struct Impl;

 private:
  explicit TlsListener(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace berth::api
