// [delivery] and [[delivery.destination]]: defaults, every key, each error and
// warning with the line it points at, destination lookup, TlsMode spellings.
#include "config/config.h"
#include "config/delivery_section.h"

#include "config_test_support.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <regex>

using namespace poolgate;
using namespace poolgate::config_test;

namespace {
// This file's patterns anchor at the first diagnostic.
void expect_first_error(const std::string& text, const std::string& pattern) {
  expect_error(text, pattern, false);
}
}  // namespace

namespace {

// The smallest valid file: the two required pools (the normal one with an
// IPv6 address too) and the relay's name.
const std::string kPools = R"(
[[pool]]
name      = "normal"
fwmark    = 0x100
table     = 100
addresses = ["198.51.100.10", "2001:db8:100::10"]

[[pool]]
name      = "high-risk"
fwmark    = 0x200
table     = 200
addresses = ["203.0.113.66"]

[relay]
hostname  = "relay.example.net"
)";


}  // namespace

TEST(DeliveryConfig, DefaultsWhenAbsent) {
  const DeliveryConfig d = load(kPools).delivery;
  EXPECT_EQ(d.retry_intervals_s, (std::vector<uint32_t>{300, 600, 1200, 2400, 3600}));
  EXPECT_EQ(d.max_lifetime_s, 432000u);
  EXPECT_EQ(d.delay_warning_s, 14400u);
  EXPECT_EQ(d.connections_per_destination, 20u);
  EXPECT_EQ(d.messages_per_second, 0.0);
  EXPECT_EQ(d.max_messages_per_connection, 100u);
  EXPECT_EQ(d.max_concurrent_connections, 500u);
  EXPECT_EQ(d.tls, TlsMode::Opportunistic);
  EXPECT_FALSE(d.bind_source);
  EXPECT_EQ(d.port, 25);
  EXPECT_EQ(d.connect_timeout_s, 30u);
  EXPECT_EQ(d.command_timeout_s, 300u);
  EXPECT_EQ(d.data_timeout_s, 600u);
  EXPECT_EQ(d.dsn_max_returned_bytes, 50000u);
  EXPECT_TRUE(d.destinations.empty());
  EXPECT_EQ(d.find_destination("example.com"), nullptr);
}

TEST(DeliveryConfig, EmptySectionKeepsDefaults) {
  const DeliveryConfig d = load(kPools + "[delivery]\n").delivery;
  EXPECT_EQ(d.retry_intervals_s.size(), 5u);
  EXPECT_EQ(d.port, 25);
}

TEST(DeliveryConfig, ParsesEveryKey) {
  const Config c = load(kPools + R"(
[delivery]
retry_intervals_s           = [120, 900, 7200]
max_lifetime_s              = 345600
delay_warning_s             = 0
connections_per_destination = 4
messages_per_second         = 0.5
max_messages_per_connection = 1
connection_idle_ms          = 0
max_concurrent_connections  = 64
tls                         = "required"
bind_source                 = true
port                        = 2525
connect_timeout_s           = 10
command_timeout_s           = 600
data_timeout_s              = 900
dsn_max_returned_bytes      = 0
)");
  const DeliveryConfig& d = c.delivery;
  EXPECT_EQ(d.retry_intervals_s, (std::vector<uint32_t>{120, 900, 7200}));
  EXPECT_EQ(d.max_lifetime_s, 345600u);
  EXPECT_EQ(d.delay_warning_s, 0u);
  EXPECT_EQ(d.connections_per_destination, 4u);
  EXPECT_DOUBLE_EQ(d.messages_per_second, 0.5);
  EXPECT_EQ(d.max_messages_per_connection, 1u);
  EXPECT_EQ(d.connection_idle_ms, 0u);
  EXPECT_EQ(d.max_concurrent_connections, 64u);
  EXPECT_EQ(d.tls, TlsMode::Required);
  EXPECT_TRUE(d.bind_source);
  EXPECT_EQ(d.port, 2525);
  EXPECT_EQ(d.connect_timeout_s, 10u);
  EXPECT_EQ(d.command_timeout_s, 600u);
  EXPECT_EQ(d.data_timeout_s, 900u);
  EXPECT_EQ(d.dsn_max_returned_bytes, 0u);
  EXPECT_GT(c.line_of("delivery.retry_intervals_s[2]"), 0);
}

TEST(DeliveryConfig, RateAcceptsIntegerAndTlsOff) {
  const DeliveryConfig d =
      load(kPools + "[delivery]\nmessages_per_second = 3\ntls = \"off\"\nport = 65535\n").delivery;
  EXPECT_DOUBLE_EQ(d.messages_per_second, 3.0);
  EXPECT_EQ(d.tls, TlsMode::Off);
  EXPECT_EQ(d.port, 65535);
}

TEST(DeliveryConfig, Destinations) {
  const DeliveryConfig d = load(kPools + R"(
[delivery]
connections_per_destination = 10

[[delivery.destination]]
domain              = "Example.NET."
tls                 = "required"
connections         = 2
messages_per_second = 0.25

[[delivery.destination]]
domain = "gmail.com"
)").delivery;
  ASSERT_EQ(d.destinations.size(), 2u);
  const DestinationConfig* net = d.find_destination("example.net");
  ASSERT_NE(net, nullptr);
  EXPECT_EQ(net->domain, "example.net");  // lower-cased, final dot gone
  EXPECT_EQ(net->tls, TlsMode::Required);
  EXPECT_EQ(net->connections, 2u);
  EXPECT_DOUBLE_EQ(net->messages_per_second.value_or(-1), 0.25);
  // Envelope domains come in any case, rarely with the final dot.
  EXPECT_EQ(d.find_destination("EXAMPLE.net"), net);
  EXPECT_EQ(d.find_destination("example.net."), net);
  const DestinationConfig* gmail = d.find_destination("gmail.com");
  ASSERT_NE(gmail, nullptr);
  EXPECT_FALSE(gmail->tls);  // not written: [delivery] decides
  EXPECT_FALSE(gmail->connections);
  EXPECT_FALSE(gmail->messages_per_second);
  // Exact domains only: no parent or child matching.
  EXPECT_EQ(d.find_destination("mx.gmail.com"), nullptr);
  EXPECT_EQ(d.find_destination("com"), nullptr);
  EXPECT_EQ(d.find_destination(""), nullptr);
}

TEST(DeliveryConfig, DestinationsWithoutDeliveryHeader) {
  const DeliveryConfig d = load(kPools + "[[delivery.destination]]\ndomain = \"a.example\"\n").delivery;
  ASSERT_EQ(d.destinations.size(), 1u);
  EXPECT_EQ(d.destinations[0].domain, "a.example");
}

TEST(DeliveryConfig, TypeErrors) {
  const std::string base = kPools + "[delivery]\n";
  expect_first_error(base + "retry_intervals_s = 300\n",
               line_prefix(base + "retry_intervals_s", "retry_intervals_s") +
                   R"(delivery\.retry_intervals_s: must be an array of integers)");
  std::string text = base + "retry_intervals_s = [300, \"600\"]\n";
  expect_first_error(text, line_prefix(text, "retry_intervals_s") +
                         R"(delivery\.retry_intervals_s\[1\]: must be an integer)");
  expect_first_error(base + "retry_intervals_s = [300, -1]\n",
               R"(delivery\.retry_intervals_s\[1\]: must be between 0 and 4294967295)");
  expect_first_error(base + "max_lifetime_s = \"5d\"\n", R"(delivery\.max_lifetime_s: must be an integer)");
  expect_first_error(base + "messages_per_second = \"fast\"\n",
               R"(delivery\.messages_per_second: must be a number)");
  expect_first_error(base + "messages_per_second = inf\n", R"(delivery\.messages_per_second: must be a number)");
  expect_first_error(base + "messages_per_second = nan\n", R"(delivery\.messages_per_second: must be a number)");
  expect_first_error(base + "bind_source = 1\n", R"(delivery\.bind_source: must be true or false)");
  expect_first_error(base + "tls = true\n", R"(delivery\.tls: must be a string)");
  expect_first_error(base + "port = \"25\"\n", R"(delivery\.port: must be an integer)");
  expect_first_error("delivery = 1\n" + kPools, R"(^t\.toml:1: delivery: must be a table, written \[delivery\])");
}

TEST(DeliveryConfig, UnknownKeys) {
  std::string text = kPools + "[delivery]\nretry_interval = [300]\n";
  expect_first_error(text, line_prefix(text, "retry_interval =") + R"(delivery\.retry_interval: unknown key)");
  text = kPools + "[[delivery.destination]]\ndomain = \"a.example\"\nconnection = 1\n";
  expect_first_error(text, line_prefix(text, "connection =") +
                         R"(delivery\.destination\[0\]\.connection: unknown key)");
  text = kPools + "[delivery.bogus]\nx = 1\n";
  expect_first_error(text, R"(delivery\.bogus: unknown key)");
}

TEST(DeliveryConfig, RangeErrorsPointAtTheirLine) {
  struct Case {
    std::string line, pattern;
  } cases[] = {
      {"retry_intervals_s = []", R"(delivery\.retry_intervals_s: must list at least one interval)"},
      {"max_lifetime_s = 0", R"(delivery\.max_lifetime_s: must be at least 1 second)"},
      {"connections_per_destination = 0",
       R"(delivery\.connections_per_destination: must be at least 1)"},
      {"messages_per_second = -0.5", R"(delivery\.messages_per_second: must be at least 0)"},
      {"max_messages_per_connection = 0",
       R"(delivery\.max_messages_per_connection: must be at least 1)"},
      {"max_concurrent_connections = 0",
       R"(delivery\.max_concurrent_connections: must be at least 1)"},
      {"tls = \"Required\"", R"(delivery\.tls: must be "opportunistic", "required" or "off")"},
      {"tls = \"on\"", R"(delivery\.tls: must be "opportunistic")"},
      {"port = 0", R"(delivery\.port: must be between 1 and 65535)"},
      {"port = 65536", R"(delivery\.port: must be between 1 and 65535)"},
      {"connect_timeout_s = 0", R"(delivery\.connect_timeout_s: must be at least 1 second)"},
      {"command_timeout_s = 0", R"(delivery\.command_timeout_s: must be at least 1 second)"},
      {"data_timeout_s = 0", R"(delivery\.data_timeout_s: must be at least 1 second)"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.line);
    std::string text = kPools + "[delivery]\nbind_source = false\n" + c.line + "\n";
    expect_first_error(text, line_prefix(text, c.line) + c.pattern);
  }
  std::string text = kPools + "[delivery]\nretry_intervals_s = [300,\n  0]\n";
  expect_first_error(text, line_prefix(text, "  0]") +
                         R"(delivery\.retry_intervals_s\[1\]: must be at least 1 second)");
}

TEST(DeliveryConfig, DestinationErrors) {
  const std::string head = kPools + "[[delivery.destination]]\n";
  std::string text = head + "tls = \"required\"\n";
  expect_first_error(text, line_prefix(text, "[[delivery") +
                         R"(delivery\.destination\[0\]\.domain: is required)");
  for (const char* bad : {"", "exa mple.com", "bücher.example", "-a.example", "a..example"}) {
    SCOPED_TRACE(bad);
    text = head + "domain = \"" + bad + "\"\n";
    expect_first_error(text, line_prefix(text, "domain =") +
                           R"(delivery\.destination\[0\]\.domain: '.*' is not a domain name)");
  }
  text = head + "domain = \"a.example\"\ntls = \"maybe\"\n";
  expect_first_error(text, line_prefix(text, "tls =") + R"(delivery\.destination\[0\]\.tls: must be)");
  text = head + "domain = \"a.example\"\nconnections = 0\n";
  expect_first_error(text, line_prefix(text, "connections =") +
                         R"(delivery\.destination\[0\]\.connections: must be at least 1)");
  text = head + "domain = \"a.example\"\nmessages_per_second = -1\n";
  expect_first_error(text, line_prefix(text, "messages_per_second =") +
                         R"(delivery\.destination\[0\]\.messages_per_second: must be at least 0)");
  text = head + "domain = 7\n";
  expect_first_error(text, R"(delivery\.destination\[0\]\.domain: must be a string)");
  text = kPools + "[delivery.destination]\ndomain = \"a.example\"\n";
  expect_first_error(text, R"(delivery\.destination: must be written as \[\[delivery\.destination\]\] tables)");
}

TEST(DeliveryConfig, DuplicateDomainNamesBothLines) {
  // Same domain after normalization: case and the final dot do not matter.
  std::string text = kPools + R"(
[[delivery.destination]]
domain = "a.example"
connections = 2

[[delivery.destination]]
domain = "B.example"

[[delivery.destination]]
domain = "A.Example."
)";
  int first = line_in(text, "domain = \"a.example\"");
  expect_first_error(text, line_prefix(text, "domain = \"A.Example.\"") +
                         R"(delivery\.destination\[2\]\.domain: 'a\.example' is already configured at line )" +
                         std::to_string(first));
}

TEST(DeliveryConfig, Warnings) {
  const std::string base = kPools + "[delivery]\n";
  std::string text = base + "command_timeout_s = 60\n";
  expect_warning(text, line_prefix(text, "command_timeout_s") +
                           R"(warning: delivery\.command_timeout_s: 60 s is below the 5 minutes of RFC 5321)");
  text = base + "data_timeout_s = 300\n";
  expect_warning(text, line_prefix(text, "data_timeout_s") +
                           R"(warning: delivery\.data_timeout_s: 300 s is below the 10 minutes)");
  text = base + "retry_intervals_s = [30, 300]\n";
  expect_warning(text, line_prefix(text, "retry_intervals_s") +
                           R"(warning: delivery\.retry_intervals_s\[0\]: first retry after 30 s: retries this fast get an IP throttled)");
  text = base + "max_lifetime_s = 200\ndelay_warning_s = 0\n";
  expect_warning(text, line_prefix(text, "max_lifetime_s") +
                           R"(warning: delivery\.max_lifetime_s: max_lifetime_s \(200 s\) is shorter than the first retry interval \(300 s\): a message that fails once bounces)");
  // Each finding about two keys points at the one that was written.
  text = base + "delay_warning_s = 0\nretry_intervals_s = [500000]\n";
  expect_warning(text, line_prefix(text, "retry_intervals_s") +
                           R"(warning: delivery\.retry_intervals_s\[0\]: max_lifetime_s \(432000 s\) is shorter)");
  text = base + "max_lifetime_s = 3600\n";
  expect_warning(text, line_prefix(text, "max_lifetime_s") +
                           R"(warning: delivery\.max_lifetime_s: delay_warning_s \(14400 s\) is not shorter than max_lifetime_s \(3600 s\))");
  text = base + "delay_warning_s = 432000\n";
  expect_warning(text, line_prefix(text, "delay_warning_s") +
                           R"(warning: delivery\.delay_warning_s: delay_warning_s \(432000 s\) is not shorter)");
  // None at the edges: exactly 5 and 10 minutes, 60 s, lifetime = first interval.
  load(base + "command_timeout_s = 300\ndata_timeout_s = 600\nretry_intervals_s = [60]\n"
              "max_lifetime_s = 60\ndelay_warning_s = 0\n");
}

TEST(DeliveryConfig, WarningsDoNotFailCheckConfig) {
  LoadResult result =
      parse_config(kPools + "[delivery]\ncommand_timeout_s = 30\ndata_timeout_s = 30\n", "t.toml");
  ASSERT_TRUE(result.config);
  EXPECT_EQ(result.diagnostics.size(), 2u);
  EXPECT_EQ(result.config->delivery.command_timeout_s, 30u);
}

TEST(TlsMode, Spellings) {
  EXPECT_EQ(parse_tls_mode("opportunistic"), TlsMode::Opportunistic);
  EXPECT_EQ(parse_tls_mode("required"), TlsMode::Required);
  EXPECT_EQ(parse_tls_mode("off"), TlsMode::Off);
  for (const char* bad : {"", "Off", "REQUIRED", "on", "true", "starttls", "opportunistic "})
    EXPECT_FALSE(parse_tls_mode(bad)) << bad;
  for (TlsMode mode : {TlsMode::Opportunistic, TlsMode::Required, TlsMode::Off})
    EXPECT_EQ(parse_tls_mode(tls_mode_name(mode)), mode);
}

TEST(DeliveryConfig, ExampleFileDocumentsEveryKey) {
  LoadResult result = load_config(POOLGATE_SOURCE_DIR "/config/poolgate.toml");
  ASSERT_TRUE(result.config) << all_diagnostics(result);
  EXPECT_TRUE(result.diagnostics.empty()) << all_diagnostics(result);
  const Config& c = *result.config;
  for (const char* key :
       {"retry_intervals_s", "max_lifetime_s", "delay_warning_s", "connections_per_destination",
        "messages_per_second", "max_messages_per_connection", "connection_idle_ms", "max_concurrent_connections", "tls",
        "bind_source", "port", "connect_timeout_s", "command_timeout_s", "data_timeout_s",
        "dsn_max_returned_bytes"})
    EXPECT_GT(c.line_of(std::string("delivery.") + key), 0) << key;
  for (const char* key : {"domain", "tls", "connections", "messages_per_second"})
    EXPECT_GT(c.line_of(std::string("delivery.destination[0].") + key), 0) << key;
  EXPECT_GT(c.line_of("classify.default_pool"), 0);
  EXPECT_GT(c.line_of("pool[0].weights"), 0);
  // The example shows the defaults: it must parse to exactly what DeliveryConfig has.
  const DeliveryConfig defaults;
  const DeliveryConfig& d = c.delivery;
  EXPECT_EQ(d.retry_intervals_s, defaults.retry_intervals_s);
  EXPECT_EQ(d.max_lifetime_s, defaults.max_lifetime_s);
  EXPECT_EQ(d.delay_warning_s, defaults.delay_warning_s);
  EXPECT_EQ(d.connections_per_destination, defaults.connections_per_destination);
  EXPECT_EQ(d.messages_per_second, defaults.messages_per_second);
  EXPECT_EQ(d.max_messages_per_connection, defaults.max_messages_per_connection);
  EXPECT_EQ(d.connection_idle_ms, defaults.connection_idle_ms);
  EXPECT_EQ(d.max_concurrent_connections, defaults.max_concurrent_connections);
  EXPECT_EQ(d.tls, defaults.tls);
  EXPECT_EQ(d.bind_source, defaults.bind_source);
  EXPECT_EQ(d.port, defaults.port);
  EXPECT_EQ(d.connect_timeout_s, defaults.connect_timeout_s);
  EXPECT_EQ(d.command_timeout_s, defaults.command_timeout_s);
  EXPECT_EQ(d.data_timeout_s, defaults.data_timeout_s);
  EXPECT_EQ(d.dsn_max_returned_bytes, defaults.dsn_max_returned_bytes);
}

TEST(DeliveryConfig, SitesAreReadInOrderWithTheirLimits) {
  const DeliveryConfig d = load(kPools + R"(
[[delivery.site]]
name = "google"
mx = ["*.Google.com", "*.googlemail.com."]
connections = 5
messages_per_second = 2.5

[[delivery.site]]
name = "outlook"
mx = ["*.mail.protection.outlook.com"]
)").delivery;
  ASSERT_EQ(d.sites.size(), 2u);
  EXPECT_EQ(d.sites[0].name, "google");
  EXPECT_EQ(d.sites[0].mx, (std::vector<std::string>{"*.google.com", "*.googlemail.com"}));
  EXPECT_EQ(d.sites[0].connections, 5u);
  EXPECT_EQ(d.sites[0].messages_per_second, 2.5);
  EXPECT_FALSE(d.sites[1].connections);
  EXPECT_FALSE(d.sites[1].messages_per_second);
}

TEST(DeliveryConfig, SiteErrorsPointAtTheirLine) {
  std::string text = kPools + "[[delivery.site]]\nname = \"a\"\nmx = []\n";
  expect_first_error(text, line_prefix(text, "mx =") +
                               R"(delivery\.site\[0\]\.mx: must name at least one MX host)");
  text = kPools + "[[delivery.site]]\nname = \"a\"\nmx = [\"mx.*.example\"]\n";
  expect_first_error(text, line_prefix(text, "mx =") + R"(delivery\.site\[0\]\.mx: 'mx\.\*\.example')");
  text = kPools + "[[delivery.site]]\nname = \"Big Site\"\nmx = [\"*.example\"]\n";
  expect_first_error(text, line_prefix(text, "name =") + R"(delivery\.site\[0\]\.name:)");
  text = kPools + "[[delivery.site]]\nname = \"a\"\nmx = [\"*.a.example\"]\nconnections = 0\n";
  expect_first_error(text, line_prefix(text, "connections =") +
                               R"(delivery\.site\[0\]\.connections: must be at least 1)");
  text = kPools + "[[delivery.site]]\nname = \"a\"\nmx = [\"*.a.example\"]\n"
                  "[[delivery.site]]\nname = \"a\"\nmx = [\"*.b.example\"]\n";
  expect_first_error(text, R"(delivery\.site\[1\]\.name: 'a' is already a site)");
  text = kPools + "[[delivery.site]]\nmx = [\"*.a.example\"]\n";
  expect_first_error(text, R"(delivery\.site\[0\]\.name)");
}
