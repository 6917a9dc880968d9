// The Dockerfile frontend's parser: Dockerfile text -> global ARGs and stages of typed
// instructions, read as BuildKit's dockerfile frontend reads it. Follows the Dockerfile
// reference (docs.docker.com/reference/dockerfile/) and moby/buildkit frontend/dockerfile:
// parser/parser.go + directives.go (lines, parser directives, continuations, comments,
// heredocs), parser/line_parsers.go + split_command.go (each instruction's argument shape,
// flags), instructions/parse.go + bflag.go + commands_run*.go (typed instructions, their
// checks and error texts).
//
// Nothing is expanded while parsing: words stay as written (quotes and escapes included), and
// the builder expands them when it runs the instruction, with that stage's variables, exactly
// where BuildKit's dispatcher does — see expand_instruction() and shell_lex.h.
//
// Errors: kInvalidArgument, message "<file>:<line>:<column>: <what>", for example
// "Dockerfile:3:1: unknown instruction: FORM (did you mean FROM?)". <line> is the first line of
// the instruction (1-based), <column> the 1-based column of its keyword; <what> is BuildKit's
// own wording. (BuildKit says "dockerfile parse error on line 3: unknown instruction: FORM".)
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "build/shell_lex.h"
#include "common/error.h"

namespace berth::build {

struct Location {
  int line = 0;      // first line of the instruction, 1-based
  int end_line = 0;  // its last line: continuation lines and heredoc bodies included
  int column = 0;    // 1-based column of the keyword on the first line
};

struct Warning {
  Location location;
  std::string message;  // BuildKit's text, e.g. "Empty continuation line found in: RUN a  b"
};

// One <<WORD of RUN, COPY or ADD, with the lines that followed the instruction up to WORD.
struct Heredoc {
  std::string name;     // WORD without its quotes: "EOF" for <<EOF, <<'EOF', <<"E"OF
  std::string content;  // the body lines as written, each with its line end
  bool expand = true;   // false when any part of WORD was quoted: the body is taken literally
  bool chomp = false;   // <<-WORD: leading tabs are stripped from each body line (data())
  int fd = 0;           // the N of "N<<WORD"; 0 when not given

  // The body as the command sees it: content, with leading tabs removed when chomp.
  std::string data() const;
};

// CMD, ENTRYPOINT, RUN and HEALTHCHECK CMD commands.
struct CommandLine {
  // Exec form: the JSON array's strings. Shell form: one string, the text as written (it goes
  // to the shell unexpanded; "" args when the instruction had none).
  std::vector<std::string> args;
  bool exec_form = false;
  std::vector<Heredoc> heredocs;  // RUN in shell form only
};

// An ENV or LABEL pair as written; expand both halves.
struct KeyValue {
  std::string key;
  std::string value;
  bool legacy = false;  // "ENV key the rest" form: value is the rest of the line
};

struct ArgDecl {
  std::string name;                          // never expanded
  std::optional<std::string> default_value;  // as written; expanded when the ARG runs
};

enum class MountType { kBind, kCache, kTmpfs, kSecret, kSsh };
enum class MountSharing { kShared, kPrivate, kLocked };

// RUN --mount=... (BuildKit commands_runmount.go).
struct Mount {
  MountType type = MountType::kBind;
  std::string from;                     // stage or image providing bind/cache sources
  std::string source;                   // src=, source=
  std::string target;                   // dst=, destination=, target=
  std::string id;                       // cache id, or secret/ssh id
  std::optional<MountSharing> sharing;  // cache only; unset means shared
  bool readonly = false;  // default true for bind, secret and ssh; false for cache and tmpfs
  bool required = false;  // secret and ssh: fail when the secret is missing
  int64_t size = 0;       // tmpfs size in bytes, 0 = no limit
  std::optional<uint32_t> mode, uid, gid;  // cache, secret and ssh only
  std::optional<std::string> env;          // secret: also expose it as this variable
  // Parsed without variables (vars == nullptr) and a value held '$': that field was left unset
  // or raw; parse_mount(spec, &vars) again with the stage's variables.
  bool needs_expansion = false;
};

enum class Network { kDefault, kNone, kHost };
enum class Security { kSandbox, kInsecure };

struct RunInstruction {
  CommandLine command;
  std::vector<std::string> mount_specs;  // each --mount value as written
  std::vector<Mount> mounts;             // parse_mount(spec, nullptr) of each
  Network network = Network::kDefault;
  Security security = Security::kSandbox;
};
struct CmdInstruction {
  CommandLine command;
};
struct EntrypointInstruction {
  CommandLine command;
};
struct ShellInstruction {
  std::vector<std::string> shell;  // JSON form only
};
struct EnvInstruction {
  std::vector<KeyValue> vars;
};
struct LabelInstruction {
  std::vector<KeyValue> labels;
};
struct ArgInstruction {
  std::vector<ArgDecl> args;
};
struct ExposeInstruction {
  std::vector<std::string> ports;  // words as written, sorted; each expands to several words
};
struct VolumeInstruction {
  std::vector<std::string> paths;
};
struct UserInstruction {
  std::string user;
};
struct WorkdirInstruction {
  std::string path;
};
struct StopSignalInstruction {
  std::string signal;
};
struct MaintainerInstruction {
  std::string name;
};
struct HealthcheckInstruction {
  // The image config's Healthcheck.Test: {"NONE"}, {"CMD", args...} or {"CMD-SHELL", text}.
  std::vector<std::string> test;
  // Nanoseconds (Go time.Duration); 0 = not given, the runtime default applies.
  int64_t interval = 0, timeout = 0, start_period = 0, start_interval = 0;
  int retries = 0;  // 0 = not given
};

struct SourcesAndDest {
  std::vector<std::string> sources;   // paths, globs (and URLs for ADD), as written
  std::vector<Heredoc> inline_files;  // <<EOF sources: a file named `name` holding data()
  std::string dest;
};
struct CopyInstruction : SourcesAndDest {
  std::string from;  // --from: a stage name or index, or an image; never expanded
  std::string chown, chmod;
  bool link = false;
  bool parents = false;               // --parents
  std::vector<std::string> excludes;  // --exclude patterns
};
struct AddInstruction : SourcesAndDest {
  std::string chown, chmod, checksum;
  bool link = false;
  std::optional<bool> keep_git_dir, unpack;  // unset when the flag was not given
  std::vector<std::string> excludes;
};

struct Instruction;
struct OnbuildInstruction {
  std::string expression;  // the trigger's text, as the image config's OnBuild stores it
  std::shared_ptr<const Instruction> trigger;  // never ONBUILD, FROM or MAINTAINER
};

using InstructionBody =
    std::variant<RunInstruction, CmdInstruction, EntrypointInstruction, ShellInstruction,
                 EnvInstruction, LabelInstruction, ArgInstruction, ExposeInstruction,
                 VolumeInstruction, UserInstruction, WorkdirInstruction, StopSignalInstruction,
                 MaintainerInstruction, HealthcheckInstruction, CopyInstruction, AddInstruction,
                 OnbuildInstruction>;

struct Instruction {
  std::string name;    // upper case: "RUN"
  std::string source;  // the text, continuation lines joined, trimmed (for history entries)
  Location location;
  InstructionBody body;

  template <class T>
  const T* as() const {
    return std::get_if<T>(&body);
  }
};

struct Stage {
  std::string base;      // FROM's image or earlier stage, as written (see stage_base())
  std::string name;      // "AS name", lower-cased; "" when none
  std::string platform;  // --platform, as written; "" when none
  std::string source;
  Location location;
  std::vector<Instruction> instructions;
};

struct Dockerfile {
  std::string file;                      // the name used in messages ("Dockerfile")
  char escape = '\\';                    // "# escape=" directive: '\' or '`'
  std::string syntax;                    // "# syntax=" directive, "" when none
  std::string check;                     // "# check=" directive, "" when none
  std::vector<Instruction> global_args;  // the ARGs before the first FROM
  std::vector<Stage> stages;             // at least one
  std::vector<Warning> warnings;

  // Index of the stage called `name` (case-insensitive), else of a stage given by number
  // ("0"), else -1: how COPY --from and FROM find an earlier stage.
  int find_stage(std::string_view name) const;
  ShellLexer lexer() const { return ShellLexer(escape); }
};

// Parses a whole Dockerfile. `file` only names it in messages. A UTF-8 BOM is skipped.
// Errors (kInvalidArgument, located as above): bad or repeated parser directives, unknown
// instructions, wrong argument counts, unknown or bad flags, bad JSON arrays where only JSON is
// allowed, unterminated heredocs, instructions other than ARG before the first FROM, "file
// with no instructions".
Result<Dockerfile> parse_dockerfile(std::string_view text, std::string_view file = "Dockerfile");

// Parses one RUN --mount value: comma-separated key=value fields (CSV quoting), in order, as
// BuildKit's parseMount. With `vars`, each value is first expanded (escape char `escape`);
// with nullptr, values are literal and a value holding '$' is kept raw (strings) or skipped
// (typed fields), setting needs_expansion. Errors: kInvalidArgument with BuildKit's message
// ("unsupported mount type \"x\"", "invalid value for uid: x", ...), no location.
Result<Mount> parse_mount(std::string_view spec, const Vars* vars, char escape = '\\');

// The variables of the global scope, for FROM lines (BuildKit buildMetaArgs): `builtins`
// (BUILDPLATFORM, TARGETOS, ... as the caller computes them), then each global ARG in order:
// its --build-arg value when `build_args` has one, else its default expanded with what is
// defined so far; an ARG with neither stays unset. Errors: located expansion errors.
Result<Vars> global_args(const Dockerfile& df, const std::map<std::string, std::string>& build_args,
                         const Vars& builtins = {});

struct StageBase {
  std::string image;     // what FROM names, expanded: an image reference or a stage name
  std::string platform;  // --platform expanded, "" when not given
};
// FROM's base and platform expanded with the global scope only (stage variables never apply).
// Errors (located): expansion errors, "base name (<word>) should not be blank", "empty
// platform value from expression <word>".
Result<StageBase> stage_base(const Dockerfile& df, const Stage& stage, const Vars& globals);

// A copy of `in` with its words expanded with `vars` (the stage's build args and ENV), where
// the reference and BuildKit's dispatcher expand: ADD, COPY (sources, dest, --chown, --chmod,
// ADD --checksum; expandable heredoc bodies via expand_heredoc), ENV and LABEL (keys and
// values), EXPOSE (each port split into words), VOLUME, USER, WORKDIR, STOPSIGNAL, ARG
// (default values; a --build-arg value replaces them afterwards), RUN (--mount values,
// re-parsed). RUN/CMD/ENTRYPOINT commands, SHELL, HEALTHCHECK, MAINTAINER and ONBUILD are
// returned unchanged. Errors: expansion errors, located.
Result<Instruction> expand_instruction(const Dockerfile& df, const Instruction& in,
                                       const Vars& vars);

// An error located in `file` as this header's errors are: kInvalidArgument,
// "<file>:<line>:<column>: <message>" (no column part when loc.column is 0).
Error error_at(std::string_view file, const Location& loc, std::string_view message);

}  // namespace berth::build
