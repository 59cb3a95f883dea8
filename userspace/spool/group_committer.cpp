#include "spool/group_committer.h"

#include "spool/errors.h"
#include "spool/spool_db.h"

#include <rocksdb/db.h>
#include <spdlog/spdlog.h>

#include <algorithm>

namespace poolgate {

GroupCommitter::GroupCommitter(const SpoolDb& db, Limits limits)
    : db_(db), limits_(limits), thread_([this] { run(); }) {}

void GroupCommitter::submit(PendingWrite write) {
  {
    std::lock_guard lock(mutex_);
    if (!closing_) {
      queue_.push_back(std::move(write));
      wake_.notify_one();
      return;
    }
  }
  write.done(SpoolErrc::closed);
}

void GroupCommitter::close() {
  {
    std::lock_guard lock(mutex_);
    closing_ = true;
    wake_.notify_one();
  }
  if (thread_.joinable() && !on_committer_thread()) thread_.join();
}

SpoolStats GroupCommitter::stats() const {
  return {syncs_.load(), requests_.load(), messages_.load(), failed_.load(), largest_.load()};
}

void GroupCommitter::run() {
  std::vector<PendingWrite> batch;
  for (;;) {
    size_t bytes = 0;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return !queue_.empty() || closing_; });
      if (queue_.empty()) return;  // closing, and everything written
      while (!queue_.empty() && batch.size() < limits_.max_batch_requests) {
        size_t size = op_bytes(queue_.front().op);
        // The first request always goes, however large; later ones only while
        // the batch stays under its byte limit.
        if (!batch.empty() && bytes + size > limits_.max_batch_bytes) break;
        bytes += size;
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    write_batch(batch, bytes);
    batch.clear();
  }
}

void GroupCommitter::write_batch(std::vector<PendingWrite>& writes, size_t bytes) {
  BatchBuilder builder(db_, bytes + 256, limits_.chunk_bytes);
  std::vector<std::error_code> results(writes.size());
  for (size_t i = 0; i < writes.size(); ++i) results[i] = builder.stage(writes[i].op);

  if (builder.staged() > 0) {
    rocksdb::WriteOptions options;
    // fdatasync of the WAL before Write returns, for every batch that carries
    // something a caller will acknowledge. A batch of only staged chunks
    // (batch_builder.h) goes to the WAL unsynced: the commit that later adopts
    // those chunks is a synced write, and RocksDB's synced write syncs every
    // live WAL file up to that point (DBImpl::WriteToWAL syncs all of logs_,
    // older files too), so the chunks are durable before the 250, in the
    // order the WAL holds them. Before that commit a crash may lose them, and
    // then nothing refers to them.
    options.sync = builder.needs_sync();
    rocksdb::Status status = db_.db().Write(options, &builder.finish());
    std::error_code written = to_error_code(status);
    if (status.ok()) {
      if (options.sync) syncs_.fetch_add(1);
      requests_.fetch_add(builder.staged());
      messages_.fetch_add(builder.messages());
      largest_.store(std::max<uint64_t>(largest_.load(), builder.staged()));
    } else {
      // Nothing of this batch is acknowledged, so nothing acknowledged is
      // lost. RocksDB refuses further writes after a failed sync until the
      // process restarts: the disk needs an operator.
      spdlog::error("spool {}: writing a batch of {} requests failed: {}; check the disk and "
                    "restart poolgate",
                    db_.path(), builder.staged(), status.ToString());
    }
    for (auto& result : results)
      if (!result) result = written;
  }

  for (size_t i = 0; i < writes.size(); ++i) {
    if (results[i]) failed_.fetch_add(1);
    try {
      writes[i].done(results[i]);
    } catch (const std::exception& e) {
      spdlog::error("spool {}: a completion callback threw: {}", db_.path(), e.what());
    }
  }
}

}  // namespace poolgate
