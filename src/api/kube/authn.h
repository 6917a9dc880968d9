// Who a request comes from (k8s.io/apiserver pkg/authentication): a verified client certificate
// (CN = user, O = groups: request/x509), a static bearer token from a token file
// (kube-apiserver --token-auth-file: token/tokenfile), or a ServiceAccount token — an ES256 JWT
// this server signed through the TokenRequest API (pkg/serviceaccount/jwt.go; checked against the
// ServiceAccount it names, which must still exist with the same uid). Every authenticated user
// is also in group system:authenticated.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "api/docker/http.h"
#include "common/error.h"
#include "common/json.h"
#include "store/store.h"

namespace berth::api::kube {

struct UserInfo {
  std::string name;  // "system:admin", "system:serviceaccount:team:reader"
  std::string uid;
  std::vector<std::string> groups;
};

class Authenticator {
 public:
  // `service_account_key`: PEM EC P-256 private key that signs and checks ServiceAccount
  // tokens; `token_file`: "" or a CSV of `token,user,uid[,"group1,group2"]` lines.
  // Errors: kInvalidArgument (unreadable key or token file).
  static Result<std::unique_ptr<Authenticator>> make(store::Store& s, const std::string& service_account_key,
                                                     const std::string& token_file);
  ~Authenticator();
  // The user of a request from `peer` with this Authorization header value; nullopt = not
  // authenticated (the API answers 401).
  std::optional<UserInfo> authenticate(const Peer& peer, const std::string& authorization) const;
  // A TokenRequest's token for ServiceAccount `ns`/`name` (uid `uid`), valid `seconds` from now
  // for `audiences` (empty = the API server's own). Errors: kInternal (signing).
  Result<std::string> service_account_token(const std::string& ns, const std::string& name, const std::string& uid,
                                            int64_t seconds, const std::vector<std::string>& audiences) const;

  struct Impl;

 private:
  explicit Authenticator(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace berth::api::kube
