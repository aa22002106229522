#pragma once
/// The blacklist (stream "blacklist"): Telegram ids and wallet addresses that may neither
/// register nor be credited, each with a reason and who added it.

#include <cstdint>
#include <map>
#include <string>
#include <variant>
#include <vector>

#include "domain/codec/event_codec.hpp"
#include "domain/ids.hpp"

namespace telepay::domain::blacklist {

enum class kind : std::uint8_t { telegram_id = 1, wallet_address = 2 };
std::string_view kind_name(kind k);
result<kind> parse_kind(std::string_view text);
/// The canonical form of a value: a positive decimal Telegram id, or a lower-case address.
result<std::string> normalize(kind k, std::string_view value);

struct added {
  static constexpr std::string_view type_name = "blacklist.added";
  static constexpr std::uint16_t version = 1;
  kind type = kind::telegram_id;
  std::string value;
  std::string reason;
  std::string by;
  void write(json_object_writer& w) const;
  static result<added> read(const json_value& v);
  friend bool operator==(const added&, const added&) = default;
};

struct removed {
  static constexpr std::string_view type_name = "blacklist.removed";
  static constexpr std::uint16_t version = 1;
  kind type = kind::telegram_id;
  std::string value;
  std::string by;
  void write(json_object_writer& w) const;
  static result<removed> read(const json_value& v);
  friend bool operator==(const removed&, const removed&) = default;
};

using event = std::variant<added, removed>;

struct entry {
  std::string reason;
  std::string by;
  friend bool operator==(const entry&, const entry&) = default;
};

struct state {
  std::map<std::pair<kind, std::string>, entry> entries;
  bool contains(kind k, std::string_view normalized_value) const;
  /// Whether a wallet address (any spelling) is listed; false for text that is not an address.
  bool address_listed(std::string_view address) const;
  friend bool operator==(const state&, const state&) = default;
};

struct add {
  kind type = kind::telegram_id;
  std::string value;
  std::string reason;
  std::string by;
};
struct remove {
  kind type = kind::telegram_id;
  std::string value;
  std::string by;
};

using command = std::variant<add, remove>;

result<std::vector<event>> decide(const state& s, const command& c, std::int64_t now_us);
void evolve(state& s, const event& e);
std::string idempotency_key(const state& s, const command& c);

}  // namespace telepay::domain::blacklist
