#include "spool/batch_builder.h"

#include "spool/errors.h"
#include "spool/keys.h"
#include "spool/queue_id.h"
#include "spool/spool_db.h"
#include "spool/tlv.h"

#include <rocksdb/db.h>

namespace poolgate {
namespace {

constexpr size_t kRecordOverhead = 64;  // keys, lengths, a small envelope

}  // namespace

size_t op_bytes(const SpoolOp& op) {
  if (const auto* commit = std::get_if<CommitOp>(&op)) {
    const std::string& content = commit->content;
    // + a chunk key and lengths per 4 KiB at worst, so the batch buffer
    // reserved from this sum does not regrow (and recopy) for small chunks.
    return content.size() + content.size() / 128 +
           kRecordOverhead * (2 + commit->envelope.recipients.size());
  }
  if (const auto* chunk = std::get_if<StageChunkOp>(&op))
    return chunk->bytes.size() + kRecordOverhead;
  if (const auto* discard = std::get_if<DiscardStagedOp>(&op))
    return kRecordOverhead * (1 + discard->chunks);
  return kRecordOverhead;
}

BatchBuilder::BatchBuilder(const SpoolDb& db, size_t reserve_bytes, uint32_t chunk_bytes)
    : db_(db), batch_(reserve_bytes), chunk_bytes_(chunk_bytes) {}

std::error_code BatchBuilder::stage(SpoolOp& op) {
  batch_.SetSavePoint();
  std::error_code ec = std::visit([this](auto& o) { return stage_op(o); }, op);
  if (ec) {
    batch_.RollbackToSavePoint();
  } else {
    batch_.PopSavePoint();
    ++staged_;
    if (!std::holds_alternative<StageChunkOp>(op) && !std::holds_alternative<DiscardStagedOp>(op))
      needs_sync_ = true;
  }
  return ec;
}

std::error_code BatchBuilder::stage_op(CommitOp& op) {
  Envelope& e = op.envelope;
  const std::string& id = e.queue_id;
  if (!QueueIdGenerator::micros_of(id) || e.recipients.empty())
    return SpoolErrc::invalid_argument;
  if (op.preassigned_id) {
    std::error_code ec;
    if (recipient_count(id, ec) || removed_.contains(id)) return SpoolErrc::duplicate_id;
    if (ec) return ec;
  }
  // A streamed message: the head is chunk 0, the staged chunks follow it.
  bool streamed = op.staged.chunks > 0;
  e.size = op.content.size() + op.staged.bytes;
  uint32_t chunks = streamed ? 1 + op.staged.chunks
                             : static_cast<uint32_t>((e.size + chunk_bytes_ - 1) / chunk_bytes_);
  batch_.Put(db_.envelopes(), id, encode_envelope(e, chunks));
  for (uint32_t i = 0; i < e.recipients.size(); ++i)
    batch_.Put(db_.recipients(), spool_keys::indexed(id, i),
               encode_status(RecipientStatus::of(e.recipients[i])));
  // Slices into the caller's buffer: the batch's copy is the only one.
  if (streamed) {
    batch_.Put(db_.content(), spool_keys::indexed(id, 0), op.content);
    batch_.Delete(db_.meta(), spool_keys::staging_marker(id));
  } else {
    for (uint32_t c = 0; c < chunks; ++c) {
      size_t offset = size_t{c} * chunk_bytes_;
      size_t length = std::min<size_t>(chunk_bytes_, e.size - offset);
      batch_.Put(db_.content(), spool_keys::indexed(id, c),
                 rocksdb::Slice(op.content.data() + offset, length));
    }
  }
  std::string().swap(op.content);  // copied into the batch: free it now
  added_[id] = {static_cast<uint32_t>(e.recipients.size()), chunks};
  if (id > highest_id_) highest_id_ = id;
  ++messages_;
  return {};
}

std::error_code BatchBuilder::stage_op(UpdateRecipientOp& op) {
  std::error_code ec;
  std::optional<uint32_t> count = recipient_count(op.queue_id, ec);
  if (ec) return ec;
  if (!count) return SpoolErrc::not_found;
  if (op.index >= *count) return SpoolErrc::invalid_argument;
  batch_.Put(db_.recipients(), spool_keys::indexed(op.queue_id, op.index),
             encode_status(op.status));
  return {};
}

// Removes envelope, statuses and chunks in this one batch: a crash leaves the
// message either whole or entirely gone. The statuses and chunks are found by
// key rather than counted from the envelope, so a message whose envelope no
// longer decodes can still be removed.
std::error_code BatchBuilder::stage_op(RemoveOp& op) {
  const std::string& id = op.queue_id;
  if (removed_.contains(id)) return SpoolErrc::not_found;
  if (!added_.contains(id)) {
    std::string record;
    auto s = db_.db().Get(rocksdb::ReadOptions(), db_.envelopes(), id, &record);
    if (s.IsNotFound()) return SpoolErrc::not_found;
    if (!s.ok()) return to_error_code(s);
    if (auto ec = delete_indexed(db_.recipients(), id)) return ec;
    if (auto ec = delete_indexed(db_.content(), id)) return ec;
  } else {
    // Committed earlier in this very batch (a pre-assigned id removed before
    // its commit completed): its keys are only in the batch.
    for (uint32_t i = 0; i < added_[id].recipients; ++i)
      batch_.Delete(db_.recipients(), spool_keys::indexed(id, i));
    for (uint32_t c = 0; c < added_[id].chunks; ++c)
      batch_.Delete(db_.content(), spool_keys::indexed(id, c));
  }
  batch_.Delete(db_.envelopes(), id);
  added_.erase(id);
  removed_.insert(id);
  return {};
}

std::error_code BatchBuilder::stage_op(MetaOp& op) {
  if (op.name.empty() || std::string_view(op.name).starts_with(spool_keys::kReservedMetaPrefix))
    return SpoolErrc::invalid_argument;
  if (op.value)
    batch_.Put(db_.meta(), op.name, *op.value);
  else
    batch_.Delete(db_.meta(), op.name);
  return {};
}

std::error_code BatchBuilder::stage_op(ReclassifyOp& op) {
  const std::string& id = op.queue_id;
  // Committed in this very batch: its record is only in the batch, and a
  // decision about a message not yet durable has nothing to correct.
  if (removed_.contains(id) || added_.contains(id)) return SpoolErrc::not_found;
  std::string record;
  auto s = db_.db().Get(rocksdb::ReadOptions(), db_.envelopes(), id, &record);
  if (s.IsNotFound()) return SpoolErrc::not_found;
  if (!s.ok()) return to_error_code(s);
  try {
    EnvelopeRecord stored = decode_envelope(record);
    stored.envelope.pool = op.pool;
    stored.envelope.reasons = op.reasons;
    stored.envelope.hold_for_dns = op.hold_for_dns;
    batch_.Put(db_.envelopes(), id, encode_envelope(stored.envelope, stored.content_chunks));
  } catch (const RecordError&) {
    return SpoolErrc::corrupt;
  }
  return {};
}

// Staging and discarding never touch a message that has an envelope: a
// committed message's chunks change only with the message (RemoveOp).
std::error_code BatchBuilder::stage_op(StageChunkOp& op) {
  if (!QueueIdGenerator::micros_of(op.queue_id) || op.index == 0)
    return SpoolErrc::invalid_argument;
  std::error_code ec;
  if (recipient_count(op.queue_id, ec) || removed_.contains(op.queue_id))
    return SpoolErrc::duplicate_id;
  if (ec) return ec;
  if (op.index == 1) batch_.Put(db_.meta(), spool_keys::staging_marker(op.queue_id), "");
  batch_.Put(db_.content(), spool_keys::indexed(op.queue_id, op.index), op.bytes);
  std::string().swap(op.bytes);  // copied into the batch: free it now
  return {};
}

std::error_code BatchBuilder::stage_op(DiscardStagedOp& op) {
  if (!QueueIdGenerator::micros_of(op.queue_id)) return SpoolErrc::invalid_argument;
  std::error_code ec;
  if (recipient_count(op.queue_id, ec)) return SpoolErrc::invalid_argument;
  if (ec) return ec;
  for (uint32_t c = 1; c <= op.chunks; ++c)
    batch_.Delete(db_.content(), spool_keys::indexed(op.queue_id, c));
  batch_.Delete(db_.meta(), spool_keys::staging_marker(op.queue_id));
  return {};
}

std::optional<uint32_t> BatchBuilder::recipient_count(const std::string& id, std::error_code& ec) {
  if (removed_.contains(id)) return std::nullopt;
  if (auto it = added_.find(id); it != added_.end()) return it->second.recipients;
  std::string record;
  auto s = db_.db().Get(rocksdb::ReadOptions(), db_.envelopes(), id, &record);
  if (s.IsNotFound()) return std::nullopt;
  if (!s.ok()) {
    ec = to_error_code(s);
    return std::nullopt;
  }
  try {
    return static_cast<uint32_t>(decode_envelope(record).envelope.recipients.size());
  } catch (const RecordError&) {
    ec = SpoolErrc::corrupt;
    return std::nullopt;
  }
}

std::error_code BatchBuilder::delete_indexed(rocksdb::ColumnFamilyHandle* family,
                                             const std::string& id) {
  std::string upper = spool_keys::indexed(id, UINT32_MAX) + '\xff';
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions options;
  options.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db_.db().NewIterator(options, family));
  for (it->Seek(spool_keys::indexed(id, 0)); it->Valid(); it->Next())
    batch_.Delete(family, it->key());
  return to_error_code(it->status());
}

rocksdb::WriteBatch& BatchBuilder::finish() {
  if (!highest_id_.empty())
    batch_.Put(db_.meta(), spool_keys::kQueueIdFloorMeta,
               std::to_string(*QueueIdGenerator::micros_of(highest_id_)));
  return batch_;
}

}  // namespace poolgate
