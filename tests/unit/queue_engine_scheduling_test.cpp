// The delivery engine's scheduling without root (engine_test_support.h: every
// attempt ends at the next-hop lookup, deferred, before any socket is marked).
// That is enough to watch what the scheduler decides: jobs per (pool, domain),
// suspended domains, retry times from the policy and never past the lifetime,
// retries written to the spool, expiry into a DSN, removal. Runs as any user
// (CTest label "noroot"); the namespace tests cover real deliveries.
#include "engine_test_support.h"

using namespace poolgate;
using namespace poolgate::engine_test;

namespace {

using EngineScheduling = EngineHarness;

TEST_F(EngineScheduling, OneJobPerDomainDeferredByTheRetryPolicyAndWrittenToTheSpool) {
  int64_t now = std::time(nullptr);
  Envelope envelope = message_to({"a1@a.example", "a2@A.Example.", "b1@b.example"}, now);
  std::string id = store(envelope);
  envelope.queue_id = id;
  start();
  on_loop([&] { engine_->add(envelope); });

  ASSERT_TRUE(eventually([&] { return all_deferred(id); }));
  EngineStats stats = on_loop([&] { return engine_->stats(); });
  EXPECT_EQ(stats.deferred_jobs, 2u);  // a.example (both spellings) and b.example
  EXPECT_EQ(stats.ready_jobs, 0u);
  // One per failed lookup (a destination), not one per waiting recipient.
  EXPECT_EQ(stats.remote_replies, (std::map<std::pair<std::string, std::string>, uint64_t>{
                                      {{"normal", "dns"}, 2}}));
  std::vector<QueueDepth> depths = on_loop([&] { return engine_->queue_depths(); });
  ASSERT_EQ(depths.size(), 2u);
  EXPECT_EQ(depths[0].key.pool, "normal");
  EXPECT_EQ(depths[0].key.domain, "a.example");
  EXPECT_EQ(depths[0].recipients, 2u);

  std::optional<Envelope> now_queued = queued(id);
  for (const Recipient& r : now_queued->recipients) {
    EXPECT_EQ(r.attempts, 1u);
    EXPECT_NE(r.last_reply.find("4.4.3"), std::string::npos) << r.last_reply;
    // A failed next-hop lookup: the dns class, by outcome (no reply text).
    EXPECT_EQ(r.last_class, "dns");
    // The first interval of the policy (600 s), counted from the attempt.
    EXPECT_GE(r.next_attempt_unix, now + 600);
    EXPECT_LE(r.next_attempt_unix, now + 600 + 15);
  }
  // Durable: a restart would resume with the same retry times.
  ASSERT_TRUE(eventually([&] {
    std::optional<Envelope> stored = spool_->load_envelope(id);
    return stored && stored->recipients[2].attempts == 1;
  }));
  EXPECT_EQ(spool_->load_envelope(id)->recipients[2].next_attempt_unix,
            now_queued->recipients[2].next_attempt_unix);
  ASSERT_TRUE(eventually([&] { return spool_->load_envelope(id)->recipients[2].last_class == "dns"; }));
}

TEST_F(EngineScheduling, SuspendedDomainWaitsUntilResumed) {
  int64_t now = std::time(nullptr);
  Envelope envelope = message_to({"a1@a.example", "b1@b.example"}, now);
  envelope.queue_id = store(envelope);
  start();
  on_loop([&] {
    engine_->suspend("a.example");
    engine_->add(envelope);
  });
  ASSERT_TRUE(eventually([&] {
    return queued(envelope.queue_id)->recipients[1].state == RecipientState::Deferred;
  }));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(queued(envelope.queue_id)->recipients[0].state, RecipientState::Queued);
  EXPECT_EQ(queued(envelope.queue_id)->recipients[0].attempts, 0u);

  on_loop([&] { engine_->resume("a.example"); });
  EXPECT_TRUE(eventually([&] { return all_deferred(envelope.queue_id); }));
}

TEST_F(EngineScheduling, RecoveredRetryTimesAreKept) {
  int64_t now = std::time(nullptr);
  Envelope envelope = message_to({"later@a.example"}, now - 60);
  envelope.recipients[0].state = RecipientState::Deferred;
  envelope.recipients[0].attempts = 1;
  envelope.recipients[0].next_attempt_unix = now + 3600;
  envelope.queue_id = store(envelope);
  start({envelope});
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  std::optional<Envelope> e = queued(envelope.queue_id);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->recipients[0].attempts, 1u);  // not tried again before its time
  EXPECT_EQ(e->recipients[0].next_attempt_unix, now + 3600);
  EXPECT_EQ(on_loop([&] { return engine_->stats(); }).deferred_jobs, 1u);
}

TEST_F(EngineScheduling, RetryNeverPastTheLifetimeAndExpiryBouncesThroughHighRisk) {
  int64_t now = std::time(nullptr);
  // 100 s of its day left: the next retry is at the end of the lifetime, not
  // 600 s later.
  Envelope young = message_to({"y@a.example"}, now - 86400 + 100);
  young.queue_id = store(young);
  // Past its lifetime: this failure is the last one, and the sender gets a DSN.
  Envelope old = message_to({"o@a.example"}, now - 86400 - 10);
  old.queue_id = store(old);
  start();
  on_loop([&] {
    engine_->add(young);
    engine_->add(old);
  });
  ASSERT_TRUE(eventually([&] { return all_deferred(young.queue_id); }));
  EXPECT_LE(queued(young.queue_id)->recipients[0].next_attempt_unix, now + 100 + 1);

  ASSERT_TRUE(eventually([&] { return !queued(old.queue_id); }));
  // Removed from the spool once its DSN is durable: a write after the queue's.
  EXPECT_TRUE(eventually([&] { return !spool_->load_envelope(old.queue_id); }));
  std::vector<Envelope> all = on_loop([&] { return engine_->snapshot(); });
  auto dsn = std::find_if(all.begin(), all.end(), [](const Envelope& e) { return e.sender.empty(); });
  ASSERT_NE(dsn, all.end());
  ASSERT_EQ(dsn->recipients.size(), 1u);
  EXPECT_EQ(dsn->recipients[0].address, "alice@example.com");
  EXPECT_EQ(on_loop([&] { return engine_->pool_of(*dsn); }), "high-risk");
  EXPECT_EQ(on_loop([&] { return engine_->stats(); }).bounced, 1u);
}

TEST_F(EngineScheduling, RemovedMessageLeavesQueueAndSpool) {
  Envelope envelope = message_to({"r@a.example"}, std::time(nullptr));
  envelope.queue_id = store(envelope);
  start();
  on_loop([&] { engine_->add(envelope); });
  ASSERT_TRUE(eventually([&] { return all_deferred(envelope.queue_id); }));
  std::string answer = on_loop([&] { return engine_->remove(envelope.queue_id); });
  EXPECT_TRUE(eventually([&] { return !queued(envelope.queue_id); })) << answer;
  EXPECT_TRUE(eventually([&] { return !spool_->load_envelope(envelope.queue_id); }));
  EXPECT_EQ(on_loop([&] { return engine_->stats(); }).deferred_jobs, 0u);
}

}  // namespace
