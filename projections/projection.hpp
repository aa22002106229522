#pragma once
/// A projection: a read model folded from events alone. Its stored form is a set of rows
/// (key -> canonical JSON); rebuilding from seq 1 must give byte-identical rows, which is what
/// `telepay-audit replay` checks against what the server stored.
///
/// Thread safety: none inside; the host serializes apply() against readers.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <algorithm>

#include <absl/container/flat_hash_map.h>
#include <absl/container/flat_hash_set.h>

#include "eventstore/event_store.hpp"
#include "projections/decode.hpp"

namespace telepay::projections {

class projection {
 public:
  virtual ~projection() = default;
  virtual std::string_view name() const = 0;
  /// The version of what apply() folds into rows. Bump it whenever the fold or the row shape
  /// changes: the host drops stored rows of another version and rebuilds them from seq 1
  /// (rows that merely decode may still be folded by the old logic). Default: 1.
  virtual std::uint32_t format_version() const { return 1; }
  /// Folds one record (of any stream: a projection ignores what it does not read). Only the
  /// record's seq, stream and recorded_at may be read (a replay fills no other field).
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
  /// Brings the ordered index up to date (after applying, before ordered reads).
  virtual void settle() = 0;
};

/// A projection whose rows are `Row`s: Row has `std::string to_json() const` and
/// `static result<Row> from_json(std::string_view)`. Subclasses implement apply() and call
/// row()/erase() to change rows. Rows live in a hash map (an event's update is one lookup), with
/// a sorted index of keys for ordered scans (paging, the auditor's comparison); changed keys are
/// tracked for persistence unless tracking is off (a one-shot replay).
template <class Row>
class table : public projection {
 public:
  void for_each_row(const std::function<void(const std::string&, const std::string&)>& visit)
      const override {
    check_settled();
    for (const std::string& key : order_) {
      visit(key, rows_.at(key).to_json());
    }
  }

  /// Merges the keys of rows created since the last call into the sorted index. Ordered scans
  /// need it; the host calls it after each applied run (under its exclusive lock).
  void settle() override {
    if (pending_.empty()) {
      return;
    }
    std::sort(pending_.begin(), pending_.end());
    const auto middle = order_.size();
    order_.insert(order_.end(), std::make_move_iterator(pending_.begin()),
                  std::make_move_iterator(pending_.end()));
    pending_.clear();
    std::inplace_merge(order_.begin(), order_.begin() + static_cast<std::ptrdiff_t>(middle), order_.end());
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
    const std::string k(key);
    if (auto valid = check_loaded(k, *row_value); !valid) {
      return make_error(valid.code(), std::string(name()) + " row " + k + ": " + valid.error().message);
    }
    const bool fresh = !rows_.contains(k);
    rows_[k] = std::move(*row_value);
    if (fresh) {
      pending_.push_back(k);
    }
    after_load(k, rows_[k]);
    return {};
  }

  std::size_t size() const override { return rows_.size(); }

  const Row* find(const std::string& key) const {
    const auto found = rows_.find(key);
    return found == rows_.end() ? nullptr : &found->second;
  }

  /// Visits rows in key order, starting after `after_key` ("" for the first), until `visit`
  /// returns false.
  void scan(const std::string& after_key,
            const std::function<bool(const std::string&, const Row&)>& visit) const {
    check_settled();
    auto it = after_key.empty() ? order_.begin()
                                : std::upper_bound(order_.begin(), order_.end(), after_key);
    for (; it != order_.end(); ++it) {
      if (!visit(*it, rows_.at(*it))) {
        return;
      }
    }
  }

  /// Visits the rows whose keys start with `prefix`, in key order.
  void scan_prefix(const std::string& prefix,
                   const std::function<void(const std::string&, const Row&)>& visit) const {
    check_settled();
    for (auto it = std::lower_bound(order_.begin(), order_.end(), prefix);
         it != order_.end() && it->starts_with(prefix); ++it) {
      visit(*it, rows_.at(*it));
    }
  }

  /// Off: changed rows are not remembered (nothing will save them). Default: on.
  void track_changes(bool on) { tracking_ = on; }
  bool tracks_changes() const { return tracking_; }

 protected:
  /// The row at `key`, created (default) if missing, marked changed.
  Row& row(std::string_view key) { return row_created(key).first; }
  /// The row at `key` and whether it was just created.
  std::pair<Row&, bool> row_created(std::string_view key) {
    // Debian's abseil has its own string_view (not std's): look up through it, no copy.
    auto [it, fresh] = rows_.try_emplace(absl::string_view(key.data(), key.size()));
    if (fresh) {
      pending_.push_back(it->first);
    }
    if (tracking_) {
      dirty_.insert(it->first);
    }
    return {it->second, fresh};
  }
  bool has(std::string_view key) const {
    return rows_.contains(absl::string_view(key.data(), key.size()));
  }
  void erase(const std::string& key) {
    if (tracking_) {
      dirty_.insert(key);
    }
    rows_.erase(key);
    settle();
    const auto found = std::lower_bound(order_.begin(), order_.end(), key);
    if (found != order_.end() && *found == key) {
      order_.erase(found);
    }
  }
  /// Lets a subclass refuse a stored row that decodes but contradicts its key (derived indexes
  /// trust the key). Default: every row that decodes.
  virtual status check_loaded(const std::string& /*key*/, const Row& /*row*/) const { return {}; }
  /// Lets a subclass rebuild derived in-memory indexes when rows are loaded from storage.
  virtual void after_load(const std::string& /*key*/, const Row& /*row*/) {}

  void check_settled() const {
    LEDGER_ASSERT(pending_.empty(), std::string(name()), ": ordered access before settle()");
  }

  absl::flat_hash_map<std::string, Row> rows_;
  std::vector<std::string> order_;    // sorted keys
  std::vector<std::string> pending_;  // keys of rows created since the last settle()
  absl::flat_hash_set<std::string> dirty_;
  bool tracking_ = true;
};

}  // namespace telepay::projections
