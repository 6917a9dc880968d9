#include "api/docker/tls_listener.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "common/strings.h"

namespace berth::api {
namespace {

std::string ssl_reason() {
  unsigned long e = ERR_get_error();
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  ERR_clear_error();
  return e ? buf : "unknown error";
}

bool write_fd(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

bool ssl_write_all(SSL* ssl, const char* p, size_t n) {
  while (n > 0) {
    int w = SSL_write(ssl, p, static_cast<int>(std::min<size_t>(n, 1 << 20)));
    if (w <= 0) return false;
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

// Copies bytes both ways between the TLS connection and the server's end of the socketpair
// until the server closes its side or the client is gone. A close_notify from the client is a
// half-close (docker's CloseWrite after stdin): passed on as shutdown(SHUT_WR).
void pump(SSL* ssl, int tcp, int plain) {
  char buf[16384];
  bool client_open = true;
  for (;;) {
    pollfd fds[2] = {{tcp, static_cast<short>(client_open ? POLLIN : 0), 0}, {plain, POLLIN, 0}};
    bool pending = client_open && SSL_pending(ssl) > 0;
    if (!pending && ::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (pending || (fds[0].revents & (POLLIN | POLLHUP | POLLERR))) {
      int n = SSL_read(ssl, buf, sizeof buf);
      if (n > 0) {
        if (!write_fd(plain, buf, static_cast<size_t>(n))) return;
      } else {
        int err = SSL_get_error(ssl, n);
        if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) continue;
        client_open = false;
        ::shutdown(plain, SHUT_WR);
        if (err != SSL_ERROR_ZERO_RETURN) return;  // the connection broke
      }
    }
    if (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = ::read(plain, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;  // the server is done with the connection
      if (!ssl_write_all(ssl, buf, static_cast<size_t>(n))) return;
    }
  }
}

// The verified client certificate's subject: CN and every O.
Peer peer_of(SSL* ssl, int tcp) {
  Peer p;
  sockaddr_in sa{};
  socklen_t len = sizeof sa;
  char ip[INET_ADDRSTRLEN] = "";
  if (::getpeername(tcp, reinterpret_cast<sockaddr*>(&sa), &len) == 0 && inet_ntop(AF_INET, &sa.sin_addr, ip, sizeof ip)) {
    p.address = ip;
  }
  X509* cert = SSL_get_peer_certificate(ssl);
  if (!cert) return p;
  if (SSL_get_verify_result(ssl) == X509_V_OK) {
    X509_NAME* name = X509_get_subject_name(cert);
    for (int i = 0; i < X509_NAME_entry_count(name); ++i) {
      X509_NAME_ENTRY* e = X509_NAME_get_entry(name, i);
      int nid = OBJ_obj2nid(X509_NAME_ENTRY_get_object(e));
      unsigned char* utf8 = nullptr;
      int n = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(e));
      if (n < 0) continue;
      std::string v(reinterpret_cast<char*>(utf8), static_cast<size_t>(n));
      OPENSSL_free(utf8);
      if (nid == NID_commonName) p.common_name = v;
      if (nid == NID_organizationName) p.organizations.push_back(v);
    }
    p.verified = true;
  }
  X509_free(cert);
  return p;
}

}  // namespace

struct TlsListener::Impl {
  SSL_CTX* ctx = nullptr;
  int fd = -1;
  std::function<void(int, const Peer&)> serve;

  ~Impl() {
    if (ctx) SSL_CTX_free(ctx);
    if (fd >= 0) ::close(fd);
  }

  void connection(int tcp) {
    SSL* ssl = SSL_new(ctx);
    SSL_set_fd(ssl, tcp);
    // A peer that never finishes the handshake does not hold a thread for ever.
    timeval tv{10, 0};
    ::setsockopt(tcp, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (SSL_accept(ssl) == 1) {
      timeval none{0, 0};
      ::setsockopt(tcp, SOL_SOCKET, SO_RCVTIMEO, &none, sizeof none);
      int pair[2];
      if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) == 0) {
        std::thread([serve = serve, fd = pair[0], peer = peer_of(ssl, tcp)] { serve(fd, peer); }).detach();
        pump(ssl, tcp, pair[1]);
        ::close(pair[1]);
      }
      SSL_shutdown(ssl);
    } else {
      // A refused handshake (no or a bad client certificate): the alert is on its way, but the
      // client may already have sent its request (TLS 1.3 finishes its side first). Closing
      // with that unread would reset the connection and the client would see "connection reset"
      // instead of the alert; so close our side, read what comes for a moment, then close.
      ::shutdown(tcp, SHUT_WR);
      timeval linger{1, 0};
      ::setsockopt(tcp, SOL_SOCKET, SO_RCVTIMEO, &linger, sizeof linger);
      char sink[4096];
      for (int i = 0; i < 64 && ::read(tcp, sink, sizeof sink) > 0; ++i) {
      }
    }
    ERR_clear_error();
    SSL_free(ssl);
    ::close(tcp);
  }
};

TlsListener::TlsListener(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TlsListener::~TlsListener() = default;

Result<std::unique_ptr<TlsListener>> TlsListener::listen(const std::string& address, const TlsOptions& tls,
                                                         std::function<void(int fd, const Peer& peer)> serve) {
  std::string hp = address.starts_with("tcp://") ? address.substr(6) : address;
  auto colon = hp.rfind(':');
  int64_t port = colon == std::string::npos ? 0 : str::parse_int(hp.substr(colon + 1)).value_or(0);
  std::string host = colon == std::string::npos ? hp : hp.substr(0, colon);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  if (host == "localhost") host = "127.0.0.1";
  if (port < 1 || port > 65535 ||
      (!host.empty() && ::inet_pton(AF_INET, host.c_str(), &sa.sin_addr) != 1)) {
    return make_error(Errc::kInvalidArgument, "invalid TCP address \"" + address + "\": want tcp://IPv4:PORT");
  }
  sa.sin_port = htons(static_cast<uint16_t>(port));

  auto impl = std::make_unique<Impl>();
  impl->serve = std::move(serve);
  impl->ctx = SSL_CTX_new(TLS_server_method());
  if (!impl->ctx) return make_error(Errc::kInternal, "TLS: " + ssl_reason());
  SSL_CTX_set_min_proto_version(impl->ctx, TLS1_2_VERSION);
  if (SSL_CTX_use_certificate_chain_file(impl->ctx, tls.cert_file.c_str()) != 1) {
    return make_error(Errc::kInvalidArgument, "TLS certificate `" + tls.cert_file + "`: " + ssl_reason());
  }
  if (SSL_CTX_use_PrivateKey_file(impl->ctx, tls.key_file.c_str(), SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_check_private_key(impl->ctx) != 1) {
    return make_error(Errc::kInvalidArgument, "TLS key `" + tls.key_file + "`: " + ssl_reason());
  }
  if (SSL_CTX_load_verify_locations(impl->ctx, tls.ca_file.c_str(), nullptr) != 1) {
    return make_error(Errc::kInvalidArgument, "TLS CA `" + tls.ca_file + "`: " + ssl_reason());
  }
  if (STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(tls.ca_file.c_str())) {
    SSL_CTX_set_client_CA_list(impl->ctx, names);
  }
  SSL_CTX_set_verify(impl->ctx, SSL_VERIFY_PEER | (tls.client_certificate_optional ? 0 : SSL_VERIFY_FAIL_IF_NO_PEER_CERT),
                     nullptr);

  impl->fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(impl->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(impl->fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 || ::listen(impl->fd, 128) != 0) {
    int e = errno;
    return make_error(e == EADDRINUSE ? Errc::kAlreadyExists : Errc::kPermissionDenied,
                      "listen on " + address + ": " + std::strerror(e));
  }
  return std::unique_ptr<TlsListener>(new TlsListener(std::move(impl)));
}

void TlsListener::run() {
  for (;;) {
    int c = ::accept4(impl_->fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (c < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EMFILE || errno == ENFILE) {
        ::usleep(10000);  // out of descriptors: let connections end
        continue;
      }
      return;  // stop() shut the socket down
    }
    std::thread([impl = impl_.get(), c] { impl->connection(c); }).detach();
  }
}

void TlsListener::stop() { ::shutdown(impl_->fd, SHUT_RDWR); }

}  // namespace berth::api
