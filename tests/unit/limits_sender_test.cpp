// SenderLimits: every limit's reason, the internal/external split, windows
// rolling over with an injected clock, and each action.
#include "limits/sender_limits.h"
#include "limits_test_support.h"

#include <gtest/gtest.h>

namespace poolgate {
namespace {

using limits_test::FakeClock;
using limits_test::kMidnight;
using limits_test::mail;
using limits_test::MemoryStore;
using Reasons = std::vector<std::string>;

const std::vector<std::string> kInternal{"corp.example."};

struct Fixture {
  explicit Fixture(LimitAction action = LimitAction::HighRisk, LimitsConfig config = {}) {
    config.action = action;
    limits = std::make_unique<SenderLimits>(config, kInternal, store, clock.fn());
  }
  FakeClock clock;
  MemoryStore store;
  std::unique_ptr<SenderLimits> limits;
};

TEST(LimitsSender, UnderEveryLimitIsClean) {
  Fixture f;
  auto v = f.limits->check_and_count(mail("a@x.example", 10, 10));
  EXPECT_TRUE(v.exceeded.empty());
  EXPECT_FALSE(v.blocked);
  EXPECT_EQ(v.action, LimitAction::HighRisk);
}

TEST(LimitsSender, ExternalPerHourCountsOnlyOutsideRecipients) {
  // The day and per-message limits would fire first: relax them here.
  LimitsConfig config;
  config.recipients_per_day = 0;
  config.recipients_per_message = 0;
  Fixture g(LimitAction::HighRisk, config);
  EXPECT_TRUE(g.limits->check_and_count(mail("a@x.example", 400, 450)).exceeded.empty());
  EXPECT_TRUE(g.limits->check_and_count(mail("a@x.example", 100, 450)).exceeded.empty());
  auto v = g.limits->check_and_count(mail("a@x.example", 1, 0));
  EXPECT_EQ(v.exceeded, Reasons{"limit:external-per-hour 501>500"});
  v = g.limits->check_and_count(mail("a@x.example", 0, 101));
  EXPECT_EQ(v.exceeded, (Reasons{"limit:external-per-hour 501>500",
                                "limit:internal-per-hour 1001>1000"}));
}

TEST(LimitsSender, PerMessageLimit) {
  Fixture f;
  auto v = f.limits->check_and_count(mail("a@x.example", 100, 500));
  EXPECT_EQ(v.exceeded, Reasons{"limit:recipients-per-message 600>500"});
  EXPECT_EQ(f.limits->counters().reached[size_t(Limit::RecipientsPerMessage)], 1u);
}

TEST(LimitsSender, MessagesPerMinuteRollsOverAtTheMinute) {
  Fixture f;
  f.clock.set(kMidnight + 60);  // 00:01:00
  for (int i = 0; i < 30; ++i) EXPECT_TRUE(f.limits->check_and_count(mail("a@x.example", 1)).exceeded.empty());
  auto v = f.limits->check_and_count(mail("a@x.example", 1));
  EXPECT_EQ(v.exceeded, Reasons{"limit:messages-per-minute 31>30"});
  f.clock.advance(59);  // 00:01:59: the 31 are still within the minute
  EXPECT_EQ(f.limits->check_and_count(mail("a@x.example", 1)).exceeded,
            Reasons{"limit:messages-per-minute 32>30"});
  f.clock.advance(1);   // 00:02:00: the first second's messages left the window
  EXPECT_TRUE(f.limits->check_and_count(mail("a@x.example", 1)).exceeded.empty());
}

TEST(LimitsSender, HourWindowRollsOver) {
  Fixture f;
  f.clock.set(kMidnight + 3000);  // 00:50
  EXPECT_TRUE(f.limits->check_and_count(mail("a@x.example", 300)).exceeded.empty());
  f.clock.set(kMidnight + 3540);  // 00:59
  EXPECT_EQ(f.limits->check_and_count(mail("a@x.example", 201)).exceeded,
            Reasons{"limit:external-per-hour 501>500"});
  f.clock.set(kMidnight + 3000 + 3600);  // 01:50: the 00:50 recipients left, 00:59's remain
  EXPECT_TRUE(f.limits->check_and_count(mail("a@x.example", 299)).exceeded.empty());
  EXPECT_EQ(f.limits->check_and_count(mail("a@x.example", 1)).exceeded,
            Reasons{"limit:external-per-hour 501>500"});
}

TEST(LimitsSender, DayWindowRollsOverHourly) {
  LimitsConfig config;
  config.external_recipients_per_hour = 0;  // only the day limit here
  Fixture f(LimitAction::HighRisk, config);
  for (int h = 0; h < 10; ++h) {  // 100 recipients an hour, 00:00..09:00
    f.clock.set(kMidnight + h * 3600);
    EXPECT_TRUE(f.limits->check_and_count(mail("a@x.example", 100)).exceeded.empty()) << h;
  }
  f.clock.set(kMidnight + 86400 - 1);  // 23:59:59: all 1000 still inside the day
  EXPECT_EQ(f.limits->check_and_count(mail("a@x.example", 1)).exceeded,
            Reasons{"limit:recipients-per-day 1001>1000"});
  f.clock.set(kMidnight + 86400);  // next 00:00: the 00:00 hour left the window
  EXPECT_TRUE(f.limits->check_and_count(mail("a@x.example", 98)).exceeded.empty());
  EXPECT_EQ(f.limits->check_and_count(mail("a@x.example", 2)).exceeded,
            Reasons{"limit:recipients-per-day 1001>1000"});
}

TEST(LimitsSender, InternalDomainsMatchWithoutCaseOrFinalDot) {
  LimitsConfig config;
  config.internal_recipients_per_hour = 2;
  Fixture f(LimitAction::HighRisk, config);
  Envelope e = mail("a@x.example", 0);
  e.recipients = {{"u@CORP.example"}, {"v@corp.example."}, {"Postmaster"}};
  EXPECT_EQ(f.limits->check_and_count(e).exceeded, Reasons{"limit:internal-per-hour 3>2"});
  Envelope sub = mail("a@x.example", 0);
  sub.recipients = {{"u@sub.corp.example"}};  // a subdomain is another domain
  f.limits->check_and_count(sub);
  EXPECT_EQ(f.limits->report()[0].external_last_hour, 1u);
  EXPECT_EQ(f.limits->report()[0].internal_last_hour, 3u);
}

TEST(LimitsSender, HighRiskGivesReasonsAndNeverBlocks) {
  Fixture f(LimitAction::HighRisk);
  auto v = f.limits->check_and_count(mail("a@x.example", 501));
  EXPECT_EQ(v.exceeded.size(), 2u);  // per message and per hour
  EXPECT_EQ(v.action, LimitAction::HighRisk);
  v = f.limits->check_and_count(mail("a@x.example", 1));
  EXPECT_FALSE(v.blocked);
  EXPECT_EQ(v.exceeded, Reasons{"limit:external-per-hour 502>500"});
}

TEST(LimitsSender, AlertGivesReasonsAndNeverBlocks) {
  Fixture f(LimitAction::Alert);
  auto v = f.limits->check_and_count(mail("a@x.example", 600));
  EXPECT_EQ(v.action, LimitAction::Alert);
  EXPECT_FALSE(v.blocked);
  EXPECT_EQ(v.exceeded, (Reasons{"limit:recipients-per-message 600>500",
                                 "limit:external-per-hour 600>500"}));
  EXPECT_FALSE(f.limits->check_and_count(mail("a@x.example", 1)).blocked);
  EXPECT_EQ(f.limits->counters().blocks_imposed, 0u);
  EXPECT_EQ(f.limits->counters().messages_over_limit, 2u);
}

TEST(LimitsSender, BlockForTodayLastsUntilMidnightUtc) {
  Fixture f(LimitAction::BlockForToday);
  f.clock.set(kMidnight + 15 * 3600);  // 15:00
  auto v = f.limits->check_and_count(mail("a@x.example", 501));
  EXPECT_FALSE(v.blocked);  // this message reached the limit: its verdict says so
  EXPECT_EQ(v.action, LimitAction::BlockForToday);
  EXPECT_EQ(v.exceeded.size(), 2u);

  f.clock.set(kMidnight + 86400 - 1);  // 23:59:59: still blocked, not counted
  v = f.limits->check_and_count(mail("a@x.example", 1));
  EXPECT_TRUE(v.blocked);
  EXPECT_TRUE(v.exceeded.empty());
  SenderReport r = f.limits->report()[0];
  EXPECT_TRUE(r.blocked);
  EXPECT_EQ(r.blocked_until, kMidnight + 86400);
  EXPECT_EQ(r.external_last_hour, 0u);  // 15:00's recipients left the hour
  EXPECT_EQ(r.recipients_last_day, 501u);  // the blocked message was not counted

  f.clock.set(kMidnight + 86400);  // 00:00 UTC: free, with fresh counts
  v = f.limits->check_and_count(mail("a@x.example", 1));
  EXPECT_FALSE(v.blocked);
  EXPECT_TRUE(v.exceeded.empty());
  EXPECT_EQ(f.limits->counters().messages_blocked, 1u);
  EXPECT_EQ(f.limits->counters().blocks_expired, 1u);
}

TEST(LimitsSender, BlockLastsUntilReleased) {
  Fixture f(LimitAction::Block);
  auto v = f.limits->check_and_count(mail("Spam@X.example", 31));  // under every limit
  v = f.limits->check_and_count(mail("spam@x.example", 600));
  EXPECT_FALSE(v.blocked);
  EXPECT_EQ(v.action, LimitAction::Block);
  for (int64_t later : {3600, 86400, 30 * 86400}) {
    f.clock.set(kMidnight + later);
    EXPECT_TRUE(f.limits->check_and_count(mail("spam@x.example", 1)).blocked) << later;
  }
  EXPECT_TRUE(f.limits->report()[0].until_release);
  EXPECT_FALSE(f.limits->release("nobody@x.example"));
  EXPECT_TRUE(f.limits->release("SPAM@x.example"));  // same key, any case
  v = f.limits->check_and_count(mail("spam@x.example", 1));
  EXPECT_FALSE(v.blocked);
  EXPECT_TRUE(v.exceeded.empty());
  EXPECT_FALSE(f.limits->release("spam@x.example"));  // no longer blocked
  EXPECT_EQ(f.limits->counters().releases, 1u);
}

TEST(LimitsSender, OtherSendersAreNotAffected) {
  Fixture f(LimitAction::Block);
  f.limits->check_and_count(mail("spam@x.example", 600));
  EXPECT_TRUE(f.limits->check_and_count(mail("spam@x.example", 1)).blocked);
  EXPECT_FALSE(f.limits->check_and_count(mail("good@x.example", 1)).blocked);
}

TEST(LimitsSender, AuthenticatedUserIsTheSender) {
  Fixture f;
  // Different envelope senders, one user: one quota.
  f.limits->check_and_count(mail("a@x.example", 300, 0, "alice"));
  auto v = f.limits->check_and_count(mail("b@y.example", 201, 0, "Alice"));
  EXPECT_EQ(v.exceeded, Reasons{"limit:external-per-hour 501>500"});
  EXPECT_EQ(f.store.states.count("alice"), 1u);
  EXPECT_EQ(f.store.states.count("a@x.example"), 0u);
}

TEST(LimitsSender, NullSenderIsNotLimitedUnlessAuthenticated) {
  Fixture f(LimitAction::Block);
  for (int i = 0; i < 100; ++i) {
    auto v = f.limits->check_and_count(mail("", 600));
    EXPECT_TRUE(v.exceeded.empty());
    EXPECT_FALSE(v.blocked);
  }
  EXPECT_TRUE(f.store.states.empty());
  EXPECT_EQ(f.limits->counters().messages_unlimited, 100u);
  // "MAIL FROM:<>" from an authenticated user still counts against the user.
  EXPECT_FALSE(f.limits->check_and_count(mail("", 600, 0, "mallory")).exceeded.empty());
}

TEST(LimitsSender, ZeroMeansNoLimit) {
  LimitsConfig config;
  config.external_recipients_per_hour = 0;
  config.recipients_per_day = 0;
  config.recipients_per_message = 0;
  config.messages_per_minute = 0;
  Fixture f(LimitAction::Block, config);
  for (int i = 0; i < 50; ++i) EXPECT_TRUE(f.limits->check_and_count(mail("a@x.example", 2000)).exceeded.empty());
}

TEST(LimitsSender, EveryLimitReachedIsCounted) {
  Fixture f;
  for (int i = 0; i < 31; ++i) f.limits->check_and_count(mail("a@x.example", 40));
  const LimitCounters& c = f.limits->counters();
  EXPECT_EQ(c.messages_counted, 31u);
  EXPECT_EQ(c.reached[size_t(Limit::MessagesPerMinute)], 1u);
  EXPECT_GT(c.reached[size_t(Limit::ExternalPerHour)], 0u);
  EXPECT_GT(c.reached[size_t(Limit::RecipientsPerDay)], 0u);
  SenderReport r = f.limits->report()[0];
  EXPECT_TRUE(r.restricted(*f.clock.now));
  EXPECT_NE(r.last_reasons.find("limit:messages-per-minute 31>30"), std::string::npos);
}

}  // namespace
}  // namespace poolgate
