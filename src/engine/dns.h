// The embedded DNS server of user-defined networks, as docker's (moby libnetwork/resolver.go):
// inside each such container it answers at 127.0.0.11:53 (UDP) with the addresses of the
// containers on its networks, by name, network alias or short id, and forwards every other
// query from the host's network namespace to the upstream servers (the container's --dns, else
// the host's /etc/resolv.conf). One thread serves every container: its sockets are made inside
// each container's network namespace and stay bound there.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/error.h"
#include "common/unique_fd.h"

namespace berth::engine {

// One question of a DNS query (RFC 1035 4.1.2).
struct DnsQuestion {
  uint16_t id = 0;
  std::string name;  // lower case, no trailing dot
  uint16_t type = 0;  // 1 = A, 28 = AAAA
  uint16_t qclass = 0;
  size_t end = 0;     // offset after the question in the packet
};

// The query in `packet`, if it is a standard query with exactly one question.
std::optional<DnsQuestion> parse_dns_query(std::string_view packet);
// A response to `packet` (whose question is `q`) with one A record per address in `ipv4`
// (dotted quads, TTL 600 s), or with no record: NOERROR when `known`, else NXDOMAIN.
std::string dns_answer(std::string_view packet, const DnsQuestion& q,
                       const std::vector<std::string>& ipv4, bool known);

class DnsServer {
 public:
  // Addresses of `name` as container `container_id` sees it; nullopt = not a name of ours.
  using Lookup = std::function<std::optional<std::vector<std::string>>(
      const std::string& container_id, const std::string& name)>;

  explicit DnsServer(Lookup lookup);
  ~DnsServer();

  // Starts answering inside the network namespace at `netns` for container `id`, forwarding to
  // `upstream` (IPv4 addresses, port 53). Idempotent. Errors: the kernel's (setns, bind).
  Result<void> serve(const std::string& id, const std::string& netns,
                     std::vector<std::string> upstream);
  // Stops answering for `id`. Idempotent.
  void stop(const std::string& id);

 private:
  struct Client {
    std::string id;
    UniqueFd sock;
    std::vector<std::string> upstream;
  };
  struct Forward {
    int client_fd;
    std::string client_id;
    std::string peer;  // the asker's sockaddr_in, raw
    int64_t deadline_ms;
  };
  void run();
  void on_query(int fd);
  void on_reply(int fd);
  Lookup lookup_;
  UniqueFd epoll_, wake_;
  std::mutex mu_;
  std::map<int, Client> clients_;    // by socket
  std::map<int, Forward> forwards_;  // upstream sockets awaiting a reply
  bool stopping_ = false;
  std::thread thread_;
};

// The nameservers of a resolv.conf text (IPv4 only, in order).
std::vector<std::string> resolv_nameservers(const std::string& text);

}  // namespace berth::engine
