#include "build/instructions.h"

#include <algorithm>
#include <climits>
#include <utility>

#include "build/text.h"
#include "common/strings.h"
#include "common/time.h"

namespace berth::build::detail {
namespace {

tl::unexpected<Error> parse_error(std::string message) {
  return make_error(Errc::kInvalidArgument, std::move(message));
}

const std::vector<std::string>& instruction_names() {
  static const std::vector<std::string> kNames = {
      "ADD",    "ARG",   "CMD",         "COPY",  "ENTRYPOINT", "ENV",
      "EXPOSE", "FROM",  "HEALTHCHECK", "LABEL", "MAINTAINER", "ONBUILD",
      "RUN",    "SHELL", "STOPSIGNAL",  "USER",  "VOLUME",     "WORKDIR"};
  return kNames;
}

// An instruction's flags (BuildKit bflag.go BFlags): declared by the instruction, then read
// from the node's "--name[=value]" words.
class Flags {
 public:
  explicit Flags(const std::vector<std::string>& words) : words_(words) {}

  void add_bool(std::string name) { flags_.push_back({std::move(name), kBool, "false", {}}); }
  void add_string(std::string name, std::string def = "") {
    flags_.push_back({std::move(name), kString, std::move(def), {}});
  }
  void add_strings(std::string name) { flags_.push_back({std::move(name), kStrings, "", {}}); }

  Result<void> parse() {
    std::vector<std::string> names;
    for (const Flag& f : flags_) names.push_back(f.name);
    for (const std::string& a : words_) {
      if (a == "--") return {};  // the POSIX end of options
      if (a.rfind("--", 0) != 0) return parse_error("arg should start with -- : " + a);
      size_t eq = a.find('=');
      bool has_value = eq != std::string::npos;
      std::string flag_name = a.substr(0, eq);
      std::string value = has_value ? a.substr(eq + 1) : "";
      Flag* f = find(flag_name.substr(2));
      if (!f) {
        return parse_error(
            with_suggestion("unknown flag: " + flag_name, flag_name.substr(2), names, true));
      }
      if (f->used && f->type != kStrings) {
        return parse_error("duplicate flag specified: " + flag_name);
      }
      f->used = true;
      if (f->type == kBool) {
        if (has_value && value.empty()) return parse_error("missing a value on flag: " + flag_name);
        std::string v = str::to_lower(value);
        if (v != "" && v != "true" && v != "false") {
          return parse_error("expecting boolean value for flag " + flag_name + ", not: " + value);
        }
        f->value = v == "false" ? "false" : "true";
      } else {
        if (!has_value) return parse_error("missing a value on flag: " + flag_name);
        if (f->type == kString) {
          f->value = value;
        } else {
          f->values.push_back(value);
        }
      }
    }
    return {};
  }

  bool used(std::string_view name) const { return get(name).used; }
  const std::string& value(std::string_view name) const { return get(name).value; }
  bool is_true(std::string_view name) const { return get(name).value == "true"; }
  const std::vector<std::string>& values(std::string_view name) const { return get(name).values; }
  // A bool flag's value, nullopt when not given (ADD --keep-git-dir, --unpack).
  std::optional<bool> maybe_bool(std::string_view name) const {
    if (!used(name)) return std::nullopt;
    return is_true(name);
  }

 private:
  enum Type { kBool, kString, kStrings };
  struct Flag {
    std::string name;
    Type type;
    std::string value;
    std::vector<std::string> values;
    bool used = false;
  };
  Flag* find(std::string_view name) {
    for (Flag& f : flags_) {
      if (f.name == name) return &f;
    }
    return nullptr;
  }
  const Flag& get(std::string_view name) const {
    return *std::find_if(flags_.begin(), flags_.end(),
                         [&](const Flag& f) { return f.name == name; });
  }

  const std::vector<std::string>& words_;
  std::vector<Flag> flags_;
};

tl::unexpected<Error> err_at_least_one(std::string_view what) {
  return parse_error(std::string(what) + " requires at least one argument");
}
tl::unexpected<Error> err_exactly_one(std::string_view what) {
  return parse_error(std::string(what) + " requires exactly one argument");
}

// Exec form as is, shell form as one string (BuildKit handleJSONArgs).
std::vector<std::string> json_args(const std::vector<std::string>& args, bool json) {
  if (args.empty() || json) return args;
  return {str::join(args, " ")};
}

CommandLine command_line(const Node& n) {
  return CommandLine{json_args(n.args, n.json), n.json, n.heredocs};
}

// (key, value, "=" or "") triples -> pairs (BuildKit parseKvps).
Result<std::vector<KeyValue>> key_values(const Node& n, std::string_view what) {
  if (n.args.empty()) return err_at_least_one(what);
  if (n.args.size() % 3 != 0) {
    return parse_error("Bad input to " + std::string(what) + ", too many arguments");
  }
  std::vector<KeyValue> out;
  for (size_t i = 0; i < n.args.size(); i += 3) {
    if (n.args[i].empty()) return parse_error(std::string(what) + " names can not be blank");
    out.push_back({n.args[i], n.args[i + 1], n.args[i + 2].empty()});
  }
  return out;
}

// A HEALTHCHECK interval flag: "" is 0 (unset); otherwise at least 1ms (parseOptInterval).
Result<int64_t> interval_flag(const Flags& flags, const std::string& name) {
  const std::string& v = flags.value(name);
  if (v.empty()) return 0;
  BERTH_ASSIGN_OR_RETURN(int64_t d, parse_go_duration(v));
  if (d != 0 && d < 1000000) {
    return parse_error("Interval " + go_quote(name) + " cannot be less than 1ms");
  }
  return d;
}

Result<InstructionBody> parse_healthcheck(const Node& n) {
  if (n.args.empty()) return err_at_least_one("HEALTHCHECK");
  HealthcheckInstruction hc;
  std::string type = str::to_upper(n.args[0]);
  std::vector<std::string> rest(n.args.begin() + 1, n.args.end());
  if (type == "NONE") {
    if (!rest.empty()) return parse_error("HEALTHCHECK NONE takes no arguments");
    hc.test = {"NONE"};
    return hc;
  }
  Flags flags(n.flags);
  for (const char* name : {"interval", "timeout", "start-period", "start-interval", "retries"}) {
    flags.add_string(name);
  }
  BERTH_TRY(flags.parse());
  if (type != "CMD") {
    return parse_error("Unknown type " + go_quote(type) + " in HEALTHCHECK (try CMD)");
  }
  std::vector<std::string> cmd = json_args(rest, n.json);
  if (cmd.empty()) return parse_error("Missing command after HEALTHCHECK CMD");
  hc.test = {n.json ? "CMD" : "CMD-SHELL"};
  hc.test.insert(hc.test.end(), cmd.begin(), cmd.end());
  BERTH_ASSIGN_OR_RETURN(hc.interval, interval_flag(flags, "interval"));
  BERTH_ASSIGN_OR_RETURN(hc.timeout, interval_flag(flags, "timeout"));
  BERTH_ASSIGN_OR_RETURN(hc.start_period, interval_flag(flags, "start-period"));
  BERTH_ASSIGN_OR_RETURN(hc.start_interval, interval_flag(flags, "start-interval"));
  if (const std::string& r = flags.value("retries"); !r.empty()) {
    auto v = str::parse_int(r);
    if (!v || *v > INT32_MAX || *v < INT32_MIN) {
      return parse_error("strconv.ParseInt: parsing " + go_quote(r) +
                         (v ? ": value out of range" : ": invalid syntax"));
    }
    if (*v < 0) return parse_error("--retries cannot be negative (" + r + ")");
    hc.retries = static_cast<int>(*v);
  }
  return hc;
}

// COPY/ADD arguments: the last is the destination; <<WORD sources are inline files
// (BuildKit parseSourcesAndDest).
Result<void> sources_and_dest(const Node& n, std::string_view what, SourcesAndDest& out) {
  out.dest = n.args.back();
  BERTH_ASSIGN_OR_RETURN(auto dest_doc, parse_heredoc_word(out.dest));
  if (dest_doc) return parse_error(std::string(what) + " cannot accept a heredoc as a destination");
  for (size_t i = 0; i + 1 < n.args.size(); ++i) {
    BERTH_ASSIGN_OR_RETURN(auto doc, parse_heredoc_word(n.args[i]));
    if (!doc) {
      out.sources.push_back(n.args[i]);
      continue;
    }
    auto body = std::find_if(n.heredocs.begin(), n.heredocs.end(),
                             [&](const Heredoc& h) { return h.name == doc->name; });
    if (body != n.heredocs.end()) doc->content = body->content;
    // The body is chomped now, before any expansion, as BuildKit does for COPY and ADD.
    doc->content = doc->data();
    doc->chomp = false;
    out.inline_files.push_back(std::move(*doc));
  }
  return {};
}

Result<InstructionBody> parse_copy(const Node& n, char escape) {
  if (n.args.size() < 2) {
    return parse_error(
        "COPY requires at least two arguments, but only one was provided. "
        "Destination could not be determined");
  }
  Flags flags(n.flags);
  flags.add_string("chown");
  flags.add_string("from");
  flags.add_string("chmod");
  flags.add_bool("link");
  flags.add_strings("exclude");
  flags.add_bool("parents");
  BERTH_TRY(flags.parse());
  CopyInstruction c;
  BERTH_TRY(sources_and_dest(n, "COPY", c));
  c.from = flags.value("from");
  c.chown = flags.value("chown");
  c.chmod = flags.value("chmod");
  c.link = flags.is_true("link");
  c.parents = flags.is_true("parents");
  c.excludes = flags.values("exclude");
  // --from names a stage or image literally (dockerfile2llb toCommand).
  if (!c.from.empty()) {
    BERTH_ASSIGN_OR_RETURN(std::string plain, ShellLexer(escape).expand(c.from, Vars{}));
    if (plain != c.from) {
      return parse_error(
          "variable expansion is not supported for --from, define a new stage "
          "with FROM using ARG from global scope as a workaround");
    }
  }
  return c;
}

Result<InstructionBody> parse_add(const Node& n) {
  if (n.args.size() < 2) {
    return parse_error(
        "ADD requires at least two arguments, but only one was provided. "
        "Destination could not be determined");
  }
  Flags flags(n.flags);
  flags.add_string("chown");
  flags.add_string("chmod");
  flags.add_bool("link");
  flags.add_bool("keep-git-dir");
  flags.add_string("checksum");
  flags.add_bool("unpack");
  flags.add_strings("exclude");
  BERTH_TRY(flags.parse());
  AddInstruction a;
  BERTH_TRY(sources_and_dest(n, "ADD", a));
  a.chown = flags.value("chown");
  a.chmod = flags.value("chmod");
  a.checksum = flags.value("checksum");
  a.link = flags.is_true("link");
  a.keep_git_dir = flags.maybe_bool("keep-git-dir");
  a.unpack = flags.maybe_bool("unpack");
  a.excludes = flags.values("exclude");
  return a;
}

Result<InstructionBody> parse_run(const Node& n, char escape) {
  Flags flags(n.flags);
  flags.add_strings("mount");
  flags.add_string("network", "default");
  flags.add_string("security", "sandbox");
  BERTH_TRY(flags.parse());
  RunInstruction r;
  r.command = command_line(n);
  r.mount_specs = flags.values("mount");
  for (const std::string& spec : r.mount_specs) {
    BERTH_ASSIGN_OR_RETURN(Mount m, parse_mount(spec, nullptr, escape));
    r.mounts.push_back(std::move(m));
  }
  const std::string& net = flags.value("network");
  if (net == "default")
    r.network = Network::kDefault;
  else if (net == "none")
    r.network = Network::kNone;
  else if (net == "host")
    r.network = Network::kHost;
  else
    return parse_error("invalid network mode " + go_quote(net));
  const std::string& sec = flags.value("security");
  if (sec == "sandbox")
    r.security = Security::kSandbox;
  else if (sec == "insecure")
    r.security = Security::kInsecure;
  else
    return parse_error("security " + go_quote(sec) + " is not valid");
  return r;
}

Result<InstructionBody> parse_arg(const Node& n) {
  if (n.args.empty()) return err_at_least_one("ARG");
  BERTH_TRY(Flags(n.flags).parse());
  ArgInstruction a;
  for (const std::string& word : n.args) {
    size_t eq = word.find('=');
    if (eq == std::string::npos) {
      a.args.push_back({word, std::nullopt});
      continue;
    }
    if (eq == 0) return parse_error("ARG names can not be blank");
    a.args.push_back({word.substr(0, eq), word.substr(eq + 1)});
  }
  return a;
}

// USER, WORKDIR, STOPSIGNAL, MAINTAINER: the rest of the line as one word.
Result<std::string> single_arg(const Node& n, std::string_view what) {
  if (n.args.size() != 1) return err_exactly_one(what);
  BERTH_TRY(Flags(n.flags).parse());
  return n.args[0];
}

Result<InstructionBody> parse_onbuild(const Node& n, char escape) {
  if (!n.child) return err_at_least_one("ONBUILD");
  BERTH_TRY(Flags(n.flags).parse());
  std::string trigger = str::to_upper(n.child->keyword);
  if (trigger == "ONBUILD") {
    return parse_error("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
  }
  if (trigger == "MAINTAINER" || trigger == "FROM") {
    return parse_error(trigger + " isn't allowed as an ONBUILD trigger");
  }
  // The expression is the text after the keyword, with any heredoc bodies appended, as the
  // image config keeps it for the build that will run it.
  OnbuildInstruction o;
  std::string_view text = str::trim(n.original);
  text = str::trim(text.substr(std::min<size_t>(7, text.size())));
  o.expression = std::string(text);
  for (const Heredoc& h : n.heredocs) o.expression += "\n" + h.content + h.name;

  Node child = *n.child;
  child.heredocs = n.heredocs;
  child.location = n.location;
  BERTH_ASSIGN_OR_RETURN(Instruction t, make_instruction(child, escape));
  o.trigger = std::make_shared<const Instruction>(std::move(t));
  return o;
}

Result<InstructionBody> parse_body(const Node& n, const std::string& kw, char escape) {
  if (kw == "RUN") return parse_run(n, escape);
  if (kw == "CMD" || kw == "ENTRYPOINT") {
    BERTH_TRY(Flags(n.flags).parse());
    if (kw == "CMD") return CmdInstruction{command_line(n)};
    return EntrypointInstruction{command_line(n)};
  }
  if (kw == "COPY") return parse_copy(n, escape);
  if (kw == "ADD") return parse_add(n);
  if (kw == "ENV" || kw == "LABEL") {
    BERTH_TRY(Flags(n.flags).parse());
    BERTH_ASSIGN_OR_RETURN(auto pairs, key_values(n, kw));
    if (kw == "ENV") return EnvInstruction{std::move(pairs)};
    return LabelInstruction{std::move(pairs)};
  }
  if (kw == "ARG") return parse_arg(n);
  if (kw == "EXPOSE") {
    if (n.args.empty()) return err_at_least_one("EXPOSE");
    BERTH_TRY(Flags(n.flags).parse());
    ExposeInstruction e{n.args};
    std::sort(e.ports.begin(), e.ports.end());
    return e;
  }
  if (kw == "VOLUME") {
    if (n.args.empty()) return err_at_least_one("VOLUME");
    BERTH_TRY(Flags(n.flags).parse());
    VolumeInstruction v;
    for (const std::string& p : n.args) {
      std::string_view t = str::trim(p);
      if (t.empty()) return parse_error("VOLUME specified can not be an empty string");
      v.paths.emplace_back(t);
    }
    return v;
  }
  if (kw == "USER" || kw == "WORKDIR" || kw == "STOPSIGNAL" || kw == "MAINTAINER") {
    BERTH_ASSIGN_OR_RETURN(std::string v, single_arg(n, kw));
    if (kw == "USER") return UserInstruction{std::move(v)};
    if (kw == "WORKDIR") return WorkdirInstruction{std::move(v)};
    if (kw == "STOPSIGNAL") return StopSignalInstruction{std::move(v)};
    return MaintainerInstruction{std::move(v)};
  }
  if (kw == "HEALTHCHECK") return parse_healthcheck(n);
  if (kw == "SHELL") {
    BERTH_TRY(Flags(n.flags).parse());
    if (n.args.empty()) return err_at_least_one("SHELL");
    if (!n.json) return parse_error("SHELL requires the arguments to be in JSON form");
    return ShellInstruction{n.args};
  }
  if (kw == "ONBUILD") return parse_onbuild(n, escape);
  return parse_error(
      with_suggestion("unknown instruction: " + n.keyword, n.keyword, instruction_names(), false));
}

bool valid_stage_name(std::string_view s) {
  if (s.empty() || s[0] < 'a' || s[0] > 'z') return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
  });
}

}  // namespace

Result<Instruction> make_instruction(const Node& node, char escape) {
  std::string kw = str::to_upper(node.keyword);
  BERTH_ASSIGN_OR_RETURN(InstructionBody body, parse_body(node, kw, escape));
  return Instruction{kw, std::string(str::trim(node.original)), node.location, std::move(body)};
}

Result<Stage> make_stage(const Node& node) {
  Stage st;
  const auto& a = node.args;
  if (a.size() == 3 && str::to_lower(a[1]) == "as") {
    st.name = str::to_lower(a[2]);
    if (!valid_stage_name(st.name)) {
      return parse_error("invalid name for build stage: " + go_quote(a[2]) +
                         ", name can't start with a number or contain symbols");
    }
  } else if (a.size() != 1) {
    return parse_error("FROM requires either one or three arguments");
  }
  Flags flags(node.flags);
  flags.add_string("platform");
  BERTH_TRY(flags.parse());
  st.base = a[0];
  st.platform = flags.value("platform");
  st.source = std::string(str::trim(node.original));
  st.location = node.location;
  return st;
}

}  // namespace berth::build::detail
