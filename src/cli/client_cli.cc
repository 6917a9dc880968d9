// berth's client verbs: the dispatch. Global flags (-H/--host: the daemon's address), the split
// of run/create/exec's arguments (the first operand ends our flags), errors as docker prints
// them, and what every verb uses (request paths, flag values as the API takes them, verbs of one
// line per item). The verbs are in client_run.cc, client_containers.cc, client_stats.cc,
// client_objects.cc and client_build.cc; the output formats in client_format.cc.
#include "cli/client_cli.h"

#include <signal.h>

#include <cstdio>
#include <functional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/client_internal.h"
#include "common/strings.h"

namespace berth::cli {

// One line for `e`: the daemon's answers as "Error response from daemon: ...", an unreachable
// daemon as "berth: cannot reach ...", anything else as "berth: ...".
void print_error(const Error& e) {
  if (from_daemon(e)) {
    std::fprintf(stderr, "Error response from daemon: %s\n", e.message.c_str());
  } else {
    std::fprintf(stderr, "berth: %s\n", e.message.c_str());
  }
}

int fail(const Error& e) {
  std::fflush(stdout);
  print_error(e);
  return 1;
}

// "K=V" and "K" options into a JSON object {K: V} ("" for a bare K), as --label.
Json kv_object(const std::vector<std::string>& items) {
  Json out = Json::object();
  for (auto& i : items) {
    auto eq = i.find('=');
    out[i.substr(0, eq)] = eq == std::string::npos ? "" : i.substr(eq + 1);
  }
  return out;
}

// docker's filter flags ("key=value") as the API's filters JSON ({"key": {"value": true}}).
std::string filters_json(const std::vector<std::string>& flags) {
  Json out = Json::object();
  for (auto& f : flags) {
    auto eq = f.find('=');
    std::string k(str::trim(f.substr(0, eq)));
    std::string v = eq == std::string::npos ? "" : f.substr(eq + 1);
    out[k][v] = true;
  }
  return dump_json(out);
}

// A one-line-per-item verb (stop, rm, ...): runs `op` for every item (in parallel, as docker
// does), then prints each item (or its error) in order. Returns 1 when any failed.
int for_each(const std::vector<std::string>& items,
             const std::function<Result<void>(const std::string&)>& op) {
  std::vector<Result<void>> results(items.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < items.size(); ++i) {
    threads.emplace_back([&, i] { results[i] = op(items[i]); });
  }
  for (auto& t : threads) t.join();
  int rc = 0;
  for (size_t i = 0; i < items.size(); ++i) {
    if (results[i]) {
      std::printf("%s\n", items[i].c_str());
      std::fflush(stdout);
      continue;
    }
    rc = 1;
    if (unreachable(results[i].error())) return fail(results[i].error());
    print_error(results[i].error());
  }
  return rc;
}

std::string cpath(const std::string& ref, const std::string& rest) {
  return "/containers/" + path_escape(ref) + rest;
}

Result<const Client*> Verbs::client() {
  if (!client_) {
    BERTH_ASSIGN_OR_RETURN(std::string h, resolve_host(host_flag));
    client_.emplace(h);
  }
  return &*client_;
}

std::function<void()> Verbs::with(std::function<int(const Client&)> f) {
  return [this, f = std::move(f)] {
    auto c = client();
    if (!c) {
      rc = fail(c.error());
      return;
    }
    rc = f(**c);
  };
}

bool Verbs::need_tail(const char* name) {
  if (!tail.empty()) return true;
  std::fprintf(stderr, "berth: \"%s\" requires at least 1 argument.\n", name);
  rc = name == std::string("exec") ? 1 : 125;
  return false;
}

namespace {

bool is_verb(const std::string& v) {
  static const std::set<std::string> k = {"run", "create", "ps", "logs", "exec", "stop", "start",
                                          "restart", "kill", "rm", "wait", "port", "top", "stats",
                                          "build", "container", "network", "volume", "builder"};
  return k.count(v) > 0;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Argument splitting for run/create/exec (and compose's verb and SERVICE): the first operand
// ends our flags (docker's SetInterspersed(false)): `berth run busybox ls -l` gives ls its -l.
size_t first_operand(const std::vector<std::string>& args, size_t from,
                     const std::set<std::string>& value_flags) {
  for (size_t i = from; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") return i + 1;
    if (a.starts_with("--")) {
      if (a.find('=') == std::string::npos && value_flags.count(a)) ++i;
      continue;
    }
    if (a.size() > 1 && a[0] == '-') {
      for (size_t k = 1; k < a.size(); ++k) {
        if (value_flags.count(std::string("-") + a[k])) {
          if (k + 1 == a.size()) ++i;  // the value is the next argument
          break;
        }
      }
      continue;
    }
    return i;
  }
  return args.size();
}

bool is_client_command(const char* verb) { return is_verb(verb); }

int client_main(int argc, char** argv) {
  ::signal(SIGPIPE, SIG_IGN);
  std::vector<std::string> args(argv, argv + argc);
  // Where the verb is (after the global flags), and the operand that ends run/exec's flags.
  size_t verb = 1;
  while (verb < args.size() && args[verb].starts_with("-")) {
    if ((args[verb] == "-H" || args[verb] == "--host") && verb + 1 < args.size()) ++verb;
    ++verb;
  }
  Verbs verbs;
  if (verb < args.size()) {
    size_t v = verb;
    if (args[v] == "container" && v + 1 < args.size()) ++v;
    const std::set<std::string>* flags = nullptr;
    if (args[v] == "run" || args[v] == "create") flags = &run_value_flags();
    if (args[v] == "exec") flags = &exec_value_flags();
    if (flags) {
      size_t op = first_operand(args, v + 1, *flags);
      bool help = false;
      for (size_t i = v + 1; i < op && i < args.size(); ++i) help = help || args[i] == "--help";
      if (op < args.size() && !help) {
        verbs.tail.assign(args.begin() + static_cast<long>(op), args.end());
        args.resize(op);
        if (!args.empty() && args.back() == "--") args.pop_back();
      }
    }
  }

  CLI::App app{"berth: docker's container, network, volume and build commands, through the berth daemon", "berth"};
  app.set_help_flag("--help", "print this help and exit");  // -h is run's --hostname
  app.require_subcommand(1);
  app.add_option("-H,--host", verbs.host_flag, "daemon socket (unix://PATH; env BERTH_HOST, DOCKER_HOST)");

  CLI::App* container = app.add_subcommand("container", "manage containers");
  container->require_subcommand(1);
  for (CLI::App* parent : {&app, container}) {
    bool top = parent == &app;
    add_run_verbs(parent, verbs);
    add_container_verbs(parent, top, verbs);
    if (top) add_build_verb(parent, verbs);
  }
  add_object_verbs(app, verbs);

  std::vector<char*> cargv;
  for (auto& a : args) cargv.push_back(a.data());
  try {
    app.parse(static_cast<int>(cargv.size()), cargv.data());
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);
    std::fprintf(stderr, "berth: %s\n", e.what());
    std::string v = verb < args.size() ? args[verb] : "";
    return v == "run" || v == "create" ? 125 : 1;
  }
  std::fflush(stdout);
  return verbs.rc;
}

}  // namespace berth::cli
