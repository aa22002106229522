// Goal: the invoice entity's decisions on what NOWPayments reports late and on creating the
// hosted invoice: a different final status after a final one is recorded once for review and
// changes neither the payment's status nor its action (so nothing is settled again, on replay
// either), while earlier steps arriving late stay ignored; a creation attempt is recorded before
// it is sent and, while its outcome is unknown, no second one is begun.
// Method: given/when/then over the pure decide/evolve functions; replays fold the same events
// twice and through the codec.

#include <gtest/gtest.h>

#include "domain/invoice.hpp"

namespace telepay::domain {
namespace {

using invoice::status;

constexpr std::int64_t now = 1'800'000'000'000'000;
constexpr std::uint64_t payment_id = 5'000'000'001;

amount usd(std::string_view text) { return *parse_amount(text, asset::usd); }
amount usdt(std::string_view text) { return *parse_amount(text, asset::usdt); }

invoice::terms terms() {
  invoice::terms t;
  t.buyer = user_id(7001);
  t.channel = channel_id(-1007001);
  t.tier = 1;
  t.days = 30;
  t.list_price = usd("9.99");
  t.price = usd("9.99");
  t.credit = usdt("9.99");
  return t;
}

invoice::report report(status s, std::string paid = "10.03") {
  invoice::report r;
  r.payment_id = payment_id;
  r.state = s;
  r.source = "ipn:recursive";
  r.price_amount = "9.99";
  r.price_currency = "usd";
  r.pay_amount = "10.03";
  r.pay_currency = "usdtbsc";
  r.actually_paid = std::move(paid);
  return r;
}

/// Decides `c` on `s` and folds what it decided into `s` (and into `log`); the events.
std::vector<invoice::event> apply(invoice::state& s, const invoice::command& c,
                                  std::vector<invoice::event>* log = nullptr) {
  auto decided = invoice::decide(s, c, now);
  EXPECT_TRUE(decided.has_value()) << decided.error().message;
  if (!decided) return {};
  for (const auto& e : *decided) {
    invoice::evolve(s, e);
    if (log != nullptr) log->push_back(e);
  }
  return *decided;
}

invoice::state created_invoice(std::vector<invoice::event>* log = nullptr) {
  invoice::state s("o-1");
  apply(s, invoice::create{terms()}, log);
  return s;
}

TEST(InvoiceLateStatus, ARefundAfterFinishedIsRecordedForReviewAndChangesNoDecision) {
  std::vector<invoice::event> log;
  invoice::state s = created_invoice(&log);
  apply(s, invoice::record{report(status::finished)}, &log);
  ASSERT_EQ(s.payments.at(payment_id).decided, invoice::action::fund_purchase);
  const auto settlement_before = invoice::settlement_for(s, payment_id);
  ASSERT_TRUE(settlement_before.has_value());

  const auto late = apply(s, invoice::record{report(status::refunded)}, &log);
  ASSERT_EQ(late.size(), 1u);
  const auto* recorded = std::get_if<invoice::late_status_recorded>(&late[0]);
  ASSERT_NE(recorded, nullptr) << "a late status is its own event, not a payment_recorded";
  EXPECT_EQ(recorded->recorded, status::finished);
  EXPECT_EQ(recorded->reported.state, status::refunded);
  EXPECT_EQ(recorded->buyer, user_id(7001));
  EXPECT_NE(recorded->note.find("refunded reported after finished"), std::string::npos) << recorded->note;

  const invoice::payment& p = s.payments.at(payment_id);
  EXPECT_EQ(p.state, status::finished) << "the recorded status stays";
  EXPECT_EQ(p.decided, invoice::action::fund_purchase) << "the action stays";
  EXPECT_EQ(p.late, std::vector<status>{status::refunded});
  EXPECT_TRUE(p.in_review());
  EXPECT_TRUE(s.in_review());
  EXPECT_EQ(invoice::settlement_for(s, payment_id), settlement_before) << "nothing more to settle";
  EXPECT_EQ(invoice::idempotency_key(s, invoice::record{report(status::refunded)}),
            "pay:" + std::to_string(payment_id) + ":refunded");

  // Replay: the same events folded again, and through the codec, give the same state.
  invoice::state again("o-1");
  for (const auto& e : log) {
    const auto encoded = encode_event(e);
    auto decoded = decode_event<invoice::event>(encoded.type, encoded.version, encoded.payload);
    ASSERT_TRUE(decoded.has_value()) << encoded.type << ": " << decoded.error().message;
    EXPECT_EQ(*decoded, e);
    invoice::evolve(again, *decoded);
  }
  EXPECT_EQ(again, s);
}

TEST(InvoiceLateStatus, TheSameLateStatusRepeatedRecordsNothing) {
  invoice::state s = created_invoice();
  apply(s, invoice::record{report(status::finished)});
  ASSERT_EQ(apply(s, invoice::record{report(status::refunded)}).size(), 1u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(apply(s, invoice::record{report(status::refunded)}).empty()) << "deduplicated";
  }
  EXPECT_EQ(s.payments.at(payment_id).late.size(), 1u);
}

TEST(InvoiceLateStatus, FinishedAfterPartiallyPaidIsLateAndCreditsNothingMore) {
  invoice::state s = created_invoice();
  apply(s, invoice::record{report(status::partially_paid, "5.015")});
  const invoice::payment before = s.payments.at(payment_id);
  ASSERT_EQ(before.decided, invoice::action::credit);
  const auto late = apply(s, invoice::record{report(status::finished)});
  ASSERT_EQ(late.size(), 1u);
  ASSERT_TRUE(std::holds_alternative<invoice::late_status_recorded>(late[0]));
  const invoice::payment& after = s.payments.at(payment_id);
  EXPECT_EQ(after.state, status::partially_paid);
  EXPECT_EQ(after.decided, invoice::action::credit);
  EXPECT_EQ(after.credit, before.credit) << "the partial credit only";
  EXPECT_FALSE(s.paid()) << "a late finished never funds the purchase";
}

TEST(InvoiceLateStatus, EveryOtherFinalStatusAfterAFinalOneIsLate) {
  const status finals[] = {status::finished, status::partially_paid, status::failed, status::expired,
                           status::refunded};
  for (status first : finals) {
    invoice::state s = created_invoice();
    apply(s, invoice::record{report(first, first == status::partially_paid ? "5" : "10.03")});
    std::size_t late = 0;
    for (status then : finals) {
      const auto decided = apply(s, invoice::record{report(then)});
      if (then == first) {
        EXPECT_TRUE(decided.empty()) << "a duplicate of " << invoice::status_name(first);
        continue;
      }
      ASSERT_EQ(decided.size(), 1u) << invoice::status_name(then) << " after " << invoice::status_name(first);
      EXPECT_TRUE(std::holds_alternative<invoice::late_status_recorded>(decided[0]));
      ++late;
    }
    EXPECT_EQ(s.payments.at(payment_id).state, first);
    EXPECT_EQ(s.payments.at(payment_id).late.size(), late);
  }
}

TEST(InvoiceLateStatus, EarlierStepsAfterAFinalOneAndOtherPaymentsAreUnaffected) {
  invoice::state s = created_invoice();
  apply(s, invoice::record{report(status::finished)});
  for (status earlier : {status::waiting, status::confirming, status::confirmed, status::sending}) {
    EXPECT_TRUE(apply(s, invoice::record{report(earlier)}).empty()) << invoice::status_name(earlier);
  }
  EXPECT_FALSE(s.in_review());
  // A first report of another payment is recorded as usual, even a refunded one.
  auto other = report(status::refunded);
  other.payment_id = payment_id + 1;
  const auto decided = apply(s, invoice::record{other});
  ASSERT_EQ(decided.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<invoice::payment_recorded>(decided[0]));
  // A late status that is not a decimal is still refused as malformed.
  auto junk = report(status::refunded, "ten");
  auto refused = invoice::decide(s, invoice::record{junk}, now);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.code(), errc::payment_invalid);
}

TEST(InvoiceLateStatus, TheEventRefusesWhatIsNotALateStatus) {
  invoice::late_status_recorded e;
  e.reported = report(status::refunded);
  e.buyer = user_id(7001);
  e.recorded = status::finished;
  e.note = "n";
  const auto encoded = encode_event(invoice::event{e});
  ASSERT_TRUE(decode_event<invoice::event>(encoded.type, encoded.version, encoded.payload).has_value());
  std::string same_status = encoded.payload;
  same_status.replace(same_status.find("\"recorded_status\":\"finished\""), 28, "\"recorded_status\":\"refunded\"");
  EXPECT_FALSE(decode_event<invoice::event>(encoded.type, encoded.version, same_status).has_value());
  std::string in_flight = encoded.payload;
  in_flight.replace(in_flight.find("\"recorded_status\":\"finished\""), 28, "\"recorded_status\":\"sending\"");
  EXPECT_FALSE(decode_event<invoice::event>(encoded.type, encoded.version, in_flight).has_value());
}

TEST(InvoiceCreation, AnAttemptIsRecordedBeforeSendingAndNoSecondOneWhileItsOutcomeIsUnknown) {
  invoice::state s = created_invoice();
  const auto first = apply(s, invoice::begin_attempt{});
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(std::get<invoice::creation_attempted>(first[0]).attempt, 1u);
  EXPECT_TRUE(s.attempt_open);
  EXPECT_EQ(invoice::idempotency_key(s, invoice::begin_attempt{}), "invoice-attempt:o-1:2");
  // Its outcome unknown (no answer, a 5xx, a crash): nothing is begun again.
  EXPECT_TRUE(apply(s, invoice::begin_attempt{}).empty());
  EXPECT_EQ(s.attempts, 1u);
  // It created nothing (a 4xx, never sent, or an operator checked): a new attempt may start.
  const auto closed = apply(s, invoice::close_attempt{1, "NOWPayments answered 400"});
  ASSERT_EQ(closed.size(), 1u);
  EXPECT_EQ(std::get<invoice::creation_failed>(closed[0]).reason, "NOWPayments answered 400");
  EXPECT_FALSE(s.attempt_open);
  EXPECT_TRUE(apply(s, invoice::close_attempt{1, "again"}).empty()) << "closed once";
  ASSERT_EQ(apply(s, invoice::begin_attempt{}).size(), 1u);
  EXPECT_EQ(s.attempts, 2u);
  EXPECT_TRUE(apply(s, invoice::close_attempt{1, "stale"}).empty()) << "only the open attempt closes";
  EXPECT_TRUE(s.attempt_open);
  // NOWPayments answered with the invoice: linked, the attempt is closed, nothing more to try.
  apply(s, invoice::link{"4500000000", "https://nowpayments.io/payment/?iid=4500000000"});
  EXPECT_FALSE(s.attempt_open);
  EXPECT_TRUE(apply(s, invoice::begin_attempt{}).empty());
  EXPECT_TRUE(apply(s, invoice::close_attempt{2, "late"}).empty());
  EXPECT_EQ(s.attempts, 2u);
}

TEST(InvoiceCreation, AnOpenAttemptIsClosedByLinkingTheInvoiceAnOperatorFound) {
  invoice::state s = created_invoice();
  apply(s, invoice::begin_attempt{});
  apply(s, invoice::link{"4500000001", "https://nowpayments.io/payment/?iid=4500000001"});
  EXPECT_FALSE(s.attempt_open);
  EXPECT_EQ(s.provider_invoice_id, "4500000001");
}

TEST(InvoiceCreation, RefusesAttemptsBeforeTheOrderAndReasonsOutOfBounds) {
  invoice::state none("o-2");
  auto early = invoice::decide(none, invoice::begin_attempt{}, now);
  ASSERT_FALSE(early.has_value());
  EXPECT_EQ(early.code(), errc::invoice_not_found);
  invoice::state s = created_invoice();
  apply(s, invoice::begin_attempt{});
  for (const std::string& reason : {std::string(), std::string(invoice::creation_reason_bytes_max + 1, 'x'),
                                    std::string("\xff\xfe")}) {
    auto r = invoice::decide(s, invoice::close_attempt{1, reason}, now);
    ASSERT_FALSE(r.has_value()) << reason.size();
    EXPECT_EQ(r.code(), errc::invalid_argument);
  }
  EXPECT_EQ(apply(s, invoice::close_attempt{1, std::string(invoice::creation_reason_bytes_max, 'x')}).size(), 1u)
      << "300 bytes is the limit";
}

TEST(InvoiceCreation, AttemptEventsRoundTripAndRefuseAttemptZero) {
  for (const invoice::event& e : {invoice::event{invoice::creation_attempted{3}},
                                  invoice::event{invoice::creation_failed{3, "no connection"}}}) {
    const auto encoded = encode_event(e);
    auto decoded = decode_event<invoice::event>(encoded.type, encoded.version, encoded.payload);
    ASSERT_TRUE(decoded.has_value()) << decoded.error().message;
    EXPECT_EQ(*decoded, e);
  }
  EXPECT_FALSE(decode_event<invoice::event>("invoice.creation_attempted", 1, R"({"attempt":0})").has_value());
  EXPECT_FALSE(
      decode_event<invoice::event>("invoice.creation_failed", 1, R"({"attempt":0,"reason":"x"})").has_value());
}

}  // namespace
}  // namespace telepay::domain
