#include "api/kube/pki.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>

#include "common/fs.h"
#include "common/strings.h"

namespace berth::api::kube {
namespace {

using Key = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using Cert = std::unique_ptr<X509, decltype(&X509_free)>;

Error ssl_error(const std::string& what) {
  char buf[256];
  ERR_error_string_n(ERR_get_error(), buf, sizeof buf);
  ERR_clear_error();
  return {Errc::kInternal, what + ": " + buf, 0};
}

std::string pem(const std::function<int(BIO*)>& write) {
  std::unique_ptr<BIO, decltype(&BIO_free)> b(BIO_new(BIO_s_mem()), BIO_free);
  write(b.get());
  char* data = nullptr;
  long n = BIO_get_mem_data(b.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

bool add_ext(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (!ext) return false;
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  return true;
}

// A certificate for `key` named `cn` (and `org`), signed by (issuer, issuer_key); self-signed
// when issuer is null. Valid from an hour ago (clock skew) for ten years.
Result<Cert> make_cert(EVP_PKEY* key, const std::string& cn, const std::string& org, X509* issuer,
                       EVP_PKEY* issuer_key, const std::vector<std::pair<int, std::string>>& exts) {
  Cert c(X509_new(), X509_free);
  X509_set_version(c.get(), 2);
  unsigned char serial[16];
  RAND_bytes(serial, sizeof serial);
  serial[0] &= 0x7f;
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(c.get()));
  BN_free(bn);
  X509_gmtime_adj(X509_getm_notBefore(c.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(c.get()), 10L * 365 * 24 * 3600);
  X509_set_pubkey(c.get(), key);
  X509_NAME* name = X509_get_subject_name(c.get());
  if (!org.empty()) {
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(org.c_str()), -1, -1, 0);
  }
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_set_issuer_name(c.get(), issuer ? X509_get_subject_name(issuer) : name);
  for (auto& [nid, value] : exts) {
    if (!add_ext(c.get(), issuer ? issuer : c.get(), nid, value)) return tl::unexpected(ssl_error("certificate extension"));
  }
  if (X509_sign(c.get(), issuer_key ? issuer_key : key, EVP_sha256()) == 0) {
    return tl::unexpected(ssl_error("sign the certificate for " + cn));
  }
  return c;
}

Result<void> write_pair(const std::string& dir, const std::string& name, X509* cert, EVP_PKEY* key) {
  BERTH_TRY(fs::atomic_write(dir + "/" + name + ".crt", pem([&](BIO* b) { return PEM_write_bio_X509(b, cert); })));
  std::string key_pem = pem([&](BIO* b) { return PEM_write_bio_PrivateKey(b, key, nullptr, nullptr, 0, nullptr, nullptr); });
  BERTH_TRY(fs::atomic_write(dir + "/" + name + ".key", key_pem, 0600));
  return {};
}

}  // namespace

Result<Pki> ensure_pki(const std::string& dir, const std::vector<std::string>& hosts) {
  Pki p{dir + "/ca.crt", dir + "/server.crt", dir + "/server.key", dir + "/admin.crt", dir + "/admin.key",
        dir + "/service-account.key"};
  BERTH_TRY(fs::mkdir_all(dir, 0700));
  auto gen = [] { return Key(EVP_EC_gen("P-256"), EVP_PKEY_free); };
  if (!fs::exists(p.service_account_key)) {
    Key sa = gen();
    if (!sa) return tl::unexpected(ssl_error("generate keys"));
    std::string key_pem = pem([&](BIO* b) { return PEM_write_bio_PrivateKey(b, sa.get(), nullptr, nullptr, 0, nullptr, nullptr); });
    BERTH_TRY(fs::atomic_write(p.service_account_key, key_pem, 0600));
  }
  if (fs::exists(p.ca_cert) && fs::exists(p.server_key) && fs::exists(p.admin_key)) return p;
  Key ca_key = gen(), server_key = gen(), admin_key = gen();
  if (!ca_key || !server_key || !admin_key) return tl::unexpected(ssl_error("generate keys"));
  BERTH_ASSIGN_OR_RETURN(Cert ca, make_cert(ca_key.get(), "berth-ca", "", nullptr, nullptr,
                                            {{NID_basic_constraints, "critical,CA:TRUE"},
                                             {NID_key_usage, "critical,keyCertSign,cRLSign,digitalSignature"},
                                             {NID_subject_key_identifier, "hash"}}));
  std::string san = "DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,IP:127.0.0.1";
  for (auto& h : hosts) {
    in_addr a{};
    san += (::inet_pton(AF_INET, h.c_str(), &a) == 1 ? ",IP:" : ",DNS:") + h;
  }
  BERTH_ASSIGN_OR_RETURN(Cert server, make_cert(server_key.get(), "kube-apiserver", "", ca.get(), ca_key.get(),
                                                {{NID_basic_constraints, "critical,CA:FALSE"},
                                                 {NID_key_usage, "critical,digitalSignature,keyEncipherment"},
                                                 {NID_ext_key_usage, "serverAuth"},
                                                 {NID_subject_alt_name, san}}));
  BERTH_ASSIGN_OR_RETURN(Cert admin, make_cert(admin_key.get(), "system:admin", "system:masters", ca.get(),
                                               ca_key.get(),
                                               {{NID_basic_constraints, "critical,CA:FALSE"},
                                                {NID_key_usage, "critical,digitalSignature,keyEncipherment"},
                                                {NID_ext_key_usage, "clientAuth"}}));
  BERTH_TRY(write_pair(dir, "ca", ca.get(), ca_key.get()));
  BERTH_TRY(write_pair(dir, "server", server.get(), server_key.get()));
  BERTH_TRY(write_pair(dir, "admin", admin.get(), admin_key.get()));
  return p;
}

Result<std::string> admin_kubeconfig(const Pki& pki, const std::string& url) {
  BERTH_ASSIGN_OR_RETURN(std::string ca, fs::read_file(pki.ca_cert));
  BERTH_ASSIGN_OR_RETURN(std::string cert, fs::read_file(pki.admin_cert));
  BERTH_ASSIGN_OR_RETURN(std::string key, fs::read_file(pki.admin_key));
  return "apiVersion: v1\n"
         "kind: Config\n"
         "clusters:\n"
         "- name: default\n"
         "  cluster:\n"
         "    server: " + url + "\n"
         "    certificate-authority-data: " + str::base64_encode(ca) + "\n"
         "users:\n"
         "- name: default\n"
         "  user:\n"
         "    client-certificate-data: " + str::base64_encode(cert) + "\n"
         "    client-key-data: " + str::base64_encode(key) + "\n"
         "contexts:\n"
         "- name: default\n"
         "  context:\n"
         "    cluster: default\n"
         "    user: default\n"
         "current-context: default\n";
}

}  // namespace berth::api::kube
