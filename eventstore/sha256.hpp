#pragma once
/// SHA-256 through OpenSSL 3 EVP with the digest fetched once. Not thread-safe: one hasher per
/// thread (see thread_hasher()).

#include <cstdint>
#include <string_view>

#include "domain/base/bytes.hpp"

struct evp_md_ctx_st;

namespace telepay::eventstore {

class sha256_hasher {
 public:
  sha256_hasher();
  ~sha256_hasher();
  sha256_hasher(const sha256_hasher&) = delete;
  sha256_hasher& operator=(const sha256_hasher&) = delete;

  void reset();
  void update(std::string_view bytes);
  void update(const hash256& bytes);
  hash256 finish();

  /// One-shot digest of `bytes`.
  hash256 digest(std::string_view bytes);

 private:
  evp_md_ctx_st* context_;
};

/// The calling thread's hasher.
sha256_hasher& thread_hasher();

}  // namespace telepay::eventstore
