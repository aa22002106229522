#pragma once
/// result<T>: a value or an error (std::expected is C++23). Expected failures (bad input,
/// version conflicts, I/O) travel as results; broken invariants use LEDGER_ASSERT instead.

#include <optional>
#include <string>
#include <utility>
#include <variant>

#include "domain/base/assert.hpp"
#include "domain/base/errc.hpp"

namespace telepay {

/// An error code plus a message naming the offending input (never secrets).
struct error {
  errc code;
  std::string message;

  friend bool operator==(const error&, const error&) = default;
};

inline error make_error(errc code, std::string message) { return error{code, std::move(message)}; }

template <class T>
class [[nodiscard]] result {
 public:
  result(T value) : storage_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit
  result(::telepay::error failure)                                          // NOLINT: implicit
      : storage_(std::in_place_index<1>, std::move(failure)) {}

  bool has_value() const { return storage_.index() == 0; }
  explicit operator bool() const { return has_value(); }

  T& value() & {
    LEDGER_ASSERT(has_value(), "value() on an error result: ", std::get<1>(storage_).message);
    return std::get<0>(storage_);
  }
  const T& value() const& {
    LEDGER_ASSERT(has_value(), "value() on an error result: ", std::get<1>(storage_).message);
    return std::get<0>(storage_);
  }
  /// By value: a reference into a temporary result would dangle in `for (x : f().value())`.
  T value() && {
    LEDGER_ASSERT(has_value(), "value() on an error result: ", std::get<1>(storage_).message);
    return std::get<0>(std::move(storage_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T operator*() && { return std::move(*this).value(); }

  const ::telepay::error& error() const {
    LEDGER_ASSERT(!has_value(), "error() on a value result");
    return std::get<1>(storage_);
  }
  errc code() const { return error().code; }

 private:
  std::variant<T, ::telepay::error> storage_;
};

/// result<void>: success or an error.
template <>
class [[nodiscard]] result<void> {
 public:
  result() = default;
  result(::telepay::error failure) : failure_(std::move(failure)) {}  // NOLINT: implicit

  bool has_value() const { return !failure_.has_value(); }
  explicit operator bool() const { return has_value(); }
  const ::telepay::error& error() const {
    LEDGER_ASSERT(!has_value(), "error() on a success result");
    return *failure_;
  }
  errc code() const { return error().code; }

 private:
  std::optional<::telepay::error> failure_;
};

using status = result<void>;

}  // namespace telepay

/// Declares `var` from a result-returning expression, or returns its error from the enclosing
/// function (which must return a result).
#define TELEPAY_TRY(var, expr)               \
  auto var##_result_ = (expr);               \
  if (!var##_result_) {                      \
    return var##_result_.error();            \
  }                                          \
  auto var = std::move(var##_result_).value()

/// Returns the error of a status-returning expression from the enclosing function.
#define TELEPAY_CHECK(expr)                  \
  do {                                       \
    if (auto check_status_ = (expr); !check_status_) { \
      return check_status_.error();          \
    }                                        \
  } while (false)
