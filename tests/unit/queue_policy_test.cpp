// The engine's pure parts: backoff, expiry, delay warnings, and how a
// message's recipients split into jobs per domain.
#include "queue/destination.h"
#include "queue/queued_message.h"
#include "queue/retry_policy.h"

#include <gtest/gtest.h>

using namespace poolgate;

TEST(RetryPolicy, DefaultBackoffDoublesThenStaysHourly) {
  RetryPolicy policy = RetryPolicy::from(DeliveryConfig{});
  std::vector<uint32_t> waits;
  for (uint32_t attempt = 1; attempt <= 7; ++attempt) waits.push_back(policy.interval_after(attempt));
  EXPECT_EQ(waits, (std::vector<uint32_t>{300, 600, 1200, 2400, 3600, 3600, 3600}));
}

TEST(RetryPolicy, ConfiguredIntervalsAndLifetime) {
  DeliveryConfig config;
  config.retry_intervals_s = {2, 5};
  config.max_lifetime_s = 60;
  config.delay_warning_s = 10;
  RetryPolicy policy = RetryPolicy::from(config);
  EXPECT_EQ(policy.interval_after(1), 2u);
  EXPECT_EQ(policy.interval_after(2), 5u);
  EXPECT_EQ(policy.interval_after(9), 5u);
  EXPECT_FALSE(policy.expired(1000, 1059));
  EXPECT_TRUE(policy.expired(1000, 1060));
  EXPECT_FALSE(policy.delay_warning_due(1000, 1009));
  EXPECT_TRUE(policy.delay_warning_due(1000, 1010));
  config.delay_warning_s = 0;
  EXPECT_FALSE(RetryPolicy::from(config).delay_warning_due(1000, 999999));
}

TEST(QueuedMessage, RecipientsSplitByDomainCaseInsensitively) {
  Envelope e;
  for (const char* a : {"a@Example.NET", "b@example.net.", "c@other.example", "d@example.net"})
    e.recipients.push_back(Recipient{a});
  e.recipients[3].state = RecipientState::Delivered;
  auto jobs = pending_by_domain(e);
  ASSERT_EQ(jobs.size(), 2u);
  EXPECT_EQ(jobs["example.net"], (std::vector<size_t>{0, 1}));
  EXPECT_EQ(jobs["other.example"], (std::vector<size_t>{2}));
  EXPECT_FALSE(all_final(e));
  for (auto& r : e.recipients) r.state = RecipientState::Failed;
  EXPECT_TRUE(all_final(e));
  EXPECT_TRUE(pending_by_domain(e).empty());
}

TEST(Destination, OverridesAndRateLimitSlots) {
  DeliveryConfig config;
  config.connections_per_destination = 7;
  DestinationConfig slow;
  slow.domain = "slow.example";
  slow.connections = 2;
  slow.messages_per_second = 4;
  slow.tls = TlsMode::Required;
  config.destinations.push_back(slow);
  Destination plain({"normal", "example.net"}, config);
  EXPECT_EQ(plain.connection_limit, 7u);
  auto now = std::chrono::steady_clock::now();
  EXPECT_EQ(plain.reserve_send_slot(now).count(), 0);
  EXPECT_EQ(plain.reserve_send_slot(now).count(), 0);

  Destination limited({"normal", "slow.example"}, config);
  EXPECT_EQ(limited.connection_limit, 2u);
  EXPECT_EQ(limited.tls, TlsMode::Required);
  // 4/s: the 1st message goes now, the 2nd 250 ms later, the 3rd 500 ms later.
  EXPECT_EQ(limited.reserve_send_slot(now).count(), 0);
  EXPECT_EQ(std::chrono::duration_cast<std::chrono::milliseconds>(limited.reserve_send_slot(now)).count(), 250);
  EXPECT_EQ(std::chrono::duration_cast<std::chrono::milliseconds>(limited.reserve_send_slot(now)).count(), 500);
}
