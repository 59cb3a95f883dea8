// The spool in one process: commits round-trip every field and byte, content
// of any size comes back whole, recipient status survives a reopen, removal
// takes everything of a message in one write, recovery sees the queue in
// arrival order, group commit folds concurrent requests into few syncs, and
// the blocking calls refuse to deadlock. (Opening errors: spool_open_test.)
#include "spool/errors.h"
#include "spool/keys.h"
#include "spool/spool.h"
#include "spool_test_support.h"

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <condition_variable>
#include <future>
#include <mutex>
#include <set>

using namespace poolgate;
using spool_test::make_content;
using spool_test::sample_envelope;
using spool_test::TempDir;

namespace {

// Counts the keys of every family that start with `prefix`, reading the
// database directly (the spool closed).
size_t raw_keys(const std::string& path, const std::string& prefix) {
  rocksdb::DBOptions options;
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  std::vector<std::string> names;
  rocksdb::DB::ListColumnFamilies(options, path, &names);
  for (const auto& n : names) families.emplace_back(n, rocksdb::ColumnFamilyOptions());
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  EXPECT_TRUE(rocksdb::DB::OpenForReadOnly(options, path, families, &handles, &db).ok());
  size_t count = 0;
  for (auto* h : handles) {
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), h));
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) ++count;
    db->DestroyColumnFamilyHandle(h);
  }
  delete db;
  return count;
}

// Waits for N async completions.
struct Latch {
  explicit Latch(int n) : left(n) {}
  void count_down() {
    std::lock_guard lock(m);
    if (--left == 0) cv.notify_all();
  }
  void wait() {
    std::unique_lock lock(m);
    cv.wait(lock, [this] { return left == 0; });
  }
  std::mutex m;
  std::condition_variable cv;
  int left;
};

}  // namespace

TEST(Spool, EveryEnvelopeFieldSurvivesReopen) {
  TempDir dir;
  Envelope e = sample_envelope(3);
  e.sender = std::string("b\xfe\x00", 3) + "@example.org";  // raw bytes, kept exactly
  e.ret = DsnRet::Full;
  e.envid = "ENV+2B42";
  e.smtputf8 = true;
  e.body_8bitmime = true;
  e.client_address = "2001:db8::7";
  e.client_helo = "helo.example.org";
  e.tls = true;
  e.tls_cipher = "TLS_AES_128_GCM_SHA256";
  e.auth_user = "submitter";
  e.recipients[1].notify = kNotifyNever;
  e.recipients[2].state = RecipientState::Deferred;
  e.recipients[2].last_reply = "451 4.3.0 later";
  e.recipients[2].attempts = 2;
  e.recipients[2].next_attempt_unix = 1760000999;
  std::string id;
  {
    auto spool = Spool::open(dir.path());
    id = spool->commit(e, "Subject: x\r\n\r\nbody\r\n");
  }
  auto spool = Spool::open(dir.path());
  auto back = spool->load_envelope(id);
  ASSERT_TRUE(back);
  e.queue_id = id;
  e.size = 20;
  EXPECT_EQ(back->queue_id, e.queue_id);
  EXPECT_EQ(back->sender, e.sender);
  EXPECT_EQ(back->ret, e.ret);
  EXPECT_EQ(back->envid, e.envid);
  EXPECT_EQ(back->smtputf8, e.smtputf8);
  EXPECT_EQ(back->body_8bitmime, e.body_8bitmime);
  EXPECT_EQ(back->client_address, e.client_address);
  EXPECT_EQ(back->client_helo, e.client_helo);
  EXPECT_EQ(back->tls, e.tls);
  EXPECT_EQ(back->tls_cipher, e.tls_cipher);
  EXPECT_EQ(back->auth_user, e.auth_user);
  EXPECT_EQ(back->received_unix, e.received_unix);
  EXPECT_EQ(back->size, e.size);
  ASSERT_EQ(back->recipients.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    const Recipient &a = e.recipients[i], &b = back->recipients[i];
    EXPECT_EQ(a.address, b.address);
    EXPECT_EQ(a.notify, b.notify);
    EXPECT_EQ(a.orcpt, b.orcpt);
    EXPECT_EQ(RecipientStatus::of(a), RecipientStatus::of(b)) << i;
  }
  EXPECT_EQ(spool->load_content(id), "Subject: x\r\n\r\nbody\r\n");
}

TEST(Spool, ContentOfAnySizeComesBackWhole) {
  TempDir dir;
  SpoolOptions options;
  options.chunk_bytes = 1000;
  auto spool = Spool::open(dir.path(), options);
  for (size_t size : {0, 1, 999, 1000, 1001, 3500, 250000}) {
    std::string content = size ? make_content(size, std::max<size_t>(size, 40)).substr(0, size)
                               : std::string();
    std::string id = spool->commit(sample_envelope(), content);
    EXPECT_EQ(spool->load_content(id), content) << size;
    size_t chunks = 0;
    spool->read_content(id, [&](std::string_view chunk) {
      EXPECT_LE(chunk.size(), 1000u);
      ++chunks;
    });
    EXPECT_EQ(chunks, (size + 999) / 1000) << size;
    EXPECT_EQ(spool->load_envelope(id)->size, size);
  }
  EXPECT_FALSE(spool->load_content("0000000000000000"));
  EXPECT_TRUE(spool->check().empty());
}

TEST(Spool, RecipientStatusPersists) {
  TempDir dir;
  std::string id;
  RecipientStatus delivered{RecipientState::Delivered, "250 2.0.0 ok", 1, 0};
  RecipientStatus deferred{RecipientState::Deferred, "421 busy", 4, 1760001234};
  {
    auto spool = Spool::open(dir.path());
    id = spool->commit(sample_envelope(2), "x");
    spool->update_recipient(id, 0, delivered);
    spool->update_recipient(id, 1, {});
    spool->update_recipient(id, 1, deferred);  // the last write wins
    try {
      spool->update_recipient(id, 2, delivered);
      FAIL() << "recipient 2 does not exist";
    } catch (const SpoolError& e) {
      EXPECT_EQ(e.code(), SpoolErrc::invalid_argument);
    }
  }
  auto spool = Spool::open(dir.path());
  auto e = spool->load_envelope(id);
  ASSERT_TRUE(e);
  EXPECT_EQ(RecipientStatus::of(e->recipients[0]), delivered);
  EXPECT_EQ(RecipientStatus::of(e->recipients[1]), deferred);
}

TEST(Spool, ReclassifyRewritesTheDecisionAndKeepsTheRest) {
  TempDir dir;
  std::string id;
  RecipientStatus deferred{RecipientState::Deferred, "451 4.4.3 dns", 1, 1760001234};
  Envelope held = sample_envelope(2);
  held.pool = "normal";
  held.reasons = {"sender-domain:unknown s.example"};
  held.hold_for_dns = true;
  {
    auto spool = Spool::open(dir.path());
    id = spool->commit(held, "the content");
    spool->update_recipient(id, 1, deferred);
    spool->reclassify(id, "high-risk", {"sender-domain:unverified s.example (timeout)"}, false);
    try {
      spool->reclassify("00000000000000000000", "normal", {}, false);
      FAIL() << "no such message";
    } catch (const SpoolError& e) {
      EXPECT_EQ(e.code(), SpoolErrc::not_found);
    }
  }
  auto spool = Spool::open(dir.path());
  auto e = spool->load_envelope(id);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->pool, "high-risk");
  EXPECT_EQ(e->reasons, std::vector<std::string>{"sender-domain:unverified s.example (timeout)"});
  EXPECT_FALSE(e->hold_for_dns);
  // Everything else as committed: sender, recipients, their statuses, content.
  EXPECT_EQ(e->sender, held.sender);
  ASSERT_EQ(e->recipients.size(), 2u);
  EXPECT_EQ(e->recipients[0].address, held.recipients[0].address);
  EXPECT_EQ(RecipientStatus::of(e->recipients[1]), deferred);
  EXPECT_EQ(spool->load_content(id), "the content");
}

TEST(Spool, RemoveTakesEverythingInOneWrite) {
  TempDir dir;
  std::string id, kept;
  {
    SpoolOptions options;
    options.chunk_bytes = 100;
    auto spool = Spool::open(dir.path(), options);
    id = spool->commit(sample_envelope(5), make_content(1, 1050));  // 11 chunks, 5 statuses
    kept = spool->commit(sample_envelope(1), "kept");
    spool->update_recipient(id, 3, {RecipientState::Failed, "550 no", 1, 0});
    uint64_t syncs = spool->stats().syncs;
    spool->remove(id);
    EXPECT_EQ(spool->stats().syncs, syncs + 1);  // one batch: atomic
    EXPECT_FALSE(spool->load_envelope(id));
    EXPECT_FALSE(spool->load_content(id));
    for (auto op : {0, 1}) {
      try {
        op ? spool->remove(id) : spool->update_recipient(id, 0, {});
        FAIL() << "finished message accepted an operation";
      } catch (const SpoolError& e) {
        EXPECT_EQ(e.code(), SpoolErrc::not_found);
      }
    }
    EXPECT_TRUE(spool->check().empty());
  }
  EXPECT_EQ(raw_keys(dir.path(), id), 0u);  // no envelope, status or chunk left
  EXPECT_EQ(raw_keys(dir.path(), kept), 3u);
}

TEST(Spool, LoadUnfinishedReturnsArrivalOrder) {
  TempDir dir;
  std::vector<std::string> expected;
  {
    auto spool = Spool::open(dir.path());
    Latch done(60);
    std::mutex m;
    std::vector<std::string> ids(60);
    for (int i = 0; i < 60; ++i) {
      Envelope e = sample_envelope(1);
      e.envid = std::to_string(i);
      spool->commit_async(e, "m" + std::to_string(i), [&, i](std::error_code ec, std::string id) {
        EXPECT_FALSE(ec);
        std::lock_guard lock(m);
        ids[i] = id;
        done.count_down();
      });
    }
    done.wait();
    for (int i = 0; i < 60; ++i)
      if (i % 3 == 0) spool->remove(ids[i]);
      else expected.push_back(std::to_string(i));
  }
  auto spool = Spool::open(dir.path());
  std::vector<std::string> problems;
  auto queue = spool->load_unfinished(&problems);
  EXPECT_TRUE(problems.empty());
  std::vector<std::string> order;
  for (const auto& e : queue) order.push_back(e.envid);
  EXPECT_EQ(order, expected);  // call order of commit_async, the removed ones gone
}

TEST(Spool, IdsStayUniqueAcrossReopen) {
  TempDir dir;
  std::set<std::string> seen;
  std::string last;
  for (int run = 0; run < 3; ++run) {
    auto spool = Spool::open(dir.path());
    for (int i = 0; i < 200; ++i) {
      std::string id = i % 2 ? spool->new_queue_id() : spool->commit(sample_envelope(1), "x");
      EXPECT_GT(id, last);
      EXPECT_TRUE(seen.insert(id).second);
      last = id;
    }
  }
}

TEST(Spool, IdFloorOutlivesTheMessages) {
  TempDir dir;
  std::string id;
  {
    auto spool = Spool::open(dir.path());
    id = spool->commit(sample_envelope(1), "x");
    spool->remove(id);  // the spool is empty again
    auto floor = spool->get_meta(spool_keys::kQueueIdFloorMeta);
    ASSERT_TRUE(floor);
    EXPECT_EQ(std::stoull(*floor), QueueIdGenerator::micros_of(id));
  }
  auto spool = Spool::open(dir.path());
  EXPECT_GT(spool->new_queue_id(), id);
}

TEST(Spool, PreassignedIdIsUsedOnceOnly) {
  TempDir dir;
  auto spool = Spool::open(dir.path());
  Envelope e = sample_envelope(1);
  e.queue_id = spool->new_queue_id();
  EXPECT_EQ(spool->commit(e, "one"), e.queue_id);
  try {
    spool->commit(e, "two");
    FAIL();
  } catch (const SpoolError& err) {
    EXPECT_EQ(err.code(), SpoolErrc::duplicate_id);
  }
  EXPECT_EQ(spool->load_content(e.queue_id), "one");
  e.queue_id = "not-a-queue-id!!";
  EXPECT_THROW(spool->commit(e, "x"), SpoolError);
  e.queue_id = "";
  e.recipients.clear();
  EXPECT_THROW(spool->commit(e, "x"), SpoolError);  // no recipients
}

TEST(Spool, MetaRecords) {
  TempDir dir;
  {
    auto spool = Spool::open(dir.path());
    spool->put_meta("limits/alice@example.org", "17");
    spool->put_meta("limits/bob@example.org", "3");
    spool->put_meta("class/X", "high-risk");
    spool->erase_meta("class/X");
    EXPECT_THROW(spool->put_meta("spool/format", "2"), SpoolError);  // reserved
    EXPECT_THROW(spool->put_meta("", "x"), SpoolError);
  }
  auto spool = Spool::open(dir.path());
  EXPECT_EQ(spool->get_meta("limits/alice@example.org"), "17");
  EXPECT_FALSE(spool->get_meta("class/X"));
  auto limits = spool->list_meta("limits/");
  ASSERT_EQ(limits.size(), 2u);
  EXPECT_EQ(limits[1].first, "limits/bob@example.org");
  EXPECT_EQ(limits[1].second, "3");
}

TEST(Spool, GroupCommitFoldsConcurrentRequestsIntoFewSyncs) {
  TempDir dir;
  auto spool = Spool::open(dir.path());
  // 100 sessions in a closed loop, as the event loop would run them: each
  // completion starts that session's next message.
  constexpr int kSessions = 100, kPerSession = 10;
  Latch done(kSessions);
  std::atomic<int> failures{0};
  std::function<void(int)> next = [&](int left) {
    if (left == 0) return done.count_down();
    spool->commit_async(sample_envelope(1), make_content(left, 2000),
                        [&, left](std::error_code ec, std::string id) {
                          if (ec || id.empty()) ++failures;
                          next(left - 1);
                        });
  };
  for (int s = 0; s < kSessions; ++s) next(kPerSession);
  done.wait();
  EXPECT_EQ(failures, 0);
  SpoolStats stats = spool->stats();
  EXPECT_EQ(stats.messages, uint64_t{kSessions * kPerSession});
  EXPECT_LT(stats.syncs * 5, stats.messages) << "syncs " << stats.syncs;
  EXPECT_GT(stats.largest_batch, 10u);
  EXPECT_EQ(spool->load_unfinished().size(), size_t{kSessions * kPerSession});
}

TEST(Spool, CloseWritesWhatIsQueuedThenRefuses) {
  TempDir dir;
  std::atomic<int> ok{0};
  {
    auto spool = Spool::open(dir.path());
    for (int i = 0; i < 200; ++i)
      spool->commit_async(sample_envelope(1), "x", [&](std::error_code ec, std::string) {
        if (!ec) ++ok;
      });
    spool->close();
    EXPECT_EQ(ok, 200);
    std::error_code late;
    spool->commit_async(sample_envelope(1), "x", [&](std::error_code ec, std::string) { late = ec; });
    EXPECT_EQ(late, SpoolErrc::closed);
  }
  EXPECT_EQ(Spool::open(dir.path())->load_unfinished().size(), 200u);
}

TEST(Spool, BlockingCallFromACallbackIsRefused) {
  TempDir dir;
  auto spool = Spool::open(dir.path());
  std::promise<bool> threw;
  spool->commit_async(sample_envelope(1), "x", [&](std::error_code, std::string id) {
    try {
      spool->remove(id);
      threw.set_value(false);
    } catch (const std::logic_error&) {
      threw.set_value(true);
    }
  });
  EXPECT_TRUE(threw.get_future().get());
}
