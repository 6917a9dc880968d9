// berth server: the store (SQLite in --data-dir, or etcd with --datastore-endpoint), the
// cluster's certificates (made on first start), an admin kubeconfig, and the Kubernetes API on
// HTTPS with client certificates (k3s server's flags: --data-dir, --https-listen-port,
// --bind-address, --write-kubeconfig, --datastore-endpoint, --tls-san; kube-apiserver's
// --token-auth-file, --audit-log-path and --etcd-compaction-interval). Clients authenticate with a certificate from the
// cluster CA or a bearer token; RBAC decides what they may do.
#include "app/server.h"

#include <signal.h>

#include <cstdio>
#include <thread>

#include <CLI/CLI.hpp>

#include "api/docker/http.h"
#include "api/docker/tls_listener.h"
#include "api/kube/garbage_collector.h"
#include "api/kube/pki.h"
#include "api/kube/routes.h"
#include "common/fs.h"
#include "common/time.h"
#include "store/store.h"

namespace berth::app {

int server_main(int argc, char** argv) {
  CLI::App app{"berth server: the Kubernetes API server", "berth server"};
  std::string data_dir = "/var/lib/berth/server", bind = "127.0.0.1", kubeconfig, datastore;
  int port = 6443;
  std::vector<std::string> sans;
  std::string token_file, audit_log, compaction = "5m";
  app.add_option("--data-dir,-d", data_dir, "state, certificates and the admin kubeconfig");
  app.add_option("--https-listen-port", port, "HTTPS port of the API")->check(CLI::Range(1, 65535));
  app.add_option("--bind-address", bind, "address of the API (IPv4)");
  app.add_option("--write-kubeconfig,-o", kubeconfig, "also write the admin kubeconfig here");
  app.add_option("--datastore-endpoint", datastore, "etcd: http://HOST:PORT (default: SQLite in --data-dir)");
  app.add_option("--tls-san", sans, "extra names or IPs for the serving certificate")->allow_extra_args(false);
  app.add_option("--token-auth-file", token_file, "static bearer tokens: CSV of token,user,uid[,\"group1,group2\"]");
  app.add_option("--audit-log-path", audit_log, "append an audit event per request (JSON lines) to this file");
  app.add_option("--etcd-compaction-interval", compaction, "how often the store's history is compacted (Go duration; 0 = never)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  auto fail = [](const Error& e) {
    std::fprintf(stderr, "berth server: %s\n", e.message.c_str());
    return 1;
  };
  data_dir = fs::absolute(data_dir);
  if (auto r = fs::mkdir_all(data_dir, 0700); !r) return fail(r.error());
  auto st = datastore.empty() ? store::open_sqlite(data_dir + "/state.db") : store::open_etcd(datastore);
  if (!st) return fail(st.error());
  auto pki = api::kube::ensure_pki(data_dir + "/tls", sans);
  if (!pki) return fail(pki.error());
  std::string url = "https://" + std::string(bind == "0.0.0.0" ? "127.0.0.1" : bind) + ":" + std::to_string(port);
  auto config = api::kube::admin_kubeconfig(*pki, url);
  if (!config) return fail(config.error());
  for (auto& path : {data_dir + "/admin.kubeconfig", kubeconfig}) {
    if (path.empty()) continue;
    if (auto w = fs::atomic_write(path, *config, 0600); !w) return fail(w.error());
  }
  auto authn = api::kube::Authenticator::make(**st, pki->service_account_key, token_file);
  if (!authn) return fail(authn.error());
  api::kube::Authorizer authz(**st);
  std::unique_ptr<api::kube::AuditLog> audit;
  if (!audit_log.empty()) {
    auto a = api::kube::AuditLog::open(audit_log);
    if (!a) return fail(a.error());
    audit = std::move(*a);
  }
  api::Router router;
  if (auto r = api::kube::add_kube_routes(router, **st, {authn->get(), &authz, audit.get()}); !r) return fail(r.error());
  auto interval = parse_go_duration(compaction);
  if (!interval) return fail(Error{Errc::kInvalidArgument, "--etcd-compaction-interval: " + interval.error().message});
  auto gc = api::kube::GarbageCollector::start(**st, std::chrono::milliseconds(*interval / 1000000));
  if (!gc) return fail(gc.error());
  auto server = api::Server::listen("", router);
  if (!server) return fail(server.error());
  api::Server* srv = server->get();
  auto tls = api::TlsListener::listen("tcp://" + bind + ":" + std::to_string(port),
                                      {pki->ca_cert, pki->server_cert, pki->server_key, true},
                                      [srv](int fd, const api::Peer& peer) { srv->serve_connection(fd, peer); });
  if (!tls) return fail(tls.error());
  ::signal(SIGPIPE, SIG_IGN);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::thread accept([&] { (*tls)->run(); });
  std::thread waiter([&] {
    int sig = 0;
    sigwait(&set, &sig);
    (*tls)->stop();
    (*server)->stop();
  });
  std::fprintf(stderr, "berth server: Kubernetes API on %s (data %s, store %s); kubeconfig %s\n", url.c_str(),
               data_dir.c_str(), datastore.empty() ? "sqlite" : datastore.c_str(),
               (kubeconfig.empty() ? data_dir + "/admin.kubeconfig" : kubeconfig).c_str());
  (*server)->run();
  waiter.join();
  accept.join();
  return 0;
}

}  // namespace berth::app
