// Stages from instructions (BuildKit instructions.Parse), the global scope of FROM lines
// (dockerfile2llb buildMetaArgs) and where the builder expands words (dockerfile2llb dispatch
// and the instructions' Expand methods).
#include "build/dockerfile.h"

#include <set>

#include "build/instructions.h"
#include "build/parser.h"
#include "build/text.h"
#include "common/strings.h"

namespace berth::build {
namespace {

// Expands the words of one instruction in place; errors are not located yet.
struct Expander {
  const ShellLexer& lex;
  const Vars& vars;
  char escape;

  Result<void> word(std::string& w) const {
    BERTH_ASSIGN_OR_RETURN(w, lex.expand(w, vars));
    return {};
  }
  Result<void> words(std::vector<std::string>& ws) const {
    for (std::string& w : ws) BERTH_TRY(word(w));
    return {};
  }
  Result<void> pairs(std::vector<KeyValue>& kvs) const {
    for (KeyValue& kv : kvs) {
      BERTH_TRY(word(kv.key));
      BERTH_TRY(word(kv.value));
    }
    return {};
  }
  Result<void> sources(SourcesAndDest& s) const {
    BERTH_TRY(words(s.sources));
    BERTH_TRY(word(s.dest));
    for (Heredoc& h : s.inline_files) {
      if (h.expand) {
        BERTH_ASSIGN_OR_RETURN(h.content, expand_heredoc(h.content, vars));
      }
    }
    return {};
  }

  Result<void> operator()(RunInstruction& r) const {
    r.mounts.clear();
    for (const std::string& spec : r.mount_specs) {
      BERTH_ASSIGN_OR_RETURN(Mount m, parse_mount(spec, &vars, escape));
      r.mounts.push_back(std::move(m));
    }
    return {};
  }
  Result<void> operator()(EnvInstruction& e) const { return pairs(e.vars); }
  Result<void> operator()(LabelInstruction& l) const { return pairs(l.labels); }
  Result<void> operator()(ArgInstruction& a) const {
    for (ArgDecl& d : a.args) {
      if (d.default_value) BERTH_TRY(word(*d.default_value));
    }
    return {};
  }
  Result<void> operator()(ExposeInstruction& e) const {
    std::vector<std::string> ports;
    for (const std::string& p : e.ports) {
      BERTH_ASSIGN_OR_RETURN(auto split, lex.expand_words(p, vars));
      ports.insert(ports.end(), split.begin(), split.end());
    }
    e.ports = std::move(ports);
    return {};
  }
  Result<void> operator()(VolumeInstruction& v) const { return words(v.paths); }
  Result<void> operator()(UserInstruction& u) const { return word(u.user); }
  Result<void> operator()(WorkdirInstruction& w) const { return word(w.path); }
  Result<void> operator()(StopSignalInstruction& s) const { return word(s.signal); }
  Result<void> operator()(CopyInstruction& c) const {
    BERTH_TRY(word(c.chown));
    BERTH_TRY(word(c.chmod));
    return sources(c);
  }
  Result<void> operator()(AddInstruction& a) const {
    BERTH_TRY(word(a.chown));
    BERTH_TRY(word(a.chmod));
    BERTH_TRY(word(a.checksum));
    return sources(a);
  }
  // CMD, ENTRYPOINT, SHELL, HEALTHCHECK, MAINTAINER, ONBUILD: never expanded.
  template <class T>
  Result<void> operator()(T&) const {
    return {};
  }
};

}  // namespace

std::string Heredoc::data() const {
  if (!chomp) return content;
  std::string out;
  bool line_start = true;
  for (char c : content) {
    if (line_start && c == '\t') continue;
    line_start = c == '\n';
    out += c;
  }
  return out;
}

int Dockerfile::find_stage(std::string_view name) const {
  std::string lower = str::to_lower(name);
  for (size_t i = 0; i < stages.size(); ++i) {
    if (!stages[i].name.empty() && stages[i].name == lower) return static_cast<int>(i);
  }
  auto index = str::parse_int(name);
  if (index && *index >= 0 && *index < static_cast<int64_t>(stages.size())) {
    return static_cast<int>(*index);
  }
  return -1;
}

Error error_at(std::string_view file, const Location& loc, std::string_view message) {
  std::string where(file);
  if (loc.line > 0) {
    where += ":" + std::to_string(loc.line);
    if (loc.column > 0) where += ":" + std::to_string(loc.column);
  }
  return Error{Errc::kInvalidArgument, where + ": " + std::string(message), 0};
}

Result<Dockerfile> parse_dockerfile(std::string_view text, std::string_view file) {
  BERTH_ASSIGN_OR_RETURN(detail::ParsedText parsed, detail::parse_text(text, file));
  Dockerfile df;
  df.file = std::string(file);
  df.escape = parsed.escape;
  df.syntax = std::move(parsed.syntax);
  df.check = std::move(parsed.check);
  df.warnings = std::move(parsed.warnings);
  std::set<std::string> names;

  for (const detail::Node& node : parsed.nodes) {
    auto located = [&](const Error& e) {
      return tl::unexpected(error_at(file, node.location, e.message));
    };
    if (str::to_lower(node.keyword) == "from") {
      auto stage = detail::make_stage(node);
      if (!stage) return located(stage.error());
      if (!stage->name.empty() && !names.insert(stage->name).second) {
        df.warnings.push_back({node.location, "Duplicate stage name " + go_quote(stage->name) +
                                                  ", stage names should be unique"});
      }
      df.stages.push_back(std::move(*stage));
      continue;
    }
    auto inst = detail::make_instruction(node, df.escape);
    if (!inst) return located(inst.error());
    if (!df.stages.empty()) {
      df.stages.back().instructions.push_back(std::move(*inst));
    } else if (inst->as<ArgInstruction>()) {
      df.global_args.push_back(std::move(*inst));
    } else {
      return located(Error{Errc::kInvalidArgument, "no build stage in current context", 0});
    }
  }
  if (df.stages.empty()) {
    return tl::unexpected(error_at(file, {}, "dockerfile contains no stages to build"));
  }
  return df;
}

Result<Vars> global_args(const Dockerfile& df, const std::map<std::string, std::string>& build_args,
                         const Vars& builtins) {
  Vars vars = builtins;
  ShellLexer lex = df.lexer();
  for (const Instruction& inst : df.global_args) {
    for (const ArgDecl& decl : inst.as<ArgInstruction>()->args) {
      if (auto it = build_args.find(decl.name); it != build_args.end()) {
        vars.set(decl.name, it->second);
      } else if (decl.default_value) {
        auto v = lex.expand(*decl.default_value, vars);
        if (!v) return tl::unexpected(error_at(df.file, inst.location, v.error().message));
        vars.set(decl.name, std::move(*v));
      }
    }
  }
  return vars;
}

Result<StageBase> stage_base(const Dockerfile& df, const Stage& stage, const Vars& globals) {
  auto fail = [&](std::string_view message) {
    return tl::unexpected(error_at(df.file, stage.location, message));
  };
  ShellLexer lex = df.lexer();
  StageBase out;
  auto image = lex.expand(stage.base, globals);
  if (!image) return fail(image.error().message);
  if (image->empty()) return fail("base name (" + stage.base + ") should not be blank");
  out.image = std::move(*image);
  if (!stage.platform.empty()) {
    auto platform = lex.expand(stage.platform, globals);
    if (!platform) {
      return fail("failed to process arguments for platform " + stage.platform + ": " +
                  platform.error().message);
    }
    if (platform->empty()) return fail("empty platform value from expression " + stage.platform);
    out.platform = std::move(*platform);
  }
  return out;
}

Result<Instruction> expand_instruction(const Dockerfile& df, const Instruction& in,
                                       const Vars& vars) {
  ShellLexer lex = df.lexer();
  Instruction out = in;
  auto r = std::visit(Expander{lex, vars, df.escape}, out.body);
  if (!r) return tl::unexpected(error_at(df.file, in.location, r.error().message));
  return out;
}

}  // namespace berth::build
