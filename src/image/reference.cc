#include "image/reference.h"

#include <algorithm>
#include <optional>
#include <utility>

// The grammar is matched by hand rather than with <regex>: the alphabets of name, tag and digest
// are disjoint enough that each split point is unique (see split_reference), which gives the
// same answers as distribution/reference's anchored regexps without backtracking.

namespace berth::image {
namespace {

constexpr std::string_view kInvalidFormat = "invalid reference format";

bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alnum(char c) { return is_alpha(c) || is_digit(c); }
bool is_word(char c) { return is_alnum(c) || c == '_'; }
bool is_xdigit(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool is_lower_xdigit(char c) { return is_digit(c) || (c >= 'a' && c <= 'f'); }

// ASCII only: Go's strings.ToLower also folds non-ASCII letters, but no non-ASCII string is a
// valid reference either way, so only which of two error messages is shown could differ.
std::string to_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool has_upper(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

// path-component := [a-z0-9]+ (([._]|__|-+) [a-z0-9]+)*
bool match_path_component(std::string_view s) {
  if (s.empty() || !is_lower_alnum(s.front()) || !is_lower_alnum(s.back())) return false;
  size_t i = 0;
  while (i < s.size()) {
    if (is_lower_alnum(s[i])) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < s.size() && !is_lower_alnum(s[j])) ++j;
    std::string_view sep = s.substr(i, j - i);
    bool dashes = std::all_of(sep.begin(), sep.end(), [](char c) { return c == '-'; });
    if (sep != "." && sep != "_" && sep != "__" && !dashes) return false;
    i = j;
  }
  return true;
}

// path := path-component ("/" path-component)*
bool match_path(std::string_view s) {
  while (true) {
    size_t slash = s.find('/');
    if (!match_path_component(s.substr(0, slash))) return false;
    if (slash == std::string_view::npos) return true;
    s.remove_prefix(slash + 1);
  }
}

// [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]
bool match_domain_component(std::string_view s) {
  if (s.empty() || !is_alnum(s.front()) || !is_alnum(s.back())) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return is_alnum(c) || c == '-'; });
}

// domain := (domain-name | "[" [a-fA-F0-9:]+ "]") (":" [0-9]+)?
bool match_domain(std::string_view s) {
  std::string_view port;
  if (!s.empty() && s.front() == '[') {
    size_t close = s.find(']');
    if (close == std::string_view::npos || close == 1) return false;
    std::string_view addr = s.substr(1, close - 1);
    if (!std::all_of(addr.begin(), addr.end(), [](char c) { return is_xdigit(c) || c == ':'; })) {
      return false;
    }
    std::string_view rest = s.substr(close + 1);
    if (rest.empty()) return true;
    if (rest.front() != ':') return false;
    port = rest.substr(1);
  } else {
    size_t colon = s.find(':');
    std::string_view host = s.substr(0, colon);
    while (true) {
      size_t dot = host.find('.');
      if (!match_domain_component(host.substr(0, dot))) return false;
      if (dot == std::string_view::npos) break;
      host.remove_prefix(dot + 1);
    }
    if (colon == std::string_view::npos) return true;
    port = s.substr(colon + 1);
  }
  return !port.empty() && std::all_of(port.begin(), port.end(), is_digit);
}

// The reference grammar's digest: [A-Za-z][A-Za-z0-9]*([-_+.][A-Za-z][A-Za-z0-9]*)* ":"
// [[:xdigit:]]{32,}. Looser than parse_digest, which then decides.
bool match_digest_grammar(std::string_view s) {
  size_t colon = s.find(':');
  if (colon == std::string_view::npos) return false;
  std::string_view alg = s.substr(0, colon);
  std::string_view hex = s.substr(colon + 1);
  if (hex.size() < 32 || !std::all_of(hex.begin(), hex.end(), is_xdigit)) return false;
  bool component_start = true;
  for (char c : alg) {
    if (component_start) {
      if (!is_alpha(c)) return false;
      component_start = false;
    } else if (c == '-' || c == '_' || c == '+' || c == '.') {
      component_start = true;
    } else if (!is_alnum(c)) {
      return false;
    }
  }
  return !component_start;
}

// go-digest's DigestRegexpAnchored: [a-z0-9]+([.+_-][a-z0-9]+)* ":" [a-zA-Z0-9=_-]+
bool match_go_digest(std::string_view s) {
  size_t colon = s.find(':');
  if (colon == std::string_view::npos) return false;
  std::string_view alg = s.substr(0, colon);
  std::string_view enc = s.substr(colon + 1);
  if (enc.empty() || !std::all_of(enc.begin(), enc.end(), [](char c) {
        return is_alnum(c) || c == '=' || c == '_' || c == '-';
      })) {
    return false;
  }
  bool component_start = true;
  for (char c : alg) {
    if (is_lower_alnum(c)) {
      component_start = false;
    } else if (!component_start && (c == '.' || c == '+' || c == '_' || c == '-')) {
      component_start = true;
    } else {
      return false;
    }
  }
  return !component_start;
}

struct Parts {
  std::string_view domain;
  std::string_view path;
  std::string_view tag;
  std::string_view digest;
};

// Splits a name into [domain "/"] path. Like the anchored Go regexp, a leading domain is
// preferred whenever the first component matches the domain grammar.
std::optional<std::pair<std::string_view, std::string_view>> split_name(std::string_view name) {
  size_t slash = name.find('/');
  if (slash != std::string_view::npos && match_domain(name.substr(0, slash)) &&
      match_path(name.substr(slash + 1))) {
    return std::pair{name.substr(0, slash), name.substr(slash + 1)};
  }
  if (match_path(name)) return std::pair{std::string_view{}, name};
  return std::nullopt;
}

// Matches name [":" tag] ["@" digest]. Names, tags and digests hold no '@', so the first '@'
// starts the digest; tags hold no ':' or '/' and a name has no ':' after its last '/', so a ':'
// after the last '/' starts the tag.
std::optional<Parts> split_reference(std::string_view s) {
  Parts parts;
  size_t at = s.find('@');
  if (at != std::string_view::npos) {
    parts.digest = s.substr(at + 1);
    if (!match_digest_grammar(parts.digest)) return std::nullopt;
    s = s.substr(0, at);
  }
  size_t colon = s.rfind(':');
  size_t slash = s.rfind('/');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
    parts.tag = s.substr(colon + 1);
    if (!is_valid_tag(parts.tag)) return std::nullopt;
    s = s.substr(0, colon);
  }
  auto name = split_name(s);
  if (!name) return std::nullopt;
  parts.domain = name->first;
  parts.path = name->second;
  return parts;
}

// reference.go's Parse (never given an empty string here), without normalisation.
Result<Reference> parse_canonical(std::string_view s) {
  auto parts = split_reference(s);
  if (!parts) {
    std::string lower = to_lower(s);
    if (lower != s && split_reference(lower)) {
      return make_error(Errc::kInvalidArgument, "repository name must be lowercase");
    }
    return make_error(Errc::kInvalidArgument, std::string(kInvalidFormat));
  }
  if (parts->path.size() > kNameTotalLengthMax) {
    return make_error(Errc::kInvalidArgument, "repository name must not be more than " +
                                                  std::to_string(kNameTotalLengthMax) +
                                                  " characters");
  }
  Reference ref{std::string(parts->domain), std::string(parts->path), std::string(parts->tag),
                std::string(parts->digest)};
  if (!ref.digest.empty()) {
    BERTH_TRY(parse_digest(ref.digest));
  }
  return ref;
}

// normalize.go's splitDockerDomain: which part of a user-typed name is the domain.
std::pair<std::string, std::string> split_docker_domain(std::string_view name) {
  size_t slash = name.find('/');
  if (slash == std::string_view::npos) {
    // A single component is always a Docker Hub official image, even "localhost" or "a.com".
    return {std::string(kDefaultDomain), std::string(kOfficialRepoPrefix) + std::string(name)};
  }
  std::string_view maybe_domain = name.substr(0, slash);
  std::string_view rest = name.substr(slash + 1);
  std::string domain;
  std::string remote;
  if (maybe_domain == "localhost" ||
      maybe_domain.find_first_of(".:") != std::string_view::npos || has_upper(maybe_domain)) {
    // Namespaces are lowercase, so an uppercase first component can only be a host.
    domain = maybe_domain == kLegacyDefaultDomain ? kDefaultDomain : maybe_domain;
    remote = rest;
  } else {
    domain = kDefaultDomain;
    remote = name;
  }
  if (domain == kDefaultDomain && remote.find('/') == std::string::npos) {
    remote.insert(0, kOfficialRepoPrefix);  // docker.io/ubuntu is docker.io/library/ubuntu
  }
  return {std::move(domain), std::move(remote)};
}

// Docker refuses a bare image ID as a name, since `docker run <id>` must mean the image.
bool is_identifier(std::string_view s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), is_lower_xdigit);
}

std::string join_name(std::string_view domain, std::string_view path) {
  if (domain.empty()) return std::string(path);
  std::string out(domain);
  out += '/';
  out += path;
  return out;
}

std::string append_tag_digest(std::string s, const Reference& ref) {
  if (!ref.tag.empty()) s += ":" + ref.tag;
  if (!ref.digest.empty()) s += "@" + ref.digest;
  return s;
}

}  // namespace

std::string Reference::name() const { return join_name(domain, path); }

std::string Reference::string() const { return append_tag_digest(name(), *this); }

std::string Reference::familiar_name() const {
  if (domain != kDefaultDomain) return name();
  std::string_view p = path;
  // Only "library/x" shortens: "library/foo/bar" must stay distinguishable from "foo/bar".
  if (p.starts_with(kOfficialRepoPrefix) &&
      p.substr(kOfficialRepoPrefix.size()).find('/') == std::string_view::npos) {
    p.remove_prefix(kOfficialRepoPrefix.size());
  }
  return std::string(p);
}

std::string Reference::familiar_string() const {
  return append_tag_digest(familiar_name(), *this);
}

Result<Reference> parse_reference(std::string_view s) {
  if (is_identifier(s)) {
    return make_error(Errc::kInvalidArgument,
                      "invalid repository name (" + std::string(s) +
                          "), cannot specify 64-byte hexadecimal strings");
  }
  auto [domain, remainder] = split_docker_domain(s);
  // Checked before the grammar so the message names the offending repository.
  std::string_view remote = std::string_view(remainder).substr(0, remainder.find(':'));
  if (has_upper(remote)) {
    return make_error(Errc::kInvalidArgument, std::string(kInvalidFormat) +
                                                  ": repository name (" + std::string(remote) +
                                                  ") must be lowercase");
  }
  return parse_canonical(domain + "/" + remainder);
}

Result<Reference> parse_docker_reference(std::string_view s) {
  BERTH_ASSIGN_OR_RETURN(Reference ref, parse_reference(s));
  if (!ref.digest.empty()) {
    ref.tag.clear();
  } else if (ref.tag.empty()) {
    ref.tag = kDefaultTag;
  }
  return ref;
}

bool is_valid_tag(std::string_view tag) {
  if (tag.empty() || tag.size() > 128 || !is_word(tag.front())) return false;
  return std::all_of(tag.begin(), tag.end(),
                     [](char c) { return is_word(c) || c == '.' || c == '-'; });
}

Result<std::string> parse_digest(std::string_view s) {
  constexpr std::string_view kBadFormat = "invalid checksum digest format";
  size_t colon = s.find(':');
  if (colon == std::string_view::npos || colon + 1 == s.size()) {
    return make_error(Errc::kInvalidArgument, std::string(kBadFormat));
  }
  std::string_view alg = s.substr(0, colon);
  std::string_view hex = s.substr(colon + 1);
  size_t hex_len = alg == "sha256" ? 64 : alg == "sha384" ? 96 : alg == "sha512" ? 128 : 0;
  if (hex_len == 0) {
    if (!match_go_digest(s)) return make_error(Errc::kInvalidArgument, std::string(kBadFormat));
    return make_error(Errc::kInvalidArgument, "unsupported digest algorithm");
  }
  if (hex.size() != hex_len) {
    return make_error(Errc::kInvalidArgument, "invalid checksum digest length");
  }
  if (!std::all_of(hex.begin(), hex.end(), is_lower_xdigit)) {
    return make_error(Errc::kInvalidArgument, std::string(kBadFormat));
  }
  return std::string(s);
}

std::string registry_host(const Reference& ref) {
  if (ref.domain == kDefaultDomain) return std::string(kDefaultRegistryHost);
  return ref.domain;
}

}  // namespace berth::image
