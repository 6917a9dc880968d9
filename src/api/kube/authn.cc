#include "api/kube/authn.h"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <ctime>

#include "api/kube/objects.h"
#include "common/fs.h"
#include "common/strings.h"

namespace berth::api::kube {
namespace {

const char* kIssuer = "https://kubernetes.default.svc.cluster.local";

std::string b64url(std::string_view in) {
  std::string s = str::base64_encode(in);
  for (char& c : s) c = c == '+' ? '-' : c == '/' ? '_' : c;
  while (!s.empty() && s.back() == '=') s.pop_back();
  return s;
}

std::optional<std::string> b64url_decode(std::string s) {
  for (char& c : s) c = c == '-' ? '+' : c == '_' ? '/' : c;
  while (s.size() % 4) s += '=';
  return str::base64_decode(s);
}

}  // namespace

struct Authenticator::Impl {
  store::Store& s;
  EVP_PKEY* key = nullptr;
  std::map<std::string, UserInfo> tokens;

  explicit Impl(store::Store& st) : s(st) {}
  ~Impl() {
    if (key) EVP_PKEY_free(key);
  }

  // ES256 (JWS): SHA-256 ECDSA with the signature as r || s, 32 bytes each.
  std::optional<std::string> sign(const std::string& input) const {
    EVP_MD_CTX* md = EVP_MD_CTX_new();
    size_t n = 0;
    std::string der;
    bool ok = EVP_DigestSignInit(md, nullptr, EVP_sha256(), nullptr, key) == 1 &&
              EVP_DigestSign(md, nullptr, &n, reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
    if (ok) {
      der.resize(n);
      ok = EVP_DigestSign(md, reinterpret_cast<unsigned char*>(der.data()), &n,
                          reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
      der.resize(n);
    }
    EVP_MD_CTX_free(md);
    if (!ok) return std::nullopt;
    const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
    ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size()));
    if (!sig) return std::nullopt;
    std::string raw(64, '\0');
    BN_bn2binpad(ECDSA_SIG_get0_r(sig), reinterpret_cast<unsigned char*>(raw.data()), 32);
    BN_bn2binpad(ECDSA_SIG_get0_s(sig), reinterpret_cast<unsigned char*>(raw.data()) + 32, 32);
    ECDSA_SIG_free(sig);
    return raw;
  }

  bool verify(const std::string& input, const std::string& raw) const {
    if (raw.size() != 64) return false;
    ECDSA_SIG* sig = ECDSA_SIG_new();
    const auto* r = reinterpret_cast<const unsigned char*>(raw.data());
    ECDSA_SIG_set0(sig, BN_bin2bn(r, 32, nullptr), BN_bin2bn(r + 32, 32, nullptr));
    unsigned char* der = nullptr;
    int n = i2d_ECDSA_SIG(sig, &der);
    ECDSA_SIG_free(sig);
    if (n <= 0) return false;
    EVP_MD_CTX* md = EVP_MD_CTX_new();
    bool ok = EVP_DigestVerifyInit(md, nullptr, EVP_sha256(), nullptr, key) == 1 &&
              EVP_DigestVerify(md, der, static_cast<size_t>(n), reinterpret_cast<const unsigned char*>(input.data()),
                               input.size()) == 1;
    EVP_MD_CTX_free(md);
    OPENSSL_free(der);
    ERR_clear_error();
    return ok;
  }

  std::optional<UserInfo> service_account(const std::string& jwt) const {
    auto parts = str::split(jwt, '.');
    if (parts.size() != 3) return std::nullopt;
    auto sig = b64url_decode(parts[2]);
    if (!sig || !verify(parts[0] + "." + parts[1], *sig)) return std::nullopt;
    auto payload = b64url_decode(parts[1]);
    if (!payload) return std::nullopt;
    auto claims = parse_json(*payload, "token");
    if (!claims || !claims->is_object() || claims->value("iss", "") != kIssuer) return std::nullopt;
    int64_t now = ::time(nullptr);
    if (claims->value("exp", int64_t{0}) < now || claims->value("nbf", int64_t{0}) > now + 60) return std::nullopt;
    Json k = claims->value("kubernetes.io", Json::object());
    std::string ns = k.value("namespace", "");
    Json sa = k.value("serviceaccount", Json::object());
    std::string name = sa.value("name", ""), uid = sa.value("uid", "");
    auto kv = s.get("/registry/serviceaccounts/" + ns + "/" + name);
    if (!kv || served(*kv)["metadata"].value("uid", "") != uid) return std::nullopt;  // deleted or re-made
    return UserInfo{"system:serviceaccount:" + ns + ":" + name, uid,
                    {"system:serviceaccounts", "system:serviceaccounts:" + ns, "system:authenticated"}};
  }
};

Authenticator::Authenticator(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Authenticator::~Authenticator() = default;

Result<std::unique_ptr<Authenticator>> Authenticator::make(store::Store& s, const std::string& service_account_key,
                                                           const std::string& token_file) {
  auto impl = std::make_unique<Impl>(s);
  BERTH_ASSIGN_OR_RETURN(std::string pem, fs::read_file(service_account_key));
  BIO* b = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  impl->key = PEM_read_bio_PrivateKey(b, nullptr, nullptr, nullptr);
  BIO_free(b);
  if (!impl->key) return make_error(Errc::kInvalidArgument, "service account key `" + service_account_key + "` is not a PEM private key");
  if (!token_file.empty()) {
    BERTH_ASSIGN_OR_RETURN(std::string text, fs::read_file(token_file));
    int line_no = 0;
    for (auto& line : str::split(text, '\n')) {
      ++line_no;
      std::string l(str::trim(line));
      if (l.empty() || l[0] == '#') continue;
      // token,user,uid[,"g1,g2"] — the groups column is quoted because it holds commas.
      std::vector<std::string> cols;
      std::string cur;
      bool quoted = false;
      for (char c : l) {
        if (c == '"') {
          quoted = !quoted;
        } else if (c == ',' && !quoted) {
          cols.push_back(cur);
          cur.clear();
        } else {
          cur += c;
        }
      }
      cols.push_back(cur);
      if (cols.size() < 3 || cols[0].empty() || cols[1].empty()) {
        return make_error(Errc::kInvalidArgument, token_file + ":" + std::to_string(line_no) +
                                                      ": want token,user,uid[,\"group1,group2\"]");
      }
      UserInfo u{cols[1], cols[2], {}};
      if (cols.size() > 3) {
        for (auto& g : str::split(cols[3], ',')) {
          if (!str::trim(g).empty()) u.groups.emplace_back(str::trim(g));
        }
      }
      u.groups.push_back("system:authenticated");
      impl->tokens[cols[0]] = u;
    }
  }
  return std::unique_ptr<Authenticator>(new Authenticator(std::move(impl)));
}

std::optional<UserInfo> Authenticator::authenticate(const Peer& peer, const std::string& authorization) const {
  if (authorization.size() > 7 && str::to_lower(authorization.substr(0, 7)) == "bearer ") {
    std::string token(str::trim(authorization.substr(7)));
    if (auto it = impl_->tokens.find(token); it != impl_->tokens.end()) return it->second;
    return impl_->service_account(token);  // a bad token is refused even over a client certificate
  }
  if (peer.verified && !peer.common_name.empty()) {
    UserInfo u{peer.common_name, "", peer.organizations};
    u.groups.push_back("system:authenticated");
    return u;
  }
  return std::nullopt;
}

Result<std::string> Authenticator::service_account_token(const std::string& ns, const std::string& name,
                                                        const std::string& uid, int64_t seconds,
                                                        const std::vector<std::string>& audiences) const {
  int64_t now = ::time(nullptr);
  Json claims = {{"aud", audiences.empty() ? std::vector<std::string>{kIssuer} : audiences},
                 {"exp", now + seconds},
                 {"iat", now},
                 {"nbf", now},
                 {"iss", kIssuer},
                 {"jti", new_uid()},
                 {"sub", "system:serviceaccount:" + ns + ":" + name},
                 {"kubernetes.io", {{"namespace", ns}, {"serviceaccount", {{"name", name}, {"uid", uid}}}}}};
  std::string input = b64url(dump_json(Json{{"alg", "ES256"}, {"typ", "JWT"}})) + "." + b64url(dump_json(claims));
  auto sig = impl_->sign(input);
  if (!sig) return make_error(Errc::kInternal, "signing the service account token failed");
  return input + "." + b64url(*sig);
}

}  // namespace berth::api::kube
