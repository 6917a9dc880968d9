// The embedded DNS server's packets (RFC 1035 4.1): questions parsed, answers built.
#include "engine/dns.h"

#include <gtest/gtest.h>

namespace berth::engine {
namespace {

// A query for `name` of `type`, id 0x1234, recursion desired (what a stub resolver sends).
std::string query(const std::string& name, uint16_t type) {
  std::string p = {'\x12', '\x34', '\x01', '\x00', 0, 1, 0, 0, 0, 0, 0, 0};
  size_t start = 0;
  while (start <= name.size()) {
    size_t dot = name.find('.', start);
    if (dot == std::string::npos) dot = name.size();
    p.push_back(static_cast<char>(dot - start));
    p += name.substr(start, dot - start);
    start = dot + 1;
  }
  p.push_back(0);
  p += {static_cast<char>(type >> 8), static_cast<char>(type & 0xff), 0, 1};
  return p;
}

TEST(Dns, ParsesOneQuestionInLowerCase) {
  auto q = parse_dns_query(query("Web.Example", 1));
  ASSERT_TRUE(q);
  EXPECT_EQ(q->id, 0x1234);
  EXPECT_EQ(q->name, "web.example");
  EXPECT_EQ(q->type, 1);
  EXPECT_EQ(q->qclass, 1);
}

TEST(Dns, RefusesResponsesTruncatedPacketsAndCompressedQuestions) {
  std::string response = query("web", 1);
  response[2] = '\x81';  // QR set
  EXPECT_FALSE(parse_dns_query(response));
  EXPECT_FALSE(parse_dns_query(query("web", 1).substr(0, 15)));
  std::string pointer = query("web", 1);
  pointer[12] = '\xc0';
  EXPECT_FALSE(parse_dns_query(pointer));
  EXPECT_FALSE(parse_dns_query("short"));
}

TEST(Dns, AnswersWithARecordsAfterTheQuestion) {
  std::string q = query("web", 1);
  auto parsed = parse_dns_query(q);
  ASSERT_TRUE(parsed);
  std::string a = dns_answer(q, *parsed, {"172.18.0.2", "172.18.0.3"}, true);
  EXPECT_EQ(a.substr(0, 2), "\x12\x34");
  EXPECT_EQ(static_cast<uint8_t>(a[2]) & 0x80, 0x80);  // a response
  EXPECT_EQ(static_cast<uint8_t>(a[3]) & 0x0f, 0);     // NOERROR
  EXPECT_EQ(a[7], 2);                                  // two answers
  EXPECT_EQ(a.substr(12, parsed->end - 12), q.substr(12, parsed->end - 12));
  // name pointer, A, IN, TTL 600, 4 bytes of address
  std::string first = a.substr(parsed->end, 16);
  EXPECT_EQ(first, std::string("\xc0\x0c\x00\x01\x00\x01\x00\x00\x02\x58\x00\x04\xac\x12\x00\x02", 16));
}

TEST(Dns, UnknownNamesGetNxdomainAndKnownOnesWithoutAddressesNoError) {
  std::string q = query("nothere", 1);
  auto parsed = parse_dns_query(q);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(static_cast<uint8_t>(dns_answer(q, *parsed, {}, false)[3]) & 0x0f, 3);
  std::string aaaa = dns_answer(q, *parsed, {}, true);
  EXPECT_EQ(static_cast<uint8_t>(aaaa[3]) & 0x0f, 0);
  EXPECT_EQ(aaaa[7], 0);
}

TEST(Dns, NameserversOfAResolvConf) {
  EXPECT_EQ(resolv_nameservers("# comment\nsearch example.org\nnameserver 10.0.0.2\n"
                               "nameserver ::1\nnameserver 1.1.1.1 # trailing\noptions ndots:2\n"),
            (std::vector<std::string>{"10.0.0.2", "1.1.1.1"}));
  EXPECT_TRUE(resolv_nameservers("").empty());
}

}  // namespace
}  // namespace berth::engine
