// The audit log (kube-apiserver --audit-log-path): one audit.k8s.io/v1 Event per request at
// level Metadata, stage ResponseComplete, as a JSON line — who (user, groups, source IP), what
// (verb, resource, namespace, name, request URI) and the result (response code)
// (k8s.io/apiserver pkg/apis/audit/v1 types, pkg/audit/request.go).
#pragma once

#include <cstdio>
#include <memory>
#include <mutex>
#include <string>

#include "api/kube/authn.h"
#include "api/kube/rbac.h"
#include "common/error.h"

namespace berth::api::kube {

class AuditLog {
 public:
  // Appends to `path` (made 0600 when new). Errors: the file system's.
  static Result<std::unique_ptr<AuditLog>> open(const std::string& path);
  ~AuditLog();
  // CLOCK_REALTIME now, in nanoseconds: a request's received time for record().
  static int64_t now_ns();
  // One line for a finished request. `received_ns`: CLOCK_REALTIME nanoseconds when it came.
  void record(const UserInfo& user, const RequestInfo& request, const std::string& request_uri,
              const std::string& source_ip, const std::string& user_agent, int code, int64_t received_ns);

 private:
  explicit AuditLog(FILE* f) : f_(f) {}
  std::mutex mu_;
  FILE* f_;
};

}  // namespace berth::api::kube
