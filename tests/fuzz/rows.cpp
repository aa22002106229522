// Fuzzes the row codecs of the read models (projections/models.hpp, `*_row::from_json`): rows
// are loaded from the projections column family on start and by telepay-audit, so a damaged row
// must be refused, never trusted or crashed on.
//
// Input: byte 0 picks the row type (modulo the number of types); the rest is the JSON.
//
// Property beyond "no crash": a decoded row re-encodes to JSON that decodes and encodes again to
// the same bytes (rows are canonical JSON).
//
// TELEPAY_FUZZ_WRITE_SEEDS=DIR writes every row type's default row as a seed and exits.
//
// fuzz-dict: json

#include <fstream>
#include <tuple>

#include "projections/models.hpp"
#include "tests/fuzz/fuzz.hpp"

namespace {

using namespace telepay;
using namespace telepay::projections;

using rows = std::tuple<balance_row, user_row, referral_row, subscription_row, channel_row, payout_row,
                        process_row, manual_deposit_row, token_row, blacklist_row, audit_row, invoice_row,
                        deposit_address_row, chain_deposit_row, withdrawal_row>;
constexpr std::size_t row_types = std::tuple_size_v<rows>;

template <class Row>
void round_trip(std::string_view json) {
  auto row = Row::from_json(json);
  if (!row) return;
  const std::string first = row->to_json();
  auto again = Row::from_json(first);
  TELEPAY_FUZZ_CHECK(again.has_value(), first + ": " + (again ? "" : again.error().message));
  TELEPAY_FUZZ_CHECK(again->to_json() == first, first + " then " + again->to_json());
}

template <std::size_t... I>
void dispatch(std::size_t which, std::string_view json, std::index_sequence<I...>) {
  (void)((which == I ? (round_trip<std::tuple_element_t<I, rows>>(json), true) : false) || ...);
}

template <std::size_t... I>
void write_seeds(const std::string& dir, std::index_sequence<I...>) {
  ((std::ofstream(dir + "/default-" + std::to_string(I)) << static_cast<char>(I)
                                                          << std::tuple_element_t<I, rows>{}.to_json()),
   ...);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (const char* dir = std::getenv("TELEPAY_FUZZ_WRITE_SEEDS")) {
    write_seeds(dir, std::make_index_sequence<row_types>());
    std::exit(0);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::reader in(fuzz::as_text(data, size));
  const std::size_t which = in.byte() % row_types;
  dispatch(which, in.rest(), std::make_index_sequence<row_types>());
  return 0;
}
