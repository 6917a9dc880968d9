// The short syntaxes of compose attributes and the value formats compose borrows from Go and
// docker: each parser returns what the long syntax would hold.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "compose/types.h"

namespace berth::compose {

// A ports entry in short syntax, "[[HOST_IP:]HOST_PORT[-END]:]CONTAINER_PORT[-END][/PROTOCOL]"
// (05-services.md "ports"; docker/go-connections nat.ParsePortSpec as compose-go uses it):
//   "80"                    {target 80}
//   "8080:80"               {target 80, published "8080"}
//   "127.0.0.1:8080:80/udp" {target 80, published "8080", host_ip "127.0.0.1", protocol "udp"}
//   "[::1]:8080:80"         host_ip "::1"
//   "3000-3005"             six entries, targets 3000..3005, published ""
//   "9090-9091:8080-8081"   two entries: 9090->8080, 9091->8081
//   "8000-8005:80"          one entry, published "8000-8005" (a host range for one port)
// Protocols: tcp, udp, sctp (lower-cased). Errors (kInvalidArgument), the reason alone:
// "invalid IP address: x", "no port specified: x<empty>", "invalid containerPort: x",
// "invalid hostPort: x", "invalid proto: x", "invalid ranges specified for container and host
// Ports: a and b".
Result<std::vector<PortConfig>> parse_port(std::string_view spec);

// A volumes entry in short syntax, "[SOURCE:]TARGET[:OPTIONS]" (05-services.md "volumes";
// compose-go format/volume.go ParseVolume): a SOURCE starting with '.', '/' or '~' is a bind
// mount (create_host_path true; the caller makes it absolute), any other SOURCE a named
// volume, no SOURCE an anonymous volume. OPTIONS, comma-separated: ro, rw, nocopy, z, Z, and
// the propagations (rprivate, private, rshared, shared, rslave, slave); others are ignored,
// as compose ignores them. The target is cleaned. Errors (kInvalidArgument): "invalid empty
// volume spec", "invalid spec: <spec>: empty section between colons", "invalid spec: <spec>:
// too many colons".
Result<VolumeMount> parse_volume(std::string_view spec);

// A command or entrypoint string split into argv as compose-go does it (mattn/go-shellwords
// Parse): blanks separate words; '...' is literal; "..." keeps blanks and takes \x as x; \x
// outside quotes is x; no variable or command expansion. As go-shellwords, an unquoted ; & |
// < or > ends the command: "echo a && echo b" is {"echo", "a"} (use a list, or sh -c '...').
// Errors (kInvalidArgument): "invalid command line string" for an unclosed quote or a trailing
// backslash.
Result<std::vector<std::string>> split_command(std::string_view command);

// A duration as compose reads one (xhit/go-str2duration: Go's time.ParseDuration plus "d" and
// "w"): "1m30s", "1.5h", "300ms", "2d"; a sign is allowed. Nanoseconds. Errors
// (kInvalidArgument): "invalid duration \"x\"".
Result<int64_t> parse_duration(std::string_view s);

// Go's time.Duration.String(): 90e9 -> "1m30s", 1.5e9 -> "1.5s", 3e8 -> "300ms", 0 -> "0s",
// 3600e9 -> "1h0m0s".
std::string format_duration(int64_t ns);

// A size as docker's units.RAMInBytes: "512", "64m", "1.5g", "10kb", "2GiB" (1024-based,
// case-insensitive). Errors (kInvalidArgument): "invalid size: \"x\"".
Result<int64_t> parse_bytes(std::string_view s);

}  // namespace berth::compose
