#include "eventstore/sha256.hpp"

#include <openssl/evp.h>

#include "domain/base/assert.hpp"

namespace telepay::eventstore {
namespace {

const EVP_MD* sha256_md() {
  // Fetching once avoids a provider lookup per digest (OpenSSL 3 "explicit fetching").
  static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  LEDGER_ASSERT(md != nullptr, "OpenSSL could not fetch SHA256");
  return md;
}

}  // namespace

sha256_hasher::sha256_hasher() : context_(EVP_MD_CTX_new()) {
  LEDGER_ASSERT(context_ != nullptr, "EVP_MD_CTX_new failed");
  reset();
}

sha256_hasher::~sha256_hasher() { EVP_MD_CTX_free(context_); }

void sha256_hasher::reset() {
  const int ok = EVP_DigestInit_ex2(context_, sha256_md(), nullptr);
  LEDGER_ASSERT(ok == 1, "EVP_DigestInit_ex2 failed");
}

void sha256_hasher::update(std::string_view bytes) {
  const int ok = EVP_DigestUpdate(context_, bytes.data(), bytes.size());
  LEDGER_ASSERT(ok == 1, "EVP_DigestUpdate failed");
}

void sha256_hasher::update(const hash256& bytes) {
  const int ok = EVP_DigestUpdate(context_, bytes.data(), bytes.size());
  LEDGER_ASSERT(ok == 1, "EVP_DigestUpdate failed");
}

hash256 sha256_hasher::finish() {
  hash256 out{};
  unsigned int length = 0;
  const int ok = EVP_DigestFinal_ex(context_, out.data(), &length);
  LEDGER_ASSERT(ok == 1 && length == out.size(), "EVP_DigestFinal_ex failed");
  reset();
  return out;
}

hash256 sha256_hasher::digest(std::string_view bytes) {
  update(bytes);
  return finish();
}

sha256_hasher& thread_hasher() {
  thread_local sha256_hasher hasher;
  return hasher;
}

}  // namespace telepay::eventstore
