#include "projections/export.hpp"

#include <simdjson.h>

#include "domain/base/bytes.hpp"
#include "domain/base/json.hpp"
#include "domain/base/time.hpp"

namespace telepay::projections {

struct record_exporter::parser_holder {
  simdjson::dom::parser parser;
  simdjson::padded_string buffer;
};

record_exporter::record_exporter(export_format format)
    : format_(format), parser_(std::make_unique<parser_holder>()) {}

record_exporter::~record_exporter() = default;

const char* record_exporter::csv_header() {
  return "seq,stream,version,type,schema_version,recorded_at,correlation_id,causation_id,"
         "idempotency_key,payload,prev_hash,hash";
}

void record_exporter::write(const eventstore::record_view& record, std::string& out) {
  if (format_ == export_format::jsonl) {
    write_jsonl(record, out);
  } else {
    write_csv(record, out);
  }
}

bool record_exporter::payload_is_json(std::string_view payload) {
  // The DOM parser validates the whole document (on-demand would not).
  auto parsed = parser_->parser.parse(payload.data(), payload.size(), true);
  return parsed.error() == simdjson::SUCCESS && is_valid_utf8(payload);
}

void record_exporter::write_jsonl(const eventstore::record_view& record, std::string& out) {
  out += "{\"seq\":" + std::to_string(record.seq);
  out += ",\"stream\":";
  append_json_string(out, record.stream);
  out += ",\"version\":" + std::to_string(record.version);
  out += ",\"type\":";
  append_json_string(out, record.type);
  out += ",\"schema_version\":" + std::to_string(record.schema_version);
  out += ",\"recorded_at\":\"" + format_utc_micros(record.recorded_at_us) + "\"";
  out += ",\"correlation_id\":";
  append_json_string(out, record.correlation_id);
  out += ",\"causation_id\":";
  append_json_string(out, record.causation_id);
  out += ",\"idempotency_key\":";
  append_json_string(out, record.idempotency_key);
  if (payload_is_json(record.payload)) {
    out += ",\"payload\":";
    out += record.payload;
  } else {
    out += ",\"payload_hex\":\"" + to_hex(record.payload) + "\"";
  }
  out += ",\"prev_hash\":\"" + to_hex(record.prev_hash) + "\"";
  out += ",\"hash\":\"" + to_hex(record.hash) + "\"}";
}

namespace {

void append_csv_field(std::string& out, std::string_view text) {
  const bool quote = text.find_first_of(",\"\r\n") != std::string_view::npos;
  if (!quote) {
    out += text;
    return;
  }
  out.push_back('"');
  for (char c : text) {
    if (c == '"') {
      out.push_back('"');
    }
    out.push_back(c);
  }
  out.push_back('"');
}

}  // namespace

void record_exporter::write_csv(const eventstore::record_view& record, std::string& out) {
  out += std::to_string(record.seq) + ',';
  append_csv_field(out, record.stream);
  out += ',' + std::to_string(record.version) + ',';
  append_csv_field(out, record.type);
  out += ',' + std::to_string(record.schema_version) + ',';
  out += format_utc_micros(record.recorded_at_us) + ',';
  append_csv_field(out, record.correlation_id);
  out += ',';
  append_csv_field(out, record.causation_id);
  out += ',';
  append_csv_field(out, record.idempotency_key);
  out += ',';
  append_csv_field(out, record.payload);
  out += ',' + to_hex(record.prev_hash) + ',' + to_hex(record.hash);
}

}  // namespace telepay::projections
