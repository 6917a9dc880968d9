// String helpers the standard library lacks in C++20.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace berth::str {

// Splits on `sep`; keeps empty fields ("a,,b" -> {"a","","b"}).
std::vector<std::string> split(std::string_view s, char sep);
std::string join(const std::vector<std::string>& parts, std::string_view sep);
std::string_view trim(std::string_view s);
// ASCII case mapping (DNS names, HTTP headers, platforms, Dockerfile keywords); other bytes
// stay as they are.
std::string to_lower(std::string_view s);
std::string to_upper(std::string_view s);
// Decimal integer; nullopt on junk or overflow.
std::optional<int64_t> parse_int(std::string_view s);
std::optional<uint64_t> parse_uint(std::string_view s);

// RFC 4648 base64 with padding.
std::string base64_encode(std::string_view in);
// Decodes standard and URL-safe base64 ('-', '_'), padding optional; nullopt on other bytes.
std::optional<std::string> base64_decode(std::string_view in);
// `bytes` random bytes from /dev/urandom as lowercase hex (container, exec and volume ids).
std::string random_hex(size_t bytes);
// argv/envp for exec*(): pointers into `v` plus a terminating nullptr (valid while `v` lives).
std::vector<char*> c_strings(const std::vector<std::string>& v);

}  // namespace berth::str
