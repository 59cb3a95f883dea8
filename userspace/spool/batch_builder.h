// The spool's write requests and how each becomes part of one WriteBatch.
// Every request of a group commit is staged into the same batch, so a batch
// is one synced write however many sessions it serves; a request that cannot
// be applied (unknown queue id, reserved meta name) is left out of the batch
// without disturbing the others. Staging runs on the committer thread only:
// it is the one writer, so what it reads from the database plus what earlier
// requests staged into this batch is the whole truth.
#pragma once

#include "mail/envelope.h"
#include "spool/records.h"

#include <rocksdb/write_batch.h>

#include <cstdint>
#include <optional>
#include <string>
#include <system_error>
#include <unordered_map>
#include <unordered_set>
#include <variant>
#include <vector>

namespace poolgate {

class SpoolDb;

// Content chunks 1..chunks of a message, already written by StageChunkOps
// under its queue id while it arrived (a large DATA streamed to the spool).
struct StagedContent {
  uint32_t chunks = 0;
  uint64_t bytes = 0;
};

struct CommitOp {
  Envelope envelope;  // queue_id already set
  // The whole message; with staged chunks, only its head, stored as chunk 0
  // whatever its size (the staged chunks already hold indices 1..n).
  std::string content;
  bool preassigned_id = false;  // the caller brought the id: check it is new
  // A client's message (refused when the disk runs low: space_guard.h), not
  // one poolgate generates itself (a DSN must not be lost for want of space).
  bool client_mail = true;
  // Adopted by this commit: the envelope's size and chunk count include them.
  // The commit does not read them back (that would read the whole message
  // again); the caller vouches that each stage write succeeded.
  StagedContent staged;
};
// One chunk of a message still arriving, written under its (pre-assigned)
// queue id before the message has an envelope. Not synced: until the commit
// these bytes are worth nothing, and the commit's synced WAL write makes them
// durable too (GroupCommitter::write_batch says why). Chunks that never get an
// envelope (a crash mid-DATA) are removed when the spool next opens.
struct StageChunkOp {
  std::string queue_id;
  uint32_t index;  // 1, 2, ...: chunk 0 is the head, written by the commit
  std::string bytes;
};
// Drops staged chunks 1..chunks of a message that will not be committed
// (RSET, rejection, disconnect, timeout, over a limit, refused by the
// classifier). Not synced either: a crash undoes it, and the next open removes
// the chunks anyway.
struct DiscardStagedOp {
  std::string queue_id;
  uint32_t chunks;
};
struct UpdateRecipientOp {
  std::string queue_id;
  uint32_t index;
  RecipientStatus status;
};
struct RemoveOp {
  std::string queue_id;
};
// A held message's decision once its sender domains were checked again: the
// envelope record is rewritten with the final pool and reasons, so `queue
// show` and a restart see the decision the delivery engine acted on.
struct ReclassifyOp {
  std::string queue_id;
  std::string pool;
  std::vector<std::string> reasons;
  bool hold_for_dns = false;
};
struct MetaOp {
  std::string name;
  std::optional<std::string> value;  // nullopt: erase
};
using SpoolOp = std::variant<CommitOp, UpdateRecipientOp, RemoveOp, MetaOp, ReclassifyOp,
                             StageChunkOp, DiscardStagedOp>;

// Roughly what an op adds to a batch, for the batch size limit.
size_t op_bytes(const SpoolOp& op);

class BatchBuilder {
 public:
  // reserve_bytes: the batch's buffer is allocated once at this size, so
  // message content is copied into it exactly once (no regrowth copies).
  BatchBuilder(const SpoolDb& db, size_t reserve_bytes, uint32_t chunk_bytes);

  // Adds the op's writes; on error the batch is as it was before.
  std::error_code stage(SpoolOp& op);

  size_t staged() const { return staged_; }
  size_t messages() const { return messages_; }
  // False while the batch holds only staging writes (StageChunkOp,
  // DiscardStagedOp): nothing in it is acknowledged to anyone, so it needs no
  // fdatasync of its own.
  bool needs_sync() const { return needs_sync_; }

  // The batch to write, with the queue id floor (queue_id.h) raised to the
  // highest id committed in it.
  rocksdb::WriteBatch& finish();

 private:
  std::error_code stage_op(CommitOp& op);
  std::error_code stage_op(UpdateRecipientOp& op);
  std::error_code stage_op(RemoveOp& op);
  std::error_code stage_op(MetaOp& op);
  std::error_code stage_op(ReclassifyOp& op);
  std::error_code stage_op(StageChunkOp& op);
  std::error_code stage_op(DiscardStagedOp& op);
  // How many recipients the message has, if it exists for this batch.
  std::optional<uint32_t> recipient_count(const std::string& queue_id, std::error_code& ec);
  std::error_code delete_indexed(rocksdb::ColumnFamilyHandle* family, const std::string& queue_id);

  const SpoolDb& db_;
  rocksdb::WriteBatch batch_;
  uint32_t chunk_bytes_;
  size_t staged_ = 0;
  size_t messages_ = 0;
  bool needs_sync_ = false;
  struct Staged {
    uint32_t recipients;
    uint32_t chunks;
  };
  std::unordered_map<std::string, Staged> added_;  // committed in this batch
  std::unordered_set<std::string> removed_;          // removed in this batch
  std::string highest_id_;
};

}  // namespace poolgate
