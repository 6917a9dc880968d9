#include "cli/image_cli.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <map>
#include <mutex>

#include <CLI/CLI.hpp>

#include "common/fs.h"
#include "common/json.h"
#include "common/strings.h"
#include "common/time.h"
#include "image/archive.h"
#include "image/distribution.h"
#include "image/docker_json.h"
#include "image/filters.h"
#include "image/reference.h"
#include "image/registry.h"
#include "image/service.h"

namespace berth::cli {
namespace {

using image::Image;

int fail(const Error& e) {
  std::fprintf(stderr, "Error: %s\n", e.message.c_str());
  return 1;
}

// docker's units.HumanSize: decimal units, 3 significant digits ("4.26MB").
std::string human_size(double bytes) {
  static const char* kUnits[] = {"B", "kB", "MB", "GB", "TB", "PB"};
  int i = 0;
  while (bytes >= 1000 && i < 5) {
    bytes /= 1000;
    ++i;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g%s", bytes, kUnits[i]);
  return buf;
}

// "3 hours ago" of a unix time in seconds, as `docker images` shows CREATED.
std::string human_ago(double when) {
  if (when <= 0) return "N/A";
  return human_duration(static_cast<double>(::time(nullptr)) - when) + " ago";
}

// Progress as docker's CLI draws it: one line per layer, redrawn in place on a terminal;
// on a pipe, one line per change of status (no byte counts).
class TermProgress : public image::Progress {
 public:
  explicit TermProgress(bool quiet) : quiet_(quiet), tty_(::isatty(STDOUT_FILENO)) {}

  void update(const image::ProgressEvent& e) override {
    if (quiet_) return;
    std::lock_guard<std::mutex> l(mu_);
    if (e.id.empty()) {
      std::printf("%s\n", e.status.c_str());
      lines_.clear();
      order_.clear();
      std::fflush(stdout);
      return;
    }
    std::string text = e.id + ": " + e.status;
    if (e.total > 0 && (e.status == "Downloading" || e.status == "Extracting" ||
                        e.status == "Pushing")) {
      if (!tty_) {
        if (last_status_[e.id] == e.status) return;
      } else {
        int width = 50;
        int filled = static_cast<int>(width * std::min<double>(1.0, double(e.current) / e.total));
        text += " [" + std::string(filled, '=') + (filled < width ? ">" : "") +
                std::string(std::max(0, width - filled - 1), ' ') + "] " +
                human_size(double(e.current)) + "/" + human_size(double(e.total));
      }
    }
    last_status_[e.id] = e.status;
    if (!tty_) {
      std::printf("%s\n", text.c_str());
      std::fflush(stdout);
      return;
    }
    auto it = lines_.find(e.id);
    if (it == lines_.end()) {
      lines_[e.id] = order_.size();
      order_.push_back(e.id);
      std::printf("%s\n", text.c_str());
    } else {
      size_t up = order_.size() - it->second;
      std::printf("\x1b[%zuA\r\x1b[2K%s\x1b[%zuB\r", up, text.c_str(), up);
    }
    std::fflush(stdout);
  }

 private:
  bool quiet_, tty_;
  std::mutex mu_;
  std::map<std::string, size_t> lines_;
  std::vector<std::string> order_;
  std::map<std::string, std::string> last_status_;
};

struct Global {
  std::string data_root;
  std::vector<std::string> insecure;
};

Result<std::unique_ptr<image::ImageService>> open_service(const Global& g) {
  image::ServiceOptions o;
  o.root = g.data_root;
  o.insecure_registries = g.insecure;
  return image::ImageService::open(o);
}

// The familiar repository and tag of a normalised name ("busybox", "latest").
std::pair<std::string, std::string> split_tag(const std::string& name) {
  auto r = image::parse_reference(name);
  if (!r) return {name, ""};
  return {r->familiar_name(), r->tag.empty() ? r->digest : r->tag};
}

// Go-template-like `{{.Field}}` substitution and `json`, enough for docker's common uses.
std::string render(const std::string& format, const std::map<std::string, std::string>& fields) {
  if (format == "json" || format == "{{json .}}") {
    Json j = Json::object();
    for (auto& [k, v] : fields) j[k] = v;
    return dump_json(j);
  }
  std::string out;
  size_t i = 0;
  while (i < format.size()) {
    auto open = format.find("{{", i);
    if (open == std::string::npos) {
      out += format.substr(i);
      break;
    }
    out += format.substr(i, open - i);
    auto close = format.find("}}", open);
    if (close == std::string::npos) {
      out += format.substr(open);
      break;
    }
    std::string key(str::trim(std::string_view(format).substr(open + 2, close - open - 2)));
    if (key.starts_with(".")) key = key.substr(1);
    auto it = fields.find(key);
    out += it == fields.end() ? "<no value>" : it->second;
    i = close + 2;
  }
  // \t and \n as docker's template strings allow.
  std::string cooked;
  for (size_t k = 0; k < out.size(); ++k) {
    if (out[k] == '\\' && k + 1 < out.size() && (out[k + 1] == 't' || out[k + 1] == 'n')) {
      cooked += out[++k] == 't' ? '\t' : '\n';
    } else {
      cooked += out[k];
    }
  }
  return cooked;
}

void print_table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> w;
  for (auto& r : rows) {
    for (size_t i = 0; i < r.size(); ++i) {
      if (w.size() <= i) w.push_back(0);
      w[i] = std::max(w[i], r[i].size());
    }
  }
  for (auto& r : rows) {
    std::string line;
    for (size_t i = 0; i < r.size(); ++i) {
      line += r[i];
      if (i + 1 < r.size()) line += std::string(w[i] - r[i].size() + 3, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    std::printf("%s\n", line.c_str());
  }
}

struct ImageRow {
  std::string repo, tag, digest;
  const Image* img;
};

int cmd_images(const Global& g, bool quiet, bool all, bool digests, bool no_trunc,
               const std::string& format, const std::vector<std::string>& filters,
               const std::string& repo_filter) {
  (void)all;
  auto svc = open_service(g);
  if (!svc) return fail(svc.error());
  auto images = (*svc)->list();
  if (!images) return fail(images.error());
  std::vector<std::string> fl = filters;
  if (!repo_filter.empty()) fl.push_back("reference=" + repo_filter);
  std::vector<ImageRow> rows;
  for (auto& img : *images) {
    std::vector<ImageRow> mine;
    for (auto& t : img.repo_tags) {
      auto [repo, tag] = split_tag(t);
      std::string dg;
      for (auto& d : img.repo_digests) {
        auto [drepo, digest] = split_tag(d);
        if (drepo == repo) dg = digest;
      }
      mine.push_back({repo, tag, dg, &img});
    }
    if (mine.empty()) {
      std::string dg = "<none>";
      std::string repo = "<none>";
      if (!img.repo_digests.empty()) {
        auto [drepo, digest] = split_tag(img.repo_digests[0]);
        dg = digest;
        repo = drepo;
      }
      mine.push_back({repo, "<none>", dg, &img});
    }
    auto ok = image::matches(img, image::parse_filter_flags(fl));
    if (!ok) return fail(ok.error());
    if (!*ok) continue;
    for (auto& r : mine) {
      // With a reference filter only the names that match are shown (as docker does).
      bool shown = true;
      for (auto& f : fl) {
        if (f.starts_with("reference=")) {
          std::string pat = f.substr(10);
          shown = shown && (image::glob_match(pat, r.repo) || image::glob_match(pat, r.repo + ":" + r.tag));
        }
      }
      if (shown) rows.push_back(r);
    }
  }
  auto id_of = [&](const Image& img) {
    return no_trunc ? img.id : image::short_id(img.id);
  };
  if (quiet) {
    std::vector<std::string> seen;
    for (auto& r : rows) {
      std::string id = id_of(*r.img);
      if (std::find(seen.begin(), seen.end(), id) == seen.end()) {
        seen.push_back(id);
        std::printf("%s\n", id.c_str());
      }
    }
    return 0;
  }
  if (!format.empty() && format != "table") {
    for (auto& r : rows) {
      std::printf("%s\n", render(format, {{"Repository", r.repo},
                                          {"Tag", r.tag},
                                          {"Digest", r.digest.empty() ? "<none>" : r.digest},
                                          {"ID", id_of(*r.img)},
                                          {"CreatedSince", human_ago(parse_rfc3339(r.img->config.created))},
                                          {"CreatedAt", r.img->config.created},
                                          {"Size", human_size(double(r.img->size))}})
                              .c_str());
    }
    return 0;
  }
  std::vector<std::vector<std::string>> table;
  if (digests) {
    table.push_back({"REPOSITORY", "TAG", "DIGEST", "IMAGE ID", "CREATED", "SIZE"});
  } else {
    table.push_back({"REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"});
  }
  for (auto& r : rows) {
    std::vector<std::string> line = {r.repo, r.tag};
    if (digests) line.push_back(r.digest.empty() ? "<none>" : r.digest);
    line.push_back(id_of(*r.img));
    line.push_back(human_ago(parse_rfc3339(r.img->config.created)));
    line.push_back(human_size(double(r.img->size)));
    table.push_back(line);
  }
  print_table(table);
  return 0;
}

int cmd_inspect(const Global& g, const std::vector<std::string>& refs, const std::string& format) {
  auto svc = open_service(g);
  if (!svc) return fail(svc.error());
  Json out = Json::array();
  int rc = 0;
  for (auto& r : refs) {
    auto img = (*svc)->get(r);
    if (!img) {
      std::fprintf(stderr, "Error: %s\n", img.error().message.c_str());
      rc = 1;
      continue;
    }
    out.push_back(image::inspect_json(*img));
  }
  if (!format.empty()) {
    for (auto& j : out) {
      std::map<std::string, std::string> fields;
      for (auto& [k, v] : j.items()) fields[k] = v.is_string() ? v.get<std::string>() : dump_json(v);
      std::printf("%s\n", render(format, fields).c_str());
    }
  } else {
    std::printf("%s\n", dump_json(out, 4).c_str());
  }
  return rc;
}

int cmd_history(const Global& g, const std::string& ref, bool quiet, bool no_trunc) {
  auto svc = open_service(g);
  if (!svc) return fail(svc.error());
  auto img = (*svc)->get(ref);
  if (!img) return fail(img.error());
  std::vector<std::vector<std::string>> rows;
  for (auto& h : image::history_json(**svc, *img)) {
    std::string id = h["Id"];
    if (!no_trunc && id != "<missing>") id = image::short_id(id);
    std::string by = h["CreatedBy"];
    if (!no_trunc && by.size() > 45) by = by.substr(0, 44) + "…";
    rows.push_back({id, human_ago(static_cast<double>(h["Created"].get<int64_t>())), by,
                    human_size(double(h["Size"].get<int64_t>())), h["Comment"]});
  }
  if (quiet) {
    for (auto& r : rows) std::printf("%s\n", r[0].c_str());
    return 0;
  }
  rows.insert(rows.begin(), {"IMAGE", "CREATED", "CREATED BY", "SIZE", "COMMENT"});
  print_table(rows);
  return 0;
}

int cmd_rmi(const Global& g, const std::vector<std::string>& refs, bool force) {
  auto svc = open_service(g);
  if (!svc) return fail(svc.error());
  int rc = 0;
  for (auto& r : refs) {
    auto done = (*svc)->remove(r, force, nullptr);
    if (!done) {
      std::fprintf(stderr, "Error response from daemon: %s\n", done.error().message.c_str());
      rc = 1;
      continue;
    }
    for (auto& a : *done) {
      if (!a.untagged.empty()) std::printf("Untagged: %s\n", a.untagged.c_str());
      if (!a.deleted.empty()) std::printf("Deleted: %s\n", a.deleted.c_str());
    }
  }
  return rc;
}

image::ReadFn input(const std::string& path) {
  return image::file_reader(path == "-" || path.empty() ? "/dev/stdin" : path);
}

int cmd_save(const Global& g, const std::vector<std::string>& refs, const std::string& output,
             const std::string& oci_dir) {
  auto svc = open_service(g);
  if (!svc) return fail(svc.error());
  if (!oci_dir.empty()) {
    auto r = image::save_oci_layout(**svc, refs, oci_dir);
    return r ? 0 : fail(r.error());
  }
  if (output.empty() && ::isatty(STDOUT_FILENO)) {
    return fail(Error{Errc::kInvalidArgument,
                      "cowardly refusing to save to a terminal. Use the -o flag or redirect"});
  }
  std::string tmp = output.empty() ? "" : output + ".tmp";
  int fd = output.empty() ? STDOUT_FILENO
                          : ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return fail(sys_error(errno, "create `" + output + "`").value());
  auto r = image::save(**svc, refs, [&](const char* d, size_t n) -> Result<void> {
    while (n > 0) {
      ssize_t w = ::write(fd, d, n);
      if (w < 0) {
        if (errno == EINTR) continue;
        return sys_error(errno, "write");
      }
      d += w;
      n -= static_cast<size_t>(w);
    }
    return {};
  });
  if (!output.empty()) {
    ::close(fd);
    if (!r) {
      ::unlink(tmp.c_str());
      return fail(r.error());
    }
    if (::rename(tmp.c_str(), output.c_str()) < 0) {
      return fail(sys_error(errno, "rename to `" + output + "`").value());
    }
  }
  return r ? 0 : fail(r.error());
}

int cmd_load(const Global& g, const std::string& in, bool quiet) {
  auto svc = open_service(g);
  if (!svc) return fail(svc.error());
  if (in.empty() && ::isatty(STDIN_FILENO)) {
    return fail(Error{Errc::kInvalidArgument,
                      "requested load from stdin, but stdin is empty (use -i FILE)"});
  }
  // docker load shows progress only on a terminal.
  TermProgress progress(quiet || !::isatty(STDOUT_FILENO));
  auto r = !in.empty() && fs::is_dir(in) ? image::load_dir(**svc, in, &progress)
                                         : image::load(**svc, input(in), &progress);
  if (!r) return fail(r.error());
  for (auto& name : *r) {
    if (name.starts_with("sha256:")) {
      std::printf("Loaded image ID: %s\n", name.c_str());
    } else {
      auto p = image::parse_reference(name);
      std::printf("Loaded image: %s\n", p ? p->familiar_string().c_str() : name.c_str());
    }
  }
  return 0;
}

int cmd_login(const Global& g, const std::string& server, std::string user, std::string password,
              bool password_stdin) {
  (void)g;
  if (password_stdin) {
    std::getline(std::cin, password);
    while (!password.empty() && (password.back() == '\n' || password.back() == '\r')) {
      password.pop_back();
    }
  }
  if (user.empty() || password.empty()) {
    return fail(Error{Errc::kInvalidArgument,
                      "login needs --username and --password (or --password-stdin)"});
  }
  std::string host = server.empty() ? "docker.io" : server;
  image::Reference probe;
  probe.domain = host;
  image::RegistryClient client(image::registry_host(probe), "", image::is_insecure_registry(host, g.insecure),
                               image::Credentials{user, password});
  auto ok = client.ping();
  if (!ok) return fail(ok.error());
  auto st = image::store_credentials("", host, image::Credentials{user, password});
  if (!st) return fail(st.error());
  std::printf("Login Succeeded\n");
  return 0;
}

}  // namespace

bool is_image_command(const char* verb) {
  static const char* kVerbs[] = {"pull", "push", "images", "tag", "rmi", "inspect", "history",
                                 "save", "load", "import", "login", "logout", "image", "system"};
  for (const char* v : kVerbs) {
    if (std::strcmp(v, verb) == 0) return true;
  }
  return false;
}

int image_main(int argc, char** argv) {
  CLI::App app{"berth: images (docker's image commands)", "berth"};
  app.require_subcommand(1);
  Global g;
  const char* env_root = ::getenv("BERTH_DATA_ROOT");
  g.data_root = env_root && *env_root ? env_root : "/var/lib/berth";
  app.add_option("--data-root", g.data_root, "root of berth's persistent state");
  app.add_option("--insecure-registry", g.insecure, "registry (host:port) spoken to over HTTP")->allow_extra_args(false);

  int rc = 0;
  // Each verb exists at the top level and under `image` (docker image pull = docker pull).
  CLI::App* image_grp = app.add_subcommand("image", "manage images");
  std::vector<CLI::App*> parents = {&app, image_grp};

  std::string ref, platform, output, oci_dir, format, repo_filter, message, server, user, password;
  std::vector<std::string> refs, filters, changes;
  bool quiet = false, all = false, force = false, digests = false, no_trunc = false,
       password_stdin = false, all_tags = false;
  int64_t chunk = 0;

  for (CLI::App* parent : parents) {
    bool top = parent == &app;
    auto* pull = parent->add_subcommand("pull", "download an image from a registry");
    pull->add_option("name", ref, "NAME[:TAG|@DIGEST]")->required();
    pull->add_option("--platform", platform, "os/arch[/variant]");
    pull->add_flag("-q,--quiet", quiet, "print only the image name");
    pull->add_flag("-a,--all-tags", all_tags, "not supported");
    pull->callback([&] {
      auto svc = open_service(g);
      if (!svc) { rc = fail(svc.error()); return; }
      image::PullOptions o;
      if (!platform.empty()) {
        auto p = image::parse_platform(platform);
        if (!p) { rc = fail(p.error()); return; }
        o.platform = *p;
      }
      TermProgress progress(quiet);
      o.progress = &progress;
      auto img = image::pull(**svc, ref, o);
      if (!img) { rc = fail(img.error()); return; }
      auto parsed = image::parse_docker_reference(ref);
      std::printf("%s\n", parsed->string().c_str());
    });

    auto* push = parent->add_subcommand("push", "upload an image to a registry");
    push->add_option("name", ref, "NAME[:TAG]")->required();
    push->add_flag("-q,--quiet", quiet, "no progress");
    push->add_option("--chunk-size", chunk, "upload in PATCH chunks of this many bytes");
    push->callback([&] {
      auto svc = open_service(g);
      if (!svc) { rc = fail(svc.error()); return; }
      TermProgress progress(quiet);
      image::PushOptions o;
      o.progress = &progress;
      o.chunk_bytes = chunk;
      auto d = image::push(**svc, ref, o);
      if (!d) { rc = fail(d.error()); return; }
      if (quiet) std::printf("%s\n", ref.c_str());
    });

    auto* ls = parent->add_subcommand(top ? "images" : "ls", "list images");
    if (!top) ls->alias("list");
    ls->add_option("repository", repo_filter, "REPOSITORY[:TAG]");
    ls->add_flag("-q,--quiet", quiet, "only IDs");
    ls->add_flag("-a,--all", all, "all images");
    ls->add_flag("--digests", digests, "show digests");
    ls->add_flag("--no-trunc", no_trunc, "full IDs");
    ls->add_option("-f,--filter", filters, "dangling=true|false, reference=PATTERN, label=K[=V]")->allow_extra_args(false);
    ls->add_option("--format", format, "table, json or a {{.Field}} template");
    ls->callback([&] { rc = cmd_images(g, quiet, all, digests, no_trunc, format, filters, repo_filter); });

    auto* tag = parent->add_subcommand("tag", "name an image");
    tag->add_option("source", ref, "SOURCE_IMAGE[:TAG]")->required();
    tag->add_option("target", output, "TARGET_IMAGE[:TAG]")->required();
    tag->callback([&] {
      auto svc = open_service(g);
      if (!svc) { rc = fail(svc.error()); return; }
      auto r = (*svc)->tag(ref, output);
      if (!r) rc = fail(r.error());
    });

    auto* rmi = parent->add_subcommand(top ? "rmi" : "rm", "remove images");
    rmi->add_option("images", refs, "IMAGE")->required();
    rmi->add_flag("-f,--force", force, "remove even with several names or in use");
    rmi->add_flag("--no-prune", all, "accepted, no effect");
    rmi->callback([&] { rc = cmd_rmi(g, refs, force); });

    auto* insp = parent->add_subcommand("inspect", "low-level information on images");
    insp->add_option("images", refs, "IMAGE")->required();
    insp->add_option("-f,--format", format, "{{.Field}} template");
    insp->callback([&] { rc = cmd_inspect(g, refs, format); });

    auto* hist = parent->add_subcommand("history", "the history of an image");
    hist->add_option("image", ref, "IMAGE")->required();
    hist->add_flag("-q,--quiet", quiet, "only IDs");
    hist->add_flag("--no-trunc", no_trunc, "do not truncate");
    hist->callback([&] { rc = cmd_history(g, ref, quiet, no_trunc); });

    auto* save = parent->add_subcommand("save", "images to a tar archive (docker-archive + OCI)");
    save->add_option("images", refs, "IMAGE")->required();
    save->add_option("-o,--output", output, "file (default: stdout)");
    save->add_option("--oci-layout", oci_dir, "write an OCI image layout directory instead");
    save->callback([&] { rc = cmd_save(g, refs, output, oci_dir); });

    auto* load = parent->add_subcommand("load", "images from a tar archive or OCI layout");
    load->add_option("-i,--input", output, "file or OCI layout directory (default: stdin)");
    load->add_flag("-q,--quiet", quiet, "no progress");
    load->callback([&] { rc = cmd_load(g, output, quiet); });

    auto* imp = parent->add_subcommand("import", "an image from a rootfs tarball");
    imp->add_option("file", output, "file or - for stdin")->required();
    imp->add_option("reference", ref, "REPOSITORY[:TAG]");
    imp->add_option("-c,--change", changes, "Dockerfile instruction to apply")->allow_extra_args(false);
    imp->add_option("-m,--message", message, "commit message");
    imp->add_option("--platform", platform, "os/arch[/variant]");
    imp->callback([&] {
      auto svc = open_service(g);
      if (!svc) { rc = fail(svc.error()); return; }
      image::ImportOptions o;
      o.changes = changes;
      o.message = message;
      o.source = output;
      if (!platform.empty()) {
        auto p = image::parse_platform(platform);
        if (!p) { rc = fail(p.error()); return; }
        o.platform = *p;
      }
      auto img = image::import_rootfs(**svc, input(output), ref, o);
      if (!img) { rc = fail(img.error()); return; }
      std::printf("%s\n", img->id.c_str());
    });

    auto* prune = parent->add_subcommand("prune", "remove unused images");
    prune->add_flag("-a,--all", all, "all unused images, not only dangling ones");
    prune->add_flag("-f,--force", force, "do not prompt");
    prune->callback([&] {
      auto svc = open_service(g);
      if (!svc) { rc = fail(svc.error()); return; }
      auto rep = (*svc)->prune(all, nullptr);
      if (!rep) { rc = fail(rep.error()); return; }
      if (!rep->removed.empty()) std::printf("Deleted Images:\n");
      for (auto& a : rep->removed) {
        if (!a.untagged.empty()) std::printf("untagged: %s\n", a.untagged.c_str());
        if (!a.deleted.empty()) std::printf("deleted: %s\n", a.deleted.c_str());
      }
      std::printf("\nTotal reclaimed space: %s\n", human_size(double(rep->reclaimed)).c_str());
    });
    if (top) prune->group("");  // `berth image prune` only; hidden at the top level
  }

  auto* login = app.add_subcommand("login", "save credentials for a registry");
  login->add_option("server", server, "registry (default docker.io)");
  login->add_option("-u,--username", user, "user name");
  login->add_option("-p,--password", password, "password");
  login->add_flag("--password-stdin", password_stdin, "read the password from stdin");
  login->callback([&] { rc = cmd_login(g, server, user, password, password_stdin); });

  auto* logout = app.add_subcommand("logout", "forget the credentials of a registry");
  logout->add_option("server", server, "registry (default docker.io)");
  logout->callback([&] {
    std::string host = server.empty() ? "docker.io" : server;
    auto r = image::store_credentials("", host, std::nullopt);
    if (!r) { rc = fail(r.error()); return; }
    std::printf("Removing login credentials for %s\n", host.c_str());
  });

  auto* sys = app.add_subcommand("system", "system-wide information");
  auto* df = sys->add_subcommand("df", "disk usage");
  df->callback([&] {
    auto svc = open_service(g);
    if (!svc) { rc = fail(svc.error()); return; }
    auto du = (*svc)->disk_usage();
    if (!du) { rc = fail(du.error()); return; }
    print_table({{"TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE"},
                 {"Images", std::to_string(du->images), std::to_string(du->active_images),
                  human_size(double(du->layers_bytes + du->content_bytes)), "-"}});
  });

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return rc;
}

}  // namespace berth::cli
