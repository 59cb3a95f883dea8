// The durable message store. Once commit() (or commit_async's callback)
// reports success, the message survives a crash, kill -9 or power loss: it is
// in RocksDB's write-ahead log and the log is fdatasync'ed (group_committer.h).
// Only then may the server answer 250 to DATA.
//
// One directory is one spool, one RocksDB database (layout: keys.h, records:
// records.h). One process at a time opens it read-write (spool_lock.h); any
// number may read it alongside with open_read_only(). Deleting or changing
// messages while the daemon runs must go through the daemon; with no daemon
// running, the CLI opens the spool read-write itself.
//
// Thread-safe: requests may come from any thread. Callbacks run on the
// committer thread (the event loop posts them to its io_context); only a
// request made after close() completes at once on the caller's thread, with
// SpoolErrc::closed. The blocking calls throw SpoolError and must not be made
// from a callback. Do not destroy the Spool from a callback either.
#pragma once

#include "spool/group_committer.h"
#include "spool/queue_id.h"
#include "spool/records.h"
#include "spool/spool_view.h"

#include <functional>
#include <memory>
#include <string>
#include <system_error>

namespace poolgate {

struct SpoolOptions {
  // Content is stored in chunks of this size, so no single value is huge and
  // delivery can stream a message without holding all of it.
  uint32_t chunk_bytes = 256 * 1024;
  // Limits of one group commit (the first request of a batch always fits).
  size_t max_batch_bytes = 64 << 20;
  size_t max_batch_requests = 4096;
  // space_guard.h: client mail is refused when it would leave less than this
  // free on the spool's file system; the reserve keeps removals and DSNs
  // writable on a file system somebody else filled.
  uint64_t min_free_bytes = 128ull << 20;
  uint64_t reserve_bytes = 16ull << 20;
};

// Who a commit is for: a client's message is refused when space runs low;
// poolgate's own (a DSN) is written while it fits at all.
enum class CommitKind { ClientMail, Generated };

class Spool : public SpoolView {
 public:
  using CommitCallback = std::function<void(std::error_code, std::string queue_id)>;
  using DoneCallback = std::function<void(std::error_code)>;

  // Creates the directory and database if needed. Throws OperatorError when
  // the spool is in use, corrupt, not a spool, or not accessible. Removes
  // content chunks that have no envelope: chunks staged for a message whose
  // DATA a crash interrupted (see stage_chunk_async).
  static std::unique_ptr<Spool> open(const std::string& path, SpoolOptions options = {});

  // For the CLI beside a running daemon (spool_db.h says why a secondary).
  static std::unique_ptr<ReadOnlySpool> open_read_only(const std::string& path);

  ~Spool() override;  // close()

  // A fresh queue id, for callers that need it before the commit (a Received
  // header). Pass it in Envelope::queue_id; an empty queue_id gets one at
  // commit_async time. Ids sort by the time they were issued.
  std::string new_queue_id() { return ids_.next(); }

  // Stores envelope (recipients with their initial status) and content;
  // Envelope::size is set to content.size(). The callback gets the queue id
  // once everything is durable, or an error and "" (nothing stored).
  void commit_async(Envelope envelope, std::string content, CommitCallback done,
                    CommitKind kind = CommitKind::ClientMail);
  std::string commit(Envelope envelope, std::string content);

  // A message streamed to the spool while it arrives (the relay, DATA above
  // relay.stream_threshold_bytes): with a queue id from new_queue_id(), write
  // chunks 1, 2, ... as they fill (stage_chunk_async), then commit the head
  // (Received: and the first bytes) as chunk 0, adopting the staged chunks:
  // Envelope::size counts them all. A message that is not committed after all
  // has its staged chunks discarded; chunks without an envelope left by a
  // crash are removed by the next open(). Staging writes are not synced: the
  // commit's synced write makes them durable (group_committer.cpp).
  // duplicate_id when the id already has an envelope.
  void stage_chunk_async(std::string queue_id, uint32_t index, std::string bytes,
                         DoneCallback done);
  void commit_staged_async(Envelope envelope, std::string head, StagedContent staged,
                           CommitCallback done);
  std::string commit_staged(Envelope envelope, std::string head, StagedContent staged);
  // invalid_argument when the id has an envelope (its chunks are the message's).
  void discard_staged_async(std::string queue_id, uint32_t chunks, DoneCallback done);
  // The size of the chunks commit() cuts content into; streaming writers use it too.
  uint32_t chunk_bytes() const { return chunk_bytes_; }

  // Records one recipient's delivery status (durably). not_found if the
  // message is gone, invalid_argument if it has no recipient `index`.
  void update_recipient_async(std::string queue_id, uint32_t index, RecipientStatus status,
                              DoneCallback done);
  void update_recipient(std::string queue_id, uint32_t index, RecipientStatus status);

  // Rewrites a message's classification (pool, reasons, hold_for_dns) in its
  // envelope record, durably: a held message's final decision. not_found if
  // the message is gone.
  void reclassify_async(std::string queue_id, std::string pool, std::vector<std::string> reasons,
                        bool hold_for_dns, DoneCallback done);
  void reclassify(std::string queue_id, std::string pool, std::vector<std::string> reasons,
                  bool hold_for_dns);

  // A finished message: envelope, statuses and content go in one atomic write.
  void remove_async(std::string queue_id, DoneCallback done);
  void remove(std::string queue_id);

  // Named records (SpoolView::get_meta reads them); "spool/..." is reserved.
  void put_meta_async(std::string name, std::string value, DoneCallback done);
  void put_meta(std::string name, std::string value);
  void erase_meta(std::string name);

  // Writes everything queued, then refuses new requests. Idempotent.
  void close() { committer_.close(); }

  SpoolStats stats() const { return committer_.stats(); }
  // Whether new mail (and anything) can be written now: spool_health.h.
  SpoolHealth health() const { return committer_.health(); }

 private:
  Spool(std::unique_ptr<SpoolDb> db, const SpoolOptions& options, uint64_t id_floor);
  void submit(SpoolOp op, DoneCallback done) { committer_.submit({std::move(op), std::move(done)}); }
  // Submits and waits; throws SpoolError naming `what` on failure.
  void submit_and_wait(SpoolOp op, const std::string& what);

  QueueIdGenerator ids_;
  uint32_t chunk_bytes_;
  GroupCommitter committer_;
};

}  // namespace poolgate
