// Goal: IPN signatures are checked exactly as NOWPayments computes them. The known-answer
// vectors (tests/vectors/nowpayments_ipn.json, from an independent implementation) must be
// reproduced for both signing variants - Cyrillic text, 1e-7, 6.0, numbers sent as strings,
// escaped quotes and tabs - and any change to a signed body must be refused. JavaScript's
// number printing and property order are pinned with values checked against node v20.
// Method: pure functions over the vector file and hand-made bodies.

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "domain/base/json.hpp"
#include "domain/money/decimal.hpp"
#include "gateways/nowpayments/codec.hpp"

namespace telepay::gateways::nowpayments {
namespace {

js_value load_vectors() {
  std::ifstream in(std::string(TELEPAY_TEST_DATA_DIR) + "/vectors/nowpayments_ipn.json");
  std::stringstream buffer;
  buffer << in.rdbuf();
  auto parsed = parse_js_json(buffer.str());
  EXPECT_TRUE(parsed.has_value());
  return parsed.value();
}

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

TEST(NowpaymentsSignature, ReproducesEveryVectorInBothVariants) {
  const js_value vectors = load_vectors();
  const std::string secret = vectors.find("secret")->text;
  const auto& cases = vectors.find("cases")->items;
  ASSERT_GE(cases.size(), 3u);
  for (const js_value& c : cases) {
    const std::string& raw = c.find("raw_body")->text;
    auto body = parse_js_json(raw);
    ASSERT_TRUE(body.has_value()) << raw;
    EXPECT_EQ(stringify_sorted_recursive(*body), c.find("signed_string_recursive")->text);
    EXPECT_EQ(stringify_sorted_legacy(*body), c.find("signed_string_legacy")->text);
    EXPECT_EQ(sign(*body, secret, signature_variant::recursive), c.find("sig_recursive")->text);
    EXPECT_EQ(sign(*body, secret, signature_variant::legacy), c.find("sig_legacy")->text);

    auto recursive = verify_signature(*body, c.find("sig_recursive")->text, secret);
    ASSERT_TRUE(recursive.has_value());
    EXPECT_EQ(*recursive, signature_variant::recursive);
    auto legacy = verify_signature(*body, upper(c.find("sig_legacy")->text), secret);
    ASSERT_TRUE(legacy.has_value()) << "hex is compared case-insensitively";
    // Without nested objects both variants print the same string; then the recursive one is
    // the one reported.
    const bool same = c.find("signed_string_legacy")->text == c.find("signed_string_recursive")->text;
    EXPECT_EQ(*legacy, same ? signature_variant::recursive : signature_variant::legacy);
  }
}

TEST(NowpaymentsSignature, RefusesTamperedBodiesWrongSecretsAndMalformedHeaders) {
  const js_value vectors = load_vectors();
  const std::string secret = vectors.find("secret")->text;
  const js_value& first = vectors.find("cases")->items[0];
  const std::string raw = first.find("raw_body")->text;
  const std::string sig = first.find("sig_recursive")->text;

  for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
           {"\"price_amount\":9.99", "\"price_amount\":99.9"},
           {"finished", "Finished"},
           {"Подписка", "Подпискa"},  // Latin 'a' for the Cyrillic one
           {"\"depositFee\":0.0000001", "\"depositFee\":0.0000002"},
           {"\"updated_at\":1724067404468", "\"updated_at\":1724067404469"}}) {
    std::string tampered = raw;
    const auto at = tampered.find(from);
    ASSERT_NE(at, std::string::npos) << from;
    tampered.replace(at, from.size(), to);
    auto body = parse_js_json(tampered);
    ASSERT_TRUE(body.has_value());
    auto verdict = verify_signature(*body, sig, secret);
    ASSERT_FALSE(verdict.has_value()) << "accepted a body with " << to;
    EXPECT_EQ(verdict.code(), errc::signature_invalid);
  }
  auto body = parse_js_json(raw).value();
  EXPECT_EQ(verify_signature(body, sig, "ipn_secret_wrong").code(), errc::signature_invalid);
  EXPECT_EQ(verify_signature(body, "", secret).code(), errc::signature_missing);
  EXPECT_EQ(verify_signature(body, sig.substr(1), secret).code(), errc::signature_invalid);
  EXPECT_EQ(verify_signature(body, sig.substr(0, 127) + "g", secret).code(), errc::signature_invalid);
  // A nested-object change is invisible to the legacy variant (it prints "fee":{}), so a
  // legacy signature still verifies: that is how NOWPayments' older signer behaves.
  std::string fee_changed = raw;
  fee_changed.replace(fee_changed.find("\"serviceFee\":0.05"), 17, "\"serviceFee\":0.06");
  auto changed = parse_js_json(fee_changed).value();
  EXPECT_EQ(verify_signature(changed, first.find("sig_legacy")->text, secret).value(),
            signature_variant::legacy);
  EXPECT_EQ(verify_signature(changed, sig, secret).code(), errc::signature_invalid);
}

TEST(JsNumber, PrintsLikeNumberToString) {
  // Expected strings from node v20: JSON.stringify(x).
  const std::vector<std::pair<double, std::string>> cases = {
      {1e-7, "1e-7"}, {6.0, "6"}, {1e21, "1e+21"}, {1e20, "100000000000000000000"},
      {0.000001, "0.000001"}, {1.5e-7, "1.5e-7"}, {123456789012345680000.0, "123456789012345680000"},
      {-0.0, "0"}, {0.1 + 0.2, "0.30000000000000004"}, {5e-324, "5e-324"},
      {1.7976931348623157e308, "1.7976931348623157e+308"}, {-2.5e-10, "-2.5e-10"},
      {1724067404468.0, "1724067404468"}, {0.0000012345, "0.0000012345"}, {9.99, "9.99"},
      {10.0412, "10.0412"}};
  for (const auto& [value, text] : cases) {
    EXPECT_EQ(js_number(value), text);
  }
}

TEST(JsJson, SortsLikeSortObjectAndFiltersLikeAReplacerList) {
  // Expected strings from node v20 with NOWPayments' sortObject.
  auto a = parse_js_json(R"({"b":[3,{"z":1,"y":[]}],"a":{"10":1,"9":2,"x":3},"é":"/\u0001","ä":true})").value();
  EXPECT_EQ(stringify_sorted_recursive(a),
            R"({"a":{"9":2,"10":1,"x":3},"b":{"0":3,"1":{"y":{},"z":1}},"ä":true,"é":"/\u0001"})");
  EXPECT_EQ(stringify_sorted_legacy(a), R"({"a":{},"b":[3,{}],"ä":true,"é":"/\u0001"})");
  auto b = parse_js_json(R"({"b":{"b":1,"c":2,"a":[{"a":1,"q":2}]},"a":1,"10":5,"9":6})").value();
  EXPECT_EQ(stringify_sorted_legacy(b), R"({"10":5,"9":6,"a":1,"b":{"a":[{"a":1}],"b":1}})");
  EXPECT_EQ(stringify_sorted_recursive(b), R"({"9":6,"10":5,"a":1,"b":{"a":{"0":{"a":1,"q":2}},"b":1,"c":2}})");
  EXPECT_EQ(js_stringify(b), R"({"9":6,"10":5,"b":{"b":1,"c":2,"a":[{"a":1,"q":2}]},"a":1})");
}

TEST(JsJson, RefusesWhatCannotBeReprintedExactly) {
  for (const std::string bad :
       {R"({"a":1,"a":2})", R"({"a":"\ud800"})", R"({"a":"\udc00x"})", R"({"a":1} x)", R"({"a":01})",
        "{\"a\":\"\x01\"}", "{\"a\":\"\xff\"}", R"({"a":1e400})", R"({"a":1.})", R"({"a":-})",
        R"({"a":tru})", R"({"a" 1})", R"([1,])", "", R"({"a":"\x"})"}) {
    auto parsed = parse_js_json(bad);
    EXPECT_FALSE(parsed.has_value()) << bad;
    if (!parsed) {
      EXPECT_EQ(parsed.code(), errc::invalid_argument);
    }
  }
  std::string deep(100, '[');
  deep += std::string(100, ']');
  EXPECT_FALSE(parse_js_json(deep).has_value());
  auto pair = parse_js_json(R"({"s":"\ud83d\ude00 \u00e9\/"})").value();
  EXPECT_EQ(pair.find("s")->text, "\xF0\x9F\x98\x80 \xC3\xA9/");
}

TEST(JsJson, NamesADuplicateMemberOnACharacterBoundary) {
  // The name is cut at 64 bytes; 63 ASCII bytes and a two-byte letter put the cut inside it.
  const std::string key = std::string(63, 'a') + "\xc3\xa9";
  auto parsed = parse_js_json("{\"" + key + "\":1,\"" + key + "\":2}");
  ASSERT_FALSE(parsed.has_value());
  EXPECT_TRUE(is_valid_utf8(parsed.error().message)) << parsed.error().message;
  EXPECT_NE(parsed.error().message.find("duplicate member '" + std::string(63, 'a') + "'"), std::string::npos)
      << parsed.error().message;
}

TEST(PaymentReport, ReadsIdsAndAmountsInEitherTypeExactly) {
  const js_value vectors = load_vectors();
  const auto& cases = vectors.find("cases")->items;
  auto first = read_payment(parse_js_json(cases[0].find("raw_body")->text).value()).value();
  EXPECT_EQ(first.payment_id, 5000005509u);
  EXPECT_EQ(first.parent_payment_id, 0u);
  EXPECT_EQ(first.invoice_id, "5000005516");
  EXPECT_EQ(first.status, "finished");
  EXPECT_EQ(first.order_id, "sub-shared-1");
  EXPECT_EQ(first.price_amount, "9.99");
  EXPECT_EQ(first.pay_amount, "10.0412");
  EXPECT_EQ(first.actually_paid, "10.0412");
  EXPECT_EQ(first.outcome_amount, "9.8211");
  EXPECT_EQ(first.updated_at, "1724067404468");

  auto second = read_payment(parse_js_json(cases[1].find("raw_body")->text).value()).value();
  EXPECT_EQ(second.payment_id, 5000005510u) << "payment_id sent as a string";
  EXPECT_EQ(second.status, "partially_paid");
  EXPECT_EQ(second.price_amount, "25");
  EXPECT_EQ(second.pay_amount, "25.31");
  EXPECT_EQ(second.actually_paid, "6") << "6.0";
  EXPECT_EQ(second.outcome_amount, "0.0000001") << "1e-7";

  auto third = read_payment(parse_js_json(cases[2].find("raw_body")->text).value()).value();
  EXPECT_EQ(third.pay_amount, "5.0123456789");
  EXPECT_EQ(third.actually_paid, "0");

  for (const std::string bad :
       {R"({"payment_status":"finished"})", R"({"payment_id":1.5,"payment_status":"finished"})",
        R"({"payment_id":"12a","payment_status":"finished"})", R"({"payment_id":7})",
        R"({"payment_id":7,"payment_status":"finished","price_amount":-1})",
        R"({"payment_id":7,"payment_status":"finished","actually_paid":"1,5"})",
        R"({"payment_id":7,"payment_status":"finished","order_id":{}})", R"([1])"}) {
    auto report = read_payment(parse_js_json(bad).value());
    EXPECT_FALSE(report.has_value()) << bad;
    if (!report) {
      EXPECT_EQ(report.code(), errc::payment_invalid);
    }
  }
}

TEST(InvoiceCodec, WritesTheRequestAndReadsTheAnswerWithIdsOfEitherType) {
  invoice_request r;
  r.price_amount = "9.99";
  r.order_id = "o-1";
  r.order_description = "Подписка \"Gold\"";
  r.ipn_callback_url = "https://pay.example/v1/webhooks/nowpayments";
  const auto body = parse_js_json(invoice_request_body(r)).value();
  EXPECT_EQ(body.find("price_amount")->text, "9.99");
  EXPECT_EQ(body.find("price_amount")->type, js_value::kind::number);
  EXPECT_EQ(body.find("price_currency")->text, "usd");
  EXPECT_EQ(body.find("order_description")->text, "Подписка \"Gold\"");
  EXPECT_EQ(body.find("success_url"), nullptr);

  auto created = read_invoice_created(
      R"({"id":"4522625843","order_id":"o-1","invoice_url":"https://nowpayments.io/payment/?iid=4522625843"})");
  ASSERT_TRUE(created.has_value());
  EXPECT_EQ(created->id, "4522625843");
  EXPECT_EQ(read_invoice_created(R"({"id":4522625843,"invoice_url":"u"})")->id, "4522625843");
  EXPECT_EQ(read_invoice_created(R"({"id":4522625843})").code(), errc::upstream_failed);
  EXPECT_EQ(read_invoice_created("<html>").code(), errc::upstream_failed);
}

TEST(InvoiceCodec, EchoesProviderAnswersAsUtf8) {
  EXPECT_EQ(answer_excerpt("{\"message\":\"bad key\"}", 200), "{\"message\":\"bad key\"}");
  // Cut inside a two-byte letter: backs up to the character boundary.
  EXPECT_EQ(answer_excerpt(std::string(199, 'x') + "\xc3\xa9", 200), std::string(199, 'x'));
  // Not UTF-8 at all (an HTML error page in Latin-1, binary junk): every stray byte is '?'.
  const std::string junk = answer_excerpt("caf\xe9 \xff\xfe ok", 200);
  EXPECT_TRUE(is_valid_utf8(junk)) << junk;
  EXPECT_EQ(junk, "caf? ?? ok");
  EXPECT_TRUE(answer_excerpt("", 200).empty());
}

TEST(InvoiceCodec, RefusesAnApiKeyThatWouldSplitTheHeader) {
  EXPECT_TRUE(valid_api_key("np-secret-key-4711"));
  EXPECT_TRUE(valid_api_key("ABCD1234-EFGH 5678"));
  for (const std::string& bad : {std::string(""), std::string("k\r\nX-Other: 1"), std::string("k\n"),
                                std::string("k\x7f"), std::string("k\xc3\xa9"), std::string(257, 'k')}) {
    EXPECT_FALSE(valid_api_key(bad)) << bad;
  }
}

TEST(Decimal, ParsesJsonNumbersExactlyAndComparesAmounts) {
  using domain::parse_decimal;
  EXPECT_EQ(domain::format_decimal(parse_decimal("1e-7").value()), "0.0000001");
  EXPECT_EQ(domain::format_decimal(parse_decimal("6.0").value()), "6");
  EXPECT_EQ(domain::format_decimal(parse_decimal("1E+3").value()), "1000");
  EXPECT_EQ(domain::format_decimal(parse_decimal("0.17070286").value()), "0.17070286");
  EXPECT_EQ(domain::format_decimal(parse_decimal("0").value()), "0");
  for (const char* bad : {"", "-1", "01", "1.", ".5", "1e", "1e+", "abc", "1 ", "1e999"}) {
    EXPECT_FALSE(parse_decimal(bad).has_value()) << bad;
  }
  EXPECT_TRUE(domain::equals_amount(parse_decimal("9.99").value(), domain::amount(domain::asset::usd, 999)));
  EXPECT_TRUE(domain::equals_amount(parse_decimal("25").value(), domain::amount(domain::asset::usd, 2500)));
  EXPECT_FALSE(domain::equals_amount(parse_decimal("9.991").value(), domain::amount(domain::asset::usd, 999)));
  EXPECT_LT(domain::compare(parse_decimal("6").value(), parse_decimal("25.31").value()), 0);
  // 6 of 25.31 paid: floor(25 USDT * 6 / 25.31).
  const domain::amount base(domain::asset::usdt, u128{25} * pow10_u128(18));
  auto part = domain::scale_by_ratio(base, parse_decimal("6").value(), parse_decimal("25.31").value());
  ASSERT_TRUE(part.has_value());
  EXPECT_EQ(domain::format_amount(*part), "5.926511260371394705");
}

}  // namespace
}  // namespace telepay::gateways::nowpayments
