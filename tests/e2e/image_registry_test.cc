// berth's pull/push/login/save/load against real registries: Debian's docker-registry
// (distribution 2.8) on 127.0.0.1 without auth, with htpasswd basic auth and with token auth
// (a tiny python3 token server), with skopeo as the independent second client. Plus the
// failure paths: a corrupt blob in the registry, an oversized manifest, a pull killed halfway.
// Each test has its own data roots in a temp dir and its own registry, removed at the end.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "common/json.h"
#include "image/archive.h"
#include "image/content_store.h"
#include "image/layer.h"
#include "image/oci.h"
#include "image/service.h"
#include "image/snapshots.h"
#include "support/bundle.h"
#include "support/process.h"
#include "support/registry.h"

namespace berth::test {
namespace {

namespace stdfs = std::filesystem;
using image::Descriptor;
using image::ImageService;

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void spit(const std::string& path, const std::string& data) {
  std::ofstream(path, std::ios::binary) << data;
}

std::string hex_of(const std::string& digest) { return digest.substr(digest.find(':') + 1); }

bool is_hex64(const std::string& s) {
  return s.size() == 64 && s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

// sha256sum's answer for a file, as "sha256:<hex>".
std::string sha256_file(const std::string& path) {
  auto o = run({"sha256sum", path});
  if (o.status != 0 || o.out.size() < 64) return "sha256sum failed: " + o.err;
  return "sha256:" + o.out.substr(0, 64);
}

// Names in a directory (none when it does not exist).
std::vector<std::string> list_dir(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (auto it = stdfs::directory_iterator(dir, ec); !ec && it != stdfs::directory_iterator();
       it.increment(ec)) {
    out.push_back(it->path().filename().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Committed snapshots of a data root: snapshots/<64 hex>.
std::vector<std::string> committed_snapshots(const std::string& root) {
  std::vector<std::string> out;
  for (auto& n : list_dir(root + "/snapshots")) {
    if (is_hex64(n)) out.push_back(n);
  }
  return out;
}

std::string join(const std::vector<std::string>& v, const std::string& sep) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) out += (i ? sep : "") + v[i];
  return out;
}

// The source tree (for scripts/base-images): this file is <src>/tests/e2e/...
std::string source_dir() {
  std::string f = __FILE__;
  auto pos = f.rfind("/tests/e2e/");
  if (pos != std::string::npos && f.starts_with("/")) return f.substr(0, pos);
  // build/berth -> the tree above build/
  return stdfs::path(berth_binary()).parent_path().parent_path().string();
}

int64_t now_ms() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

// A layer made by the test and stored in a content store.
struct Layer {
  Descriptor desc;
  std::string diff_id;
};

// One background python3 script (started by a test) that binds 127.0.0.1:0 and writes its
// port to a file; stopped when it goes out of scope.
class PyServer {
 public:
  ~PyServer() { daemon_.stop(); }
  // Returns "" or the error.
  std::string start(const std::string& dir, const std::string& name, const std::string& script,
                    const std::vector<std::string>& args) {
    std::string py = system_python3();
    if (py.empty()) return "no python3";
    std::string path = dir + "/" + name + ".py";
    port_file_ = dir + "/" + name + ".port";
    log_ = dir + "/" + name + ".log";
    spit(path, script);
    std::vector<std::string> argv = {py, "-u", path, port_file_};
    argv.insert(argv.end(), args.begin(), args.end());
    if (!daemon_.start(argv, log_)) return "fork failed";
    for (int64_t deadline = now_ms() + 15000; now_ms() < deadline; usleep(20000)) {
      std::string p = slurp(port_file_);
      if (!p.empty() && p.back() == '\n') {
        port_ = std::atoi(p.c_str());
        if (http_status(port_, "/") != 0) return "";
      }
      if (!daemon_.running()) break;
    }
    return name + " did not come up: " + slurp(log_);
  }
  int port() const { return port_; }
  std::string log() const { return slurp(log_); }
  void stop() { daemon_.stop(); }

 private:
  Daemon daemon_;
  std::string port_file_, log_;
  int port_ = 0;
};

// Unmounts a mount point when it goes out of scope.
struct Unmount {
  std::string path;
  ~Unmount() {
    if (!path.empty()) umount2(path.c_str(), MNT_DETACH);
  }
};

class ImageRegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) {
      GTEST_SKIP() << "needs root (snapshots keep file owners, overlay mounts, containers)";
    }
    if (!Registry::available()) {
      GTEST_SKIP() << Registry::kBinary << " is missing (apt-get install docker-registry)";
    }
    if (sh("command -v skopeo").status != 0) {
      GTEST_SKIP() << "skopeo is missing (apt-get install skopeo)";
    }
    if (system_python3().empty()) {
      GTEST_SKIP() << "python3 is missing";
    }
    tmp_ = make_temp_dir("berth-imgreg");
    ASSERT_FALSE(tmp_.empty());
    docker_config_ = tmp_ + "/docker-config";
    stdfs::create_directories(docker_config_);
  }

  void TearDown() override {
    if (tmp_.empty()) return;
    // Whatever a failed test left mounted under our dir (deepest first).
    std::vector<std::string> mounts;
    std::istringstream pm(slurp("/proc/mounts"));
    for (std::string line; std::getline(pm, line);) {
      std::istringstream f(line);
      std::string src, target;
      f >> src >> target;
      if (target.starts_with(tmp_ + "/")) mounts.push_back(target);
    }
    std::sort(mounts.rbegin(), mounts.rend());
    for (auto& m : mounts) umount2(m.c_str(), MNT_DETACH);
    std::error_code ec;
    stdfs::remove_all(tmp_, ec);
    EXPECT_FALSE(stdfs::exists(tmp_)) << ec.message();
  }

  std::string root(const std::string& name) const { return tmp_ + "/" + name; }

  // `berth --data-root ROOT args...` with our own DOCKER_CONFIG.
  Output berth(const std::string& data_root, const std::vector<std::string>& args,
               const std::string& input = "") {
    std::vector<std::string> argv = {"env", "DOCKER_CONFIG=" + docker_config_, berth_binary(),
                                     "--data-root", data_root};
    argv.insert(argv.end(), args.begin(), args.end());
    return run(argv, input);
  }

  // `berth image inspect` of one image, parsed; null when it fails.
  Json inspect(const std::string& data_root, const std::string& ref) {
    auto o = berth(data_root, {"image", "inspect", ref});
    if (o.status != 0) return nullptr;
    auto j = parse_json(o.out, "inspect");
    if (!j || !j->is_array() || j->size() != 1) return nullptr;
    return (*j)[0];
  }

  // busybox:latest in `data_root` from scripts/base-images.
  void make_busybox(const std::string& data_root) {
    auto o = run({"env", "BERTH=" + berth_binary(), source_dir() + "/scripts/base-images",
                  "--data-root", data_root, "busybox"});
    ASSERT_EQ(o.status, 0) << o.out << o.err;
  }

  // A tar (gzip when `gzip`) of the directory `dir`, as a file.
  std::string make_tar(const std::string& dir, bool gzip) {
    std::string out = dir + (gzip ? ".tar.gz" : ".tar");
    auto o = sh("tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C " + dir +
                " -cf - . " + (gzip ? "| gzip -n " : "") + "> " + out);
    EXPECT_EQ(o.status, 0) << o.err;
    return out;
  }

  // Stores the tar file as a layer blob: uncompressed (digest = diff_id) or as it is (gzip).
  static std::optional<Layer> store_layer(ImageService& svc, const std::string& tar, bool gzip) {
    Layer l;
    if (!gzip) {
      auto w = svc.content().writer("", -1);
      if (!w) return std::nullopt;
      auto diff = image::decompress(image::file_reader(tar), [&](const char* d, size_t n) {
        return (*w)->write(d, n);
      });
      if (!diff) return std::nullopt;
      l.desc.size = (*w)->offset();
      auto digest = (*w)->commit();
      if (!digest) return std::nullopt;
      l.diff_id = *diff;
      l.desc.digest = *digest;
      l.desc.media_type = std::string(image::media::kOciLayer);
      return l;
    }
    std::string bytes = slurp(tar);
    auto digest = svc.content().put(bytes);
    auto diff = image::decompress(image::file_reader(tar),
                                  [](const char*, size_t) -> Result<void> { return {}; });
    if (!digest || !diff) return std::nullopt;
    l.desc.digest = *digest;
    l.desc.size = static_cast<int64_t>(bytes.size());
    l.desc.media_type = std::string(image::media::kOciLayerGzip);
    l.diff_id = *diff;
    return l;
  }

  // An image `name` in `data_root`: `base` (an image there, or "" for none) plus one layer per
  // directory in `dirs` (made by the caller), the ones in `gzip` stored compressed. Returns
  // the image ID ("" on failure, with a test failure).
  std::string make_image(const std::string& data_root, const std::string& base,
                         const std::vector<std::string>& dirs, const std::vector<bool>& gzip,
                         const std::string& name) {
    image::ServiceOptions so;
    so.root = data_root;
    auto svc = ImageService::open(so);
    if (!svc) {
      ADD_FAILURE() << svc.error().message;
      return "";
    }
    Json config;
    std::vector<Descriptor> layers;
    if (!base.empty()) {
      auto b = (*svc)->get(base);
      if (!b) {
        ADD_FAILURE() << b.error().message;
        return "";
      }
      config = b->config.doc;
      layers = b->layers;
    } else {
      auto p = image::host_platform();
      config = {{"architecture", p.architecture},
                {"os", p.os},
                {"config", {{"Cmd", {"sh"}}}},
                {"rootfs", {{"type", "layers"}, {"diff_ids", Json::array()}}},
                {"history", Json::array()}};
      if (!p.variant.empty()) config["variant"] = p.variant;
    }
    config["created"] = "2024-05-01T12:00:00Z";
    for (size_t i = 0; i < dirs.size(); ++i) {
      bool gz = i < gzip.size() && gzip[i];
      auto l = store_layer(**svc, make_tar(dirs[i], gz), gz);
      if (!l) {
        ADD_FAILURE() << "storing layer " << dirs[i] << " failed";
        return "";
      }
      layers.push_back(l->desc);
      config["rootfs"]["diff_ids"].push_back(l->diff_id);
      config["history"].push_back({{"created", "2024-05-01T12:00:00Z"},
                                   {"created_by", "berth e2e: " + dirs[i]}});
    }
    auto img = (*svc)->create(config, layers, name);
    if (!img) {
      ADD_FAILURE() << img.error().message;
      return "";
    }
    return img->id;
  }

  // A directory under tmp_ with files {path: content}.
  std::string make_dir(const std::string& name,
                       const std::vector<std::pair<std::string, std::string>>& files) {
    std::string d = tmp_ + "/" + name;
    stdfs::create_directories(d);
    for (auto& [p, content] : files) {
      stdfs::create_directories(stdfs::path(d + "/" + p).parent_path());
      spit(d + "/" + p, content);
    }
    return d;
  }

  // The manifest layer digests of an image in a data root (library view).
  static std::vector<std::string> layer_digests(const std::string& data_root,
                                                const std::string& ref) {
    image::ServiceOptions so;
    so.root = data_root;
    auto svc = ImageService::open(so);
    std::vector<std::string> out;
    if (!svc) return out;
    auto img = (*svc)->get(ref);
    if (!img) return out;
    for (auto& l : img->layers) out.push_back(l.digest);
    return out;
  }

  // `skopeo inspect` of docker://ref (plain HTTP), parsed; null on failure.
  static Json skopeo_inspect(const std::string& ref) {
    auto o = run({"skopeo", "inspect", "--tls-verify=false", "--no-creds", "docker://" + ref});
    if (o.status != 0) {
      ADD_FAILURE() << "skopeo inspect " << ref << ": " << o.err;
      return nullptr;
    }
    return Json::parse(o.out, nullptr, false);
  }

  // The "Digest: sha256:..." line docker's pull prints.
  static std::string pulled_digest(const std::string& out) {
    for (auto& l : str_lines(out)) {
      if (l.starts_with("Digest: ")) return l.substr(8);
    }
    return "";
  }

  std::string start_registry(Registry& reg) {
    std::string err = reg.start();
    EXPECT_EQ(err, "");
    return err;
  }

  std::string tmp_, docker_config_;
};

// Three layers on top of busybox (one gzip, one with a whiteout), pushed, removed, pulled
// into a fresh root; skopeo agrees on the digests, and the pulled layers run as a container.
TEST_F(ImageRegistryTest, MultiLayerRoundTripAndRun) {
  Registry reg;
  ASSERT_EQ(start_registry(reg), "");
  const std::string r1 = root("r1"), r2 = root("r2");
  ASSERT_NO_FATAL_FAILURE(make_busybox(r1));
  const std::string name = reg.host() + "/berth-test/multi:v1";
  std::string l2 = make_dir("l2", {{"layer2.txt", "two\n"}, {"gone.txt", "to be deleted\n"},
                                   {"etc/layer2.conf", "x=2\n"}});
  std::string l3 = make_dir("l3", {{"layer3.txt", "three\n"}, {".wh.gone.txt", ""}});
  std::string l4 = make_dir("l4", {{"layer4/data.txt", std::string(100000, 'z')}});
  std::string id = make_image(r1, "busybox:latest", {l2, l3, l4}, {false, true, false}, name);
  ASSERT_FALSE(id.empty());
  Json before = inspect(r1, name);
  ASSERT_FALSE(before.is_null());
  ASSERT_EQ(before["Id"], id);
  ASSERT_EQ(before["RootFS"]["Layers"].size(), 4u);
  std::vector<std::string> pushed_layers = layer_digests(r1, name);
  ASSERT_EQ(pushed_layers.size(), 4u);

  auto push = berth(r1, {"push", name});
  ASSERT_EQ(push.status, 0) << push.out << push.err;
  auto rmi = berth(r1, {"rmi", name});
  ASSERT_EQ(rmi.status, 0) << rmi.err;
  EXPECT_NE(rmi.out.find("Untagged: " + name), std::string::npos) << rmi.out;
  EXPECT_EQ(berth(r1, {"image", "inspect", name}).status, 1);

  auto pull = berth(r2, {"pull", name});
  ASSERT_EQ(pull.status, 0) << pull.out << pull.err;
  auto lines = str_lines(pull.out);
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines.back(), name);
  std::string digest = pulled_digest(pull.out);
  ASSERT_TRUE(digest.starts_with("sha256:")) << pull.out;

  Json after = inspect(r2, name);
  ASSERT_FALSE(after.is_null());
  EXPECT_EQ(after["Id"], id);
  EXPECT_EQ(after["RootFS"]["Layers"], before["RootFS"]["Layers"]);
  EXPECT_EQ(after["RepoDigests"], Json::array({reg.host() + "/berth-test/multi@" + digest}));
  EXPECT_EQ(layer_digests(r2, name), pushed_layers);

  Json sk = skopeo_inspect(name);
  ASSERT_TRUE(sk.is_object());
  EXPECT_EQ(sk["Digest"], digest);
  EXPECT_EQ(sk["Layers"], Json(pushed_layers));

  // Run `cat` from the top layers in a container on an overlay of the pulled snapshots.
  image::ServiceOptions so;
  so.root = r2;
  auto svc = ImageService::open(so);
  ASSERT_TRUE(svc.has_value()) << svc.error().message;
  auto img = (*svc)->get(name);
  ASSERT_TRUE(img.has_value()) << img.error().message;
  const std::string key = "berth-e2e-" + std::to_string(getpid());
  auto m = (*svc)->snapshots().prepare(key, ImageService::chain(*img));
  ASSERT_TRUE(m.has_value()) << m.error().message;
  struct RemoveActive {
    image::Snapshots& s;
    std::string key;
    ~RemoveActive() { (void)s.remove_active(key); }
  } remove_active{(*svc)->snapshots(), key};
  const std::string mnt = tmp_ + "/mnt";
  stdfs::create_directories(mnt);
  ASSERT_EQ(mount(m->source.c_str(), mnt.c_str(), m->type.c_str(), 0,
                  join(m->options, ",").c_str()),
            0)
      << strerror(errno) << " " << join(m->options, ",");
  Unmount unmount{mnt};
  const std::string bundle = tmp_ + "/bundle", rt_root = tmp_ + "/rt";
  stdfs::create_directories(bundle);
  auto spec = run({berth_binary(), "runtime", "spec", "--bundle", bundle});
  ASSERT_EQ(spec.status, 0) << spec.err;
  Json config = Json::parse(slurp(bundle + "/config.json"));
  config["root"]["path"] = mnt;
  config["process"]["terminal"] = false;
  auto run_in = [&](const std::vector<std::string>& args, const std::string& cid) {
    config["process"]["args"] = args;
    spit(bundle + "/config.json", config.dump(1));
    auto o = berth_runtime(rt_root, {"run", "--bundle", bundle, cid});
    berth_runtime(rt_root, {"delete", "--force", cid});
    return o;
  };
  auto cat = run_in({"cat", "/layer3.txt", "/layer2.txt", "/etc/layer2.conf"}, key + "-cat");
  EXPECT_EQ(cat.status, 0) << cat.err;
  EXPECT_EQ(cat.out, "three\ntwo\nx=2\n");
  auto wh = run_in({"sh", "-c",
                    "if [ -e /gone.txt ]; then echo present; else echo whited-out; fi; "
                    "wc -c < /layer4/data.txt"},
                   key + "-wh");
  EXPECT_EQ(wh.status, 0) << wh.err;
  EXPECT_EQ(wh.out, "whited-out\n100000\n");
}

// --chunk-size uploads in PATCH chunks the registry acknowledges one by one.
TEST_F(ImageRegistryTest, ChunkedPush) {
  Registry reg;
  ASSERT_EQ(start_registry(reg), "");
  const std::string r1 = root("r1"), r2 = root("r2");
  std::string l1 = make_dir("l1", {});
  ASSERT_EQ(sh("head -c 1050000 /dev/urandom > " + l1 + "/payload.bin").status, 0);
  const std::string name = reg.host() + "/chunked/img:1";
  std::string id = make_image(r1, "", {l1}, {false}, name);
  ASSERT_FALSE(id.empty());
  auto layers = layer_digests(r1, name);
  ASSERT_EQ(layers.size(), 1u);
  int64_t layer_size = 0;
  {
    image::ServiceOptions so;
    so.root = r1;
    auto svc = ImageService::open(so);
    ASSERT_TRUE(svc.has_value());
    layer_size = (*svc)->content().size(layers[0]).value_or(0);
  }
  ASSERT_GT(layer_size, 1000000);

  auto push = berth(r1, {"push", "--chunk-size", "65536", name});
  ASSERT_EQ(push.status, 0) << push.out << push.err;
  // One PATCH per 64 KiB of the layer, one for the small config.
  std::string log = reg.log();
  size_t patches = 0;
  for (auto& l : str_lines(log)) {
    if (l.find("\"PATCH /v2/chunked/img/blobs/uploads/") != std::string::npos &&
        l.find("\" 202 ") != std::string::npos) {
      ++patches;
    }
  }
  EXPECT_EQ(patches, static_cast<size_t>((layer_size + 65535) / 65536 + 1)) << log;

  auto pull = berth(r2, {"pull", name});
  ASSERT_EQ(pull.status, 0) << pull.out << pull.err;
  Json j = inspect(r2, name);
  ASSERT_FALSE(j.is_null());
  EXPECT_EQ(j["Id"], id);
  EXPECT_EQ(sha256_file(r2 + "/content/blobs/sha256/" + hex_of(layers[0])), layers[0]);
  EXPECT_EQ(sha256_file(r2 + "/snapshots/" + hex_of(j["RootFS"]["Layers"][0].get<std::string>()) + "/fs/payload.bin"),
            sha256_file(l1 + "/payload.bin"));
}

// berth's OCI layout goes through skopeo to the registry and back, both ways.
TEST_F(ImageRegistryTest, SkopeoOciLayoutBothWays) {
  Registry reg;
  ASSERT_EQ(start_registry(reg), "");
  const std::string r1 = root("r1"), r2 = root("r2"), r3 = root("r3");
  ASSERT_NO_FATAL_FAILURE(make_busybox(r1));
  std::string l2 = make_dir("l2", {{"hello.txt", "hello from oci\n"}});
  std::string id = make_image(r1, "busybox:latest", {l2}, {true}, "berth-oci/demo:v2");
  ASSERT_FALSE(id.empty());
  Json orig = inspect(r1, "berth-oci/demo:v2");
  ASSERT_FALSE(orig.is_null());

  const std::string layout = tmp_ + "/layout";
  auto save = berth(r1, {"save", "--oci-layout", layout, "berth-oci/demo:v2"});
  ASSERT_EQ(save.status, 0) << save.err;
  Json index = Json::parse(slurp(layout + "/index.json"), nullptr, false);
  ASSERT_TRUE(index.is_object()) << slurp(layout + "/index.json");
  ASSERT_EQ(index["manifests"].size(), 1u) << index.dump();
  auto& ann = index["manifests"][0]["annotations"];
  // skopeo's oci:DIR:REF names an index entry by org.opencontainers.image.ref.name.
  EXPECT_EQ(ann.value("org.opencontainers.image.ref.name", ""), "v2") << index.dump();
  EXPECT_EQ(ann.value("io.containerd.image.name", ""), "docker.io/berth-oci/demo:v2");

  const std::string remote = reg.host() + "/x/demo:v2";
  auto up = run({"skopeo", "copy", "--dest-tls-verify=false", "--dest-no-creds",
                 "oci:" + layout + ":v2", "docker://" + remote});
  ASSERT_EQ(up.status, 0) << up.out << up.err;

  auto pull = berth(r2, {"pull", remote});
  ASSERT_EQ(pull.status, 0) << pull.out << pull.err;
  Json pulled = inspect(r2, remote);
  ASSERT_FALSE(pulled.is_null());
  EXPECT_EQ(pulled["Id"], id);
  EXPECT_EQ(pulled["RootFS"]["Layers"], orig["RootFS"]["Layers"]);
  Json sk = skopeo_inspect(remote);
  ASSERT_TRUE(sk.is_object());
  EXPECT_EQ(sk["Digest"], pulled_digest(pull.out));

  const std::string layout2 = tmp_ + "/layout2";
  auto down = run({"skopeo", "copy", "--src-tls-verify=false", "--src-no-creds",
                   "docker://" + remote, "oci:" + layout2 + ":v2"});
  ASSERT_EQ(down.status, 0) << down.out << down.err;
  auto load = berth(r3, {"load", "-i", layout2});
  ASSERT_EQ(load.status, 0) << load.out << load.err;
  // skopeo's ref.name is the bare tag, so the image comes without a name.
  EXPECT_NE(load.out.find("Loaded image ID: " + id), std::string::npos) << load.out;
  Json loaded = inspect(r3, id);
  ASSERT_FALSE(loaded.is_null());
  EXPECT_EQ(loaded["Id"], id);
  EXPECT_EQ(loaded["RootFS"]["Layers"], orig["RootFS"]["Layers"]);
}

// htpasswd basic auth: refused without credentials, login/push/pull/logout with them.
TEST_F(ImageRegistryTest, BasicAuthLoginPushPullLogout) {
  if (sh("command -v htpasswd").status != 0) {
    GTEST_SKIP() << "htpasswd is missing (apt-get install apache2-utils)";
  }
  RegistryOptions ro;
  ro.auth = RegistryOptions::Auth::kHtpasswd;
  ro.users = {{"berthuser", "s3cret-Pass"}};
  Registry reg(ro);
  ASSERT_EQ(start_registry(reg), "");
  const std::string r1 = root("r1"), r2 = root("r2"), r3 = root("r3");
  ASSERT_NO_FATAL_FAILURE(make_busybox(r1));
  const std::string name = reg.host() + "/private/busybox:1";
  ASSERT_EQ(berth(r1, {"tag", "busybox:latest", name}).status, 0);
  Json orig = inspect(r1, name);
  ASSERT_FALSE(orig.is_null());

  auto anon_push = berth(r1, {"push", name});
  EXPECT_EQ(anon_push.status, 1) << anon_push.out << anon_push.err;
  auto anon = berth(r2, {"pull", name});
  EXPECT_EQ(anon.status, 1) << anon.out;
  EXPECT_EQ(str_lines(anon.err).size(), 1u) << anon.err;
  EXPECT_TRUE(anon.err.starts_with("Error: ")) << anon.err;
  EXPECT_TRUE(committed_snapshots(r2).empty());

  auto bad = berth(r1, {"login", reg.host(), "-u", "berthuser", "--password-stdin"}, "wrong\n");
  EXPECT_EQ(bad.status, 1) << bad.out;
  EXPECT_EQ(str_lines(bad.err).size(), 1u) << bad.err;
  EXPECT_FALSE(stdfs::exists(docker_config_ + "/config.json"));

  auto login =
      berth(r1, {"login", reg.host(), "-u", "berthuser", "--password-stdin"}, "s3cret-Pass\n");
  ASSERT_EQ(login.status, 0) << login.err;
  EXPECT_EQ(login.out, "Login Succeeded\n");
  Json cfg = Json::parse(slurp(docker_config_ + "/config.json"), nullptr, false);
  ASSERT_TRUE(cfg.is_object());
  // base64("berthuser:s3cret-Pass")
  EXPECT_EQ(cfg["auths"][reg.host()]["auth"], "YmVydGh1c2VyOnMzY3JldC1QYXNz") << cfg.dump();

  auto push = berth(r1, {"push", name});
  ASSERT_EQ(push.status, 0) << push.out << push.err;
  auto pull = berth(r2, {"pull", name});
  ASSERT_EQ(pull.status, 0) << pull.out << pull.err;
  Json pulled = inspect(r2, name);
  ASSERT_FALSE(pulled.is_null());
  EXPECT_EQ(pulled["Id"], orig["Id"]);
  EXPECT_EQ(pulled["RootFS"]["Layers"], orig["RootFS"]["Layers"]);

  auto logout = berth(r1, {"logout", reg.host()});
  EXPECT_EQ(logout.status, 0) << logout.err;
  EXPECT_EQ(logout.out, "Removing login credentials for " + reg.host() + "\n");
  cfg = Json::parse(slurp(docker_config_ + "/config.json"), nullptr, false);
  EXPECT_FALSE(cfg.is_object() && cfg.contains("auths") && cfg["auths"].contains(reg.host()))
      << cfg.dump();
  auto again = berth(r3, {"pull", name});
  EXPECT_EQ(again.status, 1) << again.out;
  EXPECT_EQ(str_lines(again.err).size(), 1u) << again.err;
}

constexpr const char* kTokenServer = R"PY(
import base64, http.server, json, os, sys, time, urllib.parse, uuid
import jwt
from cryptography import x509
from cryptography.hazmat.primitives import serialization

port_file, key_file, cert_file, user, password, issuer, service = sys.argv[1:8]
key = open(key_file, 'rb').read()
cert = x509.load_pem_x509_certificate(open(cert_file, 'rb').read())
x5c = [base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()]
expected = 'Basic ' + base64.b64encode(f'{user}:{password}'.encode()).decode()

class Handler(http.server.BaseHTTPRequestHandler):
    def reply(self, code, body):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        url = urllib.parse.urlparse(self.path)
        if url.path != '/token':
            return self.reply(404, {'details': 'not found'})
        if self.headers.get('Authorization') != expected:
            sys.stderr.write('token: refused (bad or no credentials)\n')
            return self.reply(401, {'details': 'invalid credentials'})
        q = urllib.parse.parse_qs(url.query)
        access = []
        for scope in q.get('scope', []):
            for s in scope.split(' '):
                rest, actions = s.rsplit(':', 1)
                typ, name = rest.split(':', 1)
                access.append({'type': typ, 'name': name, 'actions': actions.split(',')})
        now = int(time.time())
        claims = {'iss': issuer, 'sub': user, 'aud': service, 'exp': now + 600,
                  'nbf': now - 30, 'iat': now, 'jti': uuid.uuid4().hex, 'access': access}
        token = jwt.encode(claims, key, algorithm='RS256', headers={'x5c': x5c})
        sys.stderr.write('token: granted %s\n' % json.dumps(access))
        self.reply(200, {'token': token, 'access_token': token, 'expires_in': 600})

server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
with open(port_file + '.tmp', 'w') as f:
    f.write('%d\n' % server.server_address[1])
os.rename(port_file + '.tmp', port_file)
server.serve_forever()
)PY";

// Token auth (distribution docs/spec/auth/token.md): the registry sends clients to a token
// server that wants Basic credentials and signs JWTs the registry checks against its cert.
TEST_F(ImageRegistryTest, TokenAuthPushPull) {
  std::string py = system_python3();
  if (run({py, "-c", "import jwt, cryptography"}).status != 0) {
    GTEST_SKIP() << py << " lacks jwt/cryptography (apt-get install python3-jwt python3-cryptography)";
  }
  if (sh("command -v openssl").status != 0) GTEST_SKIP() << "openssl is missing";
  const std::string tdir = tmp_ + "/token";
  stdfs::create_directories(tdir);
  auto keygen = run({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                     tdir + "/key.pem", "-out", tdir + "/cert.pem", "-days", "2", "-subj",
                     "/CN=berth-test-token-issuer"});
  ASSERT_EQ(keygen.status, 0) << keygen.err;
  PyServer tokens;
  ASSERT_EQ(tokens.start(tdir, "token_server", kTokenServer,
                         {tdir + "/key.pem", tdir + "/cert.pem", "tokuser", "tok-Pass-1",
                          "test-issuer", "test-registry"}),
            "");
  RegistryOptions ro;
  ro.auth = RegistryOptions::Auth::kToken;
  ro.token_realm = "http://127.0.0.1:" + std::to_string(tokens.port()) + "/token";
  ro.token_service = "test-registry";
  ro.token_issuer = "test-issuer";
  ro.token_rootcertbundle = tdir + "/cert.pem";
  Registry reg(ro);
  ASSERT_EQ(start_registry(reg), "");

  const std::string r1 = root("r1"), r2 = root("r2"), r3 = root("r3");
  ASSERT_NO_FATAL_FAILURE(make_busybox(r1));
  const std::string name = reg.host() + "/tok/busybox:1";
  ASSERT_EQ(berth(r1, {"tag", "busybox:latest", name}).status, 0);
  Json orig = inspect(r1, name);
  ASSERT_FALSE(orig.is_null());

  auto anon_push = berth(r1, {"push", name});
  EXPECT_EQ(anon_push.status, 1) << anon_push.out << anon_push.err;
  auto anon = berth(r2, {"pull", name});
  EXPECT_EQ(anon.status, 1) << anon.out;
  EXPECT_EQ(str_lines(anon.err).size(), 1u) << anon.err;
  EXPECT_TRUE(anon.err.starts_with("Error: ")) << anon.err;

  auto login =
      berth(r1, {"login", reg.host(), "-u", "tokuser", "--password-stdin"}, "tok-Pass-1\n");
  ASSERT_EQ(login.status, 0) << login.err << "\n" << tokens.log() << reg.log();
  EXPECT_EQ(login.out, "Login Succeeded\n");

  auto push = berth(r1, {"push", name});
  ASSERT_EQ(push.status, 0) << push.out << push.err << "\n" << tokens.log();
  auto pull = berth(r2, {"pull", name});
  ASSERT_EQ(pull.status, 0) << pull.out << pull.err << "\n" << tokens.log();
  Json pulled = inspect(r2, name);
  ASSERT_FALSE(pulled.is_null());
  EXPECT_EQ(pulled["Id"], orig["Id"]);
  EXPECT_EQ(pulled["RootFS"]["Layers"], orig["RootFS"]["Layers"]);
  // The token server granted push for the push and pull for the pull.
  std::string tlog = tokens.log();
  EXPECT_NE(tlog.find(R"("name": "tok/busybox", "actions": ["pull", "push"])"),
            std::string::npos)
      << tlog;
  EXPECT_NE(tlog.find(R"("name": "tok/busybox", "actions": ["pull"])"), std::string::npos)
      << tlog;
  EXPECT_NE(tlog.find("token: refused"), std::string::npos) << tlog;

  // Wrong password: no token, exit 1.
  auto wrong = berth(r3, {"login", reg.host(), "-u", "tokuser", "--password-stdin"}, "nope\n");
  EXPECT_EQ(wrong.status, 1) << wrong.out;
}

// A layer blob corrupted in the registry's storage: the pull fails on its digest and leaves
// neither the blob nor a snapshot behind.
TEST_F(ImageRegistryTest, CorruptBlobIsRejected) {
  Registry reg;
  ASSERT_EQ(start_registry(reg), "");
  const std::string r1 = root("r1"), r2 = root("r2");
  ASSERT_NO_FATAL_FAILURE(make_busybox(r1));
  const std::string name = reg.host() + "/integrity/busybox:1";
  ASSERT_EQ(berth(r1, {"tag", "busybox:latest", name}).status, 0);
  auto push = berth(r1, {"push", name});
  ASSERT_EQ(push.status, 0) << push.out << push.err;
  auto layers = layer_digests(r1, name);
  ASSERT_EQ(layers.size(), 1u);
  const std::string data = reg.blob_data(layers[0]);
  ASSERT_EQ(sha256_file(data), layers[0]);
  auto size = stdfs::file_size(data);
  {
    std::fstream f(data, std::ios::in | std::ios::out | std::ios::binary);
    for (std::streamoff off : {std::streamoff(size / 2), std::streamoff(size / 2 + 4096)}) {
      char buf[16];
      f.seekg(off);
      f.read(buf, sizeof buf);
      for (char& c : buf) c = static_cast<char>(~c);
      f.seekp(off);
      f.write(buf, sizeof buf);
    }
  }
  ASSERT_EQ(stdfs::file_size(data), size);
  ASSERT_NE(sha256_file(data), layers[0]);

  auto pull = berth(r2, {"pull", name});
  EXPECT_EQ(pull.status, 1) << pull.out;
  EXPECT_EQ(str_lines(pull.err).size(), 1u) << pull.err;
  EXPECT_NE(pull.err.find(layers[0]), std::string::npos) << pull.err;
  EXPECT_NE(pull.err.find("does not match"), std::string::npos) << pull.err;
  EXPECT_FALSE(stdfs::exists(r2 + "/content/blobs/sha256/" + hex_of(layers[0])));
  EXPECT_EQ(committed_snapshots(r2), std::vector<std::string>{});
  EXPECT_EQ(berth(r2, {"image", "inspect", name}).status, 1);
}

constexpr const char* kBigManifestServer = R"PY(
import http.server, os, sys
port_file = sys.argv[1]
body = b'{"schemaVersion": 2, "pad": "' + b'a' * (5 << 20) + b'"}'

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    def send(self, code, ctype, data):
        self.send_response(code)
        self.send_header('Content-Type', ctype)
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        if self.command != 'HEAD':
            try:
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass
    def do_GET(self):
        if self.path == '/v2/':
            self.send(200, 'application/json', b'{}')
        elif self.path == '/v2/big/manifests/latest':
            self.send(200, 'application/vnd.oci.image.manifest.v1+json', body)
        else:
            self.send(404, 'application/json', b'{"errors": [{"code": "NAME_UNKNOWN"}]}')
    do_HEAD = do_GET

server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
with open(port_file + '.tmp', 'w') as f:
    f.write('%d\n' % server.server_address[1])
os.rename(port_file + '.tmp', port_file)
server.serve_forever()
)PY";

// A 5 MiB manifest is refused at the 4 MiB limit, and nothing is stored.
TEST_F(ImageRegistryTest, OversizedManifestIsRefused) {
  PyServer big;
  ASSERT_EQ(big.start(tmp_, "big_manifest", kBigManifestServer, {}), "");
  const std::string r = root("r");
  const std::string ref = "127.0.0.1:" + std::to_string(big.port()) + "/big:latest";
  auto pull = berth(r, {"pull", ref});
  EXPECT_EQ(pull.status, 1) << pull.out;
  EXPECT_EQ(str_lines(pull.err).size(), 1u) << pull.err;
  EXPECT_NE(pull.err.find(std::to_string(image::kMaxJsonBlobBytes)), std::string::npos)
      << pull.err;
  EXPECT_EQ(list_dir(r + "/content/blobs/sha256"), std::vector<std::string>{});
  EXPECT_EQ(committed_snapshots(r), std::vector<std::string>{});
  auto images = berth(r, {"images", "-q"});
  EXPECT_EQ(images.status, 0);
  EXPECT_EQ(images.out, "");
  // The server saw the manifest request (the refusal is berth's, not a 404).
  EXPECT_NE(big.log().find("GET /v2/big/manifests/latest HTTP/1.1\" 200"), std::string::npos)
      << big.log();
}

// SIGKILL in the middle of a 60 MB layer download: no blob, no snapshot; a second pull
// completes (resuming or not) and the blob is what its digest says.
TEST_F(ImageRegistryTest, PullKilledMidwayLeavesNothingAndRecovers) {
  Registry reg;
  ASSERT_EQ(start_registry(reg), "");
  const std::string r1 = root("r1");
  std::string l1 = make_dir("big", {});
  ASSERT_EQ(sh("head -c 60000000 /dev/urandom > " + l1 + "/random.bin").status, 0);
  const std::string name = reg.host() + "/crash/big:1";
  std::string id = make_image(r1, "", {l1}, {false}, name);
  ASSERT_FALSE(id.empty());
  auto layers = layer_digests(r1, name);
  ASSERT_EQ(layers.size(), 1u);
  auto push = berth(r1, {"push", name});
  ASSERT_EQ(push.status, 0) << push.out << push.err;

  // Kill once the ingest file passes 4 MB; a pull faster than our polling is retried in a
  // fresh root.
  std::string r2;
  bool killed = false;
  int64_t seen = 0;
  for (int attempt = 0; attempt < 5 && !killed; ++attempt) {
    r2 = root("r2-" + std::to_string(attempt));
    Daemon pull;
    ASSERT_TRUE(pull.start({berth_binary(), "--data-root", r2, "pull", name},
                           tmp_ + "/pull-" + std::to_string(attempt) + ".log",
                           {"DOCKER_CONFIG=" + docker_config_}));
    const std::string ingest = r2 + "/content/ingest";
    for (int64_t deadline = now_ms() + 60000; now_ms() < deadline && pull.running();) {
      std::error_code ec;
      for (auto it = stdfs::directory_iterator(ingest, ec);
           !ec && it != stdfs::directory_iterator(); it.increment(ec)) {
        auto sz = it->file_size(ec);
        if (!ec && sz > (4u << 20)) {
          kill(pull.pid(), SIGKILL);
          seen = static_cast<int64_t>(sz);
          killed = true;
          break;
        }
      }
      if (killed) break;
      usleep(500);
    }
    pull.stop();
    if (killed) {
      ASSERT_EQ(pull.status(), 128 + SIGKILL);
    }
  }
  ASSERT_TRUE(killed) << "every pull finished before its ingest file passed 4 MB";
  SCOPED_TRACE("killed with " + std::to_string(seen) + " bytes in ingest");

  EXPECT_FALSE(stdfs::exists(r2 + "/content/blobs/sha256/" + hex_of(layers[0])));
  EXPECT_EQ(committed_snapshots(r2), std::vector<std::string>{});
  EXPECT_EQ(berth(r2, {"image", "inspect", name}).status, 1);

  auto again = berth(r2, {"pull", name});
  ASSERT_EQ(again.status, 0) << again.out << again.err;
  Json j = inspect(r2, name);
  ASSERT_FALSE(j.is_null());
  EXPECT_EQ(j["Id"], id);
  const std::string blob = r2 + "/content/blobs/sha256/" + hex_of(layers[0]);
  EXPECT_EQ(sha256_file(blob), layers[0]);
  EXPECT_EQ(committed_snapshots(r2), std::vector<std::string>{hex_of(j["RootFS"]["Layers"][0].get<std::string>())});
  EXPECT_EQ(sha256_file(r2 + "/snapshots/" + hex_of(j["RootFS"]["Layers"][0].get<std::string>()) + "/fs/random.bin"),
            sha256_file(l1 + "/random.bin"));
  // The killed pull's half-unpacked temp dir was cleaned up by the second pull.
  EXPECT_EQ(sh("ls -A " + r2 + "/snapshots/tmp 2>/dev/null").out, "");
}

}  // namespace
}  // namespace berth::test
