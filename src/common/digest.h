// SHA-256 content digests ("sha256:<64 lowercase hex>") through OpenSSL, the way the OCI
// image-spec (descriptor.md, "Digests") names content. Built as its own library
// (berth_digest) so that the runtime binary never loads libcrypto.
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace berth {

// Incremental SHA-256. Feed bytes with update(); digest() may be called once at the end.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;

  void update(const void* data, size_t len);
  void update(std::string_view s) { update(s.data(), s.size()); }
  // "sha256:<hex>" of everything fed so far. Ends the computation.
  std::string digest();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// "sha256:<hex>" of `data`.
std::string sha256_digest(std::string_view data);

// The 64 lowercase hex characters after "sha256:" ("" when `digest` has any other form,
// so the result is always safe as a file name).
std::string_view digest_hex(std::string_view digest);

}  // namespace berth
