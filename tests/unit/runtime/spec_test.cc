#include "runtime/spec/spec.h"

#include <gtest/gtest.h>
#include <linux/capability.h>
#include <sys/resource.h>

#include "common/fs.h"
#include "support/process.h"

namespace berth::runtime::spec {
namespace {

Json minimal() {
  return Json::parse(R"({
    "ociVersion": "1.0.2",
    "root": {"path": "rootfs"},
    "process": {"args": ["sh"], "cwd": "/", "user": {"uid": 1000, "gid": 1000,
                "additionalGids": [10, 20]},
                "capabilities": {"bounding": ["CAP_CHOWN", "CAP_KILL"]},
                "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1048576, "soft": 1024}]},
    "hostname": "box",
    "linux": {"namespaces": [{"type": "pid"}, {"type": "uts"}, {"type": "mount"}],
              "resources": {"memory": {"limit": 67108864}, "cpu": {"quota": 50000, "period": 100000},
                            "pids": {"limit": 64},
                            "devices": [{"allow": false, "access": "rwm"},
                                        {"allow": true, "type": "c", "major": 1, "minor": 3}]}}
  })");
}

TEST(ParseSpec, ReadsTheFieldsBelowTheEdge) {
  auto s = parse_spec(minimal(), "/bundle");
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->root_path, "/bundle/rootfs");
  EXPECT_EQ(s->process->user.uid, 1000u);
  EXPECT_EQ(s->process->user.additional_gids, (std::vector<uint32_t>{10, 20}));
  EXPECT_EQ(s->process->capabilities->bounding, (std::vector<int>{CAP_CHOWN, CAP_KILL}));
  ASSERT_EQ(s->process->rlimits.size(), 1u);
  EXPECT_EQ(s->process->rlimits[0].type, RLIMIT_NOFILE);
  EXPECT_EQ(s->process->rlimits[0].hard, 1048576u);
  EXPECT_EQ(s->linux.resources->memory->limit_bytes, 67108864);
  EXPECT_EQ(s->linux.resources->cpu->quota_us, 50000);
  EXPECT_EQ(s->linux.resources->pids_limit, 64);
  ASSERT_EQ(s->linux.resources->devices.size(), 2u);
  EXPECT_EQ(s->linux.resources->devices[0].type, 'a');
  EXPECT_FALSE(s->linux.resources->devices[0].major);
  EXPECT_EQ(s->linux.resources->devices[1].minor, 3);
  EXPECT_NE(s->linux.find_namespace(NamespaceType::kUts), nullptr);
  EXPECT_EQ(s->linux.find_namespace(NamespaceType::kNetwork), nullptr);
}

// Each bad config yields one error that names the offending field.
TEST(ParseSpec, ErrorsNameTheField) {
  struct Case {
    const char* name;
    const char* pointer;  // JSON pointer to change
    Json value;
    const char* want;     // prefix of the message
  } cases[] = {
      {"unknown namespace", "/linux/namespaces/1/type", "foo",
       "linux.namespaces[1].type: unknown namespace type \"foo\""},
      {"wrong type", "/process/args", "sh", "process.args: expected an array"},
      {"bad capability", "/process/capabilities/bounding/0", "CAP_FLY",
       "process.capabilities.bounding[0]: unknown capability"},
      {"soft above hard", "/process/rlimits/0/soft", 2000000, "process.rlimits[0]: soft limit"},
      {"relative cwd", "/process/cwd", "tmp", "process.cwd: must be an absolute path"},
      {"bad version", "/ociVersion", "2.0.0", "ociVersion: unsupported version"},
      {"tiny memory", "/linux/resources/memory/limit", 4096,
       "linux.resources.memory.limit: minimum memory limit"},
      {"bad device rule", "/linux/resources/devices/1/type", "x",
       "linux.resources.devices[1].type"},
      {"negative uid", "/process/user/uid", -1, "process.user.uid: value -1 must not be negative"},
      {"bad rlimit", "/process/rlimits/0/type", "RLIMIT_FOO",
       "process.rlimits[0].type: unknown rlimit"},
      {"env without =", "/process/env", Json::array({"PATH=/bin", "NOEQUALS"}),
       "process.env[1]: expected KEY=value, got \"NOEQUALS\""},
      {"env with empty key", "/process/env", Json::array({"=x"}), "process.env[0]: expected"},
      {"umask too big", "/process/user/umask", 99999, "process.user.umask: must be between"},
      {"NUL in args", "/process/args", Json::array({std::string("echo\0x", 6)}),
       "process.args[0]: contains a NUL byte"},
      {"duplicate rlimit", "/process/rlimits",
       Json::array({{{"type", "RLIMIT_NOFILE"}, {"hard", 10}, {"soft", 10}},
                    {{"type", "RLIMIT_NOFILE"}, {"hard", 20}, {"soft", 20}}}),
       "process.rlimits[1].type: duplicate rlimit \"RLIMIT_NOFILE\""},
      {"relative masked path", "/linux/maskedPaths", Json::array({"proc/kcore"}),
       "linux.maskedPaths[0]: must be an absolute path"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    Json j = minimal();
    j[Json::json_pointer(c.pointer)] = c.value;
    auto s = parse_spec(j, "/bundle");
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().code, Errc::kInvalidArgument);
    EXPECT_EQ(s.error().message.rfind(c.want, 0), 0u) << s.error().message;
  }
}

// What would change the host is refused when the config is checked against it.
TEST(CheckAgainstHost, RefusesWhatWouldChangeTheHost) {
  struct Case {
    const char* name;
    const char* pointer;
    Json value;
    const char* want;
  } cases[] = {
      {"host sysctl", "/linux/sysctl", Json{{"vm.stat_interval", "7"}},
       "linux.sysctl.vm.stat_interval: is not namespaced: it would change the host"},
      {"net sysctl without netns", "/linux/sysctl", Json{{"net.ipv4.ip_forward", "1"}},
       "linux.sysctl.net.ipv4.ip_forward: needs a network namespace of the container's own"},
      {"domainname without uts", "/linux/namespaces", Json::array({{{"type", "mount"}}}),
       "hostname: needs a uts namespace"},
      {"missing ns path", "/linux/namespaces/0/path", "/no/such/ns",
       "linux.namespaces[0].path: namespace path \"/no/such/ns\" does not exist"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    Json j = minimal();
    j[Json::json_pointer(c.pointer)] = c.value;
    auto s = parse_spec(j, "/bundle");
    ASSERT_TRUE(s) << s.error().message;
    auto r = check_against_host(*s);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message.rfind(c.want, 0), 0u) << r.error().message;
  }
}

TEST(ParseSpec, UserNamespaceNeedsMappingsThatFit) {
  Json j = minimal();
  j["linux"]["namespaces"].push_back({{"type", "user"}});
  auto missing = parse_spec(j, "/b");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("uidMappings"), std::string::npos);

  j["linux"]["uidMappings"] = {{{"containerID", 0}, {"hostID", 100000}, {"size", 0}}};
  j["linux"]["gidMappings"] = {{{"containerID", 0}, {"hostID", 100000}, {"size", 65536}}};
  auto zero = parse_spec(j, "/b");
  ASSERT_FALSE(zero);
  EXPECT_EQ(zero.error().message, "linux.uidMappings[0].size: must be greater than zero");

  j["linux"]["uidMappings"][0]["size"] = 65536;
  EXPECT_TRUE(parse_spec(j, "/b"));
}

TEST(ParseSpec, UnsupportedFieldsAreWarnedAboutNotDropped) {
  Json j = minimal();
  j["linux"]["personality"] = {{"domain", "LINUX"}};
  j["linux"]["resources"]["hugepageLimits"] = Json::array();
  auto s = parse_spec(j, "/b");
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->warnings, (std::vector<std::string>{
                             "linux.personality is not supported by berth; ignored",
                             "linux.resources.hugepageLimits is not supported by berth; ignored"}));
}

TEST(CheckAgainstHost, SysctlInTheHostsNetworkNamespaceJoinedByPathIsRefused) {
  Json j = minimal();
  j["linux"]["namespaces"].push_back({{"type", "network"}, {"path", "/proc/self/ns/net"}});
  j["linux"]["sysctl"] = {{"net.ipv4.ip_forward", "1"}};
  auto s = parse_spec(j, "/b");
  ASSERT_TRUE(s);
  auto r = check_against_host(*s);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("needs a network namespace"), std::string::npos);
}

TEST(ParseSpec, NamespacedSysctlsAreAccepted) {
  Json j = minimal();
  j["linux"]["namespaces"].push_back({{"type", "network"}});
  j["linux"]["namespaces"].push_back({{"type", "ipc"}});
  j["linux"]["sysctl"] = {{"net.ipv4.ip_forward", "1"}, {"kernel.shmmax", "1000000"},
                          {"fs.mqueue.msg_max", "20"}, {"kernel.domainname", "x"}};
  auto s = parse_spec(j, "/b");
  ASSERT_TRUE(s);
  EXPECT_TRUE(check_against_host(*s));
}

TEST(ParseSpec, MountNamespaceIsRequired) {
  Json j = minimal();
  j["linux"]["namespaces"] = {{{"type", "pid"}}};
  auto s = parse_spec(j, "/b");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().message, "linux.namespaces: a mount namespace is required");
}

TEST(ParseSpec, DuplicateNamespaceIsRejected) {
  Json j = minimal();
  j["linux"]["namespaces"].push_back({{"type", "pid"}});
  auto s = parse_spec(j, "/b");
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("duplicate namespace \"pid\""), std::string::npos);
}

TEST(LoadBundle, MalformedJsonAndMissingRootfsAreClearErrors) {
  std::string dir = test::make_temp_dir("berth-spec");
  ASSERT_TRUE(fs::atomic_write(dir + "/config.json", "{\"ociVersion\": "));
  auto bad = load_bundle(dir);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message.rfind("config.json: invalid JSON", 0), 0u) << bad.error().message;

  ASSERT_TRUE(fs::atomic_write(dir + "/config.json", minimal().dump()));
  auto no_rootfs = load_bundle(dir);
  ASSERT_FALSE(no_rootfs);
  EXPECT_EQ(no_rootfs.error().code, Errc::kNotFound);
  EXPECT_EQ(no_rootfs.error().message.rfind("root.path: rootfs", 0), 0u);

  auto no_config = load_bundle(dir + "/nowhere");
  ASSERT_FALSE(no_config);
  EXPECT_EQ(no_config.error().code, Errc::kNotFound);
  (void)fs::remove_all(dir);
}

TEST(ParseProcess, ExecProcessNeedsArgs) {
  auto p = parse_process(Json::parse(R"({"cwd": "/", "args": []})"), "process");
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().message, "process.args: must name at least the program to run");
}

}  // namespace
}  // namespace berth::runtime::spec
