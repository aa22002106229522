#include "eventstore/record.hpp"

#include <cstring>

#include "domain/base/limits.hpp"
#include "eventstore/sha256.hpp"

namespace telepay::eventstore {
namespace {

void put_string16(std::string& out, std::string_view text) {
  LEDGER_ASSERT(text.size() <= 0xffff, "record field too long: ", text.size());
  put_be16(out, static_cast<std::uint16_t>(text.size()));
  out.append(text);
}

/// A bounds-checked cursor over the stored bytes.
class reader {
 public:
  explicit reader(std::string_view bytes) : bytes_(bytes) {}

  bool take(std::size_t n, std::string_view& out) {
    if (bytes_.size() - offset_ < n) {
      return false;
    }
    out = bytes_.substr(offset_, n);
    offset_ += n;
    return true;
  }
  bool string16(std::string_view& out) {
    std::string_view length;
    return take(2, length) && take(get_be16(length.data()), out);
  }
  bool string32(std::string_view& out) {
    std::string_view length;
    return take(4, length) && take(get_be32(length.data()), out);
  }
  std::size_t offset() const { return offset_; }

 private:
  std::string_view bytes_;
  std::size_t offset_ = 0;
};

error corrupt(std::string what) { return make_error(errc::record_corrupt, std::move(what)); }

}  // namespace

std::size_t encoded_record_bytes(const record_fields& fields) {
  return record_fixed_header_bytes + 2 + fields.stream.size() + 2 + fields.type.size() + 2 +
         fields.correlation_id.size() + 2 + fields.causation_id.size() + 2 +
         fields.idempotency_key.size() + 4 + fields.payload.size() + record_hash_bytes;
}

hash256 encode_record(const record_fields& fields, std::string& out) {
  LEDGER_ASSERT(fields.seq > 0 && fields.version > 0, "seq and version start at 1");
  LEDGER_ASSERT(fields.schema_version > 0, "schema version starts at 1");
  LEDGER_ASSERT(fields.payload.size() <= limits::event_payload_bytes_max, "payload too large");
  const std::size_t start = out.size();
  out.reserve(start + encoded_record_bytes(fields));
  out.push_back(static_cast<char>(record_format_version));
  put_be64(out, fields.seq);
  put_be64(out, fields.version);
  put_be64(out, static_cast<std::uint64_t>(fields.recorded_at_us));
  put_be16(out, fields.schema_version);
  out.append(reinterpret_cast<const char*>(fields.prev_hash.data()), fields.prev_hash.size());
  put_string16(out, fields.stream);
  put_string16(out, fields.type);
  put_string16(out, fields.correlation_id);
  put_string16(out, fields.causation_id);
  put_string16(out, fields.idempotency_key);
  put_be32(out, static_cast<std::uint32_t>(fields.payload.size()));
  out.append(fields.payload);
  const hash256 hash =
      thread_hasher().digest(std::string_view(out).substr(start, out.size() - start));
  out.append(reinterpret_cast<const char*>(hash.data()), hash.size());
  LEDGER_ASSERT(out.size() - start == encoded_record_bytes(fields), "encoded size mismatch");
  return hash;
}

result<record_view> decode_record(std::string_view bytes) {
  if (bytes.size() < record_bytes_min) {
    return corrupt("record is " + std::to_string(bytes.size()) + " bytes, shorter than the minimum " +
                   std::to_string(record_bytes_min));
  }
  if (static_cast<std::uint8_t>(bytes[0]) != record_format_version) {
    return corrupt("unknown record format " + std::to_string(static_cast<unsigned char>(bytes[0])));
  }
  record_view view;
  const char* p = bytes.data() + 1;
  view.seq = get_be64(p);
  view.version = get_be64(p + 8);
  view.recorded_at_us = static_cast<std::int64_t>(get_be64(p + 16));
  view.schema_version = get_be16(p + 24);
  std::memcpy(view.prev_hash.data(), p + 26, view.prev_hash.size());

  const std::string_view body = bytes.substr(0, bytes.size() - record_hash_bytes);
  reader in(body);
  std::string_view skipped;
  const bool ok = in.take(record_fixed_header_bytes, skipped) && in.string16(view.stream) &&
                  in.string16(view.type) && in.string16(view.correlation_id) &&
                  in.string16(view.causation_id) && in.string16(view.idempotency_key) &&
                  in.string32(view.payload);
  if (!ok) {
    return corrupt("a field length runs past the end of the record");
  }
  if (in.offset() != body.size()) {
    return corrupt("record has " + std::to_string(body.size() - in.offset()) +
                   " unexpected trailing bytes");
  }
  // What encode_record requires of its writer: a record outside it was not written by telepay.
  if (view.seq == 0) return corrupt("record seq is 0 (seqs start at 1)");
  if (view.version == 0) return corrupt("record version is 0 (stream versions start at 1)");
  if (view.schema_version == 0) return corrupt("record schema version is 0 (schema versions start at 1)");
  if (view.payload.size() > limits::event_payload_bytes_max) {
    return corrupt("record payload is " + std::to_string(view.payload.size()) + " bytes, over the limit " +
                   std::to_string(limits::event_payload_bytes_max));
  }
  std::memcpy(view.hash.data(), bytes.data() + body.size(), view.hash.size());
  view.hashed_bytes = body;
  return view;
}

bool verify_record_hash(const record_view& view) {
  return thread_hasher().digest(view.hashed_bytes) == view.hash;
}

record record::from_view(const record_view& view) {
  record out;
  out.seq = view.seq;
  out.version = view.version;
  out.recorded_at_us = view.recorded_at_us;
  out.schema_version = view.schema_version;
  out.prev_hash = view.prev_hash;
  out.stream = view.stream;
  out.type = view.type;
  out.correlation_id = view.correlation_id;
  out.causation_id = view.causation_id;
  out.idempotency_key = view.idempotency_key;
  out.payload = view.payload;
  out.hash = view.hash;
  return out;
}

record_view record::view() const {
  record_view v;
  v.seq = seq;
  v.version = version;
  v.recorded_at_us = recorded_at_us;
  v.schema_version = schema_version;
  v.prev_hash = prev_hash;
  v.stream = stream;
  v.type = type;
  v.correlation_id = correlation_id;
  v.causation_id = causation_id;
  v.idempotency_key = idempotency_key;
  v.payload = payload;
  v.hash = hash;
  return v;
}

}  // namespace telepay::eventstore
