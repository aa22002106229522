#pragma once
// Renders records as JSON lines or CSV rows for auditors and downstream tools.

#include <memory>
#include <string>

#include "eventstore/record.hpp"

namespace telepay::projections {

enum class export_format : std::uint8_t { jsonl, csv };

class record_exporter {
 public:
  explicit record_exporter(export_format format);
  ~record_exporter();
  record_exporter(const record_exporter&) = delete;
  record_exporter& operator=(const record_exporter&) = delete;

  /// Appends one line (without the newline). JSON lines embed the payload as JSON when it
  /// parses, otherwise as `payload_hex`, so the output is always valid JSON.
  void write(const eventstore::record_view& record, std::string& out);

  static const char* csv_header();

 private:
  bool payload_is_json(std::string_view payload);
  void write_jsonl(const eventstore::record_view& record, std::string& out);
  void write_csv(const eventstore::record_view& record, std::string& out);

  export_format format_;
  struct parser_holder;
  std::unique_ptr<parser_holder> parser_;
};

}  // namespace telepay::projections
