// The spool across processes: a writer killed with SIGKILL in the middle of
// concurrent commits loses nothing it acknowledged and leaves no partial
// message; a read-only opener sees what a live writer committed; a second
// writer is told which process holds the spool. The other processes are this
// binary again (SpoolChild.DISABLED_Run), so each starts fresh.
#include "common/operator_error.h"
#include "spool/spool.h"
#include "spool_test_support.h"

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <chrono>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <thread>

using namespace poolgate;
using namespace poolgate::spool_test;

namespace {

// ---- the child side -------------------------------------------------------

std::mutex report_mutex;

// One line to the parent in one write(): under PIPE_BUF, so a SIGKILL never
// leaves half a line.
void report(const std::string& line) {
  std::string l = line + "\n";
  std::lock_guard lock(report_mutex);
  if (write(3, l.data(), l.size()) != static_cast<ssize_t>(l.size())) _exit(3);
}

std::string commit_one(Spool& spool, uint64_t seed, size_t size, int recipients) {
  Envelope e = sample_envelope(recipients);
  e.envid = std::to_string(seed);
  std::string content = make_content(seed, size);
  uint64_t hash = fnv1a(content);
  std::string id = spool.commit(e, std::move(content));
  report("C " + id + " " + std::to_string(seed) + " " + std::to_string(hash));
  return id;
}

// Commits forever from 16 threads; every 4th message is removed again and
// every 5th gets a status update, each reported only once durable ("X" says a
// removal is about to start).
void crash_writer(const std::string& dir) {
  SpoolOptions options;
  options.chunk_bytes = 4096;  // most messages span several chunks
  auto spool = Spool::open(dir, options);
  uint64_t run = static_cast<uint64_t>(getpid()) << 32;
  std::vector<std::thread> threads;
  for (uint64_t t = 0; t < 16; ++t)
    threads.emplace_back([&, t] {
      std::mt19937_64 rng(run + t);
      for (uint64_t n = 0;; ++n) {
        uint64_t seed = run | (t << 24) | n;
        std::string id = commit_one(*spool, seed, 40 + rng() % 30000, 1 + n % 3);
        if (n % 4 == 3) {
          report("X " + id);  // from here on it may be gone, durably, before "R"
          spool->remove(id);
          report("R " + id);
        } else if (n % 5 == 4) {
          spool->update_recipient(id, 0, {RecipientState::Deferred, "451", uint32_t(n), 0});
          report("U " + id + " " + std::to_string(n));
        }
      }
    });
  for (auto& t : threads) t.join();
}

// "commit COUNT SIZE" from the parent commits COUNT messages, reports them and
// "done"; EOF ends the process (holding the spool until then).
void live_writer(const std::string& dir) {
  auto spool = Spool::open(dir);
  report("ready");
  FILE* in = fdopen(4, "r");
  unsigned count, size;
  uint64_t seed = 1;
  while (std::fscanf(in, " commit %u %u", &count, &size) == 2) {
    for (unsigned i = 0; i < count; ++i) commit_one(*spool, seed++, size, 1);
    report("done");
  }
}

// ---- the parent side ------------------------------------------------------

struct Acked {
  uint64_t seed;
  uint64_t hash;
};

// Reads "C id seed hash" lines up to "done" into `acked`.
void read_commits(Child& child, std::map<std::string, Acked>& acked) {
  while (auto line = child.line()) {
    if (*line == "done") return;
    std::istringstream in(*line);
    std::string kind, id;
    Acked a;
    in >> kind >> id >> a.seed >> a.hash;
    ASSERT_EQ(kind, "C") << *line;
    acked[id] = a;
  }
  FAIL() << "child ended early";
}

void expect_sees(const SpoolView& spool, const std::map<std::string, Acked>& acked) {
  auto queue = spool.load_unfinished();
  std::set<std::string> ids;
  for (const auto& e : queue) ids.insert(e.queue_id);
  for (const auto& [id, a] : acked) {
    ASSERT_TRUE(ids.contains(id)) << id;
    EXPECT_EQ(fnv1a(*spool.load_content(id)), a.hash) << id;
  }
}

}  // namespace

TEST(SpoolChild, DISABLED_Run) {
  std::string role = getenv("POOLGATE_SPOOL_CHILD_ROLE") ?: "";
  std::string dir = getenv("POOLGATE_SPOOL_CHILD_DIR") ?: "";
  try {
    if (role == "crash-writer") crash_writer(dir);
    if (role == "live-writer") live_writer(dir);
  } catch (const std::exception& e) {
    report(std::string("error ") + e.what());
  }
  _exit(0);  // no gtest epilogue, no destructors racing the parent's kill
}

TEST(SpoolCrash, Sigkill_MidLoad_LosesNothingAcknowledged) {
  TempDir dir;
  std::map<std::string, Acked> committed;  // acknowledged and not removed
  std::set<std::string> removed;
  std::set<std::string> removing;  // removal started, not acknowledged
  std::map<std::string, uint32_t> attempts;
  std::string newest_before;
  std::mt19937 rng(std::random_device{}());
  for (int round = 0; round < 3; ++round) {
    size_t acks = 0;
    {
      Child writer("crash-writer", dir.path());
      auto deadline = std::chrono::steady_clock::now() +
                      std::chrono::milliseconds(300 + rng() % 700);
      bool killed = false;
      while (auto line = writer.line()) {
        if (!killed && acks >= 100 && std::chrono::steady_clock::now() >= deadline) {
          writer.kill9();  // then drain what it had acknowledged
          killed = true;
        }
        std::istringstream in(*line);
        std::string kind, id;
        in >> kind >> id;
        ASSERT_TRUE(kind == "C" || kind == "X" || kind == "R" || kind == "U") << *line;
        if (kind == "C") {
          Acked a;
          in >> a.seed >> a.hash;
          committed[id] = a;
          ++acks;
          ASSERT_GT(id, newest_before) << "queue id reused or going back after a crash";
        } else if (kind == "X") {
          removing.insert(id);
        } else if (kind == "R") {
          committed.erase(id);
          removing.erase(id);
          removed.insert(id);
        } else {
          in >> attempts[id];
        }
      }
      ASSERT_TRUE(killed) << "writer died by itself";
      EXPECT_EQ(WTERMSIG(writer.wait()), SIGKILL);
    }

    auto spool = Spool::open(dir.path());
    std::vector<std::string> problems = spool->check();
    EXPECT_TRUE(problems.empty()) << problems.size() << " problems, first: " << problems[0];
    auto queue = spool->load_unfinished();
    std::set<uint64_t> seeds;
    size_t unacknowledged = 0;
    for (const Envelope& e : queue) {
      // Every message there, acknowledged or not, is whole and there once.
      auto content = spool->load_content(e.queue_id);
      ASSERT_TRUE(content);
      auto seed = content_seed(*content);
      ASSERT_TRUE(seed) << e.queue_id << " content is not what was committed";
      EXPECT_EQ(e.envid, std::to_string(*seed));
      EXPECT_TRUE(seeds.insert(*seed).second) << "seed " << *seed << " stored twice";
      EXPECT_FALSE(removed.contains(e.queue_id)) << e.queue_id << " removed, yet back";
      auto it = committed.find(e.queue_id);
      if (it == committed.end()) {
        ++unacknowledged;  // durable, but killed before it said so: fine
        continue;
      }
      EXPECT_EQ(it->second.seed, *seed);
      EXPECT_EQ(fnv1a(*content), it->second.hash);
      if (attempts.contains(e.queue_id)) {
        EXPECT_GE(e.recipients[0].attempts, attempts[e.queue_id]);
      }
      newest_before = std::max(newest_before, e.queue_id);
    }
    std::set<std::string> present;
    for (const Envelope& e : queue) present.insert(e.queue_id);
    for (const auto& [id, a] : committed)
      EXPECT_TRUE(present.contains(id) || removing.contains(id)) << "lost " << id;
    // A removal interrupted by the kill: all of the message or none of it
    // (check() above); from now on it is either committed or removed.
    for (const auto& id : removing) {
      if (present.contains(id)) continue;
      committed.erase(id);
      removed.insert(id);
    }
    removing.clear();
    for (const auto& id : present) newest_before = std::max(newest_before, id);
    std::printf("round %d: %zu acknowledged commits, %zu removals so far; spool holds %zu "
                "(%zu committed but unacknowledged at the kill)\n",
                round, acks, removed.size(), queue.size(), unacknowledged);
  }
}

TEST(SpoolReadOnly, SeesALiveWritersCommittedMessages) {
  TempDir dir;
  Child writer("live-writer", dir.path());
  ASSERT_EQ(writer.line(), "ready");
  std::map<std::string, Acked> acked;
  writer.send("commit 20 3000");
  read_commits(writer, acked);

  auto reader = Spool::open_read_only(dir.path());
  expect_sees(*reader, acked);
  EXPECT_EQ(reader->load_unfinished().size(), 20u);

  // 80 MB more: the writer's content memtable (64 MB) flushes to an SST file
  // and its WAL rolls over while the reader is open.
  writer.send("commit 40 2000000");
  read_commits(writer, acked);
  EXPECT_EQ(reader->load_unfinished().size(), 20u);  // a stable view until refresh
  reader->refresh();
  expect_sees(*reader, acked);
  EXPECT_EQ(reader->load_unfinished().size(), 60u);
  EXPECT_TRUE(reader->check().empty());

  // While the writer lives, a write through the reader is impossible and a
  // second writer is refused; after it exits, the spool opens read-write.
  writer.close_input();
  EXPECT_EQ(writer.wait(), 0);
  auto spool = Spool::open(dir.path());
  expect_sees(*spool, acked);
}

// Which of RocksDB's read-only openers sees a live writer's messages (the
// experiment behind SpoolDb::open_secondary; spool_db.h).
TEST(SpoolReadOnly, OpenForReadOnlyVersusSecondary) {
  TempDir dir;
  Child writer("live-writer", dir.path());
  ASSERT_EQ(writer.line(), "ready");
  std::map<std::string, Acked> acked;
  writer.send("commit 25 1000");
  read_commits(writer, acked);

  std::vector<std::string> names;
  ASSERT_TRUE(rocksdb::DB::ListColumnFamilies({}, dir.path(), &names).ok());
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  for (const auto& n : names) families.emplace_back(n, rocksdb::ColumnFamilyOptions());
  size_t seen_read_only = 0;
  {
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* db = nullptr;
    auto s = rocksdb::DB::OpenForReadOnly({}, dir.path(), families, &handles, &db);
    ASSERT_TRUE(s.ok()) << s.ToString();
    for (auto* h : handles) {
      if (h->GetName() == "envelopes") {
        std::unique_ptr<rocksdb::Iterator> it(db->NewIterator({}, h));
        for (it->SeekToFirst(); it->Valid(); it->Next()) ++seen_read_only;
      }
      db->DestroyColumnFamilyHandle(h);
    }
    delete db;
  }
  size_t seen_secondary = Spool::open_read_only(dir.path())->load_unfinished().size();
  std::printf("live writer committed %zu; OpenForReadOnly saw %zu, OpenAsSecondary saw %zu\n",
              acked.size(), seen_read_only, seen_secondary);
  EXPECT_EQ(seen_secondary, acked.size());
}

TEST(SpoolLock, SecondWriterIsToldWhoHoldsTheSpool) {
  TempDir dir;
  auto expect_refused_by = [&](pid_t pid) {
    try {
      Spool::open(dir.path());
      FAIL() << "second writer opened the spool";
    } catch (const OperatorError& e) {
      std::string want = "spool " + dir.path() + " is in use by another poolgate (pid " +
                         std::to_string(pid) + ")";
      EXPECT_NE(std::string(e.what()).find(want), std::string::npos) << e.what();
    }
  };
  {
    Child holder("live-writer", dir.path());
    ASSERT_EQ(holder.line(), "ready");
    expect_refused_by(holder.pid());
    EXPECT_NO_THROW(Spool::open_read_only(dir.path()));  // readers are welcome
    holder.kill9();  // the lock dies with the process, kill -9 included
    holder.wait();
  }
  EXPECT_NO_THROW(Spool::open(dir.path()));
}
