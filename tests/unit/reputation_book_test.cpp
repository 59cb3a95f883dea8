// Sites (MX rollup, [[delivery.site]] patterns) and the per-(source, site)
// book: suspensions that double, AIMD backing off and its recovery, and
// connection limits counted per source address.
#include "config/config.h"
#include "config_test_support.h"
#include "reputation/sites.h"
#include "reputation/source_site_book.h"

#include <gtest/gtest.h>

namespace poolgate {
namespace {

using namespace std::chrono_literals;

ReputationConfig settings(uint32_t suspend, uint32_t max, uint32_t quiet) {
  ReputationConfig r;
  r.block_suspend_s = suspend;
  r.block_suspend_max_s = max;
  r.rate_limit_quiet_s = quiet;
  return r;
}

SiteConfig google() {
  SiteConfig site;
  site.name = "google";
  site.mx = {"*.google.com", "*.googlemail.com"};
  site.connections = 3;
  return site;
}

TEST(Sites, PatternsMatchHostsBelowTheDomainOnly) {
  EXPECT_TRUE(mx_pattern_matches("*.google.com", "aspmx.l.google.com"));
  EXPECT_TRUE(mx_pattern_matches("*.google.com", "alt1.aspmx.l.google.com"));
  EXPECT_FALSE(mx_pattern_matches("*.google.com", "google.com"));
  EXPECT_FALSE(mx_pattern_matches("*.google.com", "evilgoogle.com"));
  EXPECT_TRUE(mx_pattern_matches("mx.example.net", "mx.example.net"));
  EXPECT_FALSE(mx_pattern_matches("mx.example.net", "mx2.example.net"));
}

TEST(Sites, ConfiguredSiteWinsThenMxRollupThenDomain) {
  std::vector<SiteConfig> sites{google()};
  SiteRef a = site_of("customer-a.example", {"ASPMX.L.GOOGLE.COM.", "alt1.aspmx.l.google.com"},
                      sites);
  EXPECT_EQ(a.key, "google");
  ASSERT_NE(a.config, nullptr);
  EXPECT_EQ(limits_of(a, DeliveryConfig{}).connections, 3u);
  // Two domains with the same MX hosts, in any order: one site.
  SiteRef b = site_of("b.example", {"mx2.example.net", "mx1.example.net"}, sites);
  SiteRef c = site_of("c.example", {"mx1.example.net", "mx2.example.net", "mx1.example.net"},
                      sites);
  EXPECT_EQ(b.key, "mx:mx1.example.net,mx2.example.net");
  EXPECT_EQ(b.key, c.key);
  EXPECT_EQ(limits_of(b, DeliveryConfig{}).connections, 20u);  // connections_per_destination
  EXPECT_EQ(site_of("[198.51.100.7]", {"[198.51.100.7]"}, sites).key, "[198.51.100.7]");
}

TEST(SourceSiteBook, BlockRestsOneAddressForOneSiteAndDoublesOnRepeat) {
  SourceSiteBook book(settings(3600, 10000, 300));
  int64_t now = 1'000'000;
  EXPECT_EQ(book.suspend("198.51.100.10", "google", "554 5.7.1 blocked", now), now + 3600);
  EXPECT_TRUE(book.suspended("198.51.100.10", "google", now + 10));
  EXPECT_FALSE(book.suspended("198.51.100.11", "google", now + 10));  // other address
  EXPECT_FALSE(book.suspended("198.51.100.10", "mx:mx.example.net", now + 10));  // other site
  // A second block during the rest is the same episode.
  EXPECT_EQ(book.suspend("198.51.100.10", "google", "554 again", now + 20), now + 3600);
  EXPECT_FALSE(book.suspended("198.51.100.10", "google", now + 3600));
  // Blocked again soon after: twice as long, then capped.
  int64_t later = now + 4000;
  EXPECT_EQ(book.suspend("198.51.100.10", "google", "554", later), later + 7200);
  int64_t third = later + 7300;
  EXPECT_EQ(book.suspend("198.51.100.10", "google", "554", third), third + 10000);
  auto views = book.views(third);
  ASSERT_EQ(views.size(), 1u);
  EXPECT_EQ(views[0].suspensions, 3u);
  EXPECT_EQ(views[0].blocks, 4u);
  EXPECT_EQ(views[0].last_block_reply, "554");
  // A block a day after the last rest ended starts over.
  int64_t much_later = third + 10000 + 86400 + 1;
  EXPECT_EQ(book.suspend("198.51.100.10", "google", "554", much_later), much_later + 3600);
}

TEST(SourceSiteBook, ConnectionsAreCountedPerSourceAndSite) {
  SourceSiteBook book;
  SiteLimits limits{2, 0};
  EXPECT_TRUE(book.try_open("198.51.100.10", "s", limits));
  EXPECT_TRUE(book.try_open("198.51.100.10", "s", limits));
  EXPECT_FALSE(book.try_open("198.51.100.10", "s", limits));
  EXPECT_TRUE(book.try_open("198.51.100.11", "s", limits));  // another address: more capacity
  EXPECT_TRUE(book.try_open("198.51.100.10", "t", limits));  // another site
  book.closed("198.51.100.10", "s");
  EXPECT_TRUE(book.try_open("198.51.100.10", "s", limits));
}

TEST(SourceSiteBook, RateLimitHalvesThenGrowsBackAfterQuietPeriods) {
  SourceSiteBook book(settings(3600, 86400, 300));
  SiteLimits limits{8, 4.0};
  int64_t now = 2'000'000;
  book.rate_limited("a", "gmail", limits, "421-4.7.28 unusual rate", now);
  EXPECT_EQ(book.connection_limit("a", "gmail", limits), 4u);
  EXPECT_DOUBLE_EQ(book.rate("a", "gmail", limits), 2.0);
  // The same second (several connections told at once): one halving.
  book.rate_limited("a", "gmail", limits, "421-4.7.28", now);
  EXPECT_EQ(book.connection_limit("a", "gmail", limits), 4u);
  book.rate_limited("a", "gmail", limits, "421-4.7.28", now + 1);
  book.rate_limited("a", "gmail", limits, "421-4.7.28", now + 2);
  book.rate_limited("a", "gmail", limits, "421-4.7.28", now + 3);
  EXPECT_EQ(book.connection_limit("a", "gmail", limits), 1u);  // the floor
  EXPECT_EQ(book.connection_limit("b", "gmail", limits), 8u);  // other addresses unaffected
  // Not quiet long enough: no change.
  book.recover(now + 100);
  EXPECT_EQ(book.connection_limit("a", "gmail", limits), 1u);
  book.recover(now + 3 + 300);
  EXPECT_EQ(book.connection_limit("a", "gmail", limits), 2u);
  EXPECT_NEAR(book.rate("a", "gmail", limits), 0.25 + 0.4, 1e-9);
  for (int i = 2; i <= 12; ++i) book.recover(now + 3 + 300 * i);
  EXPECT_EQ(book.connection_limit("a", "gmail", limits), 8u);
  EXPECT_DOUBLE_EQ(book.rate("a", "gmail", limits), 4.0);
  EXPECT_FALSE(book.views(now)[0].backing_off);
}

TEST(SourceSiteBook, RateLimitWithoutAConfiguredRateHalvesTheObservedOne) {
  SourceSiteBook book;
  SiteLimits limits{20, 0};
  auto t = std::chrono::steady_clock::now();
  int64_t now = 60 * 1000;
  for (int i = 0; i < 120; ++i)  // 120 messages in the last minute: 2/s
    EXPECT_EQ(book.reserve_send_slot("a", "s", limits, t, now + i / 2).count(), 0);
  book.rate_limited("a", "s", limits, "421 4.7.0 try later", now + 60);
  EXPECT_NEAR(book.rate("a", "s", limits), 0.5, 1e-9);  // (120 + 0) / 120 / 2
  // Now paced: the second message waits about 2 s.
  EXPECT_EQ(book.reserve_send_slot("a", "s", limits, t, now + 61).count(), 0);
  EXPECT_NEAR(std::chrono::duration<double>(book.reserve_send_slot("a", "s", limits, t, now + 61))
                  .count(),
              2.0, 1e-6);
}

TEST(ReputationConfig, RestAndBackOffKeysWithTheirRules) {
  LoadResult ok = parse_config(config_test::kTwoPools + R"([reputation]
block_suspend_s = 600
block_suspend_max_s = 7200
rate_limit_quiet_s = 60
)", "r.toml");
  ASSERT_TRUE(ok.config);
  EXPECT_EQ(ok.config->reputation.block_suspend_s, 600u);
  EXPECT_EQ(ok.config->reputation.block_suspend_max_s, 7200u);
  EXPECT_EQ(ok.config->reputation.rate_limit_quiet_s, 60u);
  const std::string text = config_test::kTwoPools + R"([reputation]
block_suspend_s = 600
block_suspend_max_s = 300
rate_limit_quiet_s = 0
)";
  LoadResult bad = parse_config(text, "r.toml");
  ASSERT_FALSE(bad.config);
  ASSERT_EQ(bad.diagnostics.size(), 2u);
  auto at = [&](const char* key) { return std::to_string(config_test::line_in(text, key)); };
  EXPECT_EQ(bad.diagnostics[0].to_string(),
            "r.toml:" + at("block_suspend_max_s =") +
                ": reputation.block_suspend_max_s: must be at least block_suspend_s (600)");
  EXPECT_EQ(bad.diagnostics[1].to_string(),
            "r.toml:" + at("rate_limit_quiet_s =") +
                ": reputation.rate_limit_quiet_s: must be at least 1 second");
}

}  // namespace
}  // namespace poolgate
