// Short syntaxes: expected values from compose-spec 05-services.md ("ports", "volumes"),
// docker/go-connections nat tests as compose-go uses them, compose-go format/volume_test.go,
// mattn/go-shellwords and Go's time.Duration.
#include "compose/syntax.h"

#include <gtest/gtest.h>

namespace berth::compose {
namespace {

using Strings = std::vector<std::string>;

std::vector<PortConfig> ports(std::string_view spec) {
  auto r = parse_port(spec);
  EXPECT_TRUE(r) << spec << ": " << r.error().message;
  return r ? *r : std::vector<PortConfig>{};
}

std::string port_error(std::string_view spec) {
  auto r = parse_port(spec);
  return r ? "parsed" : r.error().message;
}

TEST(ComposePorts, ShortForms) {
  auto p = ports("80");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].target, 80u);
  EXPECT_EQ(p[0].published, "");
  EXPECT_EQ(p[0].protocol, "tcp");

  p = ports("8080:80");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].target, 80u);
  EXPECT_EQ(p[0].published, "8080");
  EXPECT_EQ(p[0].host_ip, "");

  p = ports("127.0.0.1:8080:80/udp");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].host_ip, "127.0.0.1");
  EXPECT_EQ(p[0].published, "8080");
  EXPECT_EQ(p[0].protocol, "udp");

  p = ports("[::1]:6001:6001");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].host_ip, "::1");

  p = ports("127.0.0.1::5000");  // any host port on one address
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].host_ip, "127.0.0.1");
  EXPECT_EQ(p[0].published, "");
}

TEST(ComposePorts, Ranges) {
  auto p = ports("3000-3005");
  ASSERT_EQ(p.size(), 6u);
  EXPECT_EQ(p[0].target, 3000u);
  EXPECT_EQ(p[5].target, 3005u);
  EXPECT_EQ(p[5].published, "");

  p = ports("9090-9091:8080-8081");
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0].published, "9090");
  EXPECT_EQ(p[0].target, 8080u);
  EXPECT_EQ(p[1].published, "9091");
  EXPECT_EQ(p[1].target, 8081u);

  // A host range for a single container port: the range to pick from.
  p = ports("8000-8005:80");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].published, "8000-8005");
  EXPECT_EQ(p[0].target, 80u);
}

TEST(ComposePorts, Errors) {
  EXPECT_EQ(port_error("80:80:80:80"), "invalid IP address: 80:80");
  EXPECT_EQ(port_error("8080:"), "no port specified: 8080:<empty>");
  EXPECT_EQ(port_error("8080:http"), "invalid containerPort: http");
  EXPECT_EQ(port_error("99999:80"), "invalid hostPort: 99999");
  EXPECT_EQ(port_error("80/icmp"), "invalid proto: icmp");
  EXPECT_EQ(port_error("9090-9092:8080-8081"),
            "invalid ranges specified for container and host Ports: 8080-8081 and 9090-9092");
}

VolumeMount volume(std::string_view spec) {
  auto r = parse_volume(spec);
  EXPECT_TRUE(r) << spec << ": " << r.error().message;
  return r ? *r : VolumeMount{};
}

TEST(ComposeVolumes, ShortForms) {
  VolumeMount v = volume("db-data:/var/lib/db:ro");
  EXPECT_EQ(v.type, MountType::kVolume);
  EXPECT_EQ(v.source, "db-data");
  EXPECT_EQ(v.target, "/var/lib/db");
  EXPECT_TRUE(v.read_only);

  v = volume("./cache:/tmp/cache");
  EXPECT_EQ(v.type, MountType::kBind);
  EXPECT_EQ(v.source, "./cache");  // made absolute by the loader
  EXPECT_TRUE(v.create_host_path);
  EXPECT_FALSE(v.read_only);

  v = volume("/abs/path:/in/container/:rw,z,rslave");
  EXPECT_EQ(v.type, MountType::kBind);
  EXPECT_EQ(v.target, "/in/container");  // cleaned
  EXPECT_EQ(v.selinux, "z");
  EXPECT_EQ(v.propagation, "rslave");

  v = volume("/var/lib/anonymous");
  EXPECT_EQ(v.type, MountType::kVolume);
  EXPECT_EQ(v.source, "");
  EXPECT_EQ(v.target, "/var/lib/anonymous");

  v = volume("data:/data:nocopy");
  EXPECT_TRUE(v.nocopy);
}

TEST(ComposeVolumes, Errors) {
  EXPECT_EQ(parse_volume("").error().message, "invalid empty volume spec");
  EXPECT_EQ(parse_volume("a::/b").error().message,
            "invalid spec: a::/b: empty section between colons");
  EXPECT_EQ(parse_volume("a:/b:ro:extra").error().message,
            "invalid spec: a:/b:ro:extra: too many colons");
}

TEST(ComposeCommand, SplitsLikeAShell) {
  EXPECT_EQ(*split_command("bundle exec thin -p 3000"),
            (Strings{"bundle", "exec", "thin", "-p", "3000"}));
  EXPECT_EQ(*split_command("sh -c 'echo \"$HOME\" >/dev/null'"),
            (Strings{"sh", "-c", "echo \"$HOME\" >/dev/null"}));
  EXPECT_EQ(*split_command("echo \"a  b\" c\\ d ''"), (Strings{"echo", "a  b", "c d", ""}));
  EXPECT_EQ(*split_command(""), Strings{});
  // As go-shellwords: an unquoted operator ends the command.
  EXPECT_EQ(*split_command("echo a && echo b"), (Strings{"echo", "a"}));
  EXPECT_EQ(split_command("echo 'open").error().message, "invalid command line string");
}

TEST(ComposeDuration, ParsesGoDurations) {
  EXPECT_EQ(*parse_duration("1m30s"), 90'000'000'000);
  EXPECT_EQ(*parse_duration("10s"), 10'000'000'000);
  EXPECT_EQ(*parse_duration("1.5h"), 5'400'000'000'000);
  EXPECT_EQ(*parse_duration("300ms"), 300'000'000);
  EXPECT_EQ(*parse_duration("2d"), 172'800'000'000'000);  // str2duration's days
  EXPECT_EQ(*parse_duration("0"), 0);
  EXPECT_EQ(parse_duration("30").error().message, "invalid duration \"30\"");  // no unit
  EXPECT_EQ(parse_duration("1y").error().message, "invalid duration \"1y\"");
}

TEST(ComposeDuration, FormatsAsGo) {
  EXPECT_EQ(format_duration(90'000'000'000), "1m30s");
  EXPECT_EQ(format_duration(1'500'000'000), "1.5s");
  EXPECT_EQ(format_duration(300'000'000), "300ms");
  EXPECT_EQ(format_duration(3'600'000'000'000), "1h0m0s");
  EXPECT_EQ(format_duration(0), "0s");
  EXPECT_EQ(format_duration(1500), "1.5\xC2\xB5s");
}

TEST(ComposeBytes, DockerUnits) {
  EXPECT_EQ(*parse_bytes("512"), 512);
  EXPECT_EQ(*parse_bytes("64m"), 64 * 1024 * 1024);
  EXPECT_EQ(*parse_bytes("1.5g"), 1536LL * 1024 * 1024);
  EXPECT_EQ(*parse_bytes("10kb"), 10 * 1024);
  EXPECT_EQ(*parse_bytes("2GiB"), 2LL * 1024 * 1024 * 1024);
  EXPECT_FALSE(parse_bytes("lots"));
}

}  // namespace
}  // namespace berth::compose
