#include "build/builder.h"

#include <fcntl.h>
#include <fnmatch.h>
#include <sys/mount.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <mutex>
#include <set>
#include <thread>

#include "build/copy.h"
#include "build/dockerfile.h"
#include "build/dockerignore.h"
#include "build/remote.h"
#include "common/digest.h"
#include "common/fs.h"
#include "common/strings.h"
#include "common/time.h"
#include "engine/spec_builder.h"
#include "image/distribution.h"
#include "image/layer.h"

namespace berth::build {
namespace {

constexpr std::string_view kSchema = R"sql(
CREATE TABLE IF NOT EXISTS build_cache(
  key TEXT PRIMARY KEY,
  state TEXT NOT NULL,
  created INTEGER NOT NULL);
)sql";

constexpr const char* kDefaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// An image in the making: its config document and its layers.
struct State {
  Json config;
  std::vector<image::Descriptor> layers;

  Json& cfg() { return config["config"]; }
  const Json& cfg() const { return config["config"]; }
  std::vector<std::string> diff_ids() const {
    return string_array(config.value("rootfs", Json::object()).value("diff_ids", Json()));
  }
  std::vector<std::string> chain() const { return image::chain_ids(diff_ids()); }
  // What identifies the state (the legacy builder's intermediate image ID).
  std::string id() const { return sha256_digest(to_json()); }
  std::string to_json() const {
    Json l = Json::array();
    for (auto& d : layers) l.push_back(image::to_json(d));
    return dump_json(Json{{"config", config}, {"layers", l}});
  }
  static std::optional<State> from_json(const std::string& text) {
    auto j = parse_json(text, "build state");
    if (!j || !j->is_object()) return std::nullopt;
    State s;
    s.config = j->value("config", Json::object());
    for (auto& l : j->value("layers", Json::array())) {
      auto d = image::parse_descriptor(l, "layer");
      if (!d) return std::nullopt;
      s.layers.push_back(*d);
    }
    return s;
  }
};

std::string short_id(const std::string& digest) { return digest.substr(digest.find(':') + 1, 12); }

State scratch_state() {
  image::Platform p = image::host_platform();
  State s;
  s.config = {{"architecture", p.architecture},
              {"os", p.os},
              {"config", {{"Env", Json::array({kDefaultPath})}}},
              {"rootfs", {{"type", "layers"}, {"diff_ids", Json::array()}}},
              {"history", Json::array()}};
  return s;
}

void add_history(State& s, const std::string& created_by, bool empty_layer) {
  Json h = {{"created", rfc3339_now()}, {"created_by", created_by}, {"comment", "buildkit.dockerfile.v0"}};
  if (empty_layer) h["empty_layer"] = true;
  s.config["history"].push_back(h);
  s.config["created"] = h["created"];
}

// Shell form: the stage's SHELL (default /bin/sh -c) and the text; exec form: as written.
std::vector<std::string> command_args(const State& s, const CommandLine& c) {
  if (c.exec_form) return c.args;
  std::vector<std::string> shell = string_array(s.cfg().value("Shell", Json()));
  if (shell.empty()) shell = {"/bin/sh", "-c"};
  std::string text = c.args.empty() ? "" : c.args[0];
  // RUN <<EOF alone: the heredoc is the script (BuildKit); with a command before it, the
  // shell reads the heredoc itself.
  if (!c.heredocs.empty()) {
    std::string head(str::trim(text));
    if (head == "<<" + c.heredocs[0].name || head == "<<-" + c.heredocs[0].name ||
        head == "<<\"" + c.heredocs[0].name + "\"" || head == "<<'" + c.heredocs[0].name + "'") {
      text = c.heredocs[0].data();
    } else {
      for (auto& h : c.heredocs) text += "\n" + h.data() + h.name;
    }
  }
  shell.push_back(text);
  return shell;
}

void set_env(Json& cfg, const std::string& key, const std::string& value) {
  std::vector<std::string> env = string_array(cfg.value("Env", Json()));
  std::erase_if(env, [&](auto& e) { return e.substr(0, e.find('=')) == key; });
  env.push_back(key + "=" + value);
  cfg["Env"] = env;
}

int64_t ns_or_zero(int64_t v) { return v; }

}  // namespace

struct Builder::Impl {
  image::ImageService& images;
  engine::Engine& engine;
  std::string data_root;
  sql::Db db;
  std::mutex mu;  // the cache table

  std::optional<State> cached(const std::string& key) {
    std::lock_guard<std::mutex> l(mu);
    auto st = db.prepare("SELECT state FROM build_cache WHERE key=?");
    if (!st) return std::nullopt;
    st->bind(1, key);
    if (!st->step().value_or(false)) return std::nullopt;
    auto s = State::from_json(st->text(0));
    if (!s) return std::nullopt;
    // The layers may have been pruned since: then the step runs again.
    auto chain = s->chain();
    for (size_t i = 0; i < s->layers.size(); ++i) {
      if (!images.content().exists(s->layers[i].digest)) return std::nullopt;
      if (i < chain.size() && !images.snapshots().has(chain[i])) {
        auto diff = s->diff_ids();
        auto u = images.snapshots().unpack(chain[i], diff[i],
                                           image::file_reader(images.content().blob_path(s->layers[i].digest)));
        if (!u) return std::nullopt;
      }
    }
    return s;
  }

  void remember(const std::string& key, const State& s) {
    std::lock_guard<std::mutex> l(mu);
    if (auto st = db.prepare("INSERT OR REPLACE INTO build_cache(key, state, created) VALUES(?,?,?)")) {
      st->bind(1, key).bind(2, s.to_json()).bind(3, static_cast<int64_t>(::time(nullptr)));
      (void)st->run();
    }
  }

  // A writable snapshot of `parent` mounted for `work`; what it changed becomes a layer of the
  // returned state (none when nothing changed).
  Result<State> fs_step(const State& parent, const std::string& created_by,
                        const std::function<Result<void>(const std::string& rootfs)>& work) {
    std::string key = "build-" + str::random_hex(16);
    auto& snaps = images.snapshots();
    BERTH_ASSIGN_OR_RETURN(image::SnapshotMount m, snaps.prepare(key, parent.chain()));
    std::string target = data_root + "/build/mnt/" + key;
    struct Cleanup {
      image::Snapshots& snaps;
      std::string key, target;
      bool mounted = false;
      ~Cleanup() {
        if (mounted) ::umount2(target.c_str(), MNT_DETACH);
        ::rmdir(target.c_str());
        (void)snaps.remove_active(key);
      }
    } cleanup{snaps, key, target};
    BERTH_TRY(fs::mkdir_all(target, 0700));
    std::string data = str::join(m.options, ",");
    if (::mount("overlay", target.c_str(), "overlay", 0, data.c_str()) < 0) {
      return sys_error(errno, "mount the build step's root file system");
    }
    cleanup.mounted = true;
    BERTH_TRY(work(target));
    ::umount2(target.c_str(), MNT_DETACH);
    cleanup.mounted = false;
    State next = parent;
    std::string upper = snaps.upper_dir(key);
    if (fs::list_dir(upper).value_or(std::vector<std::string>{}).empty()) {
      add_history(next, created_by, true);
      return next;
    }
    BERTH_ASSIGN_OR_RETURN(auto w, images.content().writer("", -1));
    BERTH_TRY(image::write_layer(upper, true, [&](const char* d, size_t n) { return w->write(d, n); }));
    int64_t size = w->offset();
    BERTH_ASSIGN_OR_RETURN(std::string digest, w->commit());
    next.layers.push_back(image::Descriptor{std::string(image::media::kOciLayer), digest, size,
                                            std::nullopt, {}, {}});
    next.config["rootfs"]["diff_ids"].push_back(digest);
    // The layer as a snapshot of its own, for the steps after it.
    auto chain = next.chain();
    if (!snaps.has(chain.back())) {
      BERTH_TRY(snaps.unpack(chain.back(), digest,
                             image::file_reader(images.content().blob_path(digest))).map([](auto&&) {}));
    }
    add_history(next, created_by, false);
    return next;
  }

  // RUN --mount (BuildKit's runmount): mounts[i..] added to `so`, then `run`. Cache mounts are
  // directories kept under <data_root>/build/cache-mounts by id (default: the target) across
  // builds; bind mounts show a path of the context (read-only) or of a stage or image (from a
  // writable overlay of its own, so rw writes are thrown away); secrets come from
  // BuildOptions::secrets; tmpfs is a tmpfs. A missing secret or ssh agent is skipped unless
  // `required`.
  Result<void> with_run_mounts(const std::vector<Mount>& mounts, size_t i, const BuildOptions& o,
                               engine::StepOptions& so,
                               const std::function<Result<State>(const std::string&)>& resolve_from,
                               const std::function<Result<void>()>& run) {
    if (i == mounts.size()) return run();
    const Mount& m = mounts[i];
    auto next = [&]() { return with_run_mounts(mounts, i + 1, o, so, resolve_from, run); };
    auto add = [&](engine::StepMount sm) -> Result<void> {
      so.mounts.push_back(std::move(sm));
      auto r = next();
      so.mounts.pop_back();
      return r;
    };
    switch (m.type) {
      case MountType::kTmpfs:
        return add({"tmpfs", "", m.target, false, m.size});
      case MountType::kCache: {
        std::string id = m.id.empty() ? m.target : m.id;
        std::string dir = data_root + "/build/cache-mounts/" + std::string(digest_hex(sha256_digest(id)));
        if (!fs::exists(dir)) {
          BERTH_TRY(fs::mkdir_all(dir, 0700));
          ::chmod(dir.c_str(), m.mode.value_or(0755));
          if (::chown(dir.c_str(), m.uid.value_or(0), m.gid.value_or(0)) != 0) {
            return sys_error(errno, "chown the cache mount `" + id + "`");
          }
        }
        return add({"bind", dir, m.target, m.readonly, 0});
      }
      case MountType::kSecret: {
        auto it = o.secrets.find(m.id);
        if (it == o.secrets.end()) {
          if (m.required) return make_error(Errc::kInvalidArgument, "secret " + m.id + ": not provided (--secret id=" + m.id + ",src=FILE)");
          return next();
        }
        Json saved_env = so.config.value("Env", Json::array());
        if (m.env) {
          BERTH_ASSIGN_OR_RETURN(std::string value, fs::read_file(it->second));
          so.config["Env"].push_back(*m.env + "=" + value);
        }
        Result<void> r = {};
        if (!m.env || !m.target.empty()) {
          r = add({"bind", it->second, m.target.empty() ? "/run/secrets/" + m.id : m.target, true, 0});
        } else {
          r = next();
        }
        so.config["Env"] = saved_env;
        return r;
      }
      case MountType::kSsh:
        if (m.required) return make_error(Errc::kNotImplemented, "RUN --mount=type=ssh: no SSH agent forwarding");
        return next();
      case MountType::kBind:
        break;
    }
    std::string source = m.source.empty() ? "." : m.source;
    if (m.from.empty()) {
      if (!m.readonly) {
        return make_error(Errc::kNotImplemented, "RUN --mount=type=bind,rw of the build context is not supported yet");
      }
      BERTH_ASSIGN_OR_RETURN(std::string path, real_path_in(o.context_dir, source));
      return add({"bind", path, m.target, true, 0});
    }
    BERTH_ASSIGN_OR_RETURN(State from, resolve_from(m.from));
    return fs_step(from, "", [&](const std::string& from_root) -> Result<void> {
             BERTH_ASSIGN_OR_RETURN(std::string path, real_path_in(from_root, source));
             return add({"bind", path, m.target, m.readonly, 0});
           })
        .map([](auto&&) {});
  }

  // `rel` resolved inside `root` as if root were / (symlinks cannot leave it): the real path.
  static Result<std::string> real_path_in(const std::string& root, const std::string& rel) {
    UniqueFd dir(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!dir) return sys_error(errno, "open `" + root + "`");
    UniqueFd f = fs::open_in_root(dir.get(), fs::clean_path("/" + rel), O_PATH | O_CLOEXEC);
    if (!f) return sys_error(errno, "RUN --mount source `" + rel + "`");
    char buf[4096];
    ssize_t n = ::readlink(("/proc/self/fd/" + std::to_string(f.get())).c_str(), buf, sizeof buf);
    if (n <= 0) return sys_error(errno, "resolve `" + rel + "`");
    return std::string(buf, static_cast<size_t>(n));
  }

  Result<State> from_image(const std::string& ref, bool pull, const BuildOutput& out) {
    if (ref == "scratch") return scratch_state();
    auto img = pull ? Result<image::Image>(make_error(Errc::kNotFound, "pull")) : images.get(ref);
    if (!img) {
      out(" ---> Pulling " + ref + "\n");
      img = image::pull(images, ref);
      if (!img) return tl::unexpected(img.error());
    }
    State s;
    s.config = img->config.doc;
    s.layers = img->layers;
    if (!s.config.contains("config") || !s.config["config"].is_object()) s.config["config"] = Json::object();
    if (!s.config.contains("history")) s.config["history"] = Json::array();
    Json& env = s.cfg()["Env"];
    if (!env.is_array()) env = Json::array();
    bool has_path = std::any_of(env.begin(), env.end(), [](auto& e) {
      return e.is_string() && e.template get<std::string>().starts_with("PATH=");
    });
    if (!has_path) env.push_back(kDefaultPath);
    return s;
  }
};

Builder::Builder(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Builder::~Builder() = default;

Result<std::unique_ptr<Builder>> Builder::open(image::ImageService& images, engine::Engine& engine,
                                               const std::string& data_root) {
  BERTH_ASSIGN_OR_RETURN(sql::Db db, sql::Db::open(data_root + "/berth.db"));
  BERTH_TRY(db.exec(kSchema));
  return std::unique_ptr<Builder>(
      new Builder(std::unique_ptr<Impl>(new Impl{images, engine, data_root, std::move(db), {}})));
}

Result<int64_t> Builder::prune() {
  std::lock_guard<std::mutex> l(impl_->mu);
  BERTH_ASSIGN_OR_RETURN(auto count, impl_->db.prepare("SELECT COUNT(*) FROM build_cache"));
  int64_t n = count.step().value_or(false) ? count.int64(0) : 0;
  BERTH_TRY(impl_->db.exec("DELETE FROM build_cache"));
  // RUN --mount=type=cache directories go too, as BuildKit's prune removes cache mounts.
  BERTH_TRY(fs::remove_all(impl_->data_root + "/build/cache-mounts"));
  return n;
}

Result<std::string> Builder::build(const BuildOptions& o, const BuildOutput& out_in) {
  Impl& s = *impl_;
  std::mutex out_mu;  // stages of one wave print at once
  BuildOutput emit = [&](const std::string& t) {
    if (o.quiet) return;
    std::lock_guard<std::mutex> l(out_mu);
    out_in(t);
  };
  UniqueFd ctx(::open(o.context_dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!ctx) return sys_error(errno, "open the build context");
  UniqueFd dffd = fs::open_in_root(ctx.get(), o.dockerfile, O_RDONLY);
  if (!dffd) {
    return make_error(Errc::kInvalidArgument, "Cannot locate specified Dockerfile: " + o.dockerfile);
  }
  BERTH_ASSIGN_OR_RETURN(std::string text, fs::read_file("/proc/self/fd/" + std::to_string(dffd.get())));
  std::string file = o.dockerfile.substr(o.dockerfile.rfind('/') + 1);
  BERTH_ASSIGN_OR_RETURN(Dockerfile df, parse_dockerfile(text, file));
  // In place, the context's .dockerignore is ours to apply; the Dockerfile and .dockerignore
  // stay in, as the docker CLI always sends them.
  std::optional<IgnoreMatcher> ignore;
  if (o.in_place) {
    std::string file_path = find_ignore_file(o.context_dir, o.context_dir + "/" + o.dockerfile);
    std::vector<std::string> patterns;
    if (!file_path.empty()) {
      BERTH_ASSIGN_OR_RETURN(std::string ig, fs::read_file(file_path));
      patterns = parse_dockerignore(ig);
    }
    patterns.push_back("!" + o.dockerfile);
    patterns.push_back("!.dockerignore");
    BERTH_ASSIGN_OR_RETURN(ignore, IgnoreMatcher::create(patterns));
  }

  // Which stages the target needs: FROM <stage> and COPY --from=<stage>, transitively.
  int target = static_cast<int>(df.stages.size()) - 1;
  if (!o.target.empty()) {
    target = df.find_stage(str::to_lower(o.target));
    if (target < 0) return make_error(Errc::kInvalidArgument, "target stage \"" + o.target + "\" could not be found");
  }
  // --platform and FROM --platform: only what this machine runs (there is no emulation), so a
  // foreign platform is refused up front instead of failing in the first RUN.
  image::Platform host = image::host_platform();
  auto check_platform = [&](const std::string& what, const std::string& value) -> Result<void> {
    if (value.empty()) return {};
    BERTH_ASSIGN_OR_RETURN(image::Platform p, image::parse_platform(value));
    if (p.os != host.os || p.architecture != host.architecture) {
      return make_error(Errc::kInvalidArgument, what + " " + value + ": only the host platform " +
                                                    image::to_string(host) + " can be built here (no emulation)");
    }
    return {};
  };
  BERTH_TRY(check_platform("--platform", o.platform));
  Vars builtins = {{"TARGETPLATFORM", image::to_string(image::host_platform())},
                   {"TARGETOS", image::host_platform().os},
                   {"TARGETARCH", image::host_platform().architecture},
                   {"BUILDPLATFORM", image::to_string(image::host_platform())},
                   {"BUILDOS", image::host_platform().os},
                   {"BUILDARCH", image::host_platform().architecture}};
  BERTH_ASSIGN_OR_RETURN(Vars globals, global_args(df, o.build_args, builtins));
  std::vector<StageBase> bases;
  for (auto& st : df.stages) {
    BERTH_ASSIGN_OR_RETURN(StageBase b, stage_base(df, st, globals));
    if (auto r = check_platform("FROM --platform", b.platform); !r) {
      return make_error(Errc::kInvalidArgument, o.dockerfile + ":" + std::to_string(st.location.line) + ": " +
                                                    r.error().message);
    }
    bases.push_back(b);
  }
  std::vector<bool> needed(df.stages.size(), false);
  std::function<void(int)> need = [&](int i) {
    if (i < 0 || needed[static_cast<size_t>(i)]) return;
    needed[static_cast<size_t>(i)] = true;
    int base = df.find_stage(bases[static_cast<size_t>(i)].image);
    if (base >= 0 && base < i) need(base);
    for (auto& in : df.stages[static_cast<size_t>(i)].instructions) {
      if (auto c = in.as<CopyInstruction>(); c && !c->from.empty()) {
        int from = df.find_stage(c->from);
        if (from >= 0 && from < i) need(from);
      }
      if (auto r = in.as<RunInstruction>()) {
        for (auto& m : r->mounts) {
          int from = m.from.empty() ? -1 : df.find_stage(m.from);
          if (from >= 0 && from < i) need(from);
        }
      }
    }
  };
  need(target);
  // Step numbers as the legacy builder counts them: each needed stage's FROM and instructions.
  int total = 0;
  std::vector<int> first_step(df.stages.size(), 0);
  for (size_t i = 0; i < df.stages.size(); ++i) {
    first_step[i] = total;
    if (needed[i]) total += 1 + static_cast<int>(df.stages[i].instructions.size());
  }

  std::vector<std::optional<State>> done(df.stages.size());
  // COPY --from and RUN --mount from=: an earlier stage by name or index, else an image.
  auto resolve_from_in = [&](size_t si, const std::string& from, const BuildOutput& out) -> Result<State> {
    int fi = df.find_stage(from);
    if (fi >= 0 && static_cast<size_t>(fi) < si && done[static_cast<size_t>(fi)]) {
      return *done[static_cast<size_t>(fi)];
    }
    if (fi >= 0) {
      return make_error(Errc::kInvalidArgument, "--from=" + from + ": stage not built before this one");
    }
    if (std::all_of(from.begin(), from.end(), ::isdigit)) {
      return make_error(Errc::kInvalidArgument, "invalid from flag value " + from + ": stage index out of range");
    }
    return s.from_image(from, false, out);
  };
  std::set<std::string> used_args;
  std::mutex args_mu;  // used_args
  // One stage, from its FROM to its last instruction; its result goes to done[si].
  auto build_stage = [&](size_t si, const BuildOutput& out) -> Result<void> {
    auto resolve_from = [&](const std::string& from) { return resolve_from_in(si, from, out); };
    int step = first_step[si];
    State state;
    const Stage& stage = df.stages[si];
    out("Step " + std::to_string(++step) + "/" + std::to_string(total) + " : " + stage.source + "\n");
    int base_stage = df.find_stage(bases[si].image);
    if (base_stage >= 0 && static_cast<size_t>(base_stage) < si) {
      state = *done[static_cast<size_t>(base_stage)];
    } else {
      BERTH_ASSIGN_OR_RETURN(state, s.from_image(bases[si].image, o.pull, out));
    }
    out(" ---> " + short_id(state.id()) + "\n");
    Vars args;  // the ARGs this stage declared
    bool cmd_set = false;
    // The base image's ONBUILD triggers run first, then leave the config (docker's builder).
    std::vector<Instruction> steps;
    size_t triggers = 0;
    if (base_stage < 0 || static_cast<size_t>(base_stage) >= si) {
      auto onbuild = string_array(state.cfg().value("OnBuild", Json()));
      if (!onbuild.empty()) out("# Executing " + std::to_string(onbuild.size()) + " build trigger(s)\n");
      for (auto& expr : onbuild) {
        auto t = parse_dockerfile("FROM scratch\n" + expr, "ONBUILD");
        if (!t) return make_error(Errc::kInvalidArgument, "ONBUILD trigger \"" + expr + "\" of " + bases[si].image + ": " + t.error().message);
        for (auto& in : t->stages[0].instructions) steps.push_back(in);
      }
      triggers = steps.size();
      state.cfg().erase("OnBuild");
    }
    steps.insert(steps.end(), stage.instructions.begin(), stage.instructions.end());
    for (size_t n = 0; n < steps.size(); ++n) {
      const Instruction& raw = steps[n];
      if (n >= triggers) {
        out("Step " + std::to_string(++step) + "/" + std::to_string(total) + " : " + raw.source + "\n");
      }
      // Errors of a step name its place in the Dockerfile (the parser's already do).
      auto one_step = [&]() -> Result<void> {
        // Variables for expansion: the stage's ARGs, then its ENV (ENV wins, as in docker).
        Vars vars = args;
        for (auto& e : string_array(state.cfg().value("Env", Json()))) {
          auto eq = e.find('=');
          vars.set(e.substr(0, eq), eq == std::string::npos ? "" : e.substr(eq + 1));
        }
        BERTH_ASSIGN_OR_RETURN(Instruction in, expand_instruction(df, raw, vars));
        // ARG changes only what later steps see; it never touches the image.
        if (auto a = in.as<ArgInstruction>()) {
          for (auto& d : a->args) {
            {
            std::lock_guard<std::mutex> l(args_mu);
            used_args.insert(d.name);
          }
            if (auto b = o.build_args.find(d.name); b != o.build_args.end()) {
              args.set(d.name, b->second);
            } else if (d.default_value) {
              args.set(d.name, *d.default_value);
            } else if (const std::string* g = globals.get(d.name)) {
              args.set(d.name, *g);  // a global ARG redeclared without a value keeps its value
            }
          }
          out(" ---> " + short_id(state.id()) + "\n");
          return {};
        }
        // The cache key: parent, instruction as expanded, the args a RUN sees, copied content.
        Json key = {{"parent", state.id()}, {"instruction", raw.source}};
        Json arg_env = Json::array();
        for (auto& [k, v] : args.items()) arg_env.push_back(k + "=" + v);
        std::function<Result<State>()> run;
        if (auto r = in.as<RunInstruction>()) {
          key["args"] = arg_env;
          key["network"] = static_cast<int>(r->network);
          if (!r->mount_specs.empty()) {
            key["mounts"] = r->mount_specs;
            // What a bind mount shows of the context counts as COPY's sources do.
            for (auto& m : r->mounts) {
              if (m.type != MountType::kBind || !m.from.empty()) continue;
              CopySpec cs;
              cs.sources = {m.source.empty() ? "." : m.source};
              cs.ignore = ignore ? &*ignore : nullptr;
              BERTH_ASSIGN_OR_RETURN(key["bind " + m.target], content_digest(o.context_dir, cs));
            }
          }
          std::vector<std::string> argv = command_args(state, r->command);
          run = [&, argv, r]() -> Result<State> {
            engine::StepOptions so;
            so.config = state.cfg();
            so.config["Cmd"] = argv;
            so.config["Entrypoint"] = Json();
            std::vector<std::string> env = string_array(state.cfg().value("Env", Json()));
            for (auto& [k, v] : args.items()) {
              bool in_env = std::any_of(env.begin(), env.end(), [&](auto& e) { return e.substr(0, e.find('=')) == k; });
              if (!in_env) env.push_back(k + "=" + v);
            }
            so.config["Env"] = env;
            so.network = r->network == Network::kNone ? "none" : r->network == Network::kHost ? "host" : o.network;
            std::string shown = str::join(argv, " ");
            return s.fs_step(state, "RUN " + shown + " # buildkit", [&](const std::string& rootfs) -> Result<void> {
              so.rootfs = rootfs;
              return s.with_run_mounts(r->mounts, 0, o, so, resolve_from, [&]() -> Result<void> {
                BERTH_ASSIGN_OR_RETURN(int code, s.engine.run_step(so, [&](const std::string&, std::string_view d) -> Result<void> {
                  out(std::string(d));
                  return {};
                }));
                if (code != 0) {
                  return make_error(Errc::kInternal, "The command '" + shown +
                                                         "' returned a non-zero code: " + std::to_string(code));
                }
                return {};
              });
            });
          };
        } else if (in.as<CopyInstruction>() || in.as<AddInstruction>()) {
          const SourcesAndDest& sd = in.as<CopyInstruction>() ? static_cast<const SourcesAndDest&>(*in.as<CopyInstruction>())
                                                              : static_cast<const SourcesAndDest&>(*in.as<AddInstruction>());
          CopySpec spec;
          spec.sources = sd.sources;
          for (auto& h : sd.inline_files) spec.inline_files.push_back({h.name, h.data()});
          spec.dest = sd.dest;
          spec.workdir = state.cfg().value("WorkingDir", "");
          spec.is_add = in.as<AddInstruction>() != nullptr;
          // Only the context has a .dockerignore; another stage's files are all there.
          if (ignore && (!in.as<CopyInstruction>() || in.as<CopyInstruction>()->from.empty())) {
            spec.ignore = &*ignore;
          }
          std::string from;
          if (auto c = in.as<CopyInstruction>()) {
            spec.chown = c->chown;
            spec.chmod = c->chmod;
            from = c->from;
          } else {
            spec.chown = in.as<AddInstruction>()->chown;
            spec.chmod = in.as<AddInstruction>()->chmod;
          }
          std::optional<State> source_state;
          // ADD <url>: fetched now into a directory of the step's own, which is then the source
          // root; the cache key is what was downloaded (as the legacy builder does).
          std::shared_ptr<std::string> remote_dir;
          bool remote = std::any_of(spec.sources.begin(), spec.sources.end(), is_remote_source);
          if (remote && spec.is_add) {
            if (!std::all_of(spec.sources.begin(), spec.sources.end(), is_remote_source)) {
              return make_error(Errc::kNotImplemented, "ADD with both URLs and local sources is not supported yet");
            }
            remote_dir = std::shared_ptr<std::string>(new std::string(s.data_root + "/build/remote-" + str::random_hex(8)),
                                                      [](std::string* d) {
                                                        (void)fs::remove_all(*d);
                                                        delete d;
                                                      });
            BERTH_TRY(fs::mkdir_all(*remote_dir, 0700));
            std::vector<std::string> names;
            for (auto& url : spec.sources) {
              auto name = download(url, *remote_dir, in.as<AddInstruction>()->checksum);
              if (!name) return tl::unexpected(name.error());
              names.push_back(*name);
            }
            spec.sources = names;
            spec.ignore = nullptr;
            spec.extract = false;
            BERTH_ASSIGN_OR_RETURN(key["content"], content_digest(*remote_dir, spec));
          } else if (remote) {
            return make_error(Errc::kInvalidArgument, "COPY does not take URLs; use ADD");
          } else if (!from.empty()) {
            BERTH_ASSIGN_OR_RETURN(source_state, resolve_from(from));
            key["from"] = source_state->id();
          } else {
            BERTH_ASSIGN_OR_RETURN(key["content"], content_digest(o.context_dir, spec));
          }
          key["copy"] = {{"dest", spec.dest}, {"workdir", spec.workdir}, {"chown", spec.chown}, {"chmod", spec.chmod}};
          run = [&, spec, source_state, remote_dir]() -> Result<State> {
            std::string by = (spec.is_add ? "ADD " : "COPY ") + str::join(spec.sources, " ") + " " + spec.dest + " # buildkit";
            return s.fs_step(state, by, [&](const std::string& rootfs) -> Result<void> {
              if (remote_dir) return copy_into(*remote_dir, spec, rootfs);
              if (!source_state) return copy_into(o.context_dir, spec, rootfs);
              // --from: the other stage's (or image's) files, from a mount of their own.
              return s.fs_step(*source_state, "", [&](const std::string& from_root) -> Result<void> {
                return copy_into(from_root, spec, rootfs);
              }).map([](auto&&) {});
            });
          };
        } else if (auto w = in.as<WorkdirInstruction>()) {
          std::string dir = w->path;
          if (!dir.starts_with("/")) dir = state.cfg().value("WorkingDir", "/") + "/" + dir;
          dir = fs::clean_path(dir);
          run = [&, dir]() -> Result<State> {
            State next = state;
            next.cfg()["WorkingDir"] = dir;
            // The directory exists in the image from here on (BuildKit makes it).
            return s.fs_step(next, "WORKDIR " + dir, [&](const std::string& rootfs) {
              return fs::mkdir_in_root(rootfs, dir);
            });
          };
        } else {
          // Metadata only: the config changes, no layer.
          run = [&, in]() -> Result<State> {
            State next = state;
            Json& cfg = next.cfg();
            std::string by = in.source;
            if (auto e = in.as<EnvInstruction>()) {
              for (auto& kv : e->vars) set_env(cfg, kv.key, kv.value);
            } else if (auto l = in.as<LabelInstruction>()) {
              if (!cfg.contains("Labels") || !cfg["Labels"].is_object()) cfg["Labels"] = Json::object();
              for (auto& kv : l->labels) cfg["Labels"][kv.key] = kv.value;
            } else if (auto c = in.as<CmdInstruction>()) {
              cfg["Cmd"] = command_args(next, c->command);
              cmd_set = true;
            } else if (auto ep = in.as<EntrypointInstruction>()) {
              cfg["Entrypoint"] = command_args(next, ep->command);
              if (!cmd_set) cfg["Cmd"] = Json();  // an inherited CMD does not survive a new ENTRYPOINT
            } else if (auto sh = in.as<ShellInstruction>()) {
              cfg["Shell"] = sh->shell;
            } else if (auto ex = in.as<ExposeInstruction>()) {
              if (!cfg.contains("ExposedPorts") || !cfg["ExposedPorts"].is_object()) cfg["ExposedPorts"] = Json::object();
              for (auto p : ex->ports) {
                if (p.find('/') == std::string::npos) p += "/tcp";
                cfg["ExposedPorts"][str::to_lower(p)] = Json::object();
              }
            } else if (auto v = in.as<VolumeInstruction>()) {
              if (!cfg.contains("Volumes") || !cfg["Volumes"].is_object()) cfg["Volumes"] = Json::object();
              for (auto& p : v->paths) cfg["Volumes"][p] = Json::object();
            } else if (auto u = in.as<UserInstruction>()) {
              cfg["User"] = u->user;
            } else if (auto ss = in.as<StopSignalInstruction>()) {
              cfg["StopSignal"] = ss->signal;
            } else if (auto m = in.as<MaintainerInstruction>()) {
              next.config["author"] = m->name;
            } else if (auto h = in.as<HealthcheckInstruction>()) {
              Json hc = {{"Test", h->test}};
              if (h->interval) hc["Interval"] = ns_or_zero(h->interval);
              if (h->timeout) hc["Timeout"] = h->timeout;
              if (h->start_period) hc["StartPeriod"] = h->start_period;
              if (h->start_interval) hc["StartInterval"] = h->start_interval;
              if (h->retries) hc["Retries"] = h->retries;
              cfg["Healthcheck"] = hc;
            } else if (auto ob = in.as<OnbuildInstruction>()) {
              if (!cfg.contains("OnBuild") || !cfg["OnBuild"].is_array()) cfg["OnBuild"] = Json::array();
              cfg["OnBuild"].push_back(ob->expression);
            }
            add_history(next, by, true);
            return next;
          };
        }
        std::string cache_key = sha256_digest(dump_json(key));
        std::optional<State> hit = o.no_cache ? std::nullopt : s.cached(cache_key);
        if (hit) {
          out(" ---> Using cache\n");
          state = *hit;
        } else {
          if (in.as<RunInstruction>()) out(" ---> Running in " + str::random_hex(6) + "\n");
          BERTH_ASSIGN_OR_RETURN(state, run());
          s.remember(cache_key, state);
        }
        if (in.as<CmdInstruction>()) cmd_set = true;
        out(" ---> " + short_id(state.id()) + "\n");
        return {};
      };
      if (auto r = one_step(); !r) {
        Error e = r.error();
        if (n >= triggers && !e.message.starts_with(o.dockerfile + ":") && !e.message.starts_with("Dockerfile:")) {
          e.message = o.dockerfile + ":" + std::to_string(raw.location.line) + ": " + e.message;
        }
        return tl::unexpected(e);
      }
    }
    done[si] = state;
    return {};
  };

  // Stages in waves: every stage whose dependencies (its base stage, COPY --from and RUN
  // --mount from= stages) are built runs at once, a thread each. The first of a wave prints
  // as it goes; the others' output is held and printed after it, in stage order.
  std::vector<std::vector<size_t>> deps(df.stages.size());
  for (size_t i = 0; i < df.stages.size(); ++i) {
    auto dep = [&](const std::string& name) {
      int d = df.find_stage(name);
      if (d >= 0 && static_cast<size_t>(d) < i) deps[i].push_back(static_cast<size_t>(d));
    };
    dep(bases[i].image);
    for (auto& in : df.stages[i].instructions) {
      if (auto c = in.as<CopyInstruction>(); c && !c->from.empty()) dep(c->from);
      if (auto r = in.as<RunInstruction>()) {
        for (auto& m : r->mounts) {
          if (!m.from.empty()) dep(m.from);
        }
      }
    }
  }
  std::vector<size_t> remaining;
  for (size_t i = 0; i < df.stages.size() && static_cast<int>(i) <= target; ++i) {
    if (needed[i]) remaining.push_back(i);
  }
  while (!remaining.empty()) {
    std::vector<size_t> wave, later;
    for (size_t i : remaining) {
      bool ready = std::all_of(deps[i].begin(), deps[i].end(), [&](size_t d) { return done[d].has_value(); });
      (ready ? wave : later).push_back(i);
    }
    if (wave.empty()) return make_error(Errc::kInternal, "build stages wait on each other");
    std::vector<Result<void>> results(wave.size());
    std::vector<std::string> held(wave.size());
    std::vector<std::thread> threads;
    for (size_t w = 1; w < wave.size(); ++w) {
      threads.emplace_back([&, w] {
        results[w] = build_stage(wave[w], [&, w](const std::string& t) {
          if (!o.quiet) held[w] += t;
        });
      });
    }
    results[0] = build_stage(wave[0], emit);
    for (auto& t : threads) t.join();
    for (size_t w = 1; w < wave.size(); ++w) emit(held[w]);
    for (auto& r : results) {
      if (!r) return tl::unexpected(r.error());
    }
    remaining = later;
  }
  State state = *done[static_cast<size_t>(target)];
  BuildOutput out = emit;

  std::vector<std::string> unused;
  for (auto& [k, v] : o.build_args) {
    if (!used_args.count(k) && !globals.get(k)) unused.push_back(k);
  }
  if (!unused.empty()) {
    out("[Warning] One or more build-args [" + str::join(unused, " ") + "] were not consumed\n");
  }
  if (!o.labels.empty()) {
    if (!state.cfg().contains("Labels") || !state.cfg()["Labels"].is_object()) state.cfg()["Labels"] = Json::object();
    for (auto& [k, v] : o.labels) state.cfg()["Labels"][k] = v;
  }
  BERTH_ASSIGN_OR_RETURN(image::Image img,
                         s.images.create(state.config, state.layers, o.tags.empty() ? "" : o.tags[0]));
  for (size_t i = 1; i < o.tags.size(); ++i) BERTH_TRY(s.images.tag(img.id, o.tags[i]));
  return img.id;
}

}  // namespace berth::build
