// `berth daemon`: the engine daemon in the foreground, serving the Docker Engine API on a unix
// socket (dockerd's flag names: --data-root, -H/--host, --insecure-registry, --log-level).
#include "app/daemon.h"

#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cstdio>
#include <thread>

#include <CLI/CLI.hpp>

#include "api/docker/http.h"
#include "api/docker/tls_listener.h"
#include "api/docker/routes.h"
#include "common/fs.h"
#include "engine/engine.h"
#include "image/service.h"

namespace berth::app {
namespace {

// A program beside our own binary (build/ or the install dir): berth-shim, berth-runc.
std::string beside_self(const std::string& name) {
  char self[4096];
  ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
  std::string dir = n > 0 ? std::string(self, static_cast<size_t>(n)) : "berth";
  dir = dir.substr(0, dir.rfind('/') + 1);
  return dir + name;
}

}  // namespace

int daemon_main(int argc, char** argv) {
  CLI::App app{"berth daemon: the engine, serving the Docker Engine API", "berth daemon"};
  std::string data_root = "/var/lib/berth";
  std::vector<std::string> hosts;
  std::vector<std::string> insecure;
  std::string log_level = "info";
  app.add_option("--data-root", data_root, "root of persistent state");
  app.add_option("-H,--host", hosts, "daemon socket (unix://PATH)")->allow_extra_args(false);
  app.add_option("--insecure-registry", insecure, "registry (host:port) spoken to over HTTP")
      ->allow_extra_args(false);
  app.add_option("--log-level", log_level, "debug, info, warn, error");
  // TCP only with TLS and client certificates (dockerd's flags; its default file names).
  const char* cert_env = std::getenv("DOCKER_CERT_PATH");
  const char* home = std::getenv("HOME");
  std::string cert_dir = cert_env && *cert_env ? cert_env : std::string(home ? home : "/root") + "/.docker";
  bool tlsverify = false, tls = false;
  api::TlsOptions tls_opts{cert_dir + "/ca.pem", cert_dir + "/cert.pem", cert_dir + "/key.pem"};
  app.add_flag("--tlsverify", tlsverify, "TLS with client certificates signed by --tlscacert (required for tcp://)");
  app.add_flag("--tls", tls, "accepted only with --tlsverify");
  app.add_option("--tlscacert", tls_opts.ca_file, "CA of the client certificates");
  app.add_option("--tlscert", tls_opts.cert_file, "the server's certificate");
  app.add_option("--tlskey", tls_opts.key_file, "the server's key");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  std::string socket = hosts.empty() ? "/run/berth/berth.sock" : "";
  std::vector<std::string> tcp_hosts;
  for (auto& h : hosts) {
    if (h.starts_with("unix://") && socket.empty()) {
      socket = h.substr(7);
    } else if (h.starts_with("tcp://")) {
      tcp_hosts.push_back(h);
    } else {
      std::fprintf(stderr, "berth daemon: unsupported host \"%s\": one unix://PATH, and tcp://IP:PORT "
                           "with --tlsverify\n", h.c_str());
      return 1;
    }
  }
  if (!tcp_hosts.empty() && !tlsverify) {
    std::fprintf(stderr, "berth daemon: %s needs --tlsverify (with --tlscacert, --tlscert, --tlskey): "
                         "the API is never served on TCP without client certificates\n",
                 tcp_hosts[0].c_str());
    return 1;
  }
  if (!socket.empty()) socket = fs::absolute(socket);
  if (auto slash = socket.rfind('/'); slash != std::string::npos && slash > 0) {
    if (auto r = fs::mkdir_all(socket.substr(0, slash), 0755); !r) {
      std::fprintf(stderr, "berth daemon: %s\n", r.error().message.c_str());
      return 1;
    }
  }
  image::ServiceOptions opts;
  opts.root = data_root;
  opts.insecure_registries = insecure;
  auto images = image::ImageService::open(opts);
  if (!images) {
    std::fprintf(stderr, "berth daemon: %s\n", images.error().message.c_str());
    return 1;
  }
  engine::EngineOptions eopts;
  eopts.data_root = data_root;
  eopts.shim_path = beside_self("berth-shim");
  eopts.runtime_path = beside_self("berth-runc");
  auto engine = engine::Engine::open(eopts, images->get());
  if (!engine) {
    std::fprintf(stderr, "berth daemon: %s\n", engine.error().message.c_str());
    return 1;
  }
  api::DaemonContext ctx;
  ctx.images = images->get();
  ctx.engine = engine->get();
  auto builder = build::Builder::open(*images->get(), *engine->get(), fs::absolute(data_root));
  if (!builder) {
    std::fprintf(stderr, "berth daemon: %s\n", builder.error().message.c_str());
    return 1;
  }
  ctx.builder = builder->get();
  ctx.data_root = fs::absolute(data_root);
  ctx.insecure_registries = insecure;
  api::Router router;
  api::add_system_routes(router, ctx);
  api::add_image_routes(router, ctx);
  api::add_container_routes(router, ctx);
  api::add_volume_routes(router, ctx);
  api::add_network_routes(router, ctx);
  api::add_container_file_routes(router, ctx);
  api::add_build_routes(router, ctx);
  auto server = api::Server::listen(socket, router);
  if (!server) {
    std::fprintf(stderr, "berth daemon: %s\n", server.error().message.c_str());
    return 1;
  }
  std::vector<std::unique_ptr<api::TlsListener>> tls_listeners;
  for (auto& h : tcp_hosts) {
    api::Server* srv = server->get();
    auto l = api::TlsListener::listen(h, tls_opts, [srv](int fd, const api::Peer&) { srv->serve_connection(fd); });
    if (!l) {
      std::fprintf(stderr, "berth daemon: %s\n", l.error().message.c_str());
      return 1;
    }
    tls_listeners.push_back(std::move(*l));
  }
  std::vector<std::thread> tls_threads;
  for (auto& l : tls_listeners) tls_threads.emplace_back([l = l.get()] { l->run(); });
  // Shims are forked twice so that they outlive us; as their subreaper we still reap them
  // while we live (the engine's monitors do), instead of leaving zombies to an init that
  // may not reap.
  ::prctl(PR_SET_CHILD_SUBREAPER, 1);
  // SIGINT/SIGTERM end the daemon; SIGPIPE from clients that went away is ignored.
  ::signal(SIGPIPE, SIG_IGN);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::thread waiter([&] {
    int sig = 0;
    sigwait(&set, &sig);
    for (auto& l : tls_listeners) l->stop();
    (*server)->stop();
  });
  std::string where = socket.empty() ? "" : "unix://" + socket;
  for (auto& h : tcp_hosts) where += (where.empty() ? "" : ", ") + h + " (TLS, client certificates)";
  std::fprintf(stderr, "berth daemon: API listening on %s (data root %s)\n", where.c_str(),
               ctx.data_root.c_str());
  (*server)->run();
  waiter.join();
  for (auto& t : tls_threads) t.join();
  return 0;
}

}  // namespace berth::app
