// Goal: the chain's money rules hold as pure decisions: a deposit is credited only once it is
// deep enough AND finalized with its block hash re-checked; a reorged-out sighting is never
// confirmed; the same log seen again decides nothing; the hot wallet's nonces are gapless and
// never reused; a replacement keeps its nonce and pays at least 10% more; a send settles once;
// a send is failed only on a final (and, with several endpoints, confirmed) reverted receipt,
// and abandoned only when a final transaction that is none of its attempts holds its nonce; a
// rescan walks its own cursor and never moves the live one back; withdrawals above the limit
// need another operator; a payout address change needs another operator.
// Method: given events / when a command / then events or an errc, no I/O.

#include <gtest/gtest.h>

#include "domain/chain_deposit.hpp"
#include "domain/chain_send.hpp"
#include "domain/channel.hpp"
#include "domain/notice.hpp"
#include "domain/user.hpp"
#include "domain/withdrawal.hpp"

namespace telepay::domain {
namespace {

const std::string tx = "0x" + std::string(64, 'a');
const std::string block_a = "0x" + std::string(64, 'b');
const std::string block_b = "0x" + std::string(64, 'c');
const std::string token = "0x55d398326f99059ff775485246999027b3197955";
const std::string sender_address = "0x" + std::string(40, '1');
const std::string deposit_address = "0x" + std::string(40, '2');

amount usdt(u128 whole) { return amount(asset::usdt, whole * pow10_u128(18)); }

namespace cd = chain_deposit;

cd::sighting seen_in(const std::string& block_hash, std::uint64_t block = 100) {
  return cd::sighting{block, block_hash, token, sender_address, deposit_address, user_id(7), usdt(25)};
}

void fold_deposit(cd::state& s, const std::vector<cd::event>& events) {
  for (const auto& e : events) cd::evolve(s, e);
}

TEST(ChainDeposit, CreditsOnlyWhenDeepFinalizedAndTheHashStillMatches) {
  cd::state s(cd::key{56, tx, 3});
  auto detected = cd::decide(s, cd::detect{seen_in(block_a)}, 0);
  ASSERT_TRUE(detected.has_value()) << detected.error().message;
  ASSERT_EQ(detected->size(), 1u);
  fold_deposit(s, *detected);
  EXPECT_EQ(s.status, cd::status_kind::detected);
  // 11 confirmations (block 100 .. head 110): not yet.
  EXPECT_EQ(cd::decide(s, cd::confirm{block_a, 110, 110, 12}, 0).code(), errc::deposit_state_invalid);
  // 12 deep but above the finalized head: not yet.
  EXPECT_EQ(cd::decide(s, cd::confirm{block_a, 111, 99, 12}, 0).code(), errc::deposit_state_invalid);
  // Deep and finalized, but the block at that height has another hash now: never.
  EXPECT_EQ(cd::decide(s, cd::confirm{block_b, 111, 111, 12}, 0).code(), errc::deposit_state_invalid);
  auto confirmed = cd::decide(s, cd::confirm{block_a, 111, 100, 12}, 0);
  ASSERT_TRUE(confirmed.has_value()) << confirmed.error().message;
  ASSERT_EQ(confirmed->size(), 1u);
  fold_deposit(s, *confirmed);
  EXPECT_EQ(s.status, cd::status_kind::confirmed);
  // Seen again, confirmed again: nothing.
  EXPECT_TRUE(cd::decide(s, cd::detect{seen_in(block_a)}, 0)->empty());
  EXPECT_TRUE(cd::decide(s, cd::confirm{block_a, 200, 200, 12}, 0)->empty());
  EXPECT_TRUE(cd::decide(s, cd::detect{seen_in(block_b, 101)}, 0)->empty());
  // The confirmation tells the user (and carries who and how much, for readers without state).
  const auto encoded = encode_event((*confirmed)[0]);
  auto told = notice::plan(cd::stream(s.where), encoded.type, encoded.version, encoded.payload, 0);
  ASSERT_TRUE(told.has_value());
  EXPECT_EQ(told->user, user_id(7));
  EXPECT_NE(told->items.at(0).text.find("25 USDT (transaction " + tx + ")"), std::string::npos) << told->items[0].text;
  EXPECT_TRUE(cd::deep_enough(100, 111, 100, 12));
  EXPECT_FALSE(cd::deep_enough(100, 110, 110, 12));
  EXPECT_FALSE(cd::deep_enough(100, 99, 99, 1));
}

TEST(ChainDeposit, AReorgedOutSightingIsNeverConfirmedAndMayBeSeenAgain) {
  cd::state s(cd::key{56, tx, 0});
  fold_deposit(s, cd::decide(s, cd::detect{seen_in(block_a)}, 0).value());
  EXPECT_TRUE(cd::decide(s, cd::detect{seen_in(block_a)}, 0)->empty()) << "the same log twice";
  EXPECT_TRUE(cd::decide(s, cd::orphan{block_b, block_a}, 0)->empty()) << "another block: nothing";
  auto orphaned = cd::decide(s, cd::orphan{block_a, block_b}, 0);
  ASSERT_EQ(orphaned->size(), 1u);
  fold_deposit(s, *orphaned);
  EXPECT_EQ(s.status, cd::status_kind::orphaned);
  EXPECT_EQ(cd::decide(s, cd::confirm{block_a, 500, 500, 12}, 0).code(), errc::deposit_state_invalid);
  // Re-included in another block after the reorg: detected again, confirmable there only.
  fold_deposit(s, cd::decide(s, cd::detect{seen_in(block_b, 102)}, 0).value());
  EXPECT_EQ(s.status, cd::status_kind::detected);
  EXPECT_EQ(s.sightings, 2u);
  EXPECT_EQ(cd::decide(s, cd::confirm{block_a, 500, 500, 12}, 0).code(), errc::deposit_state_invalid);
  EXPECT_EQ(cd::decide(s, cd::confirm{block_b, 500, 500, 12}, 0)->size(), 1u);
  // A sighting in another block while still detected orphans the old one first.
  auto moved = cd::decide(s, cd::detect{seen_in(block_a, 103)}, 0);
  ASSERT_EQ(moved->size(), 2u);
  EXPECT_TRUE(std::holds_alternative<cd::orphaned>((*moved)[0]));
}

TEST(ChainDeposit, BadSightingsAreRefused) {
  cd::state s(cd::key{56, tx, 0});
  auto zero = seen_in(block_a);
  zero.value = amount(asset::usdt, 0);
  EXPECT_EQ(cd::decide(s, cd::detect{zero}, 0).code(), errc::amount_must_be_positive);
  auto upper = seen_in(block_a);
  upper.to = "0x" + std::string(40, 'A');
  EXPECT_EQ(cd::decide(s, cd::detect{upper}, 0).code(), errc::invalid_argument);
  EXPECT_EQ(cd::decide(cd::state(cd::key{56, "0x12", 0}), cd::detect{seen_in(block_a)}, 0).code(),
            errc::invalid_argument);
  fold_deposit(s, cd::decide(s, cd::detect{seen_in(block_a)}, 0).value());
  auto other_amount = seen_in(block_a);
  other_amount.value = usdt(26);
  EXPECT_EQ(cd::decide(s, cd::detect{other_amount}, 0).code(), errc::invalid_argument);
  EXPECT_LE(cd::deposit_id(cd::key{56, tx, 4'294'967'295u}).size(), transfer_id_bytes_max);
  EXPECT_TRUE(make_transfer_id(cd::deposit_id(cd::key{97, tx, 12})).has_value());
}

/// Folds the decided events into `s`, and keeps them in `history` (a restart replays it).
void fold_scan(chain_scan::state& s, const result<std::vector<chain_scan::event>>& r,
               std::vector<chain_scan::event>& history) {
  ASSERT_TRUE(r.has_value()) << r.error().message;
  for (const auto& e : *r) {
    chain_scan::evolve(s, e);
    history.push_back(e);
  }
}

TEST(ChainScan, CheckpointsOnlyWhatChanged) {
  chain_scan::state s(56);
  auto first = chain_scan::decide(s, chain_scan::checkpoint{90, 120, block_a, "progress"}, 0);
  ASSERT_EQ(first->size(), 1u);
  chain_scan::evolve(s, (*first)[0]);
  EXPECT_TRUE(chain_scan::decide(s, chain_scan::checkpoint{90, 120, block_a, "progress"}, 0)->empty());
  EXPECT_EQ(chain_scan::decide(s, chain_scan::checkpoint{130, 120, block_a, "progress"}, 0).code(),
            errc::invalid_argument);
  EXPECT_EQ(chain_scan::decide(s, chain_scan::checkpoint{90, 121, "0xzz", "progress"}, 0).code(),
            errc::invalid_argument);
}

// A rescan walks its own cursor from where it was asked to the live cursor's position at the
// request; the live cursor is not part of it, and a restart finds it where it was.
TEST(ChainScan, ARescanHasItsOwnCursorEndingAtTheLiveCursor) {
  chain_scan::state s(56);
  std::vector<chain_scan::event> history;
  fold_scan(s, chain_scan::decide(s, chain_scan::checkpoint{500, 499, block_a, "progress"}, 0), history);
  // From at or beyond the live cursor: those blocks are still ahead of it; nothing to do.
  EXPECT_TRUE(chain_scan::decide(s, chain_scan::start_rescan{500, 500, "op"}, 0)->empty());
  EXPECT_EQ(chain_scan::decide(s, chain_scan::start_rescan{0, 500, ""}, 0).code(), errc::invalid_argument);
  EXPECT_TRUE(chain_scan::decide(s, chain_scan::record_rescan{10}, 0)->empty()) << "no rescan running";
  fold_scan(s, chain_scan::decide(s, chain_scan::start_rescan{0, 500, "token:op1"}, 0), history);
  ASSERT_TRUE(s.rescan.has_value());
  EXPECT_EQ(s.rescan->from_block, 0u);
  EXPECT_EQ(s.rescan->to_block, 500u);
  EXPECT_EQ(s.rescan->next_block, 0u);
  EXPECT_EQ(s.resume_block, 500u) << "the live cursor does not move back";
  // Progress moves forward only, within the range.
  fold_scan(s, chain_scan::decide(s, chain_scan::record_rescan{200}, 0), history);
  EXPECT_EQ(s.rescan->next_block, 200u);
  EXPECT_TRUE(chain_scan::decide(s, chain_scan::record_rescan{200}, 0)->empty());
  EXPECT_EQ(chain_scan::decide(s, chain_scan::record_rescan{150}, 0).code(), errc::invalid_argument);
  EXPECT_EQ(chain_scan::decide(s, chain_scan::record_rescan{501}, 0).code(), errc::invalid_argument);
  // The live cursor goes on meanwhile.
  fold_scan(s, chain_scan::decide(s, chain_scan::checkpoint{700, 699, block_b, "progress"}, 0), history);
  EXPECT_EQ(s.rescan->next_block, 200u);
  // A second request while one runs: one rescan covering both (what is left and what is asked).
  fold_scan(s, chain_scan::decide(s, chain_scan::start_rescan{300, 700, "token:op2"}, 0), history);
  EXPECT_EQ(s.rescan->by, "token:op2");
  EXPECT_EQ(s.rescan->from_block, 0u);
  EXPECT_EQ(s.rescan->next_block, 200u);
  EXPECT_EQ(s.rescan->to_block, 700u);
  fold_scan(s, chain_scan::decide(s, chain_scan::start_rescan{100, 700, "token:op3"}, 0), history);
  EXPECT_EQ(s.rescan->next_block, 100u) << "asked from lower: it goes back there";
  fold_scan(s, chain_scan::decide(s, chain_scan::record_rescan{200}, 0), history);
  // A restart reads the same state back from the events.
  chain_scan::state replayed(56);
  for (const auto& e : history) chain_scan::evolve(replayed, e);
  EXPECT_EQ(replayed, s);
  // Reaching the end finishes it.
  auto done = chain_scan::decide(s, chain_scan::record_rescan{700}, 0);
  ASSERT_TRUE(done.has_value());
  ASSERT_EQ(done->size(), 2u);
  EXPECT_TRUE(std::holds_alternative<chain_scan::rescan_finished>(done->back()));
  fold_scan(s, done, history);
  EXPECT_FALSE(s.rescan.has_value());
  EXPECT_EQ(s.resume_block, 700u);
}

namespace cs = chain_send;

cs::state with_request(const std::string& ref, u128 whole = 10) {
  cs::state s(cs::key{56, sender_address});
  for (const auto& e : cs::decide(s, cs::request{ref, cs::purpose::payout, deposit_address, usdt(whole)}, 0).value()) {
    cs::evolve(s, e);
  }
  return s;
}

cs::sign signing(const std::string& ref, std::uint64_t nonce, u128 fee, char hash_digit) {
  return cs::sign{ref, nonce, 0, fee, 0, 65000, "0x" + std::string(64, hash_digit), "0xf86c"};
}

/// A receipt for `ref`'s attempt `hash` in block `block` of hash block_a; a failure carries `evidence`.
cs::record_mined receipt(const std::string& ref, const std::string& hash, std::uint64_t block, bool success,
                         std::uint64_t gas_used, u128 price, cs::failure_evidence evidence = {}) {
  return cs::record_mined{ref, hash, block, block_a, success, gas_used, price, evidence};
}

/// Giving up `ref` for `reason` (a send never signed needs no more).
cs::abandon giving_up(const std::string& ref, const std::string& reason) {
  return cs::abandon{ref, reason, "", 0, 0, cs::failure_evidence{}};
}

void fold(cs::state& s, const result<std::vector<cs::event>>& r) {
  ASSERT_TRUE(r.has_value()) << r.error().message;
  for (const auto& e : *r) cs::evolve(s, e);
}

TEST(ChainSend, NoncesAreGaplessAndNeverReused) {
  cs::state s = with_request("a");
  fold(s, cs::decide(s, cs::request{"b", cs::purpose::withdrawal, deposit_address, usdt(5)}, 0));
  EXPECT_EQ(s.open.size(), 2u);
  // The first signing takes nonce 0 exactly.
  EXPECT_EQ(cs::decide(s, signing("a", 1, 100, '1'), 0).code(), errc::send_state_invalid);
  fold(s, cs::decide(s, signing("a", 0, 100, '1'), 7));
  EXPECT_EQ(s.next_nonce, 1u);
  EXPECT_EQ(s.open["a"].attempts.at(0).signed_at_us, 7);
  // b cannot reuse 0 and cannot skip to 2.
  EXPECT_EQ(cs::decide(s, signing("b", 0, 100, '2'), 0).code(), errc::send_state_invalid);
  EXPECT_EQ(cs::decide(s, signing("b", 2, 100, '2'), 0).code(), errc::send_state_invalid);
  fold(s, cs::decide(s, signing("b", 1, 100, '2'), 0));
  EXPECT_EQ(s.next_nonce, 2u);
  // The same attempt recorded twice decides nothing.
  EXPECT_TRUE(cs::decide(s, signing("b", 1, 100, '2'), 0)->empty());
  // External use of nonces 2..4 found at start: skipped, never reused.
  fold(s, cs::decide(s, cs::skip_nonces{5, "chain ahead"}, 0));
  EXPECT_EQ(s.next_nonce, 5u);
  EXPECT_TRUE(cs::decide(s, cs::skip_nonces{3, "behind"}, 0)->empty());
}

TEST(ChainSend, AReplacementKeepsTheNonceAndPaysTenPercentMore) {
  cs::state s = with_request("a");
  fold(s, cs::decide(s, signing("a", 0, 1000, '1'), 0));
  EXPECT_EQ(cs::bumped(1000), u128{1100});
  EXPECT_EQ(cs::bumped(1001), u128{1102});  // rounded up
  EXPECT_EQ(cs::decide(s, signing("a", 0, 1099, '3'), 0).code(), errc::send_state_invalid);
  EXPECT_EQ(cs::decide(s, signing("a", 1, 2000, '3'), 0).code(), errc::send_state_invalid) << "another nonce";
  fold(s, cs::decide(s, signing("a", 0, 1100, '3'), 0));
  EXPECT_EQ(s.open["a"].attempts.size(), 2u);
  EXPECT_EQ(s.next_nonce, 1u) << "a replacement allocates no nonce";
  // Type 2 replacements raise the tip too.
  cs::state t = with_request("t");
  fold(t, cs::decide(t, cs::sign{"t", 0, 2, 3000, 1000, 65000, "0x" + std::string(64, '4'), "0x02f8"}, 0));
  EXPECT_EQ(cs::decide(t, cs::sign{"t", 0, 2, 3300, 1050, 65000, "0x" + std::string(64, '5'), "0x02f8"}, 0).code(),
            errc::send_state_invalid);
  fold(t, cs::decide(t, cs::sign{"t", 0, 2, 3300, 1100, 65000, "0x" + std::string(64, '5'), "0x02f8"}, 0));
}

TEST(ChainSend, MinedOnlyForItsOwnAttemptsThenSettledOnce) {
  cs::state s = with_request("a");
  EXPECT_EQ(cs::decide(s, cs::settle{"a"}, 0).code(), errc::send_state_invalid) << "no outcome yet";
  fold(s, cs::decide(s, signing("a", 0, 1000, '1'), 0));
  fold(s, cs::decide(s, signing("a", 0, 1100, '2'), 0));
  EXPECT_EQ(cs::decide(s, receipt("a", "0x" + std::string(64, '9'), 5, true, 1, 1), 0).code(),
            errc::send_state_invalid);
  fold(s, cs::decide(s, receipt("a", "0x" + std::string(64, '1'), 5, true, 51000, 1000), 0));
  EXPECT_TRUE(cs::decide(s, receipt("a", "0x" + std::string(64, '1'), 5, true, 1, 1), 0)->empty());
  EXPECT_EQ(cs::decide(s, giving_up("a", "x"), 0).code(), errc::send_state_invalid);
  EXPECT_EQ(cs::decide(s, signing("a", 0, 5000, '7'), 0).code(), errc::send_state_invalid);
  fold(s, cs::decide(s, cs::settle{"a"}, 0));
  EXPECT_TRUE(s.open.empty());
  EXPECT_TRUE(s.closed.at("a"));
  EXPECT_TRUE(cs::decide(s, cs::settle{"a"}, 0)->empty());
  // A closed ref asked for again: nothing (never a second payment).
  EXPECT_TRUE(cs::decide(s, cs::request{"a", cs::purpose::payout, deposit_address, usdt(10)}, 0)->empty());
}

TEST(ChainSend, BadRequestsAndAbandonment) {
  cs::state s = with_request("a");
  EXPECT_EQ(cs::decide(s, cs::request{"a", cs::purpose::payout, deposit_address, usdt(11)}, 0).code(),
            errc::invalid_argument);
  EXPECT_EQ(cs::decide(s, cs::request{"b c", cs::purpose::payout, deposit_address, usdt(1)}, 0).code(),
            errc::invalid_argument);
  EXPECT_EQ(cs::decide(s, cs::request{"b", cs::purpose::payout, "0x12", usdt(1)}, 0).code(), errc::invalid_argument);
  EXPECT_EQ(cs::decide(s, cs::request{"b", cs::purpose::payout, deposit_address, usdt(0)}, 0).code(),
            errc::amount_must_be_positive);
  EXPECT_EQ(cs::decide(s, cs::sign{"a", 0, 0, 10, 0, 1, "0x12", "0xf8"}, 0).code(), errc::invalid_argument);
  EXPECT_EQ(cs::decide(s, cs::sign{"a", 0, 0, 10, 0, 1, tx, "0xF8"}, 0).code(), errc::invalid_argument);
  fold(s, cs::decide(s, giving_up("a", "held too long"), 0));
  EXPECT_EQ(s.open["a"].status, cs::send_status::abandoned);
  fold(s, cs::decide(s, cs::settle{"a"}, 0));
  EXPECT_FALSE(s.closed.at("a"));
}

// A reverted receipt voids the payment: acted on only when final and, with several
// endpoints, reported by a second one.
TEST(ChainSend, AFailureReceiptNotYetFinalOrNotConfirmedIsNotActedOn) {
  cs::state s = with_request("a");
  fold(s, cs::decide(s, signing("a", 0, 1000, '1'), 0));
  const std::string ours = "0x" + std::string(64, '1');
  const auto reverted = [&](cs::failure_evidence e) {
    return cs::decide(s, receipt("a", ours, 100, false, 21000, 1000, e), 0);
  };
  // No evidence at all: refused.
  EXPECT_EQ(cs::decide(s, receipt("a", ours, 100, false, 21000, 1000), 0).code(),
            errc::send_state_invalid);
  // 11 deep (block 100 .. head 110): not final.
  EXPECT_EQ(reverted({110, 110, 12, 1, 1}).code(), errc::send_state_invalid);
  // 12 deep but above the finalized head: not final.
  EXPECT_EQ(reverted({111, 99, 12, 1, 1}).code(), errc::send_state_invalid);
  // Fewer configured confirmations do not lower the bar for a failure below 12.
  EXPECT_EQ(reverted({105, 105, 1, 1, 1}).code(), errc::send_state_invalid);
  // More configured confirmations raise it.
  EXPECT_EQ(reverted({111, 111, 20, 1, 1}).code(), errc::send_state_invalid);
  // Two endpoints configured, only one said so: not confirmed.
  EXPECT_EQ(reverted({111, 111, 12, 2, 1}).code(), errc::send_state_invalid);
  EXPECT_EQ(reverted({111, 111, 12, 3, 0}).code(), errc::send_state_invalid);
  EXPECT_EQ(reverted({111, 111, 12, 1, 2}).code(), errc::invalid_argument) << "more agreeing than configured";
  EXPECT_FALSE(cs::failure_final(100, {111, 111, 12, 2, 1}));
  EXPECT_TRUE(cs::failure_final(100, {111, 100, 12, 1, 1}));
  EXPECT_TRUE(cs::failure_final(100, {111, 111, 12, 2, 2}));
  // Final and confirmed: recorded as reverted.
  auto recorded = reverted({111, 111, 12, 2, 2});
  ASSERT_TRUE(recorded.has_value()) << recorded.error().message;
  fold(s, recorded);
  EXPECT_EQ(s.open["a"].status, cs::send_status::mined);
  EXPECT_FALSE(s.open["a"].success);
  // A success needs no such evidence (it pays what was asked for; the gateway still checks depth).
  cs::state t = with_request("t");
  fold(t, cs::decide(t, signing("t", 0, 1000, '2'), 0));
  fold(t, cs::decide(t, receipt("t", "0x" + std::string(64, '2'), 100, true, 21000, 1000), 0));
  EXPECT_TRUE(t.open["t"].success);
}

// A send is given up only when a final transaction that is none of its attempts holds its
// nonce; a claim that the nonce is used proves nothing by itself.
TEST(ChainSend, AbandonedOnlyWhenAFinalizedTransactionNotOursTakesTheNonce) {
  cs::state s = with_request("a");
  fold(s, cs::decide(s, signing("a", 0, 1000, '1'), 0));
  fold(s, cs::decide(s, signing("a", 0, 1100, '2'), 0));
  const std::string foreign = "0x" + std::string(64, 'f');
  const cs::failure_evidence final_two{120, 120, 12, 2, 2};
  const auto taken = [&](std::string by, std::uint64_t nonce, std::uint64_t block, cs::failure_evidence e) {
    return cs::decide(s, cs::abandon{"a", "nonce taken", std::move(by), nonce, block, e}, 0);
  };
  // A signed send without a holder: refused (a node saying "the nonce is used" is not enough).
  EXPECT_EQ(cs::decide(s, giving_up("a", "nonce used"), 0).code(), errc::send_state_invalid);
  // The holder is one of our attempts (the first or the replacement): it is mined, not lost.
  EXPECT_EQ(taken("0x" + std::string(64, '1'), 0, 100, final_two).code(), errc::send_state_invalid);
  EXPECT_EQ(taken("0x" + std::string(64, '2'), 0, 100, final_two).code(), errc::send_state_invalid);
  // Another nonce: not ours to judge.
  EXPECT_EQ(taken(foreign, 1, 100, final_two).code(), errc::send_state_invalid);
  // Not final: not deep enough, above finalized, or not confirmed by the second endpoint.
  EXPECT_EQ(taken(foreign, 0, 110, final_two).code(), errc::send_state_invalid);
  EXPECT_EQ(taken(foreign, 0, 100, {120, 99, 12, 2, 2}).code(), errc::send_state_invalid);
  EXPECT_EQ(taken(foreign, 0, 100, {120, 120, 12, 2, 1}).code(), errc::send_state_invalid);
  EXPECT_EQ(taken("0x12", 0, 100, final_two).code(), errc::invalid_argument);
  auto abandoned = taken(foreign, 0, 100, final_two);
  ASSERT_TRUE(abandoned.has_value()) << abandoned.error().message;
  fold(s, abandoned);
  EXPECT_EQ(s.open["a"].status, cs::send_status::abandoned);
  EXPECT_NE(s.open["a"].reason.find(foreign), std::string::npos) << "the reason names the other transaction";
  // A send never signed may be given up without a holder.
  cs::state r = with_request("r");
  fold(r, cs::decide(r, giving_up("r", "held too long"), 0));
  EXPECT_EQ(r.open["r"].status, cs::send_status::abandoned);
}

TEST(ChainSend, SnapshotsRoundTripEveryField) {
  cs::state s = with_request("a");
  fold(s, cs::decide(s, cs::request{"b", cs::purpose::withdrawal, deposit_address, usdt(5)}, 0));
  fold(s, cs::decide(s, cs::request{"c", cs::purpose::payout, deposit_address, usdt(6)}, 0));
  fold(s, cs::decide(s, signing("a", 0, 1000, '1'), 11));
  fold(s, cs::decide(s, signing("a", 0, 1100, '2'), 12));
  fold(s, cs::decide(s, signing("b", 1, 1000, '3'), 13));
  const cs::failure_evidence final_one{20, 20, 12, 1, 1};
  fold(s, cs::decide(s, receipt("b", "0x" + std::string(64, '3'), 9, false, 21000, 1000, final_one), 0));
  fold(s, cs::decide(s, cs::settle{"b"}, 0));
  fold(s, cs::decide(s, giving_up("c", "never sent"), 0));
  fold(s, cs::decide(s, cs::skip_nonces{4, "outside"}, 0));
  const std::string bytes = cs::encode_snapshot(s);
  auto back = cs::decode_snapshot(s.where, bytes);
  ASSERT_TRUE(back.has_value()) << back.error().message;
  EXPECT_EQ(*back, s);
  EXPECT_EQ(cs::encode_snapshot(*back), bytes);
  EXPECT_EQ(cs::decode_snapshot(cs::key{97, sender_address}, bytes).code(), errc::snapshot_invalid);
  EXPECT_EQ(cs::decode_snapshot(s.where, "{}").code(), errc::event_decode_failed);
}

namespace wd = withdrawal;

TEST(Withdrawal, AboveTheLimitAnotherOperatorApproves) {
  wd::state s("w1");
  auto r = wd::decide(s, wd::request{user_id(7), usdt(1500), "0x7F31abEa73053A3e049Eaa0f8E73d351DA173229",
                                     "token:op1", usdt(1000)},
                      0);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  for (const auto& e : *r) wd::evolve(s, e);
  EXPECT_EQ(s.status, wd::status_kind::awaiting_approval);
  EXPECT_EQ(wd::decide(s, wd::approve{"token:op1"}, 0).code(), errc::approval_same_operator);
  EXPECT_EQ(wd::decide(s, wd::complete{tx}, 0).code(), errc::withdrawal_state_invalid);
  for (const auto& e : wd::decide(s, wd::approve{"token:op2"}, 0).value()) wd::evolve(s, e);
  EXPECT_EQ(s.status, wd::status_kind::approved);
  EXPECT_TRUE(wd::decide(s, wd::approve{"token:op2"}, 0)->empty());
  EXPECT_EQ(wd::decide(s, wd::reject{"token:op2", "late"}, 0).code(), errc::withdrawal_state_invalid);
  for (const auto& e : wd::decide(s, wd::complete{tx}, 0).value()) wd::evolve(s, e);
  EXPECT_EQ(s.status, wd::status_kind::completed);
  EXPECT_TRUE(wd::decide(s, wd::fail{"late", ""}, 0)->empty());
}

TEST(Withdrawal, AtOrBelowTheLimitNeedsNoApprovalAndBadInputIsRefused) {
  wd::state s("w2");
  const std::string good = "0x7F31abEa73053A3e049Eaa0f8E73d351DA173229";
  auto r = wd::decide(s, wd::request{user_id(7), usdt(1000), good, "telegram:7", usdt(1000)}, 0);
  ASSERT_TRUE(r.has_value());
  for (const auto& e : *r) wd::evolve(s, e);
  EXPECT_EQ(s.status, wd::status_kind::approved);
  EXPECT_FALSE(s.needs_approval);
  EXPECT_TRUE(wd::decide(s, wd::request{user_id(7), usdt(1000), good, "telegram:7", usdt(1000)}, 0)->empty());
  EXPECT_EQ(wd::decide(s, wd::request{user_id(7), usdt(999), good, "telegram:7", usdt(1000)}, 0).code(),
            errc::invalid_argument);
  wd::state t("w3");
  EXPECT_EQ(wd::decide(t, wd::request{user_id(7), usdt(1), "0x7f31abEa73053A3e049Eaa0f8E73d351DA173229", "x",
                                      usdt(1000)},
                       0)
                .code(),
            errc::payout_address_invalid);
  EXPECT_EQ(wd::decide(t, wd::request{user_id(7), usdt(0), good, "x", usdt(1000)}, 0).code(),
            errc::amount_must_be_positive);
  EXPECT_EQ(wd::decide(wd::state("bad id!"), wd::request{user_id(7), usdt(1), good, "x", usdt(1)}, 0).code(),
            errc::invalid_argument);
  EXPECT_EQ(wd::decide(t, wd::approve{"op"}, 0).code(), errc::withdrawal_not_found);
}

// Issue 13: a withdrawal that cannot be sent held the user's money for ever (rejecting an
// approved one was refused and there was no cancel). Until its transaction is signed it can be
// cancelled, by an operator or by the user it belongs to, and the user is told.
TEST(Withdrawal, CancelledBeforeItIsSentByAnOperatorOrItsOwnUser) {
  const std::string good = "0x7F31abEa73053A3e049Eaa0f8E73d351DA173229";
  wd::state s("w11");
  for (const auto& e : wd::decide(s, wd::request{user_id(7), usdt(5), good, "telegram:7", usdt(1000)}, 0).value()) {
    wd::evolve(s, e);
  }
  ASSERT_EQ(s.status, wd::status_kind::approved);
  EXPECT_EQ(wd::decide(s, wd::cancel{"telegram:8", "mine now"}, 0).code(), errc::withdrawal_not_found);
  EXPECT_EQ(wd::decide(s, wd::cancel{"telegram:7", ""}, 0).code(), errc::invalid_argument);
  auto by_user = wd::decide(s, wd::cancel{"telegram:7", "asked by the user"}, 0);
  ASSERT_TRUE(by_user.has_value()) << by_user.error().message;
  ASSERT_EQ(by_user->size(), 1u);
  const auto encoded = encode_event((*by_user)[0]);
  EXPECT_EQ(encoded.type, "withdrawal.cancelled");
  for (const auto& e : *by_user) wd::evolve(s, e);
  EXPECT_EQ(s.status, wd::status_kind::cancelled);
  EXPECT_TRUE(wd::is_final(s.status));
  EXPECT_TRUE(wd::decide(s, wd::cancel{"op:alice", "again"}, 0)->empty());
  EXPECT_EQ(wd::decide(s, wd::complete{tx}, 0).code(), errc::withdrawal_state_invalid);
  EXPECT_TRUE(wd::decide(s, wd::fail{"abandoned", ""}, 0)->empty()) << "a late report of the abandoned send";
  EXPECT_FALSE(notice::plan("withdrawal-w11", encoded.type, encoded.version, encoded.payload, 0))
      << "the bot answered the user who cancelled; no second message";

  wd::state waiting("w12");
  for (const auto& e :
       wd::decide(waiting, wd::request{user_id(7), usdt(1500), good, "op:alice", usdt(1000)}, 0).value()) {
    wd::evolve(waiting, e);
  }
  ASSERT_EQ(waiting.status, wd::status_kind::awaiting_approval);
  for (const auto& e : wd::decide(waiting, wd::cancel{"op:alice", "wrong address"}, 0).value()) {
    wd::evolve(waiting, e);
  }
  EXPECT_EQ(waiting.status, wd::status_kind::cancelled);
  EXPECT_EQ(waiting.reason, "wrong address");
  const auto by_operator = encode_event(wd::event(wd::cancelled{{user_id(7), usdt(1500), good}, "op:alice", "wrong address"}));
  auto told = notice::plan("withdrawal-w12", by_operator.type, by_operator.version, by_operator.payload, 0);
  ASSERT_TRUE(told.has_value());
  EXPECT_EQ(told->user, user_id(7));
  EXPECT_NE(told->items[0].text.find("cancelled by an operator (wrong address)"), std::string::npos)
      << told->items[0].text;
  EXPECT_NE(told->items[0].text.find("back in your balance"), std::string::npos) << told->items[0].text;
  EXPECT_EQ(wd::decide(waiting, wd::approve{"op:bob"}, 0).code(), errc::withdrawal_state_invalid);

  wd::state sent("w13");
  for (const auto& e : wd::decide(sent, wd::request{user_id(7), usdt(5), good, "telegram:7", usdt(1000)}, 0).value()) {
    wd::evolve(sent, e);
  }
  for (const auto& e : wd::decide(sent, wd::complete{tx}, 0).value()) wd::evolve(sent, e);
  EXPECT_EQ(wd::decide(sent, wd::cancel{"op:alice", "too late"}, 0).code(), errc::withdrawal_state_invalid);
}

// Issue 13: /withdraw 0.000000000000000001 was held and the zero address accepted; a refusal
// for a low balance told the user twice, once with a stream name.
TEST(Withdrawal, AMinimumTheZeroAddressAndARefusalToldOnce) {
  const std::string good = "0x7F31abEa73053A3e049Eaa0f8E73d351DA173229";
  wd::request small{user_id(7), *parse_amount("9.99", asset::usdt), good, "telegram:7", usdt(1000)};
  small.minimum = usdt(10);
  auto refused = wd::decide(wd::state("w20"), small, 0);
  EXPECT_EQ(refused.code(), errc::withdrawal_below_minimum);
  EXPECT_NE(refused.error().message.find("10 USDT"), std::string::npos) << refused.error().message;
  small.value = usdt(10);
  EXPECT_TRUE(wd::decide(wd::state("w20"), small, 0).has_value()) << "the minimum itself is allowed";
  EXPECT_EQ(wd::decide(wd::state("w21"),
                       wd::request{user_id(7), usdt(10), "0x0000000000000000000000000000000000000000", "x", usdt(1000)},
                       0)
                .code(),
            errc::payout_address_invalid);
  wd::state s("w22");
  for (const auto& e : wd::decide(s, wd::request{user_id(7), usdt(50), good, "telegram:7", usdt(1000)}, 0).value()) {
    wd::evolve(s, e);
  }
  auto failed = wd::decide(s, wd::fail{"the balance was too low", "", true}, 0);
  ASSERT_TRUE(failed.has_value());
  const auto encoded = encode_event((*failed)[0]);
  EXPECT_NE(encoded.payload.find("\"nothing_held\":true"), std::string::npos) << encoded.payload;
  auto back = decode_event<wd::event>(encoded.type, encoded.version, encoded.payload);
  ASSERT_TRUE(back.has_value());
  EXPECT_TRUE(std::get<wd::failed>(*back).nothing_held);
  EXPECT_FALSE(notice::plan("withdrawal-w22", encoded.type, encoded.version, encoded.payload, 0))
      << "the requester was answered at once";
}

TEST(Withdrawal, EndingsTellTheUserAndCarryTheirFacts) {
  wd::state s("w9");
  const std::string good = "0x7F31abEa73053A3e049Eaa0f8E73d351DA173229";
  for (const auto& e : wd::decide(s, wd::request{user_id(7), usdt(5), good, "telegram:7", usdt(1000)}, 0).value()) {
    wd::evolve(s, e);
  }
  auto done = wd::decide(s, wd::complete{tx}, 0);
  ASSERT_EQ(done->size(), 1u);
  const auto encoded = encode_event((*done)[0]);
  auto notice_plan = notice::plan("withdrawal-w9", encoded.type, encoded.version, encoded.payload, 0);
  ASSERT_TRUE(notice_plan.has_value());
  EXPECT_EQ(notice_plan->user, user_id(7));
  ASSERT_EQ(notice_plan->items.size(), 1u);
  EXPECT_NE(notice_plan->items[0].text.find(tx), std::string::npos);
  EXPECT_NE(notice_plan->items[0].text.find("5 USDT to " + good), std::string::npos);
  const auto failed_event = encode_event(wd::decide(s, wd::fail{"reverted", tx}, 0)->empty()
                                             ? wd::event(wd::failed{{user_id(7), usdt(5), good}, "reverted", tx})
                                             : wd::event(wd::failed{}));
  auto failure = notice::plan("withdrawal-w9", failed_event.type, failed_event.version, failed_event.payload, 0);
  ASSERT_TRUE(failure.has_value());
  EXPECT_NE(failure->items[0].text.find("stays in your balance"), std::string::npos);
  wd::state fresh("w10");
  const auto requested = encode_event(
      wd::decide(fresh, wd::request{user_id(7), usdt(5), good, "telegram:7", usdt(1000)}, 0).value()[0]);
  EXPECT_FALSE(notice::plan("withdrawal-w10", requested.type, requested.version, requested.payload, 0));
}

TEST(ChannelPayoutAddress, AChangeNeedsASecondOperator) {
  channel::state s(channel_id(-1001));
  const std::string first = "0x7F31abEa73053A3e049Eaa0f8E73d351DA173229";
  const std::string second = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";
  for (const auto& e :
       channel::decide(s, channel::register_channel{user_id(1), "Paid", {channel::tier{amount(asset::usd, 999), 30}}, false,
                                                    channel::payout_strategy::instant, amount(asset::usd, 0), first},
                       0)
           .value()) {
    channel::evolve(s, e);
  }
  auto asked = channel::decide(s, channel::change_payout_address{second, "token:op1"}, 0);
  ASSERT_TRUE(asked.has_value()) << asked.error().message;
  for (const auto& e : *asked) channel::evolve(s, e);
  EXPECT_EQ(s.payout_address, first) << "nothing changes before approval";
  EXPECT_EQ(s.pending_payout_address, second);
  EXPECT_EQ(channel::decide(s, channel::approve_payout_address{second, "token:op1"}, 0).code(),
            errc::approval_same_operator);
  EXPECT_EQ(channel::decide(s, channel::approve_payout_address{first, "token:op2"}, 0).code(), errc::invalid_argument);
  for (const auto& e : channel::decide(s, channel::approve_payout_address{second, "token:op2"}, 0).value()) {
    channel::evolve(s, e);
  }
  EXPECT_EQ(s.payout_address, second);
  EXPECT_TRUE(s.pending_payout_address.empty());
  EXPECT_TRUE(channel::decide(s, channel::approve_payout_address{second, "token:op2"}, 0)->empty());
}

TEST(UserDepositAddress, RecordedOncePerChain) {
  user::state s(user_id(7));
  for (const auto& e : user::decide(s, user::register_user{"", std::nullopt, false}, 0).value()) user::evolve(s, e);
  const std::string a = "0x3707997230b3d9Cd02cf0173068dddab3EB73d20";
  auto first = user::decide(s, user::assign_deposit_address{56, a, "0/7"}, 0);
  ASSERT_EQ(first->size(), 1u);
  for (const auto& e : *first) user::evolve(s, e);
  EXPECT_TRUE(user::decide(s, user::assign_deposit_address{56, a, "0/7"}, 0)->empty());
  EXPECT_EQ(user::decide(s, user::assign_deposit_address{56, "0x8A0108042089A3135706b1761926B62C2b702D3f", "0/8"}, 0)
                .code(),
            errc::invalid_argument);
  EXPECT_EQ(user::decide(user::state(user_id(8)), user::assign_deposit_address{56, a, "0/8"}, 0).code(),
            errc::user_not_registered);
}

}  // namespace
}  // namespace telepay::domain
