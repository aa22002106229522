#pragma once
/// strong_id<Tag, Rep>: a distinct type per kind of identifier, so a user id can never be passed
/// where a channel id is expected. Explicit construction, no implicit conversion back.

#include <compare>
#include <functional>
#include <utility>

namespace telepay {

template <class Tag, class Rep>
class strong_id {
 public:
  using rep_type = Rep;

  strong_id() = default;
  explicit strong_id(Rep value) : value_(std::move(value)) {}

  const Rep& value() const { return value_; }

  friend auto operator<=>(const strong_id&, const strong_id&) = default;
  friend bool operator==(const strong_id&, const strong_id&) = default;

 private:
  Rep value_{};
};

}  // namespace telepay

template <class Tag, class Rep>
struct std::hash<telepay::strong_id<Tag, Rep>> {
  std::size_t operator()(const telepay::strong_id<Tag, Rep>& id) const {
    return std::hash<Rep>{}(id.value());
  }
};
