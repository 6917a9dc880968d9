// berth: one binary, many front ends. Called as `berth-runc` or `runc` it is the OCI runtime
// CLI (so podman/containerd can be pointed at it); otherwise the first argument picks the part.
#include <cstdio>
#include <cstring>
#include <string_view>

#include "app/daemon.h"
#include "app/server.h"
#include "cli/client_cli.h"
#include "cli/compose_cli.h"
#include "cli/image_cli.h"
#include "cli/runtime_cli.h"

int main(int argc, char** argv) {
  std::string_view self = argc > 0 ? argv[0] : "berth";
  if (auto slash = self.rfind('/'); slash != std::string_view::npos) {
    self.remove_prefix(slash + 1);
  }
  if (self == "berth-runc" || self == "runc") {
    return berth::cli::runtime_main(argc, argv);
  }
  if (argc >= 2 && std::strcmp(argv[1], "runtime") == 0) {
    return berth::cli::runtime_main(argc - 1, argv + 1);
  }
  if (argc >= 2 && std::strcmp(argv[1], "daemon") == 0) {
    return berth::app::daemon_main(argc - 1, argv + 1);
  }
  if (argc >= 2 && std::strcmp(argv[1], "server") == 0) {
    return berth::app::server_main(argc - 1, argv + 1);
  }
  // Image commands (in-process on the data root), also after global flags
  // (`berth --data-root D images`); container, network, volume and build commands (clients of
  // the daemon, `berth -H unix://PATH ps`).
  for (int i = 1; i < argc; ++i) {
    if (argv[i][0] != '-') {
      if (berth::cli::is_image_command(argv[i])) {
        return berth::cli::image_main(argc, argv);
      }
      if (std::strcmp(argv[i], "compose") == 0) {
        return berth::cli::compose_main(argc, argv);
      }
      if (berth::cli::is_client_command(argv[i])) {
        return berth::cli::client_main(argc, argv);
      }
      break;
    }
    if (std::strcmp(argv[i], "--data-root") == 0 || std::strcmp(argv[i], "--insecure-registry") == 0 ||
        std::strcmp(argv[i], "-H") == 0 || std::strcmp(argv[i], "--host") == 0) {
      ++i;
    }
  }
  if (argc >= 2 && (std::strcmp(argv[1], "--version") == 0 || std::strcmp(argv[1], "version") == 0)) {
    std::printf("berth 0.1.0\n");
    return 0;
  }
  std::fprintf(stderr,
               "usage: berth runtime <create|start|run|state|kill|delete|exec|list|ps|spec|"
               "features> ...\n"
               "       berth [--data-root DIR] <pull|push|images|tag|rmi|inspect|history|save|load|"
               "import|login|logout> ...\n"
               "       berth image <verb> ..., berth system df\n"
               "       berth [-H unix://PATH] <run|create|ps|logs|exec|stop|start|restart|kill|rm|"
               "wait|port|top|stats|build> ...\n"
               "       berth [-H unix://PATH] container <verb|inspect> ..., network <ls|create|rm|"
               "inspect|prune> ..., volume <ls|create|rm|inspect|prune> ..., builder prune\n"
               "           (clients of the daemon: -H, else $BERTH_HOST, else a unix:// $DOCKER_HOST,"
               " else unix:///run/berth/berth.sock)\n"
               "       berth daemon [--data-root DIR] [-H unix://PATH]   (Docker Engine API)\n"
               "       berth [-H unix://PATH] compose [-f FILE] [-p NAME] <up|down|ps|logs|config|start|"
               "stop|restart|exec|run|build|pull|top|ls|create> ...\n"
               "       berth server [--data-dir DIR] [--https-listen-port PORT] [--write-kubeconfig FILE]"
               " [--datastore-endpoint URL]   (Kubernetes API)\n");
  return argc >= 2 && (std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0)
             ? 0
             : 2;
}
