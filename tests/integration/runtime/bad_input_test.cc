// Bad input gets one clear line naming the field, a non-zero exit, and nothing left behind
// (the fixture compares mounts, cgroups, state dirs and processes before and after).
#include <fstream>

#include "integration/runtime/fixture.h"

namespace berth::test {
namespace {

// The one line berth printed, without "berth: " and the newline.
std::string error_line(const Output& o) {
  EXPECT_NE(o.status, 0);
  EXPECT_EQ(std::count(o.err.begin(), o.err.end(), '\n'), 1) << o.err;
  EXPECT_EQ(o.err.rfind("berth: ", 0), 0u) << o.err;
  return o.err.size() > 8 ? o.err.substr(7, o.err.size() - 8) : o.err;
}

TEST_F(RuntimeTest, MalformedConfigJson) {
  Bundle b({"true"});
  std::ofstream(b.dir() + "/config.json") << "{\"ociVersion\": \"1.0.2\", \"root\": ";
  auto line = error_line(rt({"create", "--bundle", b.dir(), id("bad")}));
  EXPECT_EQ(line.rfind("config.json: invalid JSON", 0), 0u) << line;
}

TEST_F(RuntimeTest, MissingRootfs) {
  Bundle b({"true"});
  b.config()["root"]["path"] = "no-such-rootfs";
  b.save();
  auto line = error_line(rt({"run", "--bundle", b.dir(), id("bad")}));
  EXPECT_EQ(line, "root.path: rootfs \"" + b.dir() + "/no-such-rootfs\" does not exist or is "
                  "not a directory");
}

TEST_F(RuntimeTest, UnknownNamespaceType) {
  Bundle b({"true"});
  b.config()["linux"]["namespaces"].push_back({{"type", "galaxy"}});
  b.save();
  auto line = error_line(rt({"create", "--bundle", b.dir(), id("bad")}));
  EXPECT_EQ(line, "linux.namespaces[6].type: unknown namespace type \"galaxy\"");
}

TEST_F(RuntimeTest, BadUidMappingIsRejectedBeforeAnythingIsCreated) {
  Bundle b({"true"});
  b.config()["linux"]["namespaces"].push_back({{"type", "user"}});
  b.config()["linux"]["uidMappings"] = {
      {{"containerID", 0}, {"hostID", 4294967000u}, {"size", 65536}}};
  b.config()["linux"]["gidMappings"] = {{{"containerID", 0}, {"hostID", 100000}, {"size", 10}}};
  b.save();
  auto line = error_line(rt({"create", "--bundle", b.dir(), id("bad")}));
  EXPECT_EQ(line, "linux.uidMappings[0]: mapping overflows the 32-bit id range");
}

TEST_F(RuntimeTest, OverlappingUidMappingsRejectedByTheKernel) {
  Bundle b({"true"});
  b.config()["linux"]["namespaces"].push_back({{"type", "user"}});
  b.config()["linux"]["uidMappings"] = {{{"containerID", 0}, {"hostID", 100000}, {"size", 100}},
                                       {{"containerID", 50}, {"hostID", 300000}, {"size", 100}}};
  b.config()["linux"]["gidMappings"] = {{{"containerID", 0}, {"hostID", 100000}, {"size", 100}}};
  b.save();
  auto line = error_line(rt({"create", "--bundle", b.dir(), id("bad")}));
  EXPECT_EQ(line.rfind("linux.uidMappings: the kernel rejected the mapping", 0), 0u) << line;
}

TEST_F(RuntimeTest, ExistingContainerIdIsRefusedAndTheFirstIsUntouched) {
  Bundle b({"sleep", marker_});
  const std::string c = id("dup");
  ASSERT_EQ(rt({"create", "--bundle", b.dir(), c}).status, 0);
  auto line = error_line(rt({"create", "--bundle", b.dir(), c}));
  EXPECT_EQ(line, "container with id exists: " + c);
  auto st = rt({"state", c});
  EXPECT_NE(st.out.find("\"status\": \"created\""), std::string::npos) << st.out;
  ASSERT_EQ(rt({"delete", c}).status, 0);
}

TEST_F(RuntimeTest, MissingExecutableFailsCreate) {
  Bundle b({"no-such-program"});
  auto line = error_line(rt({"create", "--bundle", b.dir(), id("bad")}));
  EXPECT_EQ(line, "exec: \"no-such-program\": executable file not found in $PATH");
}

TEST_F(RuntimeTest, BindMountOfMissingSourceNamesTheDestination) {
  Bundle b({"true"});
  b.config()["mounts"].push_back(
      {{"destination", "/data"}, {"type", "bind"}, {"source", "/no/such/dir"},
       {"options", {"rbind"}}});
  b.save();
  auto line = error_line(rt({"run", "--bundle", b.dir(), id("bad")}));
  EXPECT_EQ(line, "mount `/data`: source `/no/such/dir`: No such file or directory");
}

TEST_F(RuntimeTest, ImpossibleCgroupValueFailsCleanly) {
  Bundle b({"true"});
  b.config()["linux"]["resources"]["cpu"] = {{"cpus", "999"}};
  b.save();
  auto line = error_line(rt({"run", "--bundle", b.dir(), id("bad")}));
  EXPECT_EQ(line.rfind("linux.resources: write `999` to", 0), 0u) << line;
}

TEST_F(RuntimeTest, InvalidIdAndUnknownContainer) {
  Bundle b({"true"});
  auto bad_id = error_line(rt({"create", "--bundle", b.dir(), "a/b"}));
  EXPECT_EQ(bad_id, "invalid container id `a/b`: only [A-Za-z0-9_+.-] allowed");
  EXPECT_EQ(error_line(rt({"kill", "ghost"})), "container does not exist: ghost");
  EXPECT_EQ(error_line(rt({"delete", "ghost"})), "container does not exist: ghost");
}

}  // namespace
}  // namespace berth::test
