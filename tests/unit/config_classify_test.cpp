// [classify], [limits] and [spam]: defaults, every key, each error and warning
// with the line it points at, the enum spellings, and the example file.
#include "config/config.h"
#include "config/limits_section.h"
#include "config/spam_section.h"

#include "config_test_support.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <regex>

using namespace poolgate;
using namespace poolgate::config_test;

namespace {

const std::string& kPools = kTwoPools;


}  // namespace

TEST(ClassifySections, DefaultsWhenAbsent) {
  const Config c = load(kPools);
  EXPECT_EQ(c.classify.default_pool, "normal");
  EXPECT_FALSE(c.classify.add_header);
  EXPECT_TRUE(c.classify.auto_replies_are_ndr);
  EXPECT_TRUE(c.classify.check_from_domain);
  EXPECT_FALSE(c.classify.check_aaaa);
  EXPECT_EQ(c.classify.dns_unknown_after_s, 1800u);
  EXPECT_EQ(c.limits.external_recipients_per_hour, 500u);
  EXPECT_EQ(c.limits.internal_recipients_per_hour, 1000u);
  EXPECT_EQ(c.limits.recipients_per_day, 1000u);
  EXPECT_EQ(c.limits.messages_per_minute, 30u);
  EXPECT_EQ(c.limits.recipients_per_message, 500u);
  EXPECT_EQ(c.limits.action, LimitAction::HighRisk);
  EXPECT_EQ(c.limits.surge_window_s, 300u);
  EXPECT_DOUBLE_EQ(c.limits.surge_factor, 5.0);
  EXPECT_EQ(c.limits.surge_min_count, 20u);
  EXPECT_EQ(c.spam.scanner, ScannerKind::None);
  EXPECT_EQ(c.spam.address.to_string(), "127.0.0.1:783");
  EXPECT_EQ(c.spam.timeout_ms, 10000u);
  EXPECT_EQ(c.spam.on_scanner_failure, ScannerFailure::TempFail);
  EXPECT_EQ(c.spam.max_scan_bytes, 524288u);
}

TEST(ClassifySections, EmptySectionsKeepDefaults) {
  const Config c = load(kPools + "[classify]\n[limits]\n[spam]\n");
  EXPECT_EQ(c.classify.dns_unknown_after_s, 1800u);
  EXPECT_EQ(c.limits.action, LimitAction::HighRisk);
  EXPECT_EQ(c.spam.address.port, 783);
}

TEST(ClassifySections, ParsesEveryKey) {
  const Config c = load(kPools + R"(
[[pool]]
name      = "relay"
fwmark    = 0x300
table     = 300
addresses = ["192.0.2.7"]

[classify]
default_pool         = "relay"
add_header           = true
auto_replies_are_ndr = false
check_from_domain    = false
check_aaaa           = true
dns_unknown_after_s  = 600

[limits]
external_recipients_per_hour = 0
internal_recipients_per_hour = 2000
recipients_per_day           = 5000
messages_per_minute          = 10
recipients_per_message       = 100
action                       = "block-for-today"
surge_window_s               = 600
surge_factor                 = 3
surge_min_count              = 50

[spam]
scanner            = "rspamd"
address            = "[::1]:11334"
timeout_ms         = 30000
on_scanner_failure = "high-risk"
max_scan_bytes     = 1048576
)");
  EXPECT_EQ(c.classify.default_pool, "relay");
  EXPECT_TRUE(c.classify.add_header);
  EXPECT_FALSE(c.classify.auto_replies_are_ndr);
  EXPECT_FALSE(c.classify.check_from_domain);
  EXPECT_TRUE(c.classify.check_aaaa);
  EXPECT_EQ(c.classify.dns_unknown_after_s, 600u);
  EXPECT_EQ(c.limits.external_recipients_per_hour, 0u);
  EXPECT_EQ(c.limits.internal_recipients_per_hour, 2000u);
  EXPECT_EQ(c.limits.recipients_per_day, 5000u);
  EXPECT_EQ(c.limits.messages_per_minute, 10u);
  EXPECT_EQ(c.limits.recipients_per_message, 100u);
  EXPECT_EQ(c.limits.action, LimitAction::BlockForToday);
  EXPECT_EQ(c.limits.surge_window_s, 600u);
  EXPECT_DOUBLE_EQ(c.limits.surge_factor, 3.0);
  EXPECT_EQ(c.limits.surge_min_count, 50u);
  EXPECT_EQ(c.spam.scanner, ScannerKind::Rspamd);
  EXPECT_EQ(c.spam.address.to_string(), "[::1]:11334");
  EXPECT_EQ(c.spam.timeout_ms, 30000u);
  EXPECT_EQ(c.spam.on_scanner_failure, ScannerFailure::HighRisk);
  EXPECT_EQ(c.spam.max_scan_bytes, 1048576u);
  for (const char* key : {"classify.check_aaaa", "limits.surge_min_count", "spam.address"})
    EXPECT_GT(c.line_of(key), 0) << key;
}

TEST(ClassifySections, EveryEnumValue) {
  for (const char* action : {"high-risk", "block-for-today", "block", "alert"}) {
    const Config c = load(kPools + "[limits]\naction = \"" + action + "\"\n");
    EXPECT_STREQ(limit_action_name(c.limits.action), action);
  }
  for (const char* scanner : {"spamd", "rspamd", "none"}) {
    const Config c = load(kPools + "[spam]\nscanner = \"" + scanner + "\"\n");
    EXPECT_STREQ(scanner_kind_name(c.spam.scanner), scanner);
  }
  for (const char* failure : {"tempfail", "normal", "high-risk"}) {
    const Config c = load(kPools + "[spam]\non_scanner_failure = \"" + failure + "\"\n");
    EXPECT_STREQ(scanner_failure_name(c.spam.on_scanner_failure), failure);
  }
  // Exactly as written, like every other enum key.
  for (const char* bad : {"", "High-Risk", "highrisk", "block_for_today", "reject"})
    EXPECT_FALSE(parse_limit_action(bad)) << bad;
  for (const char* bad : {"", "SpamAssassin", "spamc", "trusted_header", "off"})
    EXPECT_FALSE(parse_scanner_kind(bad)) << bad;
  for (const char* bad : {"", "TempFail", "defer", "reject", "high_risk"})
    EXPECT_FALSE(parse_scanner_failure(bad)) << bad;
}

TEST(ClassifySections, ScannerAddressAndDefaultPort) {
  // The port follows the scanner, written or not.
  EXPECT_EQ(load(kPools + "[spam]\nscanner = \"rspamd\"\n").spam.address.to_string(),
            "127.0.0.1:11333");
  EXPECT_EQ(load(kPools + "[spam]\nscanner = \"spamd\"\n").spam.address.to_string(),
            "127.0.0.1:783");
  EXPECT_EQ(load(kPools + "[spam]\naddress = \"192.0.2.5\"\nscanner = \"rspamd\"\n")
                .spam.address.to_string(),
            "192.0.2.5:11333");
  EXPECT_EQ(load(kPools + "[spam]\nscanner = \"spamd\"\naddress = \"2001:db8::5\"\n")
                .spam.address.to_string(),
            "[2001:db8::5]:783");
  EXPECT_EQ(load(kPools + "[spam]\nscanner = \"spamd\"\naddress = \"192.0.2.5:7830\"\n")
                .spam.address.to_string(),
            "192.0.2.5:7830");
}

TEST(ClassifySections, TypeErrors) {
  expect_error(kPools + "[classify]\nadd_header = \"yes\"\n",
               R"(classify\.add_header: must be true or false)");
  expect_error(kPools + "[classify]\ndns_unknown_after_s = \"30m\"\n",
               R"(classify\.dns_unknown_after_s: must be an integer)");
  expect_error(kPools + "[limits]\nrecipients_per_day = -1\n",
               R"(limits\.recipients_per_day: must be between 0 and 4294967295)");
  expect_error(kPools + "[limits]\naction = 1\n", R"(limits\.action: must be a string)");
  expect_error(kPools + "[limits]\nsurge_factor = \"5\"\n",
               R"(limits\.surge_factor: must be a number)");
  expect_error(kPools + "[spam]\naddress = [\"127.0.0.1:783\"]\n",
               R"(spam\.address: must be a string)");
  expect_error(kPools + "[spam]\ntimeout_ms = 1.5\n", R"(spam\.timeout_ms: must be an integer)");
  expect_error("limits = 1\n" + kPools, R"(^t\.toml:1: limits: must be a table, written \[limits\])");
  expect_error("spam = \"spamd\"\n" + kPools, R"(^t\.toml:1: spam: must be a table, written \[spam\])");
}

TEST(ClassifySections, UnknownKeys) {
  for (const char* section : {"classify", "limits", "spam"}) {
    std::string text = kPools + "[" + section + "]\nbogus_key = 1\n";
    expect_error(text, line_prefix(text, "bogus_key") + section + R"(\.bogus_key: unknown key)");
  }
}

TEST(ClassifySections, ValueErrorsPointAtTheirLine) {
  struct Case {
    std::string section, line, pattern;
  } cases[] = {
      {"classify", "default_pool = \"bulk\"", R"(classify\.default_pool: no pool named "bulk")"},
      {"classify", "dns_unknown_after_s = 604801",
       R"(classify\.dns_unknown_after_s: must be at most 604800 seconds)"},
      {"limits", "action = \"reject\"",
       R"(limits\.action: must be "high-risk", "block-for-today", "block" or "alert")"},
      {"limits", "surge_window_s = 0", R"(limits\.surge_window_s: must be between 1 and 86400)"},
      {"limits", "surge_window_s = 86401", R"(limits\.surge_window_s: must be between 1 and 86400)"},
      {"limits", "surge_factor = 1", R"(limits\.surge_factor: must be greater than 1)"},
      {"limits", "surge_factor = 0.5", R"(limits\.surge_factor: must be greater than 1)"},
      {"limits", "surge_min_count = 0", R"(limits\.surge_min_count: must be at least 1)"},
      {"spam", "scanner = \"spamassassin\"",
       R"(spam\.scanner: must be "spamd", "rspamd", "header" or "none")"},
      {"spam", "address = \"localhost:783\"",
       R"(spam\.address: 'localhost:783' is not ADDRESS or ADDRESS:PORT)"},
      {"spam", "address = \"127.0.0.1:0\"", R"(spam\.address: '127\.0\.0\.1:0' is not)"},
      {"spam", "address = \"127.0.0.1:99999\"", R"(spam\.address: '127\.0\.0\.1:99999' is not)"},
      {"spam", "timeout_ms = 99", R"(spam\.timeout_ms: must be between 100 and 600000)"},
      {"spam", "timeout_ms = 600001", R"(spam\.timeout_ms: must be between 100 and 600000)"},
      {"spam", "on_scanner_failure = \"defer\"",
       R"(spam\.on_scanner_failure: must be "tempfail", "normal" or "high-risk")"},
      {"spam", "max_scan_bytes = 1023", R"(spam\.max_scan_bytes: must be at least 1024 bytes)"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.line);
    std::string text = kPools + "[" + c.section + "]\n# first\n" + c.line + "\n";
    expect_error(text, line_prefix(text, c.line) + c.pattern);
  }
}

TEST(ClassifySections, Warnings) {
  std::string text = kPools + "[spam]\nscanner = \"header\"\n";
  expect_warning(text, line_prefix(text, "scanner =") +
                           R"(warning: spam\.scanner: "header" trusts the X-Spam-\* fields)");
  text = kPools + "[classify]\ndns_unknown_after_s = 0\n";
  expect_warning(text, line_prefix(text, "dns_unknown_after_s") +
                           R"(warning: classify\.dns_unknown_after_s: 0 never holds)");
  text = kPools + "[classify]\ndns_unknown_after_s = 432000\n";
  expect_warning(text, line_prefix(text, "dns_unknown_after_s") +
                           R"(warning: classify\.dns_unknown_after_s: 432000 s is not shorter than delivery\.max_lifetime_s \(432000 s\))");
  text = kPools + "[limits]\nrecipients_per_message = 501\n";
  expect_warning(text, line_prefix(text, "recipients_per_message") +
                           R"(warning: limits\.recipients_per_message: 501 is never reached: relay\.max_recipients \(500\))");
  // At the edges: none.
  load(kPools + "[classify]\ndns_unknown_after_s = 431999\n[limits]\nrecipients_per_message = 500\n"
                "surge_window_s = 86400\nsurge_factor = 1.01\n[spam]\ntimeout_ms = 600000\n"
                "max_scan_bytes = 1024\n");
  load(kPools + "[spam]\ntimeout_ms = 100\n[limits]\nsurge_window_s = 1\n");
}

TEST(ClassifySections, ExampleFileDocumentsEveryKey) {
  LoadResult result = load_config(POOLGATE_SOURCE_DIR "/config/poolgate.toml");
  ASSERT_TRUE(result.config) << all_diagnostics(result);
  EXPECT_TRUE(result.diagnostics.empty()) << all_diagnostics(result);
  const Config& c = *result.config;
  for (const char* key : {"default_pool", "add_header", "auto_replies_are_ndr",
                          "check_from_domain", "check_aaaa", "dns_unknown_after_s"})
    EXPECT_GT(c.line_of(std::string("classify.") + key), 0) << key;
  for (const char* key :
       {"external_recipients_per_hour", "internal_recipients_per_hour", "recipients_per_day",
        "messages_per_minute", "recipients_per_message", "action", "surge_window_s",
        "surge_factor", "surge_min_count"})
    EXPECT_GT(c.line_of(std::string("limits.") + key), 0) << key;
  for (const char* key :
       {"scanner", "address", "timeout_ms", "on_scanner_failure", "max_scan_bytes"})
    EXPECT_GT(c.line_of(std::string("spam.") + key), 0) << key;
  // The example shows the defaults: it must parse to exactly what the structs have.
  const ClassifyConfig classify;
  EXPECT_EQ(c.classify.default_pool, classify.default_pool);
  EXPECT_EQ(c.classify.add_header, classify.add_header);
  EXPECT_EQ(c.classify.auto_replies_are_ndr, classify.auto_replies_are_ndr);
  EXPECT_EQ(c.classify.check_from_domain, classify.check_from_domain);
  EXPECT_EQ(c.classify.check_aaaa, classify.check_aaaa);
  EXPECT_EQ(c.classify.dns_unknown_after_s, classify.dns_unknown_after_s);
  const LimitsConfig limits;
  EXPECT_EQ(c.limits.external_recipients_per_hour, limits.external_recipients_per_hour);
  EXPECT_EQ(c.limits.internal_recipients_per_hour, limits.internal_recipients_per_hour);
  EXPECT_EQ(c.limits.recipients_per_day, limits.recipients_per_day);
  EXPECT_EQ(c.limits.messages_per_minute, limits.messages_per_minute);
  EXPECT_EQ(c.limits.recipients_per_message, limits.recipients_per_message);
  EXPECT_EQ(c.limits.action, limits.action);
  EXPECT_EQ(c.limits.surge_window_s, limits.surge_window_s);
  EXPECT_EQ(c.limits.surge_factor, limits.surge_factor);
  EXPECT_EQ(c.limits.surge_min_count, limits.surge_min_count);
  const SpamConfig spam;
  EXPECT_EQ(c.spam.scanner, spam.scanner);
  EXPECT_EQ(c.spam.address.to_string(), spam.address.to_string());
  EXPECT_EQ(c.spam.timeout_ms, spam.timeout_ms);
  EXPECT_EQ(c.spam.on_scanner_failure, spam.on_scanner_failure);
  EXPECT_EQ(c.spam.max_scan_bytes, spam.max_scan_bytes);
}
