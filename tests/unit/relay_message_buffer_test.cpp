// MessageBuffer, what a relay session keeps of a message while it arrives: the
// head in memory, the rest staged to the spool in whole chunks, every byte held
// counted in the shared DataBudget (and given back), the budget refusing a
// message instead of growing, and staged chunks discarded unless committed.
// Runs without root (CTest label "noroot"); test_relay_streaming.py drives the
// same through the daemon.
#include "relay/message_buffer.h"
#include "spool/spool_commit.h"
#include "spool_test_support.h"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

using namespace poolgate;
using spool_test::make_content;
using spool_test::sample_envelope;
using spool_test::TempDir;

namespace {

constexpr uint32_t kChunk = 1000;

class MessageBufferTest : public ::testing::Test {
 protected:
  MessageBufferTest() {
    SpoolOptions options;
    options.chunk_bytes = kChunk;
    spool_ = Spool::open(dir_.path(), options);
  }

  MessageBufferLimits limits(uint64_t budget = 1 << 30) const {
    return {2000, budget, spool_->chunk_bytes()};
  }

  // Runs `body` as a coroutine on the test's event loop, to the end.
  template <class Body>
  void run(Body body) {
    boost::asio::co_spawn(io_, body(), boost::asio::detached);
    io_.run();
    io_.restart();
  }

  TempDir dir_;
  std::unique_ptr<Spool> spool_;
  boost::asio::io_context io_;
  DataBudget budget_;
};

TEST_F(MessageBufferTest, HeadStaysInMemoryTheRestIsStagedInWholeChunks) {
  std::string content = make_content(1, 5500);
  std::string id = spool_->new_queue_id();
  uint64_t most_held = 0;
  CommitResult result;
  run([&]() -> boost::asio::awaitable<void> {
    MessageBuffer buffer(*spool_, io_.get_executor(), budget_, limits(), id);
    for (size_t offset = 0; offset < content.size(); offset += 300) {
      buffer.append(std::string_view(content).substr(offset, 300));
      co_await buffer.flush();
      most_held = std::max(most_held, budget_.in_flight());
    }
    co_await buffer.finish();
    EXPECT_EQ(buffer.head(), content.substr(0, 2000));
    EXPECT_EQ(buffer.staged().chunks, 4u);  // 1000, 1000, 1000 and the last 500
    EXPECT_EQ(buffer.staged().bytes, 3500u);
    EXPECT_EQ(buffer.size(), content.size());
    Envelope e = sample_envelope(1);
    e.queue_id = id;
    result = co_await commit_to_spool(*spool_, e, std::move(buffer.head()), buffer.staged());
    if (!result.error) buffer.committed();
  });
  ASSERT_FALSE(result.error) << result.error.message();
  EXPECT_EQ(spool_->load_content(id), content);
  // The head, the chunk being written and the one being filled (and a piece).
  EXPECT_LE(most_held, 2000u + 2 * kChunk + 300);
  EXPECT_GE(most_held, 2000u + kChunk);
  EXPECT_EQ(budget_.in_flight(), 0u);  // all given back with the buffer
  EXPECT_TRUE(spool_->check().empty());
}

TEST_F(MessageBufferTest, JustPastTheThresholdNothingIsStaged) {
  std::string content = make_content(2, 2000 + kChunk - 1);
  run([&]() -> boost::asio::awaitable<void> {
    MessageBuffer buffer(*spool_, io_.get_executor(), budget_, limits(), spool_->new_queue_id());
    buffer.append(content);
    co_await buffer.flush();
    co_await buffer.finish();
    EXPECT_EQ(buffer.staged().chunks, 0u);
    EXPECT_EQ(buffer.head(), content);
  });
}

TEST_F(MessageBufferTest, OverTheBudgetTheMessageIsDroppedAndOthersGoOn) {
  run([&]() -> boost::asio::awaitable<void> {
    MessageBuffer first(*spool_, io_.get_executor(), budget_, limits(3000),
                        spool_->new_queue_id());
    first.append(make_content(3, 2000));
    MessageBuffer second(*spool_, io_.get_executor(), budget_, limits(3000),
                         spool_->new_queue_id());
    second.append(make_content(4, 600));
    EXPECT_EQ(budget_.in_flight(), 2600u);
    second.append(make_content(5, 600));  // 3200 would pass the budget
    EXPECT_TRUE(second.over_budget());
    EXPECT_TRUE(second.dropped());
    EXPECT_EQ(budget_.in_flight(), 2000u);  // the second gave back all it held
    second.append(make_content(6, 100));    // and keeps nothing more
    EXPECT_EQ(budget_.in_flight(), 2000u);
    first.append(make_content(7, 900));
    EXPECT_FALSE(first.over_budget());
    co_await first.finish();
    co_await second.finish();
  });
  EXPECT_EQ(budget_.in_flight(), 0u);
  // SIZE= at MAIL is held against the memory a message takes, not its size.
  MessageBufferLimits l = limits();
  EXPECT_EQ(memory_for_message(1500, l), 1500u);
  EXPECT_EQ(memory_for_message(2000 + kChunk, l), 2000u + kChunk);
  EXPECT_EQ(memory_for_message(50'000'000, l), 2000u + 2 * kChunk);
}

TEST_F(MessageBufferTest, StagedChunksAreDiscardedUnlessCommitted) {
  std::string id = spool_->new_queue_id();
  run([&]() -> boost::asio::awaitable<void> {
    MessageBuffer buffer(*spool_, io_.get_executor(), budget_, limits(), id);
    buffer.append(make_content(8, 6000));
    co_await buffer.flush();
    co_await buffer.finish();
    EXPECT_EQ(buffer.staged().chunks, 4u);
    // Rejected (or cut off): goes away uncommitted.
  });
  spool_->close();  // the discard is written; reads still work
  for (uint32_t c = 1; c <= 4; ++c) EXPECT_FALSE(spool_->read_chunk(id, c)) << c;
  EXPECT_TRUE(spool_->check().empty());
}

}  // namespace
