#pragma once
/// A projection: a read model folded from events alone. Its stored form is a set of rows
/// (key -> canonical JSON); rebuilding from seq 1 must give byte-identical rows, which is what
/// `telepay-audit replay` checks against what the server stored.
///
/// Thread safety: none inside; the host serializes apply() against readers.

#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "eventstore/event_store.hpp"
#include "projections/decode.hpp"

namespace telepay::projections {

class projection {
 public:
  virtual ~projection() = default;
  virtual std::string_view name() const = 0;
  /// Folds one record (of any stream: a projection ignores what it does not read).
  virtual void apply(const eventstore::record_view& record, const any_event& event) = 0;
  /// Every row in key order.
  virtual void for_each_row(
      const std::function<void(const std::string& key, const std::string& value)>& visit) const = 0;
  /// Rows changed since the last call (no value: deleted).
  virtual std::vector<eventstore::projection_row> take_dirty() = 0;
  /// Restores a stored row. Errors on a row that does not decode.
  virtual status load_row(std::string_view key, std::string_view value) = 0;
  /// Rows held.
  virtual std::size_t size() const = 0;
};

/// A projection whose rows are `Row`s in a map: Row has `std::string to_json() const` and
/// `static result<Row> from_json(std::string_view)`. Subclasses implement on() and call
/// row()/erase() to change rows; changed keys are tracked for persistence.
template <class Row>
class table : public projection {
 public:
  void for_each_row(const std::function<void(const std::string&, const std::string&)>& visit)
      const override {
    for (const auto& [key, r] : rows_) {
      visit(key, r.to_json());
    }
  }

  std::vector<eventstore::projection_row> take_dirty() override {
    std::vector<eventstore::projection_row> out;
    out.reserve(dirty_.size());
    for (const std::string& key : dirty_) {
      const auto found = rows_.find(key);
      out.push_back(eventstore::projection_row{
          key, found == rows_.end() ? std::nullopt : std::optional<std::string>(found->second.to_json())});
    }
    dirty_.clear();
    return out;
  }

  status load_row(std::string_view key, std::string_view value) override {
    auto row_value = Row::from_json(value);
    if (!row_value) {
      return make_error(row_value.code(), std::string(name()) + " row " + std::string(key) + ": " +
                                              row_value.error().message);
    }
    rows_[std::string(key)] = std::move(*row_value);
    after_load(std::string(key), rows_[std::string(key)]);
    return {};
  }

  std::size_t size() const override { return rows_.size(); }

  const std::map<std::string, Row>& rows() const { return rows_; }
  const Row* find(const std::string& key) const {
    const auto found = rows_.find(key);
    return found == rows_.end() ? nullptr : &found->second;
  }

 protected:
  /// The row at `key`, created (default) if missing, marked changed.
  Row& row(const std::string& key) {
    dirty_.insert(key);
    return rows_[key];
  }
  void erase(const std::string& key) {
    dirty_.insert(key);
    rows_.erase(key);
  }
  /// Lets a subclass rebuild derived in-memory indexes when rows are loaded from storage.
  virtual void after_load(const std::string& /*key*/, const Row& /*row*/) {}

  std::map<std::string, Row> rows_;
  std::set<std::string> dirty_;
};

}  // namespace telepay::projections
