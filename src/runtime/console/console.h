// Terminals: a pty pair from the container's /dev/ptmx, and the console socket protocol that
// conmon and containerd use (runc docs/terminals.md: the master fd is sent over a unix socket
// with SCM_RIGHTS).
#pragma once

#include <string>
#include <string_view>

#include "common/error.h"
#include "common/unique_fd.h"

namespace berth::runtime::console {

struct Pty {
  UniqueFd master;
  UniqueFd slave;
  std::string slave_path;  // "/dev/pts/0"
};

// Opens /dev/ptmx of the current mount namespace; sets the window size when rows/cols > 0.
// Errors: kNotFound (no devpts), kInternal.
Result<Pty> open_pty(unsigned rows, unsigned cols);

// Makes `slave` the controlling terminal and stdin/stdout/stderr (setsid + TIOCSCTTY).
// Errors: kPermissionDenied, kInternal.
Result<void> make_controlling(int slave);

// Connects to the unix socket at `path`. Errors: kNotFound, kPermissionDenied.
Result<UniqueFd> connect_socket(const std::string& path);

// Sends `fd` over `sock` with SCM_RIGHTS; `name` travels as the message body.
// Errors: kInternal (the peer is gone).
Result<void> send_fd(int sock, int fd, std::string_view name);
// Receives one fd sent by send_fd. Errors: kDataLoss (no fd in the message).
Result<UniqueFd> recv_fd(int sock);

// Copies between our stdin/stdout and `master` until the master side closes (the container's
// last holder of the slave exits). Puts our terminal in raw mode meanwhile when stdin is a tty,
// and passes our window size on at start and on every SIGWINCH.
void proxy_terminal(int master);

}  // namespace berth::runtime::console
