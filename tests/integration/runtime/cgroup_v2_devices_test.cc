// The cgroup v2 device filter (a BPF program) really allows and denies device access. Runs on
// any host with a cgroup2 hierarchy, hybrid ones included (device control on v2 needs no
// controller).
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/fs.h"
#include "integration/runtime/fixture.h"
#include "runtime/cgroup/manager.h"

namespace berth::test {
namespace {

TEST_F(RuntimeTest, V2DeviceFilterAllowsOnlyTheRuledDevices) {
  auto layout = runtime::cgroup::detect_layout();
  ASSERT_TRUE(layout);
  if (layout->unified.empty()) {
    GTEST_SKIP() << "no cgroup2 hierarchy on this host";
  }
  const std::string dir = layout->unified + "/berth-devtest" + id("");
  ASSERT_TRUE(fs::mkdir_all(dir));
  struct RemoveDir {
    std::string dir;
    ~RemoveDir() { rmdir(dir.c_str()); }  // on every path out of the test
  } remove_dir{dir};
  std::vector<runtime::spec::DeviceRule> rules(2);
  rules[0].allow = false;  // deny everything ...
  rules[1].allow = true;   // ... but reading and writing /dev/null
  rules[1].type = 'c';
  rules[1].major = 1;
  rules[1].minor = 3;
  rules[1].access = "rw";
  auto applied = runtime::cgroup::internal::apply_v2_devices(dir, rules);
  ASSERT_TRUE(applied) << applied.error().message;

  pid_t pid = fork();
  if (pid == 0) {
    if (!fs::write_control(dir + "/cgroup.procs", "0")) {
      _exit(10);
    }
    int null_fd = open("/dev/null", O_WRONLY);
    int zero_fd = open("/dev/zero", O_RDONLY);
    int zero_errno = errno;
    _exit(null_fd >= 0 && zero_fd < 0 && zero_errno == EPERM ? 0 : 11);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "10: could not join; 11: filter did not act as ruled";
}

}  // namespace
}  // namespace berth::test
