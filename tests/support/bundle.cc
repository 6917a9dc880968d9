#include "support/bundle.h"

#include <fstream>

namespace berth::test {

std::string berth_binary() { return BERTH_BINARY; }
std::string probe_binary() { return BERTH_PROBE; }

Bundle::Bundle(std::vector<std::string> args) {
  dir_ = make_temp_dir("berth-bundle");
  const std::string rootfs = dir_ + "/rootfs";
  sh("mkdir -p " + rootfs + "/bin " + rootfs + "/etc " + rootfs + "/tmp && cp /bin/busybox " +
     rootfs + "/bin/ && "
     "for a in $(" + rootfs + "/bin/busybox --list | grep -vx busybox); do ln -s busybox " + rootfs +
     "/bin/$a; done; "
     "cp " + probe_binary() + " " + rootfs + "/bin/probe && chmod 1777 " + rootfs + "/tmp && "
     "printf 'root:x:0:0:root:/root:/bin/sh\\nnobody:x:65534:65534:nobody:/home/nobody:/bin/false\\n' > " +
     rootfs + "/etc/passwd");
  auto spec = run({berth_binary(), "runtime", "spec", "--bundle", dir_});
  std::ifstream in(dir_ + "/config.json");
  config_ = Json::parse(in);
  config_["process"]["terminal"] = false;
  config_["process"]["args"] = args;
  save();
}

Bundle::~Bundle() { sh("rm -rf " + dir_); }

void Bundle::save() const {
  std::ofstream out(dir_ + "/config.json");
  out << config_.dump(1);
}

Output berth_runtime(const std::string& root, const std::vector<std::string>& args,
                     const std::string& input) {
  std::vector<std::string> argv = {berth_binary(), "runtime", "--root", root};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv, input);
}

}  // namespace berth::test
