// NdrSurgeDetector: steady NDRs raise nothing; a burst over the baseline
// raises exactly one alert, naming the domain when one domain bursts.
#include "limits/ndr_surge.h"
#include "limits_test_support.h"

#include <gtest/gtest.h>

namespace poolgate {
namespace {

using limits_test::FakeClock;
using limits_test::kMidnight;

// "d7.example"; appended piecewise: GCC 12's -Wrestrict misfires on
// "lit" + std::to_string() chains.
std::string domain(char letter, int i) {
  std::string out(1, letter);
  out += std::to_string(i);
  out += ".example";
  return out;
}

LimitsConfig surge_config() {
  LimitsConfig c;
  c.surge_window_s = 300;
  c.surge_factor = 5.0;
  c.surge_min_count = 20;
  return c;
}

struct Surge {
  FakeClock clock;
  std::unique_ptr<NdrSurgeDetector> detector;
  std::vector<std::string> alerts;
  Surge() { detector = std::make_unique<NdrSurgeDetector>(surge_config(), clock.fn()); }

  // `count` NDRs for `domain` spread evenly over `seconds` from now.
  void ndrs(const std::string& domain, int count, int seconds) {
    int64_t start = *clock.now;
    for (int i = 0; i < count; ++i) {
      clock.set(start + int64_t(i) * seconds / count);
      if (auto a = detector->observe_ndr(domain)) alerts.push_back(*a);
    }
    clock.set(start + seconds);
  }
  // A steady baseline: per window of 300 s, 4 NDRs each from three domains
  // and 3 for null senders (15 in total, under min_count 20).
  void steady(int windows) {
    for (int w = 0; w < windows; ++w) {
      int64_t start = *clock.now;
      for (int i = 0; i < 4; ++i) {
        clock.set(start + i * 75);
        for (const char* d : {"a.example", "b.example", "c.example"})
          if (auto a = detector->observe_ndr(d)) alerts.push_back(*a);
        if (i < 3)
          if (auto a = detector->observe_ndr("")) alerts.push_back(*a);
      }
      clock.set(start + 300);
    }
  }
};

TEST(LimitsSurge, SteadyTrafficRaisesNothing) {
  Surge run;
  run.steady(48);  // four hours
  EXPECT_TRUE(run.alerts.empty()) << run.alerts[0];
  EXPECT_EQ(run.detector->counters().ndrs, 48u * 15);
  auto stats = run.detector->stats();
  EXPECT_EQ(stats[0].key, "");
  EXPECT_NEAR(stats[0].baseline, 15.0, 1.0);
}

TEST(LimitsSurge, ABurstFromOneDomainRaisesExactlyOneAlertNamingIt) {
  Surge run;
  run.steady(24);
  run.ndrs("Spoofed.Example", 200, 120);  // a spoofing run's backscatter
  run.steady(24);                         // and back to normal
  ASSERT_EQ(run.alerts.size(), 1u);
  EXPECT_NE(run.alerts[0].find("sender domain spoofed.example"), std::string::npos) << run.alerts[0];
  for (const char* cause : {"spoofing", "directory-harvest", "spam run", "rogue"})
    EXPECT_NE(run.alerts[0].find(cause), std::string::npos) << cause;
  EXPECT_EQ(run.detector->counters().domain_alerts, 1u);
  EXPECT_EQ(run.detector->counters().total_alerts, 0u);
  EXPECT_EQ(run.detector->counters().total_alerts_folded, 1u);  // the total surged too
}

TEST(LimitsSurge, ABurstSpreadOverDomainsRaisesOneTotalAlert) {
  Surge run;
  run.steady(24);
  // A harvest: 150 NDRs over many domains, 3 each, none surging by itself.
  for (int i = 0; i < 50; ++i) run.ndrs(domain('d', i), 3, 2);
  run.steady(12);
  ASSERT_EQ(run.alerts.size(), 1u);
  EXPECT_NE(run.alerts[0].find("across all sender domains"), std::string::npos) << run.alerts[0];
  EXPECT_EQ(run.detector->counters().total_alerts, 1u);
}

TEST(LimitsSurge, NullSenderNdrsAreTheirOwnKey) {
  Surge run;
  run.steady(24);
  run.ndrs("", 100, 60);
  ASSERT_EQ(run.alerts.size(), 1u);
  EXPECT_NE(run.alerts[0].find("null-sender"), std::string::npos) << run.alerts[0];
}

TEST(LimitsSurge, ASecondSurgeAfterCalmAlertsAgain) {
  Surge run;
  run.steady(24);
  run.ndrs("spoofed.example", 100, 60);
  run.steady(48);  // four hours: the baseline decays, the alert re-arms
  run.ndrs("spoofed.example", 100, 60);
  EXPECT_EQ(run.alerts.size(), 2u);
}

TEST(LimitsSurge, NothingDuringWarmUp) {
  Surge run;
  run.ndrs("x.example", 100, 60);  // right after a start: could be the usual rate
  EXPECT_TRUE(run.alerts.empty());
}

TEST(LimitsSurge, RiseUnderFactorDoesNotAlert) {
  // A busy domain: 60 per window; 200 in one window is only 3.3x baseline.
  Surge run;
  for (int w = 0; w < 24; ++w) run.ndrs("big.example", 60, 300);
  run.ndrs("big.example", 200, 300);
  EXPECT_TRUE(run.alerts.empty()) << run.alerts[0];
  // The baseline followed (about 80 now); 600 in a window is 7x that.
  run.ndrs("big.example", 600, 300);
  EXPECT_EQ(run.alerts.size(), 1u);
}

TEST(LimitsSurge, MemoryIsBoundedWithRandomDomains) {
  FakeClock clock;
  NdrSurgeOptions options;
  options.max_domains = 100;
  NdrSurgeDetector detector(surge_config(), clock.fn(), options);
  for (int i = 0; i < 1000; ++i) {
    clock.advance(1);
    detector.observe_ndr(domain('r', i));
  }
  EXPECT_LE(detector.stats().size(), 101u);
  EXPECT_GT(detector.counters().domains_untracked, 0u);
  EXPECT_EQ(detector.counters().ndrs, 1000u);
}

}  // namespace
}  // namespace poolgate
