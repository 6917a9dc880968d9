// docker's image bookkeeping through `berth`: import, tag, rmi (untag vs delete, conflicts),
// prune and garbage collection of blobs and snapshots, inspect and images filters. Each test
// has its own data root.
#include <gtest/gtest.h>
#include <unistd.h>

#include "common/json.h"
#include "support/bundle.h"
#include "support/process.h"

namespace berth::test {
namespace {

class ImageServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root (layers keep their owners)";
    dir_ = make_temp_dir("berth-images");
    ASSERT_EQ(sh("mkdir -p " + dir_ + "/rootfs/bin " + dir_ + "/rootfs2 && cp /bin/busybox " +
                 dir_ + "/rootfs/bin/ && echo one > " + dir_ + "/rootfs2/one && tar -C " + dir_ +
                 "/rootfs -cf " + dir_ + "/a.tar . && tar -C " + dir_ + "/rootfs2 -czf " + dir_ +
                 "/b.tgz .")
                  .status,
              0);
  }
  void TearDown() override {
    if (!dir_.empty()) sh("rm -rf " + dir_);
  }
  Output berth(const std::string& args, const std::string& input = "") {
    return run({"sh", "-c", berth_binary() + " --data-root " + dir_ + "/root " + args}, input);
  }
  std::string import(const std::string& file, const std::string& name) {
    auto o = berth("import " + dir_ + "/" + file + " " + name);
    EXPECT_EQ(o.status, 0) << o.err;
    return o.out.substr(0, o.out.size() - 1);
  }
  size_t count(const std::string& sub) {
    return str_lines(sh("ls " + dir_ + "/root/" + sub + " 2>/dev/null | grep -E '^[0-9a-f]{64}$'").out)
        .size();
  }
  std::string dir_;
};

TEST_F(ImageServiceTest, ImportWithChangesAndInspect) {
  auto o = berth("import -c 'CMD [\"sh\"]' -c 'ENV A=1' -c 'EXPOSE 80' -m hello " + dir_ +
                 "/b.tgz app:1");
  ASSERT_EQ(o.status, 0) << o.err;
  auto j = parse_json(berth("image inspect app:1").out, "inspect");
  ASSERT_TRUE(j) << j.error().message;
  auto& img = (*j)[0];
  EXPECT_EQ(img["Id"].get<std::string>() + "\n", o.out);
  EXPECT_EQ(img["RepoTags"], Json::array({"app:1"}));
  EXPECT_EQ(img["Config"]["Cmd"], Json::array({"sh"}));
  EXPECT_EQ(img["Config"]["Env"], Json::array({"A=1"}));
  EXPECT_TRUE(img["Config"]["ExposedPorts"].contains("80/tcp"));
  EXPECT_EQ(img["Comment"], "hello");
  // The layer is stored uncompressed, so its digest is the diff_id docker would compute.
  EXPECT_EQ(img["RootFS"]["Layers"][0].get<std::string>(),
            "sha256:" + sh("gzip -dc " + dir_ + "/b.tgz | sha256sum | cut -c1-64").out.substr(0, 64));
  EXPECT_EQ(berth("history -q app:1").out, o.out.substr(7, 12) + "\n");
}

TEST_F(ImageServiceTest, RmiUntagsUntilTheLastNameThenDeletesAndCollects) {
  std::string id = import("a.tar", "one:1");
  ASSERT_EQ(berth("tag one:1 one:2").status, 0);
  EXPECT_EQ(count("content/blobs/sha256"), 3u);  // layer, config, manifest
  EXPECT_EQ(count("snapshots"), 1u);
  auto first = berth("rmi one:2");
  EXPECT_EQ(first.out, "Untagged: one:2\n");
  EXPECT_EQ(berth("image inspect --format '{{.Id}}' one:1").out, id + "\n");
  auto last = berth("rmi one:1");
  EXPECT_EQ(last.out, "Untagged: one:1\nDeleted: " + id + "\n");
  EXPECT_EQ(count("content/blobs/sha256"), 0u);
  EXPECT_EQ(count("snapshots"), 0u);
  auto gone = berth("rmi one:1");
  EXPECT_EQ(gone.status, 1);
  EXPECT_EQ(gone.err, "Error response from daemon: No such image: one:1\n");
}

TEST_F(ImageServiceTest, RmiByIdNeedsForceWhenSeveralRepositoriesNameIt) {
  std::string id = import("a.tar", "one:1");
  ASSERT_EQ(berth("tag one:1 other:1").status, 0);
  auto refused = berth("rmi " + id.substr(7, 12));
  EXPECT_EQ(refused.status, 1);
  EXPECT_NE(refused.err.find("must be forced) - image is referenced in multiple repositories"),
            std::string::npos)
      << refused.err;
  EXPECT_EQ(berth("images -q").out, id.substr(7, 12) + "\n");  // nothing changed
  auto forced = berth("rmi -f " + id.substr(7, 12));
  EXPECT_EQ(forced.status, 0) << forced.err;
  EXPECT_EQ(forced.out, "Untagged: one:1\nUntagged: other:1\nDeleted: " + id + "\n");
}

TEST_F(ImageServiceTest, SharedLayersSurviveTheOtherImagesRemoval) {
  std::string a = import("a.tar", "a:1");
  std::string b = import("a.tar", "b:1");  // same layer, another config (created differs)
  EXPECT_EQ(count("snapshots"), 1u);
  ASSERT_EQ(berth("rmi a:1").status, 0);
  EXPECT_EQ(count("snapshots"), 1u);
  EXPECT_EQ(berth("image inspect --format '{{.Id}}' b:1").out, b + "\n");
}

TEST_F(ImageServiceTest, DanglingImagesAreListedFilteredAndPruned) {
  std::string old_id = import("a.tar", "app:1");
  std::string new_id = import("b.tgz", "app:1");  // takes the name: the first is dangling
  EXPECT_EQ(berth("images -q -f dangling=true").out, old_id.substr(7, 12) + "\n");
  EXPECT_EQ(berth("images -q -f dangling=false").out, new_id.substr(7, 12) + "\n");
  EXPECT_EQ(berth("images --format '{{.Repository}}:{{.Tag}}' -f reference='ap*'").out,
            "app:1\n");
  EXPECT_EQ(berth("images -f bogus=1").status, 1);
  auto pruned = berth("image prune -f");
  EXPECT_EQ(pruned.status, 0) << pruned.err;
  EXPECT_NE(pruned.out.find("deleted: " + old_id), std::string::npos) << pruned.out;
  EXPECT_EQ(berth("images -q").out, new_id.substr(7, 12) + "\n");
  EXPECT_EQ(count("snapshots"), 1u);
}

TEST_F(ImageServiceTest, BadInputIsOneLineAndChangesNothing) {
  import("a.tar", "keep:1");
  std::string before = sh("cd " + dir_ + "/root && find content snapshots | sort").out;
  auto bad_ref = berth("tag keep:1 'UPPER:case'");
  EXPECT_EQ(bad_ref.status, 1);
  EXPECT_EQ(str_lines(bad_ref.err).size(), 1u) << bad_ref.err;
  auto bad_change = berth("import -c 'RUN true' " + dir_ + "/a.tar x:1");
  EXPECT_EQ(bad_change.err, "Error: RUN is not a valid change command\n");
  auto not_tar = berth("import /etc/hostname x:1");
  EXPECT_EQ(not_tar.status, 1);
  EXPECT_EQ(str_lines(not_tar.err).size(), 1u) << not_tar.err;
  auto bad_load = berth("load -i /etc/hostname");
  EXPECT_EQ(bad_load.status, 1);
  EXPECT_EQ(berth("images -q").out.size(), 13u);
  // A failed import leaves no blob or snapshot behind.
  EXPECT_EQ(sh("cd " + dir_ + "/root && find content snapshots | sort | grep -v -e ingest -e tmp").out,
            sh("cd " + dir_ + "/root && find content snapshots | sort | grep -v -e ingest -e tmp <<'EOF'\n" + before + "EOF").out);
}

}  // namespace
}  // namespace berth::test
