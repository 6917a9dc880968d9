// The cluster's certificates, made on the server's first start as k3s makes them: a CA, a
// serving certificate for the API server (localhost, 127.0.0.1 and the names given), and an
// admin client certificate (CN=system:admin, O=system:masters) for the kubeconfig. ECDSA P-256
// keys, SHA-256 signatures, through OpenSSL's EVP/X509 API; PEM files under `dir`, keys 0600.
#pragma once

#include <string>
#include <vector>

#include "common/error.h"

namespace berth::api::kube {

struct Pki {
  std::string ca_cert, server_cert, server_key, admin_cert, admin_key;  // file paths
  std::string service_account_key;  // PEM: the key that signs ServiceAccount tokens
};

// Loads the files under `dir` when they exist, else makes them (the service account key too,
// when only it is missing) (`hosts`: extra DNS names or
// IPv4 addresses for the serving certificate). Errors: the file system's, kInternal (OpenSSL).
Result<Pki> ensure_pki(const std::string& dir, const std::vector<std::string>& hosts);

// A kubeconfig (clientcmd v1) for the admin user: the CA, client certificate and key inlined
// (base64 PEM), server `url` ("https://127.0.0.1:6443"), context "default". Errors: reading
// the PEM files.
Result<std::string> admin_kubeconfig(const Pki& pki, const std::string& url);

}  // namespace berth::api::kube
