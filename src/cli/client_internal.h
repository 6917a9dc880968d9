// INTERNAL header of the client verbs (cli/client_*.cc), not part of cli/'s interface: what
// the files of berth's container, network, volume and build commands share. The public entry
// points are in client_cli.h; the Engine API client itself is client.h. The comments on each
// function are at its definition.
#pragma once

#include <termios.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "cli/client.h"
#include "common/error.h"
#include "common/json.h"

namespace CLI {
class App;
}  // namespace CLI

namespace berth::cli {

// ---------------------------------------------------------------------------------------------
// client_cli.cc: errors as docker prints them, request paths, flag values as the API takes
// them, and what the verbs' CLI11 callbacks share.

void print_error(const Error& e);
// print_error() after flushing stdout; returns 1.
int fail(const Error& e);
int for_each(const std::vector<std::string>& items,
             const std::function<Result<void>(const std::string&)>& op);
// "/containers/{ref}{rest}", `ref` escaped.
std::string cpath(const std::string& ref, const std::string& rest = "");
Json kv_object(const std::vector<std::string>& items);
std::string filters_json(const std::vector<std::string>& flags);

// What the verbs' callbacks share while client_main parses: the client of the daemon (made on
// first use, from -H/--host or the environment), the exit status the chosen verb leaves, and
// the operands that end run/create/exec's flags (split off before CLI11 sees the arguments).
class Verbs {
 public:
  std::string host_flag;          // -H/--host
  std::vector<std::string> tail;  // IMAGE/CONTAINER and the command after it
  int rc = 0;

  // A CLI11 callback: `f` run with the client, its status kept in rc; a bad address fails (1).
  std::function<void()> with(std::function<int(const Client&)> f);
  // Whether the tail holds the operand `name` needs; else prints docker's "requires at least
  // 1 argument" and sets rc (1 for exec, 125 for run/create).
  bool need_tail(const char* name);

 private:
  Result<const Client*> client();

  std::optional<Client> client_;
};

// Each file's verbs, added to `parent`: the top level, or `berth container` (top false).
// client_main adds them in this order, which is the order of --help.
void add_run_verbs(CLI::App* parent, Verbs& v);                  // client_run.cc: run, create
void add_container_verbs(CLI::App* parent, bool top, Verbs& v);  // client_containers.cc
void add_build_verb(CLI::App* parent, Verbs& v);                 // client_build.cc
void add_object_verbs(CLI::App& app, Verbs& v);  // client_objects.cc: network, volume, builder

// The index of the first operand in `args` at or after `from`, skipping flags and the values
// of those in `value_flags` ("--" ends the flags): where run/exec's command, or compose's
// verb and SERVICE, begin (docker's SetInterspersed(false)). args.size() when there is none.
size_t first_operand(const std::vector<std::string>& args, size_t from, const std::set<std::string>& value_flags);

// The flags that take a value, for client_main's argument split (keep them in step with the
// verbs' flags): run/create's (client_run.cc), exec's (client_containers.cc).
const std::set<std::string>& run_value_flags();
const std::set<std::string>& exec_value_flags();

// ---------------------------------------------------------------------------------------------
// client_format.cc: output as the docker CLI prints it, and the values its flags take.

std::string human_size(double b);
std::string human_size3(double b);
std::string bytes_size(double b);
std::string short_id(const std::string& id);
std::string ellipsis(const std::string& s, size_t max);
void tab_print(const std::vector<std::string>& lines, size_t minwidth = 10, size_t padding = 3);
std::string go_value(const Json& v);
std::string render(const std::string& tmpl, const Json& data);
void print_formatted(std::string format, const std::string& default_table,
                     const std::vector<Json>& rows, const Json& headers);
std::string go_time(int64_t unix_seconds, std::string fraction = "");
std::string go_time(const std::string& rfc3339);
std::string ago(double unix_seconds);
bool natural_less(const std::string& a, const std::string& b);
std::optional<int64_t> parse_duration(const std::string& s);
std::optional<int64_t> parse_ram(const std::string& s);

// ---------------------------------------------------------------------------------------------
// client_stream.cc: attach and exec streams, the local terminal, signals.

void pump_output(Hijacked& h, bool raw);
void pump_input(int sock);
void resize(const Client& c, const std::string& path);
// Our terminal's size as the API's ConsoleSize [rows, columns] (null when stdout is no
// terminal), sent at create so the container's terminal starts with it.
Json console_size();
void proxy_signals(const Client& c, const std::string& id, bool tty);

// The local terminal in raw mode while an interactive TTY session lasts.
class RawTerminal {
 public:
  RawTerminal();
  ~RawTerminal();
  RawTerminal(const RawTerminal&) = delete;
  RawTerminal& operator=(const RawTerminal&) = delete;

 private:
  struct termios saved_ {};
  bool active_ = false;
};

// ---------------------------------------------------------------------------------------------
// The verbs' own files, for what another file uses.

// client_run.cc: a created container started as docker run does: detached (prints its ID),
// or attached (output until it exits, stdin with `interactive`, the local terminal raw with
// `tty`, signals passed on), removed after with `rm`. Returns the container's exit code, or
// docker run's 125/126/127 for its own failures.
struct RunFlow {
  bool detach = false, tty = false, interactive = false, rm = false;
};
int run_created(const Client& c, const std::string& id, const RunFlow& flow);

// client_run.cc: -e and --env-file (exec takes them too).
Result<std::vector<std::string>> read_env_file(const std::string& path);
std::string env_item(const std::string& e);

// client_containers.cc: docker logs and exec (compose's logs and exec use them too). The
// sink gets each piece of output with its stream (1 stdout, 2 stderr); null = our stdout and
// stderr. cmd_exec returns the command's exit code.
struct LogsOpts {
  bool follow = false, timestamps = false, details = false;
  std::string tail = "all", since, until;
  std::function<bool(int stream, std::string_view data)> sink;
};
int cmd_logs(const Client& c, const std::string& ref, const LogsOpts& o);
// A GET /containers/json entry as docker ps's template fields (ID, Image, Command, RunningFor,
// Status, Ports, Names, ...); `trunc` shortens IDs and the command.
Json ps_row(const Json& c, bool trunc);
struct ExecOpts {
  bool detach = false, tty = false, interactive = false, privileged = false;
  std::string user, workdir;
  std::vector<std::string> env, env_files;
  std::string container;
  std::vector<std::string> cmd;
};
int cmd_exec(const Client& c, const ExecOpts& o);

// client_build.cc: docker build (progress on stdout, errors on stderr; returns 0 or 1).
struct BuildOpts {
  std::vector<std::string> tags, build_args, labels, secrets;
  std::string file, target, network, iidfile, progress = "auto", context, platform;
  bool no_cache = false, pull = false, quiet = false;
  bool ignored = false;  // --rm, --force-rm: accepted, without effect
};
int cmd_build(const Client& c, const BuildOpts& o);

// client_containers.cc: `kind` is "container", "network" or "volume".
int cmd_inspect(const Client& c, const std::vector<std::string>& refs, const std::string& format,
                const std::string& kind);

// client_stats.cc: docker stats.
int cmd_stats(const Client& c, std::vector<std::string> refs, bool all, bool no_stream,
              bool no_trunc, const std::string& format);

}  // namespace berth::cli
