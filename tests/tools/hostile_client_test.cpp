// Goal: nothing a client sends to a write route can crash, wedge or change the real telepayd.
// Every write route of the OpenAPI document the server serves is walked: each field of each
// request example is sent as every wrong JSON type, missing, twice, oversized, with malformed
// UTF-8 and as a number past 2^128; whole bodies that are not JSON, not objects, too deep or too
// big; path parameters that are not numbers or not ASCII; bad Idempotency-Keys. After each
// request the answer is a 4xx JSON error naming the problem, /health still answers ready, and
// the head of the log has not moved.
// Every read route (GET) of the document is walked too: each query parameter with a bad value
// for its type, a parameter the route does not take, one given twice, malformed %-escapes and
// bad path parameters: a 400 JSON error naming the parameter, nothing else.
// Method: telepayd on loopback with NOWPayments and Telegram configured against upstreams that
// do not answer (so their routes parse bodies); the route list and the examples come from
// GET /openapi.json, so a route added later is covered without touching this test.

#include <gtest/gtest.h>
#include <simdjson.h>

#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <thread>

#include "tests/support/daemon.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace telepay {
namespace {

const std::string daemon_binary = TELEPAYD_BIN;
const std::string webhook_secret = "hostile-test-webhook-secret";

/// One JSON member as text, in document order (examples are small objects).
struct member {
  std::string name;
  std::string value;  // minified JSON
};

/// A write route as the document describes it.
struct write_route {
  std::string path;  // the pattern, with {name} segments
  std::map<std::string, std::string> path_types;  // {name} -> "integer" | "string"
  std::map<std::string, std::string> field_types;  // property -> JSON schema type
  std::set<std::string> required;
  std::set<std::string> money_fields;  // described as decimal strings
  bool closed = false;                 // additionalProperties: false
  bool idempotent = false;             // takes an Idempotency-Key
  std::string secret_header;           // webhooks: the header that authenticates the sender
  std::vector<std::vector<member>> examples;
};

/// What to send and what the answer must name.
struct attack {
  std::string what;      // for failure messages
  std::string target;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string must_name;  // a text the error message must contain ("" = any message)
  bool keyed = true;      // send a fresh Idempotency-Key
};

std::string to_text(simdjson::dom::element e) { return simdjson::minify(e); }

std::vector<write_route> routes_of(const std::string& document) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(document);
  std::vector<write_route> out;
  for (auto [path, item] : doc["paths"].get_object()) {
    simdjson::dom::element post;
    if (item["post"].get(post) != simdjson::SUCCESS) {
      continue;
    }
    write_route r;
    r.path = std::string(path);
    simdjson::dom::array parameters;
    if (post["parameters"].get(parameters) == simdjson::SUCCESS) {
      for (auto p : parameters) {
        std::string_view ref;
        if (p["$ref"].get(ref) == simdjson::SUCCESS) {
          r.idempotent = r.idempotent || ref.ends_with("/IdempotencyKey");
          continue;
        }
        std::string_view in = p["in"];
        std::string_view name = p["name"];
        if (in == "path") {
          r.path_types[std::string(name)] = std::string(std::string_view(p["schema"]["type"]));
        } else if (in == "header") {
          r.secret_header = std::string(name);
        }
      }
    }
    simdjson::dom::element content;
    if (post["requestBody"]["content"]["application/json"].get(content) == simdjson::SUCCESS) {
      simdjson::dom::element schema = content["schema"];
      bool closed = true;
      r.closed = schema["additionalProperties"].get(closed) == simdjson::SUCCESS && !closed;
      simdjson::dom::object properties;
      if (schema["properties"].get(properties) == simdjson::SUCCESS) {
        for (auto [name, property] : properties) {
          std::string_view type;
          if (property["type"].get(type) == simdjson::SUCCESS) {
            r.field_types[std::string(name)] = std::string(type);
          }
          std::string_view description;
          if (property["description"].get(description) == simdjson::SUCCESS &&
              (description.find("decimal") != std::string_view::npos)) {
            r.money_fields.insert(std::string(name));
          }
        }
      }
      simdjson::dom::array required;
      if (schema["required"].get(required) == simdjson::SUCCESS) {
        for (auto name : required) {
          r.required.insert(std::string(std::string_view(name)));
        }
      }
      simdjson::dom::object examples;
      if (content["examples"].get(examples) == simdjson::SUCCESS) {
        for (auto [name, example] : examples) {
          std::vector<member> members;
          for (auto [key, value] : example["value"].get_object()) {
            members.push_back({std::string(key), to_text(value)});
          }
          r.examples.push_back(std::move(members));
        }
      }
    }
    out.push_back(std::move(r));
  }
  return out;
}

std::string object_text(const std::vector<member>& members) {
  std::string out = "{";
  for (const member& m : members) {
    out += (out.size() > 1 ? "," : "") + std::string("\"") + m.name + "\":" + m.value;
  }
  return out + "}";
}

std::string with(const std::vector<member>& members, const std::string& name,
                 const std::optional<std::string>& value) {
  std::vector<member> changed;
  for (const member& m : members) {
    if (m.name != name) {
      changed.push_back(m);
    } else if (value) {
      changed.push_back({m.name, *value});
    }
  }
  return object_text(changed);
}

/// The JSON kinds and a value of each; a field is sent every kind but its own.
const std::vector<std::pair<std::string, std::string>> kinds = {
    {"string", "\"x\""}, {"integer", "7"}, {"number", "1.5"}, {"boolean", "true"},
    {"null", "null"},    {"array", "[]"},  {"object", "{}"}};

bool same_kind(const std::string& declared, const std::string& kind) {
  return declared == kind || (declared == "number" && kind == "integer");
}

std::string concrete_path(const write_route& r, const std::string& bad_name = "",
                          const std::string& bad_value = "") {
  std::string out;
  std::size_t at = 0;
  while (at < r.path.size()) {
    const auto open = r.path.find('{', at);
    if (open == std::string::npos) {
      out += r.path.substr(at);
      break;
    }
    const auto close = r.path.find('}', open);
    out += r.path.substr(at, open - at);
    const std::string name = r.path.substr(open + 1, close - open - 1);
    const auto type = r.path_types.find(name);
    out += name == bad_name ? bad_value : (type != r.path_types.end() && type->second == "integer" ? "42" : "x42");
    at = close + 1;
  }
  return out;
}

std::vector<attack> attacks_on(const write_route& r) {
  std::vector<attack> out;
  const std::string target = concrete_path(r);
  const auto add = [&](std::string what, std::string body, std::string must_name = "") {
    out.push_back({std::move(what), target, std::move(body), {}, std::move(must_name)});
  };
  // Whole bodies.
  add("not JSON", "{\"a\":");
  add("not JSON at all", "hello");
  add("an array", "[]");
  add("a string", "\"x\"");
  add("a number", "7");
  add("null", "null");
  add("invalid UTF-8 outside strings", std::string("{\"a\":1}\xff"));
  add("nested 5000 deep", std::string(5000, '[') + std::string(5000, ']'));
  add("more than 64 KiB", "{\"a\":\"" + std::string(70 * 1024, 'a') + "\"}");
  if (r.closed) {
    const std::string base = r.examples.empty() ? "{}" : object_text(r.examples.front());
    add("an unknown field", "{\"no_such_field\":1" + (base.size() > 2 ? "," + base.substr(1) : "}"),
        "no_such_field");
    add("an unknown field named in UTF-8 cut at 64 bytes",
        "{\"" + std::string(63, 'a') + "\xc3\xa9\":1}", "unknown field");
  }
  // Path parameters.
  for (const auto& [name, type] : r.path_types) {
    if (type == "integer") {
      out.push_back({"path {" + name + "} not a number", concrete_path(r, name, "abc"),
                     r.examples.empty() ? "" : object_text(r.examples.front()), {}, name});
      out.push_back({"path {" + name + "} past 2^63", concrete_path(r, name, "99999999999999999999"),
                     r.examples.empty() ? "" : object_text(r.examples.front()), {}, name});
    }
    out.push_back({"path {" + name + "} with a raw 0xff byte", concrete_path(r, name, "4\xff"),
                   r.examples.empty() ? "" : object_text(r.examples.front()), {}, "ASCII"});
  }
  // Idempotency keys.
  if (r.idempotent) {
    const std::string body = r.examples.empty() ? "" : object_text(r.examples.front());
    out.push_back({"no Idempotency-Key", target, body, {}, "Idempotency-Key", false});
    out.push_back({"an Idempotency-Key of 200 bytes", target, body, {{"Idempotency-Key", std::string(200, 'k')}},
                   "Idempotency-Key", false});
    out.push_back({"an Idempotency-Key with a space", target, body, {{"Idempotency-Key", "a b"}},
                   "Idempotency-Key", false});
  }
  // Each field of each example.
  for (const auto& example : r.examples) {
    for (const member& m : example) {
      const auto declared = r.field_types.find(m.name);
      const std::string type = declared == r.field_types.end() ? "" : declared->second;
      for (const auto& [kind, value] : kinds) {
        if (!same_kind(type, kind)) {
          add(m.name + " as " + kind, with(example, m.name, value), m.name);
        }
      }
      if (r.required.contains(m.name)) {
        add(m.name + " missing", with(example, m.name, std::nullopt), m.name);
      }
      add(m.name + " twice", with(example, m.name, m.value + ",\"" + m.name + "\":" + m.value), m.name);
      add(m.name + " as a number past 2^128", with(example, m.name, "340282366920938463463374607431768211457"));
      add(m.name + " as a number past 2^64", with(example, m.name, "18446744073709551617"));
      if (type == "string") {
        add(m.name + " of 5000 bytes", with(example, m.name, "\"" + std::string(5000, 'a') + "\""), m.name);
        add(m.name + " with malformed UTF-8", with(example, m.name, std::string("\"a\xff\xfe b\"")));
        add(m.name + " with a lone surrogate escape", with(example, m.name, "\"\\ud800\""));
      }
      if (r.money_fields.contains(m.name)) {
        add(m.name + " past 2^128 as text",
            with(example, m.name, "\"340282366920938463463374607431768211457\""), m.name);
        add(m.name + " negative", with(example, m.name, "\"-1.00\""), m.name);
      }
      if (type == "array") {
        add(m.name + " of wrong elements", with(example, m.name, "[7,null]"));
      }
    }
  }
  for (attack& a : out) {
    if (!r.secret_header.empty()) {
      a.headers.emplace_back(r.secret_header, webhook_secret);
      a.keyed = false;
    }
  }
  return out;
}


/// A read route as the document describes it: its path and query parameters with their types.
struct read_route {
  std::string path;
  std::map<std::string, std::string> path_types;
  std::map<std::string, std::string> query_types;
  bool authenticated = false;
};

std::vector<read_route> read_routes_of(const std::string& document) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(document);
  std::vector<read_route> out;
  for (auto [path, item] : doc["paths"].get_object()) {
    simdjson::dom::element get;
    if (item["get"].get(get) != simdjson::SUCCESS) continue;
    read_route r;
    r.path = std::string(path);
    simdjson::dom::array security;
    r.authenticated = get["security"].get(security) == simdjson::SUCCESS && security.size() > 0;
    simdjson::dom::array parameters;
    if (get["parameters"].get(parameters) == simdjson::SUCCESS) {
      for (auto p : parameters) {
        std::string_view in;
        std::string_view name;
        std::string_view type = "string";
        if (p["in"].get(in) != simdjson::SUCCESS || p["name"].get(name) != simdjson::SUCCESS) continue;
        if (p["schema"]["type"].get(type) != simdjson::SUCCESS) type = "string";
        (in == "path" ? r.path_types : r.query_types)[std::string(name)] = std::string(type);
      }
    }
    out.push_back(std::move(r));
  }
  return out;
}

/// What to send to a read route and what the answer must name.
std::vector<attack> attacks_on(const read_route& r) {
  std::vector<attack> out;
  // The concrete path: integers 42, texts x42 (or `bad_value` for `bad_name`).
  const auto concrete = [&](const std::string& bad_name, const std::string& bad_value) {
    std::string p;
    std::size_t i = 0;
    while (i < r.path.size()) {
      const auto open = r.path.find('{', i);
      if (open == std::string::npos) {
        p += r.path.substr(i);
        break;
      }
      const auto close = r.path.find('}', open);
      p += r.path.substr(i, open - i);
      const std::string name = r.path.substr(open + 1, close - open - 1);
      const auto type = r.path_types.find(name);
      p += name == bad_name ? bad_value : (type != r.path_types.end() && type->second == "integer" ? "42" : "x42");
      i = close + 1;
    }
    return p;
  };
  const std::string path = concrete("", "");
  const auto add = [&](std::string what, std::string query, std::string must_name) {
    out.push_back({std::move(what), path + "?" + query, "", {}, std::move(must_name), false});
  };
  add("a parameter it does not take", "no_such_parameter=1", "no_such_parameter");
  add("a malformed %-escape in a name", "a%zz=1", "");
  for (const auto& [name, type] : r.query_types) {
    add(name + " twice", name + "=1&" + name + "=1", name);
    add(name + " with a malformed %-escape", name + "=%4", name);
    add(name + " cut %-escape at the end", name + "=1%", name);
    if (type == "integer") {
      add(name + " not a number", name + "=abc", name);
      add(name + " past 2^63", name + "=99999999999999999999", name);
      add(name + " as a float", name + "=1.5", name);
      add(name + " empty", name + "=", name);
    } else {
      add(name + " with malformed UTF-8", name + "=%ff%fe", name);
      add(name + " with a control character", name + "=a%0Ab", name);
      add(name + " of 5000 bytes", name + "=" + std::string(5000, 'a'), name);
    }
  }
  for (const auto& [name, type] : r.path_types) {
    if (type == "integer") {
      out.push_back({"path {" + name + "} not a number", concrete(name, "abc"), "", {}, name, false});
    }
  }
  return out;
}

class HostileClient : public ::testing::Test {
 protected:
  HostileClient() {
    auto made = testing::run_command({daemon_binary, "token", "create", "--data", (dir.path() / "data").string(),
                                      "--role", "admin", "--rate", "1000000", "--burst", "10000000"});
    EXPECT_EQ(made.exit_code, 0) << made.err;
    admin = made.out.substr(0, made.out.find_first_of("\r\n"));
    const auto config = dir.path() / "telepay.toml";
    std::ofstream(config) << "[http]\nanonymous_rate_per_second = 1000000\nanonymous_burst = 10000000\n";
    daemon = std::make_unique<testing::daemon_process>(
        daemon_binary, dir.path() / "data", std::vector<std::string>{"--config", config.string()},
        std::vector<std::string>{
            // Configured against upstreams that never answer: their routes parse what they get.
            "TELEPAY_NOWPAYMENTS_API_KEY=hostile-key", "TELEPAY_NOWPAYMENTS_IPN_SECRET=hostile-secret",
            "TELEPAY_NOWPAYMENTS_API_URL=http://127.0.0.1:9/v1", "TELEPAY_TELEGRAM_BOT_TOKEN=123456:hostile",
            "TELEPAY_TELEGRAM_API_URL=http://127.0.0.1:9", "TELEPAY_TELEGRAM_MODE=webhook",
            "TELEPAY_TELEGRAM_WEBHOOK_URL=http://127.0.0.1:9/v1/webhooks/telegram",
            "TELEPAY_TELEGRAM_WEBHOOK_SECRET=" + webhook_secret});
  }

  struct health {
    int status = 0;
    std::uint64_t head = 0;
  };
  health check_health() {
    auto r = testing::http_request(daemon->port(), "GET", "/health");
    health out{r.status, 0};
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    std::uint64_t head = 0;
    if (parser.parse(r.body).get(doc) == simdjson::SUCCESS && doc["store"]["head_seq"].get(head) == simdjson::SUCCESS) {
      out.head = head;
    }
    return out;
  }

  testing::temp_dir dir;
  std::string admin;
  std::unique_ptr<testing::daemon_process> daemon;
};

TEST_F(HostileClient, EveryWriteRouteRefusesEveryMalformedFieldAndNothingMoves) {
  ASSERT_TRUE(daemon->started()) << daemon->log();
  auto document = testing::http_request(daemon->port(), "GET", "/openapi.json");
  ASSERT_EQ(document.status, 200);
  const auto routes = routes_of(document.body);
  ASSERT_GE(routes.size(), 20u) << "the document lists the write routes";

  // Settle: whatever start-up appends is done before the walk.
  health before = check_health();
  for (int i = 0; i < 50; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    const health now = check_health();
    if (now.head == before.head && now.status == 200) {
      break;
    }
    before = now;
  }
  ASSERT_EQ(before.status, 200);

  std::size_t sent = 0;
  for (const write_route& route : routes) {
    if (!route.field_types.empty()) {
      EXPECT_FALSE(route.examples.empty()) << route.path << " documents no request example to vary";
    }
    int key = 0;
    for (const attack& a : attacks_on(route)) {
      std::vector<std::pair<std::string, std::string>> headers = a.headers;
      if (route.secret_header.empty()) {
        headers.emplace_back("Authorization", "Bearer " + admin);
      }
      if (route.idempotent && a.keyed) {
        headers.emplace_back("Idempotency-Key", "hostile-" + std::to_string(sent) + "-" + std::to_string(++key));
      }
      const auto reply = testing::http_request(daemon->port(), "POST", a.target, a.body, headers);
      ++sent;
      const std::string where = "POST " + route.path + " with " + a.what + ": " + reply.body.substr(0, 300);
      EXPECT_GE(reply.status, 400) << where;
      EXPECT_LT(reply.status, 500) << where;
      EXPECT_EQ(reply.header("content-type"), "application/json") << where;
      simdjson::dom::parser parser;
      simdjson::dom::element error;
      std::string_view code;
      std::string_view message;
      if (parser.parse(reply.body).get(error) != simdjson::SUCCESS) {
        ADD_FAILURE() << "not a JSON error: " << where;
      } else {
        EXPECT_EQ(error["error"].get(code), simdjson::SUCCESS) << where;
        EXPECT_EQ(error["message"].get(message), simdjson::SUCCESS) << where;
        EXPECT_FALSE(message.empty()) << where;
        if (!a.must_name.empty()) {
          EXPECT_NE(message.find(a.must_name), std::string_view::npos) << where << " (should name " << a.must_name << ")";
        }
      }
      const health after = check_health();
      ASSERT_EQ(after.status, 200) << "after " << where << "\n" << daemon->log();
      ASSERT_EQ(after.head, before.head) << "the log moved after " << where;
    }
  }
  EXPECT_GT(sent, 1000u) << "the walk covers many requests";
  EXPECT_EQ(daemon->stop(), 0) << daemon->log();
}

TEST_F(HostileClient, EveryReadRouteRefusesEveryMalformedQueryParameterByName) {
  ASSERT_TRUE(daemon->started()) << daemon->log();
  auto document = testing::http_request(daemon->port(), "GET", "/openapi.json");
  ASSERT_EQ(document.status, 200);
  const auto routes = read_routes_of(document.body);
  ASSERT_GE(routes.size(), 20u) << "the document lists the read routes";
  health before = check_health();
  for (int i = 0; i < 50; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    const health now = check_health();
    if (now.head == before.head && now.status == 200) break;
    before = now;
  }
  ASSERT_EQ(before.status, 200);
  std::size_t sent = 0;
  for (const read_route& route : routes) {
    if (!route.authenticated || route.path == "/openapi.json") continue;  // /health takes nothing
    for (const attack& a : attacks_on(route)) {
      const auto reply = testing::http_request(daemon->port(), "GET", a.target, "",
                                               {{"Authorization", "Bearer " + admin}});
      ++sent;
      const std::string where = "GET " + a.target.substr(0, 120) + " (" + a.what + "): " + reply.body.substr(0, 300);
      EXPECT_EQ(reply.status, 400) << where;
      EXPECT_EQ(reply.header("content-type"), "application/json") << where;
      simdjson::dom::parser parser;
      simdjson::dom::element error;
      std::string_view message;
      if (parser.parse(reply.body).get(error) != simdjson::SUCCESS || error["message"].get(message) != simdjson::SUCCESS) {
        ADD_FAILURE() << "not a JSON error: " << where;
      } else if (!a.must_name.empty()) {
        EXPECT_NE(message.find(a.must_name), std::string_view::npos) << where << " (should name " << a.must_name << ")";
      }
    }
  }
  const health after = check_health();
  EXPECT_EQ(after.status, 200) << daemon->log();
  EXPECT_EQ(after.head, before.head) << "a read moved the log";
  EXPECT_GT(sent, 200u) << "the walk covers many requests";
  EXPECT_EQ(daemon->stop(), 0) << daemon->log();
}

}  // namespace
}  // namespace telepay
