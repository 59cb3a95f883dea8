// Group commit: the one thread that writes the spool. Sessions hand it
// requests from any thread; it takes everything queued at that moment (up to
// the batch limits) into one WriteBatch, makes it durable with a single synced
// WAL write (one fdatasync), then completes each request. While a sync is in
// flight the next batch accumulates, so under load the syncs per second stay
// near what the disk can do and messages per sync grow with concurrency; with
// one writer each message gets its own sync and no added latency (there is no
// timer waiting for company).
//
// Before each batch the space guard (space_guard.h) decides what may be
// written; a failed write makes the database refuse everything until Resume()
// succeeds, which this thread retries every second. health() says which.
//
// Completion callbacks run on this thread, after the data is durable, and must
// be quick: the server posts them to its io_context. They may submit new
// requests, but must not wait for one (that would wait for this very thread).
#pragma once

#include "spool/batch_builder.h"
#include "spool/space_guard.h"
#include "spool/spool_health.h"

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <system_error>
#include <thread>

namespace poolgate {

class SpoolDb;

struct SpoolStats {
  uint64_t syncs = 0;     // synced batch writes (a batch of staged chunks only is not synced)
  uint64_t requests = 0;  // requests written (commits, updates, removes, meta, staged chunks)
  uint64_t messages = 0;  // of which commits
  uint64_t failed = 0;    // requests completed with an error
  uint64_t largest_batch = 0;
};

struct PendingWrite {
  SpoolOp op;
  std::function<void(std::error_code)> done;
};

class GroupCommitter {
 public:
  struct Limits {
    size_t max_batch_bytes;
    size_t max_batch_requests;
    uint32_t chunk_bytes;
    uint64_t min_free_bytes = 0;  // SpaceGuard: what new mail must leave free
    uint64_t reserve_bytes = 0;   // SpaceGuard: the reserve file's size
  };

  GroupCommitter(const SpoolDb& db, Limits limits);
  ~GroupCommitter() { close(); }

  // Queues the request. When closed, completes it at once, on the calling
  // thread, with SpoolErrc::closed.
  void submit(PendingWrite write);

  // Writes what is queued, then stops the thread. Idempotent.
  void close();

  bool on_committer_thread() const { return std::this_thread::get_id() == thread_.get_id(); }
  SpoolStats stats() const;
  SpoolHealth health() const;

 private:
  void run();
  void write_batch(std::vector<PendingWrite>& writes, size_t bytes);
  // Refuses (in `results`) what must not be written now; the rest goes on.
  void admit(const std::vector<PendingWrite>& writes, std::vector<std::error_code>& results);
  // Unhealthy only: tries Resume(), rechecks the free space.
  void recover();
  void set_accepting(bool accepting);
  void set_write_failure(std::error_code error, const std::string& detail);
  void publish_health();  // health_ from the state below, under health_mutex_
  bool healthy() const { return !write_failure_ && accepting_; }

  const SpoolDb& db_;
  const Limits limits_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<PendingWrite> queue_;
  bool closing_ = false;
  std::atomic<uint64_t> syncs_{0}, requests_{0}, messages_{0}, failed_{0}, largest_{0};
  // Owned by the committer thread; health_ is the copy others read.
  SpaceGuard guard_;
  bool accepting_ = true;
  std::error_code write_failure_;
  std::string failure_detail_;
  uint64_t refused_for_space_ = 0;
  mutable std::mutex health_mutex_;
  SpoolHealth health_;
  std::thread thread_;  // last: starts once everything above exists
};

}  // namespace poolgate
