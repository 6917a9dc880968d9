#include "api/kube/audit.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>

#include "api/kube/objects.h"
#include "common/time.h"

namespace berth::api::kube {
namespace {

// metav1.MicroTime: RFC 3339 with microseconds, UTC.
std::string micro_time(int64_t ns) {
  std::string t = rfc3339(ns / 1000000000, 0).substr(0, 19);
  char frac[16];
  std::snprintf(frac, sizeof frac, ".%06lldZ", static_cast<long long>((ns % 1000000000) / 1000));
  return t + frac;
}

}  // namespace

int64_t AuditLog::now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
}

Result<std::unique_ptr<AuditLog>> AuditLog::open(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return sys_error(errno, "open the audit log `" + path + "`");
  FILE* f = ::fdopen(fd, "a");
  if (!f) {
    ::close(fd);
    return sys_error(errno, "open the audit log `" + path + "`");
  }
  return std::unique_ptr<AuditLog>(new AuditLog(f));
}

AuditLog::~AuditLog() { std::fclose(f_); }

void AuditLog::record(const UserInfo& user, const RequestInfo& r, const std::string& uri, const std::string& ip,
                      const std::string& agent, int code, int64_t received_ns) {
  Json e = {{"kind", "Event"},
            {"apiVersion", "audit.k8s.io/v1"},
            {"level", "Metadata"},
            {"auditID", new_uid()},
            {"stage", "ResponseComplete"},
            {"requestURI", uri},
            {"verb", r.verb},
            {"user", {{"username", user.name}, {"groups", user.groups}}},
            {"sourceIPs", Json::array({ip.empty() ? "127.0.0.1" : ip})},
            {"userAgent", agent},
            {"responseStatus", {{"metadata", Json::object()}, {"code", code}}},
            {"requestReceivedTimestamp", micro_time(received_ns)},
            {"stageTimestamp", micro_time(now_ns())}};
  if (!user.uid.empty()) e["user"]["uid"] = user.uid;
  if (r.resource_request) {
    Json ref = {{"resource", r.resource}, {"apiVersion", r.api_version}};
    if (!r.ns.empty()) ref["namespace"] = r.ns;
    if (!r.name.empty()) ref["name"] = r.name;
    if (!r.api_group.empty()) ref["apiGroup"] = r.api_group;
    if (!r.subresource.empty()) ref["subresource"] = r.subresource;
    e["objectRef"] = ref;
  }
  std::string line = dump_json(e) + "\n";
  std::lock_guard l(mu_);
  std::fwrite(line.data(), 1, line.size(), f_);
  std::fflush(f_);
}

}  // namespace berth::api::kube
