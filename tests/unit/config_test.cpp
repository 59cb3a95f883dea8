// Config loading and validation: every rule of check-config, with the line each
// error points at.
#include "config/config.h"
#include "pools/address_plan.h"

#include <gtest/gtest.h>

#include <regex>

using namespace poolgate;

namespace {

const std::string kValid = R"(
[routing]
fwmark_mask   = 0x0fff
rule_priority = 10000
mirror_table  = "main"

[kernel]
interfaces        = ["eth0"]
pin_path          = "/sys/fs/bpf/poolgate"
strict_smtp       = true
block_inbound_syn = true

[[pool]]
name      = "normal"
fwmark    = 0x100
table     = 100
ehlo      = "mail.example.com"
addresses = ["198.51.100.10", "198.51.100.11", "2001:db8:100::10"]

[[pool]]
name      = "high-risk"
fwmark    = 0x200
table     = 200
ehlo      = "bulk.example.com"
addresses = ["203.0.113.66", "2001:db8:203::66"]

[relay]
hostname = "relay.example.net"
)";
// kValid ends inside its [relay] table: kValid + "key = value\n" sets a relay key.

std::string replace(std::string text, const std::string& from, const std::string& to) {
  auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return text.replace(at, from.size(), to);
}


void expect_error(const std::string& text, const std::string& pattern) {
  LoadResult result = parse_config(text, "t.toml");
  EXPECT_FALSE(result.config.has_value());
  std::string all;
  for (const Diagnostic& d : result.diagnostics) all += d.to_string() + "\n";
  EXPECT_TRUE(std::regex_search(all, std::regex(pattern))) << "wanted /" << pattern << "/ in:\n"
                                                           << all;
}

}  // namespace

TEST(Config, ValidFileLoads) {
  LoadResult result = parse_config(kValid, "t.toml");
  ASSERT_TRUE(result.config) << (result.diagnostics.empty() ? "" : result.diagnostics[0].to_string());
  const Config& c = *result.config;
  EXPECT_EQ(c.routing.fwmark_mask, 0x0fffu);
  EXPECT_EQ(c.routing.mirror_table_id, 254u);
  ASSERT_EQ(c.pools.size(), 2u);
  EXPECT_EQ(c.pools[1].name, "high-risk");
  EXPECT_EQ(c.pools[0].addresses[2].to_string(), "2001:db8:100::10");
  EXPECT_EQ(c.line_of("pool[1].addresses[0]"), 25);
}

TEST(Config, ExampleFileInRepositoryIsValid) {
  LoadResult result = load_config(POOLGATE_SOURCE_DIR "/config/poolgate.toml");
  EXPECT_TRUE(result.config.has_value());
  EXPECT_TRUE(result.diagnostics.empty());
}

TEST(Config, SyntaxErrorNamesTheLine) {
  expect_error(replace(kValid, "rule_priority = 10000", "rule_priority = = 1"),
               R"(^t\.toml:4: \(syntax\): )");
}

TEST(Config, UnknownKeysAndSections) {
  expect_error(replace(kValid, "mirror_table  = \"main\"", "mirror_tabel = \"main\""),
               R"(t\.toml:5: routing\.mirror_tabel: unknown key)");
  expect_error(kValid + "\n[bogus]\nx = 1\n", R"(t\.toml:\d+: bogus: unknown key)");
  expect_error(replace(kValid, "ehlo      = \"bulk.example.com\"", "colour = \"red\""),
               R"(t\.toml:24: pool\[1\]\.colour: unknown key)");
}

TEST(Config, WrongTypes) {
  expect_error(replace(kValid, "strict_smtp       = true", "strict_smtp = \"yes\""),
               R"(t\.toml:10: kernel\.strict_smtp: must be true or false)");
  expect_error(replace(kValid, "table     = 100", "table = \"100\""),
               R"(pool\[0\]\.table: must be an integer)");
  expect_error(replace(kValid, "fwmark    = 0x100", "fwmark = -1"),
               R"(pool\[0\]\.fwmark: must be between)");
}

TEST(Config, MalformedAddress) {
  expect_error(replace(kValid, "\"198.51.100.11\"", "\"198.51.100.300\""),
               R"(t\.toml:18: pool\[0\]\.addresses\[1\]: '198\.51\.100\.300' is not an IPv4)");
  expect_error(replace(kValid, "\"198.51.100.11\"", "\"198.51.100.0/24\""),
               R"(pool\[0\]\.addresses\[1\]: .* without a /prefix)");
  expect_error(replace(kValid, "\"198.51.100.11\"", "\"127.0.0.1\""),
               R"(pool\[0\]\.addresses\[1\]: 127\.0\.0\.1 cannot be a source address)");
}

TEST(Config, SameAddressInTwoPools) {
  expect_error(replace(kValid, "\"203.0.113.66\"", "\"198.51.100.10\""),
               R"(t\.toml:25: pool\[1\]\.addresses\[0\]: 198\.51\.100\.10 is already an address of pool 'normal')");
}

TEST(Config, MarksOutsideMaskOrOverlapping) {
  expect_error(replace(kValid, "fwmark    = 0x200", "fwmark = 0x10200"),
               R"(pool\[1\]\.fwmark: mark 0x10200 .* outside fwmark_mask 0xfff)");
  // A mask of 0xff00 cannot hold fwmark + 1: rule `fwmark 0x101/0xff00` would also
  // match 0x100, so the second address of a pool would be unreachable by mark.
  expect_error(replace(kValid, "fwmark_mask   = 0x0fff", "fwmark_mask = 0xff00"),
               R"(t\.toml:15: pool\[0\]\.fwmark: mark 0x101 \(address 1\) is outside fwmark_mask 0xff00)");
  // normal owns 0x100..0x102; high-risk at 0x102 collides with its third address.
  expect_error(replace(kValid, "fwmark    = 0x200", "fwmark = 0x102"),
               R"(t\.toml:22: pool\[1\]\.fwmark: mark 0x102 overlaps pool 'normal')");
  expect_error(replace(kValid, "fwmark_mask   = 0x0fff", "fwmark_mask = 0"),
               R"(routing\.fwmark_mask: must not be 0)");
}

TEST(Config, TablesReservedOrOverlapping) {
  expect_error(replace(kValid, "table     = 200", "table = 101"),
               R"(pool\[1\]\.table: table 101 overlaps pool 'normal')");
  expect_error(replace(kValid, "table     = 200", "table = 253"),
               R"(pool\[1\]\.table: table 253 is reserved)");
}

TEST(Config, RequiredPools) {
  expect_error(replace(kValid, "name      = \"high-risk\"", "name = \"bulk\""),
               R"(pool: no pool named "high-risk")");
  expect_error(replace(kValid, "name      = \"normal\"", "name = \"clean\""),
               R"(pool: no pool named "normal")");
  expect_error(replace(kValid, "name      = \"high-risk\"", "name = \"normal\""),
               R"(pool\[1\]\.name: pool 'normal' is defined twice)");
}

TEST(Config, RulePriorityAndMirrorTable) {
  expect_error(replace(kValid, "rule_priority = 10000", "rule_priority = 32760"),
               R"(t\.toml:4: routing\.rule_priority: the block 32760\.\.32769)");
  expect_error(replace(kValid, "mirror_table  = \"main\"", "mirror_table = \"nosuchtable\""),
               R"(routing\.mirror_table: 'nosuchtable' is neither)");
  LoadResult numeric = parse_config(replace(kValid, "mirror_table  = \"main\"", "mirror_table = 50"),
                                    "t.toml");
  ASSERT_TRUE(numeric.config);
  EXPECT_EQ(numeric.config->routing.mirror_table_id, 50u);
}

// A type error does not hide the semantic checks: one run, every error; but a
// key that could not be read is not judged again by its default.
TEST(Config, ReadingAndValidationErrorsInOnePass) {
  std::string text = replace(kValid, "strict_smtp       = true", "strict_smtp = \"yes\"");
  text = replace(text, "rule_priority = 10000", "rule_priority = 32760");
  text = replace(text, "fwmark    = 0x200", "fwmark    = \"0x200\"");
  LoadResult result = parse_config(text, "t.toml");
  EXPECT_FALSE(result.config);
  ASSERT_TRUE(result.with_errors);
  std::string all;
  for (const Diagnostic& d : result.diagnostics) all += d.to_string() + "\n";
  EXPECT_NE(all.find("kernel.strict_smtp"), std::string::npos) << all;
  EXPECT_NE(all.find("routing.rule_priority: the block 32760"), std::string::npos) << all;
  size_t fwmark = 0;
  for (const Diagnostic& d : result.diagnostics) fwmark += d.key == "pool[1].fwmark";
  EXPECT_EQ(fwmark, 1u) << all;
}

TEST(Config, MissingFileIsAClearError) {
  LoadResult result = load_config("/nonexistent/poolgate.toml");
  ASSERT_EQ(result.diagnostics.size(), 1u);
  EXPECT_NE(result.diagnostics[0].to_string().find("cannot read the configuration file"),
            std::string::npos);
}

TEST(AddressPlan, MarksTablesAndContiguousPriorities) {
  LoadResult result = parse_config(kValid, "t.toml");
  ASSERT_TRUE(result.config);
  std::vector<PoolAddress> plan = plan_addresses(*result.config);
  ASSERT_EQ(plan.size(), 5u);
  EXPECT_EQ(plan[2].fwmark, 0x102u);
  EXPECT_EQ(plan[2].table, 102u);
  EXPECT_EQ(plan[3].pool_name, "high-risk");
  EXPECT_EQ(plan[3].pool_id, 1u);
  EXPECT_EQ(plan[3].fwmark, 0x200u);
  EXPECT_EQ(plan[3].lookup_priority, 10006u);
  EXPECT_EQ(plan[3].unreachable_priority, 10007u);
  PriorityRange range = rule_priority_range(*result.config);
  EXPECT_EQ(range.first, 10000u);
  EXPECT_EQ(range.last, 10009u);
}

TEST(RelayConfig, DefaultsWhenAbsent) {
  LoadResult result = parse_config(kValid, "t.toml");
  ASSERT_TRUE(result.config);
  const RelayConfig& relay = result.config->relay;
  ASSERT_EQ(relay.listen.size(), 2u);
  EXPECT_EQ(relay.listen[1].address.to_string(), "::1");
  EXPECT_EQ(relay.listen[1].port, 2525);
  EXPECT_EQ(relay.bare_newline, BareNewline::Reject);
  EXPECT_EQ(relay.max_recipients, 500u);
  EXPECT_EQ(relay.stream_threshold_bytes, 1048576u);
  EXPECT_EQ(relay.max_data_in_flight_bytes, 536870912u);
}

TEST(RelayConfig, ParsesEndpointsNetworksAndLimits) {
  std::string text = kValid + R"(
listen = ["198.51.100.1:25", "[2001:db8::1]:587"]
client_networks = ["198.51.100.0/24", "2001:db8::/32", "203.0.113.7"]
max_message_size = 1048576
bare_newline = "normalize"
stream_threshold_bytes = 65536
max_data_in_flight_bytes = 1114112
)";
  LoadResult result = parse_config(text, "t.toml");
  ASSERT_TRUE(result.config) << result.diagnostics[0].to_string();
  const RelayConfig& relay = result.config->relay;
  ASSERT_EQ(relay.listen.size(), 2u);
  EXPECT_EQ(relay.listen[1].port, 587);
  EXPECT_EQ(relay.bare_newline, BareNewline::Normalize);
  EXPECT_EQ(relay.stream_threshold_bytes, 65536u);
  EXPECT_EQ(relay.max_data_in_flight_bytes, 1114112u);
  auto addr = [](const char* text) { return boost::asio::ip::make_address(text); };
  EXPECT_TRUE(relay.client_networks[0].contains(addr("198.51.100.77")));
  EXPECT_TRUE(relay.client_networks[0].contains(addr("::ffff:198.51.100.77")));
  EXPECT_FALSE(relay.client_networks[0].contains(addr("198.51.101.1")));
  EXPECT_TRUE(relay.client_networks[1].contains(addr("2001:db8:ffff::1")));
  EXPECT_FALSE(relay.client_networks[1].contains(addr("2001:db9::1")));
  EXPECT_TRUE(relay.client_networks[2].contains(addr("203.0.113.7")));
  EXPECT_FALSE(relay.client_networks[2].contains(addr("203.0.113.8")));
}

TEST(RelayConfig, Errors) {
  expect_error(kValid + "listen = [\"::1:25\"]\n",
               R"(relay\.listen: '::1:25' is not ADDRESS:PORT)");
  expect_error(kValid + "client_networks = [\"10.0.0.0/33\"]\n",
               R"(relay\.client_networks: '10\.0\.0\.0/33' is not a network)");
  expect_error(kValid + "max_recipients = 10\n", R"(relay\.max_recipients: must be at least 100)");
  expect_error(kValid + "tls_certificate = \"/etc/c.pem\"\n",
               R"(relay\.tls_key: tls_certificate and tls_key go together)");
  expect_error(kValid + "bare_newline = \"fix\"\n", R"(relay\.bare_newline: must be)");
  expect_error(kValid + "spool_dir = \"/x\"\n", R"(relay\.spool_dir: unknown key)");
}

// relay.hostname is what receivers see (greeting, EHLO, Received:, DSNs): the
// default "localhost", a bare name or a .localdomain name loads, with a warning.
TEST(RelayConfig, UnqualifiedHostnameIsAWarning) {
  const std::string fqdn = "hostname = \"relay.example.net\"";
  for (const char* name : {"localhost", "LocalHost", "mail", "relay.localdomain",
                           "relay.localhost"}) {
    LoadResult result =
        parse_config(replace(kValid, fqdn, "hostname = \"" + std::string(name) + "\""), "t.toml");
    ASSERT_TRUE(result.config) << name;
    ASSERT_EQ(result.diagnostics.size(), 1u) << name;
    EXPECT_EQ(result.diagnostics[0].severity, Diagnostic::Severity::Warning);
    EXPECT_EQ(result.diagnostics[0].to_string().rfind(
                  "t.toml:28: warning: relay.hostname: '" + std::string(name) +
                      "' is not a fully-qualified domain name", 0), 0u)
        << result.diagnostics[0].to_string();
  }
  // Not written: the default "localhost", at the [relay] table's line, or at
  // line 0 without a [relay] table.
  for (auto [text, line] : {std::pair{replace(kValid, fqdn, ""), 27},
                            std::pair{replace(kValid, "[relay]\n" + fqdn, ""), 0}}) {
    LoadResult absent = parse_config(text, "t.toml");
    ASSERT_TRUE(absent.config);
    ASSERT_EQ(absent.diagnostics.size(), 1u);
    EXPECT_EQ(absent.diagnostics[0].to_string().rfind(
                  "t.toml:" + std::to_string(line) +
                      ": warning: relay.hostname: 'localhost' is not a fully-qualified", 0), 0u)
        << absent.diagnostics[0].to_string();
  }
  for (const char* name : {"relay.example.net", "MX1.Example.COM", "a.b"}) {
    LoadResult result =
        parse_config(replace(kValid, fqdn, "hostname = \"" + std::string(name) + "\""), "t.toml");
    ASSERT_TRUE(result.config) << name;
    EXPECT_TRUE(result.diagnostics.empty()) << name << ": " << result.diagnostics[0].to_string();
  }
}

// The head the relay keeps in memory is all the classifier and scanner read,
// and the budget must hold at least one streaming message.
TEST(RelayConfig, DataMemoryRules) {
  expect_error(kValid + "stream_threshold_bytes = 65535\n",
               R"(relay\.stream_threshold_bytes: must be at least 65536 bytes)");
  expect_error(kValid + "stream_threshold_bytes = 262144\n[spam]\nscanner = \"spamd\"\n",
               R"(relay\.stream_threshold_bytes: must be at least spam\.max_scan_bytes )"
               R"(\(524288\))");
  expect_error(kValid + "stream_threshold_bytes = 262144\n[spam]\nscanner = \"rspamd\"\n",
               R"(relay\.stream_threshold_bytes: must be at least spam\.max_scan_bytes)");
  expect_error(kValid + "max_data_in_flight_bytes = 2097151\n",
               R"(relay\.max_data_in_flight_bytes: must be at least )"
               R"(stream_threshold_bytes \+ 1048576 \(2097152\))");
  // No network scanner: the threshold only has to hold the headers.
  for (const char* scanner : {"none", "header"}) {
    LoadResult ok = parse_config(kValid + "stream_threshold_bytes = 65536\n"
                                 "max_data_in_flight_bytes = 1114112\n[spam]\nscanner = \"" +
                                     scanner + "\"\n", "t.toml");
    EXPECT_TRUE(ok.config) << scanner << ": " << ok.diagnostics.at(0).to_string();
  }
}

TEST(DnsConfig, DefaultsWhenAbsent) {
  LoadResult result = parse_config(kValid, "t.toml");
  ASSERT_TRUE(result.config);
  const DnsConfig& dns = result.config->dns;
  EXPECT_TRUE(dns.servers.empty());  // /etc/resolv.conf
  EXPECT_EQ(dns.timeout_ms, 3000u);
  EXPECT_EQ(dns.attempts, 2u);
  EXPECT_EQ(dns.cache_size, 10000u);
  EXPECT_EQ(dns.max_ttl_s, 86400u);
  EXPECT_EQ(dns.negative_ttl_s, 300u);
}

TEST(DnsConfig, ParsesServersWithAndWithoutPorts) {
  std::string text = kValid + R"(
[dns]
servers = ["198.51.100.53", "198.51.100.54:5353", "2001:db8::53", "[2001:db8::54]:5353"]
timeout_ms = 500
attempts = 3
cache_size = 0
max_ttl_s = 3600
negative_ttl_s = 60
)";
  LoadResult result = parse_config(text, "t.toml");
  ASSERT_TRUE(result.config) << result.diagnostics[0].to_string();
  const DnsConfig& dns = result.config->dns;
  ASSERT_EQ(dns.servers.size(), 4u);
  EXPECT_EQ(dns.servers[0].to_string(), "198.51.100.53:53");
  EXPECT_EQ(dns.servers[1].to_string(), "198.51.100.54:5353");
  EXPECT_EQ(dns.servers[2].to_string(), "[2001:db8::53]:53");
  EXPECT_EQ(dns.servers[3].to_string(), "[2001:db8::54]:5353");
  EXPECT_EQ(dns.timeout_ms, 500u);
  EXPECT_EQ(dns.attempts, 3u);
  EXPECT_EQ(dns.cache_size, 0u);
  EXPECT_EQ(dns.max_ttl_s, 3600u);
  EXPECT_EQ(dns.negative_ttl_s, 60u);
}

TEST(DnsConfig, Errors) {
  expect_error(kValid + "[dns]\nservers = [\"resolver.example.com\"]\n",
               R"(t\.toml:\d+: dns\.servers: 'resolver\.example\.com' is not ADDRESS)");
  // Brackets are for a port; without one the address stands alone.
  expect_error(kValid + "[dns]\nservers = [\"[2001:db8::53]\"]\n",
               R"(dns\.servers: '\[2001:db8::53\]' is not ADDRESS)");
  expect_error(kValid + "[dns]\nservers = [\"198.51.100.53:0\"]\n", R"(dns\.servers: .* is not)");
  expect_error(kValid + "[dns]\ntimeout_ms = 50\n", R"(dns\.timeout_ms: must be between 100)");
  expect_error(kValid + "[dns]\nattempts = 0\n", R"(dns\.attempts: must be between 1 and 10)");
  expect_error(kValid + "[dns]\nmax_ttl_s = 0\n", R"(dns\.max_ttl_s: must be at least 1)");
  expect_error(kValid + "[dns]\nmax_ttl_s = 60\nnegative_ttl_s = 300\n",
               R"(dns\.negative_ttl_s: must not exceed max_ttl_s \(60\))");
  expect_error(kValid + "[dns]\ntimeout = 5\n", R"(t\.toml:\d+: dns\.timeout: unknown key)");
  expect_error(kValid + "[dns]\nattempts = \"2\"\n", R"(dns\.attempts: must be an integer)");
  expect_error("dns = 1\n" + kValid, R"(t\.toml:1: dns: must be a table, written \[dns\])");
}

TEST(DnsConfig, ErrorPointsAtTheLine) {
  expect_error(kValid + "\n[dns]\ntimeout_ms = 50\n", R"(t\.toml:31: dns\.timeout_ms:)");
}

namespace {

// A valid file must load; its diagnostics (warnings only) are returned.
std::vector<Diagnostic> expect_loads(const std::string& text) {
  LoadResult result = parse_config(text, "t.toml");
  EXPECT_TRUE(result.config.has_value())
      << (result.diagnostics.empty() ? "" : result.diagnostics[0].to_string());
  for (const Diagnostic& d : result.diagnostics)
    EXPECT_EQ(d.severity, Diagnostic::Severity::Warning) << d.to_string();
  return result.diagnostics;
}

const std::string kNormalAddresses =
    "addresses = [\"198.51.100.10\", \"198.51.100.11\", \"2001:db8:100::10\"]";

}  // namespace

TEST(PoolWeights, OneEachWhenAbsent) {
  LoadResult result = parse_config(kValid, "t.toml");
  ASSERT_TRUE(result.config);
  EXPECT_EQ(result.config->pools[0].weights, (std::vector<uint32_t>{1, 1, 1}));
  EXPECT_EQ(result.config->pools[1].weights, (std::vector<uint32_t>{1, 1}));
}

TEST(PoolWeights, Parsed) {
  std::string text = replace(kValid, kNormalAddresses, kNormalAddresses + "\nweights = [3, 0, 2]");
  EXPECT_TRUE(expect_loads(text).empty());
  LoadResult result = parse_config(text, "t.toml");
  ASSERT_TRUE(result.config);
  EXPECT_EQ(result.config->pools[0].weights, (std::vector<uint32_t>{3, 0, 2}));
  EXPECT_EQ(result.config->line_of("pool[0].weights[1]"), 19);
}

TEST(PoolWeights, LengthMustMatchAddressesAndNamesBothLines) {
  expect_error(replace(kValid, kNormalAddresses, kNormalAddresses + "\nweights = [1, 1]"),
               R"(t\.toml:19: pool\[0\]\.weights: 2 weights for 3 addresses \(addresses at line 18\))");
  expect_error(replace(kValid, kNormalAddresses, kNormalAddresses + "\nweights = [1, 1, 1, 1]"),
               R"(t\.toml:19: pool\[0\]\.weights: 4 weights for 3 addresses)");
  // Written empty is not "absent": it would silently mean 1 each.
  expect_error(replace(kValid, kNormalAddresses, kNormalAddresses + "\nweights = []"),
               R"(pool\[0\]\.weights: 0 weights for 3 addresses)");
}

TEST(PoolWeights, TypeErrors) {
  expect_error(replace(kValid, kNormalAddresses, kNormalAddresses + "\nweights = [1, -1, 1]"),
               R"(t\.toml:19: pool\[0\]\.weights\[1\]: must be between 0 and 4294967295)");
  expect_error(replace(kValid, kNormalAddresses, kNormalAddresses + "\nweights = [1, 0.5, 1]"),
               R"(pool\[0\]\.weights\[1\]: must be an integer)");
  expect_error(replace(kValid, kNormalAddresses, kNormalAddresses + "\nweights = 1"),
               R"(t\.toml:19: pool\[0\]\.weights: must be an array of integers)");
}

TEST(PoolWeights, DrainedFamilyIsAWarning) {
  std::vector<Diagnostic> warnings =
      expect_loads(replace(kValid, kNormalAddresses, kNormalAddresses + "\nweights = [1, 1, 0]"));
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0].to_string(),
            "t.toml:19: warning: pool[0].weights: pool 'normal' has no IPv6 address with weight "
            "> 0: IPv6 destinations will be deferred");
  warnings = expect_loads(replace(kValid, kNormalAddresses, kNormalAddresses + "\nweights = [0, 0, 5]"));
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].message.find("no IPv4 address with weight > 0: IPv4 destinations"),
            std::string::npos);
  // One address drained of two: no warning.
  EXPECT_TRUE(expect_loads(replace(kValid, kNormalAddresses,
                                   kNormalAddresses + "\nweights = [0, 1, 1]")).empty());
}

TEST(PoolWeights, DrainedPoolIsAWarningNotAnError) {
  // Draining a whole pool, even a required one, is an operator action.
  std::vector<Diagnostic> warnings =
      expect_loads(replace(kValid, kNormalAddresses, kNormalAddresses + "\nweights = [0, 0, 0]"));
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0].to_string(),
            "t.toml:19: warning: pool[0].weights: pool 'normal' has no address with weight > 0: "
            "all its mail will be deferred");
}

TEST(ClassifyConfig, DefaultPool) {
  LoadResult result = parse_config(kValid, "t.toml");
  ASSERT_TRUE(result.config);
  EXPECT_EQ(result.config->classify.default_pool, "normal");
  EXPECT_TRUE(expect_loads(kValid + "\n[classify]\n").empty());
  result = parse_config(kValid + "\n[classify]\ndefault_pool = \"high-risk\"\n", "t.toml");
  ASSERT_TRUE(result.config);
  EXPECT_EQ(result.config->classify.default_pool, "high-risk");
}

TEST(ClassifyConfig, Errors) {
  expect_error(kValid + "\n[classify]\ndefault_pool = \"bulk\"\n",
               R"(t\.toml:31: classify\.default_pool: no pool named "bulk")");
  expect_error(kValid + "\n[classify]\ndefault_pool = 1\n",
               R"(t\.toml:31: classify\.default_pool: must be a string)");
  expect_error(kValid + "\n[classify]\ndefault = \"normal\"\n",
               R"(t\.toml:31: classify\.default: unknown key)");
  expect_error("classify = \"normal\"\n" + kValid,
               R"(t\.toml:1: classify: must be a table, written \[classify\])");
  // No "normal" pool and nothing written: one error (the required pool), not two.
  LoadResult result = parse_config(replace(kValid, "name      = \"normal\"", "name = \"clean\""),
                                   "t.toml");
  std::string all;
  for (const Diagnostic& d : result.diagnostics) all += d.to_string() + "\n";
  EXPECT_EQ(all.find("classify"), std::string::npos) << all;
}
