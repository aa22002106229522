#pragma once
/// Changes to the controls that guard money: tokens with write roles (minted, waiting for a
/// second admin, approved, revoked) and the withdrawal limits (raised, asked to be raised).
/// Each is announced to the admins (log, metric, Telegram), derived from the event alone so that
/// every change is announced once whoever made it (the API or `telepayd token create`).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace telepay::domain::control {

/// The announcement one stored event calls for, nullopt for events that change no control.
/// Never names a secret (a token's hash included).
std::optional<std::string> announcement(std::string_view stream, std::string_view type,
                                        std::uint16_t schema_version, std::string_view payload);

}  // namespace telepay::domain::control
