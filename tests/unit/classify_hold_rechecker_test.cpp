// HoldRechecker: a message held because DNS could not answer for its sender
// domain is looked up again by classification, its new decision written to
// the spool, and only then handed back for delivery.
#include "classify/classifier.h"
#include "classify/hold_rechecker.h"
#include "mx_test_support.h"
#include "spool/spool.h"
#include "spool_test_support.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <functional>
#include <ctime>

using namespace poolgate;
using poolgate::testing::FakeDns;
using spool_test::TempDir;

namespace {

struct Released {
  std::string queue_id, pool;
  std::vector<std::string> reasons;
};

struct World {
  TempDir dir;
  std::unique_ptr<Spool> spool = Spool::open(dir.path());
  FakeDns dns;
  Config config;
  boost::asio::io_context io;
  std::unique_ptr<Classifier> classifier;
  std::vector<Released> released;
  std::unique_ptr<HoldRechecker> rechecker;

  World() {
    config.classify.dns_unknown_after_s = 1800;  // checks 30 s apart
    classifier = std::make_unique<Classifier>(config, ClassifierParts{&dns});
    rechecker = std::make_unique<HoldRechecker>(
        io, *classifier, *spool,
        [this](const std::string& id, const std::string& pool,
               const std::vector<std::string>& reasons) {
          released.push_back({id, pool, reasons});
          return true;
        });
  }

  // A held message, durable in the spool; its From: is its sender.
  Envelope commit_held() {
    Envelope e;
    e.sender = "user@s.example";
    e.recipients.push_back({"rcpt@example.net"});
    e.received_unix = std::time(nullptr);
    e.pool = "normal";
    e.reasons = {"sender-domain:unknown s.example"};
    e.hold_for_dns = true;
    e.queue_id = spool->commit(e, "From: <user@s.example>\r\nSubject: held\r\n\r\nbody\r\n");
    return e;
  }

  // Runs the loop until `done` (at most 5 s: a loaded machine).
  void run_until(const std::function<bool()>& done) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    do {
      io.restart();
      io.run_for(std::chrono::milliseconds(20));
    } while (!done() && std::chrono::steady_clock::now() < deadline);
  }
  void run_briefly() {
    io.restart();
    io.run_for(std::chrono::milliseconds(50));
  }
};

TEST(HoldRechecker, VerifiedDomainWritesTheDecisionThenReleases) {
  World w;
  w.dns.set_mx("s.example", {{10, "mx.s.example"}});
  Envelope held = w.commit_held();
  w.rechecker->add(held);
  w.run_until([&] { return !w.released.empty(); });
  ASSERT_EQ(w.released.size(), 1u);
  EXPECT_EQ(w.released[0].queue_id, held.queue_id);
  EXPECT_EQ(w.released[0].pool, "normal");
  EXPECT_EQ(w.released[0].reasons, std::vector<std::string>{});
  EXPECT_EQ(w.rechecker->held(), 0u);
  // Reopened: what the committer wrote, not what is in memory.
  w.rechecker.reset();
  w.spool.reset();
  auto spool = Spool::open(w.dir.path());
  std::optional<Envelope> stored = spool->load_envelope(held.queue_id);
  ASSERT_TRUE(stored);
  EXPECT_FALSE(stored->hold_for_dns);
  EXPECT_EQ(stored->pool, "normal");
  EXPECT_TRUE(stored->reasons.empty());
}

TEST(HoldRechecker, StillUnknownWaitsAndRetryChecksAgainNow) {
  World w;
  w.dns.set_mx_status("s.example", Status::TempFail);
  w.dns.a["s.example"] = FakeDns::status(Status::TempFail);
  Envelope held = w.commit_held();
  w.rechecker->add(held);
  w.run_until([&] { return w.dns.calls["MX s.example"] >= 1; });
  w.run_briefly();
  EXPECT_TRUE(w.released.empty());
  EXPECT_EQ(w.rechecker->held(), 1u);
  EXPECT_EQ(w.dns.calls["MX s.example"], 1);
  // Without the retry the next check is 30 s away.
  EXPECT_TRUE(w.rechecker->recheck_now(held.queue_id));
  w.run_until([&] { return w.dns.calls["MX s.example"] >= 2; });
  EXPECT_EQ(w.dns.calls["MX s.example"], 2);
  EXPECT_TRUE(w.released.empty());
  EXPECT_FALSE(w.rechecker->recheck_now("not-held"));
  w.rechecker->stop();
  w.io.restart();
  w.io.run();  // returns: stop() ended the wait
}

TEST(HoldRechecker, MessageGoneFromTheSpoolIsDropped) {
  World w;
  Envelope held = w.commit_held();
  w.spool->remove(held.queue_id);
  w.rechecker->add(held);
  w.run_until([&] { return w.rechecker->held() == 0; });
  EXPECT_TRUE(w.released.empty());
  EXPECT_EQ(w.rechecker->held(), 0u);
  EXPECT_EQ(w.dns.total_lookups(), 0);
}

TEST(HoldRechecker, MessageNotHeldIsIgnored) {
  World w;
  Envelope held = w.commit_held();
  held.hold_for_dns = false;
  w.rechecker->add(held);
  w.run_briefly();
  EXPECT_EQ(w.rechecker->held(), 0u);
  EXPECT_EQ(w.dns.total_lookups(), 0);
}

}  // namespace
