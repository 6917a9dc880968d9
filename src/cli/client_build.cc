// berth build: the build context as a tar (the context directory filtered by .dockerignore, or
// stdin's tar or Dockerfile), -f inside or outside the context, the upload to POST /build, and
// the progress display of the builder's output.
#include "cli/client_internal.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <set>
#include <thread>

#include <CLI/CLI.hpp>

#include "build/dockerignore.h"
#include "common/fs.h"
#include "common/strings.h"

namespace berth::cli {
namespace {

// The build context as a tar (PAX, uncompressed), written by a thread into a pipe that the
// upload reads: the files of the context directory that .dockerignore keeps (the Dockerfile
// and .dockerignore always), owned by 0:0 as the docker CLI sends them; plus, for a Dockerfile
// from outside the context, that file under a random name (named in .dockerignore too).
class ContextTar {
 public:
  std::string dir;                        // the context directory (absolute)
  build::IgnoreMatcher matcher;
  std::set<std::string> always;           // relative paths always sent
  std::string extra_name, extra_content;  // a Dockerfile from elsewhere
  bool extra_in_ignore = true;            // and its name appended to .dockerignore

  Result<void> write(int fd) {
    archive_ = archive_write_new();
    archive_write_set_format_pax_restricted(archive_);
    archive_write_add_filter_none(archive_);
    archive_write_set_bytes_in_last_block(archive_, 1);  // no padding after the end marker
    if (archive_write_open_fd(archive_, fd) != ARCHIVE_OK) return lib_error("open");
    auto r = dir.empty() ? Result<void>{} : walk("");
    if (r && !extra_name.empty()) {
      r = add_bytes(extra_name, extra_content, 0600);
      if (r && extra_in_ignore && !ignore_written_) {
        r = add_bytes(".dockerignore", "\n" + extra_name + "\n", 0600);
      }
    }
    if (r && archive_write_close(archive_) != ARCHIVE_OK) r = lib_error("close");
    archive_write_free(archive_);
    archive_ = nullptr;
    return r;
  }

 private:
  Result<void> lib_error(const std::string& what) {
    const char* e = archive_error_string(archive_);
    return make_error(Errc::kInternal, "write the build context (" + what + "): " + (e ? e : "error"));
  }

  bool always_below(const std::string& rel) const {
    for (auto& a : always) {
      if (a.starts_with(rel + "/")) return true;
    }
    return false;
  }

  Result<void> walk(const std::string& rel) {
    std::string host = rel.empty() ? dir : dir + "/" + rel;
    BERTH_ASSIGN_OR_RETURN(auto names, fs::list_dir(host));
    std::sort(names.begin(), names.end());
    for (auto& n : names) {
      std::string child = rel.empty() ? n : rel + "/" + n;
      std::string path = dir + "/" + child;
      struct stat st {};
      if (::lstat(path.c_str(), &st) != 0) return sys_error(errno, "can't stat '" + path + "'");
      bool keep = always.count(child) > 0;
      bool dir_entry = S_ISDIR(st.st_mode);
      if (!keep && matcher.excluded(child)) {
        if (dir_entry && !always_below(child) &&
            (!matcher.has_exceptions() || matcher.can_skip_dir(child))) {
          continue;
        }
        if (dir_entry) BERTH_TRY(walk(child));  // an exception may bring back something inside
        continue;
      }
      BERTH_TRY(add(child, st));
      if (dir_entry) BERTH_TRY(walk(child));
    }
    return {};
  }

  // Parent directories of an entry whose own directory entries were left out (excluded
  // directories holding re-included files).
  Result<void> parents(const std::string& rel) {
    size_t slash = 0;
    while ((slash = rel.find('/', slash)) != std::string::npos) {
      std::string p = rel.substr(0, slash);
      if (!dirs_.count(p)) {
        struct stat st {};
        if (::lstat((dir + "/" + p).c_str(), &st) != 0) return sys_error(errno, "can't stat '" + p + "'");
        BERTH_TRY(add(p, st));
      }
      ++slash;
    }
    return {};
  }

  Result<void> add(const std::string& rel, const struct stat& st) {
    if (S_ISDIR(st.st_mode)) {
      if (dirs_.count(rel)) return {};
      dirs_.insert(rel);
    }
    BERTH_TRY(parents(rel));
    std::string path = dir + "/" + rel;
    if (rel == ".dockerignore" && !extra_name.empty() && S_ISREG(st.st_mode)) {
      BERTH_ASSIGN_OR_RETURN(std::string text, fs::read_file(path));
      ignore_written_ = true;
      return add_bytes(rel, text + "\n" + extra_name + "\n", st.st_mode & 07777);
    }
    if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode)) return {};  // sockets, fifos, devices
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, rel.c_str());
    archive_entry_set_perm(e, st.st_mode & 07777);
    archive_entry_set_mtime(e, st.st_mtim.tv_sec, 0);  // whole seconds, as docker's tar
    archive_entry_set_uid(e, 0);
    archive_entry_set_gid(e, 0);
    UniqueFd fd;
    std::string target;
    if (S_ISDIR(st.st_mode)) {
      archive_entry_set_filetype(e, AE_IFDIR);
    } else if (S_ISLNK(st.st_mode)) {
      archive_entry_set_filetype(e, AE_IFLNK);
      std::string buf(4096, '\0');
      ssize_t n = ::readlink(path.c_str(), buf.data(), buf.size());
      if (n < 0) {
        archive_entry_free(e);
        return sys_error(errno, "can't readlink '" + path + "'");
      }
      buf.resize(static_cast<size_t>(n));
      archive_entry_set_symlink(e, buf.c_str());
    } else {
      archive_entry_set_filetype(e, AE_IFREG);
      auto key = std::make_pair(st.st_dev, st.st_ino);
      if (st.st_nlink > 1 && links_.count(key)) {
        archive_entry_set_hardlink(e, links_[key].c_str());
        archive_entry_set_size(e, 0);
      } else {
        if (st.st_nlink > 1) links_[key] = rel;
        fd.reset(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
        if (!fd) {
          archive_entry_free(e);
          return sys_error(errno, "can't open '" + path + "'");
        }
        archive_entry_set_size(e, st.st_size);
      }
    }
    int rc = archive_write_header(archive_, e);
    archive_entry_free(e);
    if (rc != ARCHIVE_OK) return lib_error(rel);
    if (fd) {
      char buf[64 * 1024];
      int64_t left = st.st_size;
      while (left > 0) {
        ssize_t n = ::read(fd.get(), buf, static_cast<size_t>(std::min<int64_t>(left, sizeof buf)));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return sys_error(errno, "read '" + path + "'");
        if (n == 0) {  // shrank meanwhile: pad with zeros to the size announced
          std::memset(buf, 0, sizeof buf);
          n = static_cast<ssize_t>(std::min<int64_t>(left, sizeof buf));
        }
        if (archive_write_data(archive_, buf, static_cast<size_t>(n)) < 0) return lib_error(rel);
        left -= n;
      }
    }
    return {};
  }

  Result<void> add_bytes(const std::string& name, const std::string& data, mode_t perm) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, name.c_str());
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, perm);
    archive_entry_set_size(e, static_cast<int64_t>(data.size()));
    archive_entry_set_mtime(e, ::time(nullptr), 0);
    int rc = archive_write_header(archive_, e);
    archive_entry_free(e);
    if (rc != ARCHIVE_OK) return lib_error(name);
    if (!data.empty() && archive_write_data(archive_, data.data(), data.size()) < 0) return lib_error(name);
    return {};
  }

  archive* archive_ = nullptr;
  std::set<std::string> dirs_;
  std::map<std::pair<dev_t, ino_t>, std::string> links_;
  bool ignore_written_ = false;
};

// The build's output on a terminal: each "Step N/M : ..." line as a heading, the builder's
// bookkeeping (" ---> ...", "Removing intermediate container") on one line redrawn in place
// beneath it, RUN output dimmed and indented; a step served from the cache is marked so.
class BuildDisplay {
 public:
  explicit BuildDisplay(bool fancy) : fancy_(fancy) {}
  void text(const std::string& t) {
    if (!fancy_) {
      std::fwrite(t.data(), 1, t.size(), stdout);
      std::fflush(stdout);
      return;
    }
    partial_ += t;
    size_t nl;
    while ((nl = partial_.find('\n')) != std::string::npos) {
      line(partial_.substr(0, nl));
      partial_.erase(0, nl + 1);
    }
    std::fflush(stdout);
  }
  void finish() {
    if (!fancy_) return;
    if (!partial_.empty()) line(partial_);
    partial_.clear();
    clear_status();
    std::fflush(stdout);
  }

 private:
  void clear_status() {
    if (status_shown_) std::printf("\r\x1b[2K");
    status_shown_ = false;
  }
  void line(std::string l) {
    if (!l.empty() && l.back() == '\r') l.pop_back();
    if (auto cr = l.rfind('\r'); cr != std::string::npos) l = l.substr(cr + 1);
    if (l.starts_with("Step ")) {
      clear_status();
      step_ = l;
      since_step_ = 0;
      std::printf("\x1b[1m%s\x1b[0m\n", l.c_str());
      return;
    }
    if (l.starts_with(" ---> ") || l.starts_with("Removing intermediate container")) {
      if (l == " ---> Using cache" && since_step_ == 0 && !step_.empty()) {
        clear_status();
        std::printf("\x1b[1A\r\x1b[2K\x1b[1m%s\x1b[0m \x1b[2m(cached)\x1b[0m\n", step_.c_str());
        return;
      }
      clear_status();
      std::printf("\x1b[2m  %s\x1b[0m", std::string(str::trim(l)).c_str());
      status_shown_ = true;
      return;
    }
    clear_status();
    if (l.starts_with("Successfully ")) {
      std::printf("%s\n", l.c_str());
    } else {
      std::printf("\x1b[2m    %s\x1b[0m\n", l.c_str());
      ++since_step_;
    }
  }

  bool fancy_;
  bool status_shown_ = false;
  std::string partial_, step_;
  int since_step_ = 0;
};

}  // namespace

// The build as `docker build` runs it (see client_internal.h).
int cmd_build(const Client& c, const BuildOpts& o) {
  auto fail_build = [](const std::string& msg) {
    std::fflush(stdout);
    std::fprintf(stderr, "berth: %s\n", msg.c_str());
    return 1;
  };
  if (!o.iidfile.empty() && ::unlink(o.iidfile.c_str()) != 0 && errno != ENOENT) {
    return fail_build("removing the image ID file: " + std::string(std::strerror(errno)));
  }
  if (o.progress != "auto" && o.progress != "plain" && o.progress != "tty" && o.progress != "quiet") {
    return fail_build("invalid --progress value \"" + o.progress + "\": plain, tty or auto");
  }
  Query q;
  for (auto& t : o.tags) q.push_back({"t", t});
  std::string dockerfile_name;
  ContextTar ctx;
  int input_fd = -1;     // a tar from stdin (context "-")
  std::string prefix;    // bytes of stdin already read
  bool stdin_tar = false;
  std::string stdin_dockerfile;
  auto read_stdin = [] {
    std::string s;
    char buf[64 * 1024];
    for (;;) {
      ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      s.append(buf, static_cast<size_t>(n));
    }
    return s;
  };
  if (o.context == "-") {
    // A tar (maybe compressed) is sent as it is; anything else is a Dockerfile alone.
    prefix.resize(512);
    size_t got = 0;
    while (got < prefix.size()) {
      ssize_t n = ::read(STDIN_FILENO, prefix.data() + got, prefix.size() - got);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      got += static_cast<size_t>(n);
    }
    prefix.resize(got);
    auto has = [&](size_t at, std::string_view magic) {
      return prefix.size() >= at + magic.size() && prefix.compare(at, magic.size(), magic) == 0;
    };
    stdin_tar = has(257, "ustar") || has(0, "\x1f\x8b") || has(0, "BZh") ||
                has(0, "\xfd" "7zXZ") || has(0, "\x28\xb5\x2f\xfd");
    if (stdin_tar) {
      input_fd = STDIN_FILENO;
      if (!o.file.empty()) dockerfile_name = o.file;
    } else {
      stdin_dockerfile = prefix + read_stdin();
      prefix.clear();
      dockerfile_name = "Dockerfile";
    }
  } else {
    if (o.context.find("://") != std::string::npos || o.context.starts_with("git@")) {
      return fail_build("unable to prepare context: remote build contexts are not supported: " + o.context);
    }
    std::string dir = fs::absolute(o.context);
    if (!fs::is_dir(dir)) return fail_build("unable to prepare context: path \"" + o.context + "\" not found");
    ctx.dir = fs::clean_path(dir);
    std::string df_host;
    if (o.file == "-") {
      ctx.extra_content = read_stdin();
    } else if (!o.file.empty()) {
      df_host = fs::clean_path(fs::absolute(o.file));  // -f is relative to the current directory
    } else {
      df_host = ctx.dir + "/Dockerfile";
      if (!fs::exists(df_host) && fs::exists(ctx.dir + "/dockerfile")) df_host = ctx.dir + "/dockerfile";
    }
    if (!df_host.empty()) {
      struct stat st {};
      if (::stat(df_host.c_str(), &st) != 0) {
        return fail_build("unable to prepare context: unable to evaluate symlinks in Dockerfile path: lstat " +
                          df_host + ": " + std::strerror(errno));
      }
      if (df_host.starts_with(ctx.dir + "/")) {
        dockerfile_name = df_host.substr(ctx.dir.size() + 1);
      } else {
        auto text = fs::read_file(df_host);
        if (!text) return fail_build(text.error().message);
        ctx.extra_content = *text;
      }
    }
    if (!dockerfile_name.empty()) ctx.always.insert(dockerfile_name);
    ctx.always.insert(".dockerignore");
    if (dockerfile_name.empty()) {
      ctx.extra_name = ".dockerfile." + str::random_hex(10);
      dockerfile_name = ctx.extra_name;
    }
    auto m = build::load_ignore_matcher(ctx.dir, df_host.empty() ? ctx.dir + "/Dockerfile" : df_host);
    if (!m) return fail_build("error checking context: " + m.error().message);
    ctx.matcher = std::move(*m);
  }
  // A context directory the daemon can read is built where it is (berth's contextdir), with
  // no upload: the daemon applies .dockerignore. BERTH_BUILD_UPLOAD=1 sends the tar instead.
  bool in_place = !stdin_tar && o.context != "-" && ctx.extra_name.empty() && ctx.extra_content.empty() &&
                  !std::getenv("BERTH_BUILD_UPLOAD");
  if (in_place) q.push_back({"contextdir", ctx.dir});
  if (!o.secrets.empty()) {
    // --secret id=ID,src=FILE (BuildKit's flag): the daemon reads FILE, so only in place.
    if (!in_place) return fail_build("--secret needs the context read in place (unset BERTH_BUILD_UPLOAD)");
    Json secrets = Json::object();
    for (auto& spec : o.secrets) {
      std::string id, src;
      for (auto& field : str::split(spec, ',')) {
        auto eq = field.find('=');
        std::string k = field.substr(0, eq), v = eq == std::string::npos ? "" : field.substr(eq + 1);
        if (k == "id") id = v;
        else if (k == "src" || k == "source") src = v;
      }
      if (id.empty() || src.empty()) return fail_build("invalid --secret \"" + spec + "\": want id=ID,src=FILE");
      secrets[id] = fs::absolute(src);
    }
    q.push_back({"secrets", dump_json(secrets)});
  }
  if (!dockerfile_name.empty()) q.push_back({"dockerfile", dockerfile_name});
  Json args = Json::object();
  for (auto& a : o.build_args) {
    auto eq = a.find('=');
    if (eq != std::string::npos) {
      args[a.substr(0, eq)] = a.substr(eq + 1);
    } else if (const char* v = std::getenv(a.c_str())) {
      args[a] = v;
    } else {
      args[a] = nullptr;
    }
  }
  q.push_back({"buildargs", dump_json(args)});
  q.push_back({"labels", dump_json(kv_object(o.labels))});
  if (!o.target.empty()) q.push_back({"target", o.target});
  if (!o.platform.empty()) q.push_back({"platform", o.platform});
  if (o.no_cache) q.push_back({"nocache", "1"});
  if (o.pull) q.push_back({"pull", "1"});
  if (!o.network.empty()) q.push_back({"networkmode", o.network});
  if (o.quiet) q.push_back({"q", "1"});
  q.push_back({"rm", "1"});

  // The context goes up through a pipe, written by its own thread.
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) return fail_build(std::string("pipe: ") + std::strerror(errno));
  UniqueFd rd(p[0]), wr(p[1]);
  Result<void> produced;
  std::thread producer;
  if (stdin_tar) {
    producer = std::thread([&, w = wr.release()] {
      UniqueFd out(w);
      if (!write_all(out.get(), prefix)) return;
      char buf[64 * 1024];
      for (;;) {
        ssize_t n = ::read(input_fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        if (!write_all(out.get(), std::string_view(buf, static_cast<size_t>(n)))) return;
      }
    });
  } else if (o.context == "-") {
    producer = std::thread([&, w = wr.release()] {
      UniqueFd out(w);
      ContextTar only;
      only.extra_name = "Dockerfile";
      only.extra_content = stdin_dockerfile;
      only.extra_in_ignore = false;
      produced = only.write(out.get());
    });
  } else if (in_place) {
    wr.reset();  // an empty body
  } else {
    producer = std::thread([&, w = wr.release()] {
      UniqueFd out(w);
      produced = ctx.write(out.get());
    });
  }
  struct Joiner {
    std::thread& t;
    UniqueFd& rd;
    ~Joiner() {
      rd.reset();  // a producer blocked on a full pipe gets EPIPE
      if (t.joinable()) t.join();
    }
  } joiner{producer, rd};

  uint64_t sent = 0;
  bool upload_done = false;
  BuildDisplay display(!o.quiet && o.progress != "plain" && o.progress != "quiet" &&
                       ::isatty(STDOUT_FILENO));
  std::string image_id, error, pending;
  bool stream_error = false;
  Client::Stream s;
  s.upload = [&](char* buf, size_t max) -> long {
    for (;;) {
      ssize_t n = ::read(rd.get(), buf, max);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return -1;
      if (n == 0) {
        if (producer.joinable()) producer.join();
        if (!produced) return -1;
        if (!upload_done && !in_place && !o.quiet && o.progress != "quiet") {
          std::printf("Sending build context to berth daemon  %s\n", human_size(double(sent)).c_str());
          std::fflush(stdout);
        }
        upload_done = true;
        return 0;
      }
      sent += static_cast<uint64_t>(n);
      return static_cast<long>(n);
    }
  };
  auto message = [&](const Json& m) {
    if (auto e = m.find("errorDetail"); e != m.end() && e->is_object()) {
      error = e->value("message", m.value("error", ""));
      stream_error = true;
      return;
    }
    if (auto e = m.find("error"); e != m.end() && e->is_string()) {
      error = e->get<std::string>();
      stream_error = true;
      return;
    }
    if (auto a = m.find("aux"); a != m.end() && a->is_object() && a->contains("ID")) {
      image_id = (*a)["ID"].get<std::string>();
      return;
    }
    if (o.quiet) return;
    if (auto t = m.find("stream"); t != m.end() && t->is_string()) {
      display.text(t->get<std::string>());
    } else if (auto st = m.find("status"); st != m.end() && st->is_string()) {
      std::string line = m.value("id", "");
      if (!line.empty()) line += ": ";
      line += st->get<std::string>();
      if (auto pr = m.find("progress"); pr != m.end() && pr->is_string()) line += " " + pr->get<std::string>();
      display.text(line + "\n");
    }
  };
  s.on_data = [&](const char* d, size_t n) {
    pending.append(d, n);
    size_t nl;
    while ((nl = pending.find('\n')) != std::string::npos) {
      std::string line(str::trim(std::string_view(pending).substr(0, nl)));
      pending.erase(0, nl + 1);
      if (line.empty()) continue;
      if (auto j = parse_json(line, "build output"); j && j->is_object()) message(*j);
    }
    return true;
  };
  auto r = c.stream("POST", "/build", q, "", {{"Content-Type", "application/x-tar"}}, s);
  if (!pending.empty()) {
    if (auto j = parse_json(pending, "build output"); j && j->is_object()) message(*j);
  }
  display.finish();
  if (!r && unreachable(r.error())) return fail(r.error());
  if (!r) {
    if (producer.joinable()) {
      rd.reset();
      producer.join();
    }
    if (!produced) return fail_build("error checking context: " + produced.error().message);
    return fail(r.error());
  }
  if (!produced) return fail_build("error checking context: " + produced.error().message);
  if (stream_error) {
    std::fflush(stdout);
    std::fprintf(stderr, "%s\n", error.c_str());
    return 1;
  }
  if (o.quiet) std::printf("%s\n", image_id.c_str());
  if (!o.iidfile.empty() && !image_id.empty()) {
    if (auto w = fs::atomic_write(o.iidfile, image_id); !w) return fail_build(w.error().message);
  }
  return 0;
}

void add_build_verb(CLI::App* parent, Verbs& v) {
  auto o = std::make_shared<BuildOpts>();
  auto* build = parent->add_subcommand("build", "build an image from a Dockerfile: CONTEXT");
  build->add_option("context", o->context, "PATH or - (a tar or a Dockerfile on stdin)")->required();
  build->add_option("-t,--tag", o->tags, "name:tag")->allow_extra_args(false);
  build->add_option("-f,--file", o->file, "the Dockerfile (default CONTEXT/Dockerfile; - for stdin)");
  build->add_option("--build-arg", o->build_args, "build-time variable k=v")->allow_extra_args(false);
  build->add_option("--label", o->labels, "image label k=v")->allow_extra_args(false);
  build->add_option("--target", o->target, "the stage to build");
  build->add_option("--platform", o->platform, "os/arch: the host's only (no emulation)");
  build->add_flag("--no-cache", o->no_cache, "do not use the cache");
  build->add_flag("--pull", o->pull, "always pull the base images");
  build->add_option("--network", o->network, "network of RUN: default, none, host");
  build->add_flag("-q,--quiet", o->quiet, "print only the image ID");
  build->add_option("--iidfile", o->iidfile, "write the image ID to this file");
  build->add_option("--secret", o->secrets, "id=ID,src=FILE: a secret for RUN --mount=type=secret")->allow_extra_args(false);
  build->add_option("--progress", o->progress, "auto, plain or tty");
  build->add_flag("--rm,--force-rm", o->ignored, "accepted; intermediate containers are always removed");
  build->callback(v.with([o](const Client& c) { return cmd_build(c, *o); }));
}

}  // namespace berth::cli
