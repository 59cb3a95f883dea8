#include "spool/group_committer.h"

#include "spool/errors.h"
#include "spool/spool_db.h"

#include <rocksdb/db.h>
#include <spdlog/spdlog.h>

#include <algorithm>

namespace poolgate {
namespace {

using namespace std::chrono_literals;

// While unhealthy, how often the committer retries Resume() and rechecks the
// free space without waiting for a request.
constexpr auto kRecheck = 1s;

// A client's message, or a chunk of one still arriving (a large DATA streams
// to the spool): refused first when space runs low.
bool is_client_mail(const SpoolOp& op) {
  if (std::holds_alternative<StageChunkOp>(op)) return true;
  const auto* commit = std::get_if<CommitOp>(&op);
  return commit && commit->client_mail;
}

// What the refusal counter counts: one per message, so its first chunk or its
// commit, not every chunk of it.
bool counts_as_message(const SpoolOp& op) {
  if (const auto* chunk = std::get_if<StageChunkOp>(&op)) return chunk->index == 1;
  return std::holds_alternative<CommitOp>(op);
}

std::string mib(uint64_t bytes) { return std::to_string(bytes >> 20) + " MiB"; }

}  // namespace

GroupCommitter::GroupCommitter(const SpoolDb& db, Limits limits)
    : db_(db),
      limits_(limits),
      guard_(db.path(), limits.min_free_bytes, limits.reserve_bytes),
      thread_([this] { run(); }) {
  std::lock_guard lock(health_mutex_);
  health_.free_bytes = guard_.last_available();
  health_.min_free_bytes = limits.min_free_bytes;
}

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

SpoolHealth GroupCommitter::health() const {
  std::lock_guard lock(health_mutex_);
  return health_;
}

void GroupCommitter::run() {
  std::vector<PendingWrite> batch;
  for (;;) {
    size_t bytes = 0;
    {
      std::unique_lock lock(mutex_);
      auto ready = [this] { return !queue_.empty() || closing_; };
      // Healthy: sleep until there is work. Unhealthy: wake every kRecheck too,
      // so the spool recovers by itself once the disk has room again, even
      // when nobody writes.
      if (healthy()) wake_.wait(lock, ready);
      else wake_.wait_for(lock, kRecheck, ready);
      if (queue_.empty() && closing_) return;  // everything written
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
    if (!healthy()) recover();
    if (!batch.empty()) write_batch(batch, bytes);
    batch.clear();
  }
}

void GroupCommitter::admit(const std::vector<PendingWrite>& writes,
                           std::vector<std::error_code>& results) {
  if (write_failure_) {
    std::fill(results.begin(), results.end(), write_failure_);
    return;
  }
  uint64_t mail = 0, other = 0;
  for (const auto& write : writes) (is_client_mail(write.op) ? mail : other) += op_bytes(write.op);
  bool mail_fits = mail == 0 || guard_.room_for_new_mail(mail + other);
  if (mail > 0) set_accepting(mail_fits);
  // Nothing but refused mail: no reason to give up the reserve for it.
  bool rest_fits = (other == 0 && !mail_fits) || guard_.room_for(other + (mail_fits ? mail : 0));
  for (size_t i = 0; i < writes.size(); ++i) {
    bool mail_op = is_client_mail(writes[i].op);
    if ((mail_op && !mail_fits) || !rest_fits) {
      results[i] = SpoolErrc::no_space;
      if (mail_op && counts_as_message(writes[i].op)) ++refused_for_space_;
    }
  }
}

void GroupCommitter::write_batch(std::vector<PendingWrite>& writes, size_t bytes) {
  BatchBuilder builder(db_, bytes + 256, limits_.chunk_bytes);
  std::vector<std::error_code> results(writes.size());
  admit(writes, results);
  for (size_t i = 0; i < writes.size(); ++i)
    if (!results[i]) results[i] = builder.stage(writes[i].op);

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
      // Nothing of this batch is acknowledged, so nothing acknowledged is lost.
      set_write_failure(written, status.ToString());
    }
    for (auto& result : results)
      if (!result) result = written;
  }
  guard_.keep_reserve();
  publish_health();

  for (size_t i = 0; i < writes.size(); ++i) {
    if (results[i]) failed_.fetch_add(1);
    try {
      writes[i].done(results[i]);
    } catch (const std::exception& e) {
      spdlog::error("spool {}: a completion callback threw: {}", db_.path(), e.what());
    }
  }
}

void GroupCommitter::recover() {
  if (write_failure_) {
    // RocksDB refuses every write after a failed one until Resume() (which
    // flushes the memtables to start from a consistent state) succeeds.
    rocksdb::Status status = db_.db().Resume();
    if (!status.ok()) return;
    spdlog::info("spool {}: writable again after: {}", db_.path(), failure_detail_);
    set_write_failure({}, "");
  }
  if (!accepting_) set_accepting(guard_.room_for_new_mail(0));
  guard_.keep_reserve();
  publish_health();
}

void GroupCommitter::set_accepting(bool accepting) {
  if (accepting == accepting_) return;
  accepting_ = accepting;
  uint64_t free = guard_.last_available();
  if (accepting)
    spdlog::info("spool {}: accepting new mail again ({} free)", db_.path(), mib(free));
  else
    spdlog::error("spool {}: refusing new mail (452 4.3.1): the file system has {} free, "
                  "below the {} new mail must leave free; free space, or `poolgate queue "
                  "delete` messages", db_.path(), mib(free), mib(guard_.min_free_bytes()));
  publish_health();
}

void GroupCommitter::set_write_failure(std::error_code error, const std::string& detail) {
  write_failure_ = error;
  failure_detail_ = detail;
  if (error)
    spdlog::error("spool {}: a write failed ({}); retrying every second until the database "
                  "takes writes again: check the disk", db_.path(), detail);
  publish_health();
}

void GroupCommitter::publish_health() {
  std::lock_guard lock(health_mutex_);
  health_.accepting = accepting_ && !write_failure_;
  health_.writable = !write_failure_;
  health_.free_bytes = guard_.last_available();
  health_.refused_for_space = refused_for_space_;
  if (write_failure_)
    health_.reason = "spool write failed: " + failure_detail_;
  else if (!accepting_)
    health_.reason = "spool file system has " + mib(health_.free_bytes) +
                     " free, below the minimum of " + mib(guard_.min_free_bytes());
  else
    health_.reason.clear();
}

}  // namespace poolgate
