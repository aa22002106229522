#pragma once
/// Events as versioned types: each event struct declares a stable `type_name` and a `version`,
/// writes itself as canonical JSON and reads itself back. These templates turn an entity's
/// variant of events into (type, version, payload) for the event store and back.

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "domain/base/json.hpp"
#include "domain/base/result.hpp"
#include "domain/codec/json.hpp"

namespace telepay::domain {

struct encoded_event {
  std::string type;
  std::uint16_t version = 1;
  std::string payload;
};

template <class Event>
std::string encode_payload(const Event& event) {
  std::string payload;
  {
    json_object_writer writer(payload);
    event.write(writer);
  }
  return payload;
}

template <class Event>
encoded_event encode_one(const Event& event) {
  return encoded_event{std::string(Event::type_name), Event::version, encode_payload(event)};
}

template <class Variant>
encoded_event encode_event(const Variant& event) {
  return std::visit([](const auto& e) { return encode_one(e); }, event);
}

template <class Variant, std::size_t... I>
result<Variant> decode_alternative(std::string_view type, std::uint16_t version,
                                   std::string_view payload, std::index_sequence<I...>) {
  result<Variant> out = make_error(errc::event_type_unknown,
                                   "unknown event type '" + utf8_prefix(type, 100) + "'");
  const auto try_one = [&]<std::size_t N>() {
    using event_t = std::variant_alternative_t<N, Variant>;
    if (event_t::type_name != type) {
      return false;
    }
    if (version != event_t::version) {
      out = make_error(errc::event_version_unsupported,
                       std::string(type) + " version " + std::to_string(version) +
                           " is not supported (this build reads version " +
                           std::to_string(event_t::version) + ")");
      return true;
    }
    auto document = json_document::parse(payload);
    if (!document) {
      out = document.error();
      return true;
    }
    auto event = event_t::read(document->root());
    if (!event) {
      out = make_error(event.error().code, std::string(type) + ": " + event.error().message);
    } else {
      out = Variant(std::move(event).value());
    }
    return true;
  };
  (try_one.template operator()<I>() || ...);
  return out;
}

/// Decodes one stored event into the entity's variant. Errors: event_type_unknown,
/// event_version_unsupported, event_decode_failed (naming the field).
template <class Variant>
result<Variant> decode_event(std::string_view type, std::uint16_t version,
                             std::string_view payload) {
  return decode_alternative<Variant>(type, version, payload,
                                     std::make_index_sequence<std::variant_size_v<Variant>>());
}

/// The stable type name of the event a variant holds.
template <class Variant>
std::string_view event_type_name(const Variant& event) {
  return std::visit([](const auto& e) -> std::string_view { return std::decay_t<decltype(e)>::type_name; },
                    event);
}

}  // namespace telepay::domain
