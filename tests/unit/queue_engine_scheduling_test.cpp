// The delivery engine's scheduling without root: the engine runs on its own
// io_context over a spool in a temporary directory, and its resolver asks a
// loopback port where nothing answers, so every attempt ends at the next-hop
// lookup (4.4.3, deferred) before any socket is opened or marked. That is
// enough to watch what the scheduler decides: jobs per (pool, domain),
// suspended domains, retry times from the policy and never past the lifetime,
// retries written to the spool, expiry into a DSN, removal. Runs as any user
// (CTest label "noroot"); the namespace tests cover real deliveries.
#include "config_test_support.h"
#include "spool_test_support.h"

#include "config/config.h"
#include "dns/dns_resolver.h"
#include "queue/delivery_engine.h"
#include "spool/spool.h"

#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/udp.hpp>

#include <chrono>
#include <ctime>
#include <future>
#include <thread>

using namespace poolgate;
using poolgate::spool_test::TempDir;
namespace asio = boost::asio;

namespace {

// A UDP port on 127.0.0.1 that is bound (so nothing else takes it) and never
// read: queries to it time out.
class SilentDnsPort {
 public:
  SilentDnsPort() : socket_(io_, asio::ip::udp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {}
  uint16_t port() const { return socket_.local_endpoint().port(); }

 private:
  asio::io_context io_;
  asio::ip::udp::socket socket_;
};

Config engine_config(uint16_t dns_port) {
  LoadResult result = parse_config(config_test::kTwoPools + R"(
[dns]
servers    = ["127.0.0.1:)" + std::to_string(dns_port) + R"("]
timeout_ms = 100
attempts   = 1

[delivery]
retry_intervals_s = [600, 1200]
max_lifetime_s    = 86400
delay_warning_s   = 0
)",
                                   "engine.toml");
  if (!result.config) {
    for (const Diagnostic& d : result.diagnostics) ADD_FAILURE() << d.to_string();
    return Config{};
  }
  return *result.config;
}

Envelope message_to(std::vector<std::string> recipients, int64_t received_unix) {
  Envelope envelope;
  envelope.sender = "alice@example.com";
  envelope.received_unix = received_unix;
  envelope.pool = "normal";
  for (std::string& address : recipients) {
    Recipient r;
    r.address = std::move(address);
    envelope.recipients.push_back(std::move(r));
  }
  return envelope;
}

class EngineScheduling : public ::testing::Test {
 protected:
  EngineScheduling() : config_(engine_config(dns_port_.port())) {
    spool_ = Spool::open(dir_.sub("spool"));
    resolver_ = std::make_unique<Resolver>(io_.get_executor(), config_.dns);
    engine_ = std::make_unique<DeliveryEngine>(io_, config_, *spool_, *resolver_,
                                               [](const asio::ip::address&) { return false; });
  }
  ~EngineScheduling() override {
    on_loop([this] { engine_->stop(); });
    guard_.reset();
    io_.stop();
    if (thread_.joinable()) thread_.join();
  }

  // Stores `envelope` (as the relay would) and returns its queue id.
  std::string store(Envelope envelope) { return spool_->commit(envelope, "Subject: t\r\n\r\nx\r\n"); }

  void start(std::vector<Envelope> recovered = {}) {
    engine_->start(std::move(recovered));
    thread_ = std::thread([this] { io_.run(); });
  }

  // Runs `f` on the engine's thread (it is single-threaded) and waits for it;
  // called there already (from another on_loop), runs it at once.
  template <typename F>
  auto on_loop(F f) -> decltype(f()) {
    if (!thread_.joinable() || std::this_thread::get_id() == thread_.get_id()) return f();
    std::packaged_task<decltype(f())()> task(std::move(f));
    auto result = task.get_future();
    asio::post(io_, [&task] { task(); });
    return result.get();
  }

  // Polls the engine until `done` holds or 10 s pass.
  bool eventually(const std::function<bool()>& done) {
    for (int i = 0; i < 200; ++i) {
      if (on_loop(done)) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

  std::optional<Envelope> queued(const std::string& id) {
    return on_loop([&]() -> std::optional<Envelope> {
      for (Envelope& e : engine_->snapshot())
        if (e.queue_id == id) return e;
      return std::nullopt;
    });
  }

  bool all_deferred(const std::string& id) {
    std::optional<Envelope> e = queued(id);
    if (!e) return false;
    for (const Recipient& r : e->recipients)
      if (r.state != RecipientState::Deferred) return false;
    return true;
  }

  SilentDnsPort dns_port_;
  TempDir dir_;
  Config config_;
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> guard_{io_.get_executor()};
  std::unique_ptr<Spool> spool_;
  std::unique_ptr<Resolver> resolver_;
  std::unique_ptr<DeliveryEngine> engine_;
  std::thread thread_;
};

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
  std::vector<QueueDepth> depths = on_loop([&] { return engine_->queue_depths(); });
  ASSERT_EQ(depths.size(), 2u);
  EXPECT_EQ(depths[0].key.pool, "normal");
  EXPECT_EQ(depths[0].key.domain, "a.example");
  EXPECT_EQ(depths[0].recipients, 2u);

  std::optional<Envelope> now_queued = queued(id);
  for (const Recipient& r : now_queued->recipients) {
    EXPECT_EQ(r.attempts, 1u);
    EXPECT_NE(r.last_reply.find("4.4.3"), std::string::npos) << r.last_reply;
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
  EXPECT_FALSE(spool_->load_envelope(old.queue_id));
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
