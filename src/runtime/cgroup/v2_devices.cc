// cgroup v2 device access control: a BPF_PROG_TYPE_CGROUP_DEVICE program built from the spec's
// rules and attached to the cgroup dir (kernel Documentation/bpf/prog_cgroup_device, runc's
// libcontainer/cgroups/devices/devicefilter.go). The last matching rule decides, as in v1.
#include <fcntl.h>
#include <linux/bpf.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "common/unique_fd.h"
#include "runtime/cgroup/manager.h"

namespace berth::runtime::cgroup::internal {
namespace {

bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
  bpf_insn i{};
  i.code = code;
  i.dst_reg = dst & 0xf;
  i.src_reg = src & 0xf;
  i.off = off;
  i.imm = imm;
  return i;
}

int bpf(int cmd, bpf_attr* attr) {
  return static_cast<int>(::syscall(SYS_bpf, cmd, attr, sizeof(*attr)));
}

}  // namespace

Result<void> apply_v2_devices(const std::string& dir, const std::vector<spec::DeviceRule>& rules) {
  // r2 = device type, r3 = requested access, r4 = major, r5 = minor (struct bpf_cgroup_dev_ctx).
  std::vector<bpf_insn> prog = {
      insn(BPF_LDX | BPF_W | BPF_MEM, 2, 1, 0, 0),
      insn(BPF_ALU | BPF_AND | BPF_K, 2, 0, 0, 0xFFFF),
      insn(BPF_LDX | BPF_W | BPF_MEM, 3, 1, 0, 0),
      insn(BPF_ALU | BPF_RSH | BPF_K, 3, 0, 0, 16),
      insn(BPF_LDX | BPF_W | BPF_MEM, 4, 1, 4, 0),
      insn(BPF_LDX | BPF_W | BPF_MEM, 5, 1, 8, 0),
  };
  bool covered = false;  // a rule matched every access: nothing after it can run
  for (auto it = rules.rbegin(); it != rules.rend() && !covered; ++it) {
    const auto& r = *it;
    std::vector<bpf_insn> block;  // jump offsets are patched to "skip to the next block"
    std::vector<size_t> jumps;
    if (r.type != 'a') {
      jumps.push_back(block.size());
      block.push_back(insn(BPF_JMP | BPF_JNE | BPF_K, 2, 0, 0,
                           r.type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR));
    }
    int access = 0;
    for (char c : r.access) {
      access |= c == 'r' ? BPF_DEVCG_ACC_READ : c == 'w' ? BPF_DEVCG_ACC_WRITE : BPF_DEVCG_ACC_MKNOD;
    }
    if (access != (BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD)) {
      // Matches only when every requested access bit is in the rule.
      block.push_back(insn(BPF_ALU | BPF_MOV | BPF_X, 1, 3, 0, 0));
      block.push_back(insn(BPF_ALU | BPF_AND | BPF_K, 1, 0, 0, ~access));
      jumps.push_back(block.size());
      block.push_back(insn(BPF_JMP | BPF_JNE | BPF_K, 1, 0, 0, 0));
    }
    if (r.major) {
      jumps.push_back(block.size());
      block.push_back(insn(BPF_JMP | BPF_JNE | BPF_K, 4, 0, 0, static_cast<int32_t>(*r.major)));
    }
    if (r.minor) {
      jumps.push_back(block.size());
      block.push_back(insn(BPF_JMP | BPF_JNE | BPF_K, 5, 0, 0, static_cast<int32_t>(*r.minor)));
    }
    block.push_back(insn(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, r.allow ? 1 : 0));
    block.push_back(insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
    for (size_t j : jumps) {
      block[j].off = static_cast<int16_t>(block.size() - j - 1);
    }
    prog.insert(prog.end(), block.begin(), block.end());
    // Earlier rules are then unreachable, and the verifier refuses unreachable code.
    covered = jumps.empty();
  }
  if (!covered) {
    prog.push_back(insn(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0));  // no rule matched: deny
    prog.push_back(insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
  }

  static char license[] = "GPL";
  bpf_attr load{};
  load.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  load.insns = reinterpret_cast<uint64_t>(prog.data());
  load.insn_cnt = static_cast<uint32_t>(prog.size());
  load.license = reinterpret_cast<uint64_t>(license);
  char log[4096] = {};
  load.log_buf = reinterpret_cast<uint64_t>(log);
  load.log_size = sizeof log;
  load.log_level = 1;
  UniqueFd prog_fd(bpf(BPF_PROG_LOAD, &load));
  if (!prog_fd) {
    int err = errno;
    std::string why(log);
    while (!why.empty() && why.back() == '\n') {
      why.pop_back();
    }
    if (auto nl = why.rfind('\n'); nl != std::string::npos) {
      why = why.substr(nl + 1);  // the verifier's last line says what it refused
    }
    return sys_error(err, "load cgroup v2 device filter" + (why.empty() ? "" : " (" + why + ")"));
  }
  UniqueFd cg(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!cg) {
    return sys_error(errno, "open cgroup `" + dir + "`");
  }
  bpf_attr attach{};
  attach.target_fd = static_cast<uint32_t>(cg.get());
  attach.attach_bpf_fd = static_cast<uint32_t>(prog_fd.get());
  attach.attach_type = BPF_CGROUP_DEVICE;
  attach.attach_flags = BPF_F_ALLOW_MULTI;
  if (bpf(BPF_PROG_ATTACH, &attach) < 0) {
    return sys_error(errno, "attach device filter to cgroup `" + dir + "`");
  }
  return {};
}

}  // namespace berth::runtime::cgroup::internal
