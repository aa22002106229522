#include "gateways/chain/rlp.hpp"

namespace telepay::gateways::chain::rlp {
namespace {

std::string length_prefix(std::size_t length, unsigned char short_base, unsigned char long_base) {
  std::string out;
  if (length <= 55) {
    out.push_back(static_cast<char>(short_base + length));
    return out;
  }
  const std::string length_bytes = minimal_bytes(u256::of(length));
  out.push_back(static_cast<char>(long_base + length_bytes.size()));
  out += length_bytes;
  return out;
}

error malformed(std::string why) { return make_error(errc::invalid_argument, "rlp: " + std::move(why)); }

/// One item's header: where its payload starts, how long it is, and whether it is a list.
struct header {
  bool list = false;
  std::size_t offset = 0;
  std::size_t length = 0;
};

result<header> read_header(std::string_view in) {
  if (in.empty()) return malformed("truncated input");
  const auto first = static_cast<unsigned char>(in[0]);
  if (first < 0x80) return header{false, 0, 1};
  const bool list = first >= 0xc0;
  const unsigned char base = list ? 0xc0 : 0x80;
  const unsigned small = static_cast<unsigned>(first - base);
  if (small <= 55) {
    if (in.size() < 1 + small) return malformed("truncated payload");
    if (!list && small == 1 && static_cast<unsigned char>(in[1]) < 0x80) {
      return malformed("a single byte below 0x80 must not carry a prefix");
    }
    return header{list, 1, small};
  }
  const std::size_t length_bytes = small - 55;
  if (length_bytes > 8 || in.size() < 1 + length_bytes) return malformed("truncated length");
  if (in[1] == 0) return malformed("length with a leading zero");
  std::size_t length = 0;
  for (std::size_t i = 0; i < length_bytes; ++i) {
    length = (length << 8) | static_cast<unsigned char>(in[1 + i]);
  }
  if (length <= 55) return malformed("long form for a short payload");
  if (length > in.size() - 1 - length_bytes) return malformed("truncated payload");
  return header{list, 1 + length_bytes, length};
}

/// Work item of the iterative decoder: a list being filled and the bytes still to read.
struct frame {
  std::vector<item> items;
  std::string_view rest;
};

}  // namespace

std::string encode_bytes(std::string_view bytes) {
  if (bytes.size() == 1 && static_cast<unsigned char>(bytes[0]) < 0x80) {
    return std::string(bytes);
  }
  return length_prefix(bytes.size(), 0x80, 0xb7) + std::string(bytes);
}

std::string encode_uint(const u256& value) { return encode_bytes(minimal_bytes(value)); }

std::string encode_list(std::string_view payload) {
  return length_prefix(payload.size(), 0xc0, 0xf7) + std::string(payload);
}

result<item> decode(std::string_view encoded) {
  TELEPAY_TRY(top, read_header(encoded));
  if (top.offset + top.length != encoded.size()) return malformed("trailing bytes after the item");
  if (!top.list) return item{std::string(encoded.substr(top.offset, top.length))};
  // Lists are decoded with an explicit stack (no recursion), bounded by decode_depth_max.
  std::vector<frame> stack;
  stack.push_back(frame{{}, encoded.substr(top.offset, top.length)});
  while (true) {
    frame& current = stack.back();
    if (current.rest.empty()) {
      item done{std::move(current.items)};
      stack.pop_back();
      if (stack.empty()) return done;
      stack.back().items.push_back(std::move(done));
      continue;
    }
    TELEPAY_TRY(h, read_header(current.rest));
    const std::string_view payload = current.rest.substr(h.offset, h.length);
    current.rest.remove_prefix(h.offset + h.length);
    if (!h.list) {
      current.items.push_back(item{std::string(payload)});
      continue;
    }
    if (stack.size() >= decode_depth_max) return malformed("lists nested too deep");
    stack.push_back(frame{{}, payload});
  }
}

}  // namespace telepay::gateways::chain::rlp
