// Fuzzes the stored record layout (eventstore/record.cpp, compiled in with its SHA-256): what
// every read of the log, the audit tool and a restore decode from RocksDB values, which a damaged
// disk or a forged copy of the log can hold.
//
// Input: the stored bytes of one record.
//
// Properties beyond "no crash": a record that decodes is one the writer could have written
// (encode_record's preconditions hold, so re-encoding never asserts); the layout is canonical
// (re-encoding gives the same hashed bytes and size); the hash check agrees with the hash
// computed again.

#include "eventstore/record.hpp"
#include "tests/fuzz/fuzz.hpp"

using namespace telepay;
using namespace telepay::eventstore;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes = fuzz::as_text(data, size);
  auto view = decode_record(bytes);
  if (!view) return 0;
  const bool stored_hash_ok = verify_record_hash(*view);
  const record owned = record::from_view(*view);
  record_fields fields;
  fields.seq = owned.seq;
  fields.version = owned.version;
  fields.recorded_at_us = owned.recorded_at_us;
  fields.schema_version = owned.schema_version;
  fields.prev_hash = owned.prev_hash;
  fields.stream = owned.stream;
  fields.type = owned.type;
  fields.correlation_id = owned.correlation_id;
  fields.causation_id = owned.causation_id;
  fields.idempotency_key = owned.idempotency_key;
  fields.payload = owned.payload;
  std::string again;
  const hash256 hash = encode_record(fields, again);
  TELEPAY_FUZZ_CHECK(again.size() == bytes.size(), "a decoded record re-encodes to its size");
  TELEPAY_FUZZ_CHECK(std::string_view(again).substr(0, again.size() - record_hash_bytes) == view->hashed_bytes,
                     "a decoded record re-encodes to the same hashed bytes");
  TELEPAY_FUZZ_CHECK(stored_hash_ok == (hash == view->hash), "the hash check agrees with the hash computed again");
  return 0;
}
