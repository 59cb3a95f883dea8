// SpoolCounterStore over a real spool: counters and blocks survive closing
// and reopening it (a daemon restart), writes are coalesced, idle records are
// pruned, a bad record is skipped.
#include "limits/sender_limits.h"
#include "limits/spool_counter_store.h"
#include "limits_test_support.h"
#include "spool/spool.h"
#include "spool_test_support.h"

#include <gtest/gtest.h>

namespace poolgate {
namespace {

using limits_test::FakeClock;
using limits_test::kMidnight;
using limits_test::mail;
using Reasons = std::vector<std::string>;

TEST(LimitsStore, CountersSurviveARestart) {
  spool_test::TempDir dir;
  FakeClock clock;
  LimitsConfig config;
  clock.set(kMidnight + 600);
  {
    auto spool = Spool::open(dir.path());
    SpoolCounterStore store(*spool, clock.fn()());
    SenderLimits limits(config, {}, store, clock.fn());
    for (int i = 0; i < 5; ++i) limits.check_and_count(mail("a@x.example", 80));  // 400
    store.flush();
  }
  clock.advance(120);
  {
    auto spool = Spool::open(dir.path());
    SpoolCounterStore store(*spool, clock.fn()());
    SenderLimits limits(config, {}, store, clock.fn());
    ASSERT_EQ(limits.report().size(), 1u);
    EXPECT_EQ(limits.report()[0].external_last_hour, 400u);
    EXPECT_EQ(limits.check_and_count(mail("a@x.example", 101)).exceeded,
              Reasons{"limit:external-per-hour 501>500"});
  }
}

TEST(LimitsStore, BlockSurvivesARestartUntilReleasedOffline) {
  spool_test::TempDir dir;
  FakeClock clock;
  LimitsConfig config;
  config.action = LimitAction::Block;
  {
    auto spool = Spool::open(dir.path());
    SpoolCounterStore store(*spool, clock.fn()());
    SenderLimits limits(config, {}, store, clock.fn());
    EXPECT_FALSE(limits.check_and_count(mail("spam@x.example", 600)).exceeded.empty());
  }  // the store's destructor waits for its writes, before the spool closes
  clock.advance(7 * 86400);  // a week later, still blocked
  {
    auto spool = Spool::open(dir.path());
    SpoolCounterStore store(*spool, clock.fn()());
    SenderLimits limits(config, {}, store, clock.fn());
    EXPECT_TRUE(limits.check_and_count(mail("spam@x.example", 1)).blocked);
    EXPECT_TRUE(limits.release("spam@x.example"));
  }
  {
    auto spool = Spool::open(dir.path());
    SpoolCounterStore store(*spool, clock.fn()());
    SenderLimits limits(config, {}, store, clock.fn());
    EXPECT_FALSE(limits.check_and_count(mail("spam@x.example", 1)).blocked);
  }
}

TEST(LimitsStore, ManySavesCoalesceAndTheLastOneWins) {
  spool_test::TempDir dir;
  auto spool = Spool::open(dir.path());
  uint64_t commits_before = spool->stats().requests;
  {
    SpoolCounterStore store(*spool, kMidnight);
    SenderState state;
    for (int i = 1; i <= 2000; ++i) {
      state.external_hour.add(kMidnight, 1);
      store.save("busy@x.example", state);
    }
    store.flush();
    EXPECT_EQ(store.write_errors(), 0u);
  }
  auto stored = spool->get_meta(std::string(kSenderMetaPrefix) + "busy@x.example");
  ASSERT_TRUE(stored);
  EXPECT_EQ(decode_sender_state(*stored).external_hour.count(kMidnight), 2000u);
  // One write in flight per sender: far fewer commits than saves.
  EXPECT_LT(spool->stats().requests - commits_before, 2000u);
}

TEST(LimitsStore, IdleRecordsArePrunedAtOpenAndBadOnesSkipped) {
  spool_test::TempDir dir;
  auto spool = Spool::open(dir.path());
  {
    SpoolCounterStore store(*spool, kMidnight);
    SenderState state;
    state.external_hour.add(kMidnight, 3);
    store.save("old@x.example", state);
  }
  spool->put_meta(std::string(kSenderMetaPrefix) + "bad@x.example", "\x7f garbage");
  std::vector<std::string> problems;
  EXPECT_EQ(read_sender_states(*spool, &problems).size(), 1u);
  EXPECT_EQ(problems.size(), 1u);
  // Two days later the record has nothing left to count: gone at open.
  SpoolCounterStore store(*spool, kMidnight + 2 * 86400);
  EXPECT_TRUE(store.list().empty());
  EXPECT_FALSE(spool->get_meta(std::string(kSenderMetaPrefix) + "old@x.example"));
}

TEST(LimitsStore, ReadOnlyViewSeesTheDaemonsRecords) {
  spool_test::TempDir dir;
  auto spool = Spool::open(dir.path());
  SpoolCounterStore store(*spool, kMidnight);
  SenderState state;
  state.recipients_day.add(kMidnight, 42);
  store.save("a@x.example", state);
  store.flush();
  auto view = Spool::open_read_only(dir.path());
  auto states = read_sender_states(*view);
  ASSERT_EQ(states.size(), 1u);
  EXPECT_EQ(states[0].first, "a@x.example");
  EXPECT_EQ(states[0].second.recipients_day.count(kMidnight), 42u);
}

}  // namespace
}  // namespace poolgate
