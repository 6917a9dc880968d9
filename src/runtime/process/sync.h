// The parent/child sync channel between the runtime and the container init it clones: a
// SOCK_SEQPACKET socketpair carrying small typed messages (runc's sync pipe, crun's sync
// socket). An init failure travels back as {errno, one-line message} before the init _exits.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include "common/error.h"
#include "common/unique_fd.h"

namespace berth::runtime::process {

enum class SyncType : uint32_t {
  kGo = 1,           // parent -> child: ids mapped, cgroup joined; carries the state JSON
  kHooks = 2,        // child -> parent: mounts done, run prestart/createRuntime hooks
  kHooksDone = 3,    // parent -> child
  kWarning = 4,      // child -> parent: text to log
  kReady = 5,        // child -> parent: waiting for start; pid = child's host pid
  kError = 6,        // child -> parent: err = errno, text = message
  kStart = 7,        // parent -> child (run): exec now
  kPty = 8,          // child -> parent: a pty master follows as an fd
  kCommitted = 9,    // create: parent -> child "state saved", child -> parent "outliving you"
};

struct SyncMessage {
  SyncType type{};
  int32_t err = 0;
  int32_t pid = 0;
  std::string text;
};

struct SyncPair {
  UniqueFd parent, child;
};
// Errors: kResourceExhausted (out of fds).
Result<SyncPair> make_sync_pair();

// One message; `text` up to 1 MiB. Errors: kInternal (the peer is gone: EPIPE/ECONNRESET).
Result<void> sync_send(int fd, SyncType type, std::string_view text = {}, int32_t err = 0,
                       int32_t pid = 0);
// Errors: kUnavailable when the other side closed (the init died).
Result<SyncMessage> sync_recv(int fd);

// In the child: report `e` to the parent and _exit(1). Never returns.
[[noreturn]] void child_fail(int fd, const Error& e);

}  // namespace berth::runtime::process
