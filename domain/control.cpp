#include "domain/control.hpp"

#include "domain/admin.hpp"
#include "domain/base/visit.hpp"
#include "domain/settings.hpp"

namespace telepay::domain::control {
namespace {

bool is_control_setting(std::string_view key) {
  return key == "withdrawal_approval_usdt" || key == "withdrawal_user_daily_usdt" ||
         key == "withdrawal_operator_daily_usdt";
}

std::optional<std::string> of_token(std::string_view id, const token::event& e) {
  using out = std::optional<std::string>;
  return std::visit(
      overload{
          [&](const token::created& c) -> out {
            if (c.access == role::auditor) {
              return std::nullopt;  // read-only: it guards nothing
            }
            return std::string(c.pending ? "a write token waits for a second admin: " : "write token minted: ") +
                   std::string(role_name(c.access)) + " token " + std::string(id) + " for " + token::identity(c) +
                   " by " + c.by;
          },
          [&](const token::approved& a) -> out {
            return "write token " + std::string(id) + " approved by " + a.by;
          },
          [&](const token::revoked& r) -> out { return "token " + std::string(id) + " revoked by " + r.by; },
      },
      e);
}

std::optional<std::string> of_settings(const settings::event& e) {
  using out = std::optional<std::string>;
  return std::visit(
      overload{
          [&](const settings::changed& c) -> out {
            if (!is_control_setting(c.key)) {
              return std::nullopt;
            }
            return "setting " + c.key + " is now " + c.value + " (by " + c.by +
                   (c.approved_by.empty() ? "" : ", approved by " + c.approved_by) + ")";
          },
          [&](const settings::change_requested& c) -> out {
            return "setting " + c.key + " to " + c.value + " waits for a second admin (asked by " + c.by + ")";
          },
      },
      e);
}

}  // namespace

std::optional<std::string> announcement(std::string_view stream, std::string_view type,
                                        std::uint16_t schema_version, std::string_view payload) {
  if (stream.starts_with("token-") && type.starts_with("token.")) {
    auto e = decode_event<token::event>(type, schema_version, payload);
    return e ? of_token(stream.substr(6), *e) : std::nullopt;
  }
  if (stream == settings_stream && type.starts_with("settings.")) {
    auto e = decode_event<settings::event>(type, schema_version, payload);
    return e ? of_settings(*e) : std::nullopt;
  }
  return std::nullopt;
}

}  // namespace telepay::domain::control
