#include "spool/spool.h"

#include "spool/errors.h"
#include "spool/keys.h"
#include "spool/orphan_chunks.h"

#include <rocksdb/db.h>
#include <spdlog/spdlog.h>

#include <future>
#include <stdexcept>

namespace poolgate {
namespace {

// Ids must never go back, even if the clock did: start above the persisted
// floor (raised by every batch that commits a message) and above the newest
// stored message, whichever is later.
uint64_t queue_id_floor(const SpoolDb& db) {
  uint64_t floor = 0;
  std::string stored;
  auto s = db.db().Get(rocksdb::ReadOptions(), db.meta(), spool_keys::kQueueIdFloorMeta, &stored);
  if (!s.IsNotFound()) {
    db.check(s, "reading the queue id floor");
    floor = std::strtoull(stored.c_str(), nullptr, 10);
  }
  std::unique_ptr<rocksdb::Iterator> it(
      db.db().NewIterator(rocksdb::ReadOptions(), db.envelopes()));
  it->SeekToLast();
  if (it->Valid())
    floor = std::max(floor, QueueIdGenerator::micros_of(it->key().ToStringView()).value_or(0));
  db.check(it->status(), "finding the newest message");
  return floor;
}

}  // namespace

std::unique_ptr<Spool> Spool::open(const std::string& path, SpoolOptions options) {
  auto db = SpoolDb::open_read_write(path);
  OrphanChunks orphans = remove_orphan_chunks(*db);
  if (orphans.messages > 0)
    spdlog::warn("spool {}: removed {} content chunks of {} messages whose DATA was cut off "
                 "(never committed, nothing acknowledged)", path, orphans.chunks,
                 orphans.messages);
  uint64_t floor = queue_id_floor(*db);
  return std::unique_ptr<Spool>(new Spool(std::move(db), options, floor));
}

std::unique_ptr<ReadOnlySpool> Spool::open_read_only(const std::string& path) {
  return std::make_unique<ReadOnlySpool>(SpoolDb::open_secondary(path));
}

Spool::Spool(std::unique_ptr<SpoolDb> db, const SpoolOptions& options, uint64_t id_floor)
    : SpoolView(std::move(db)),
      ids_(id_floor),
      chunk_bytes_(std::max<uint32_t>(options.chunk_bytes, 1)),
      committer_(this->db(), {options.max_batch_bytes, options.max_batch_requests,
                              chunk_bytes_, options.min_free_bytes, options.reserve_bytes}) {}

Spool::~Spool() { close(); }

void Spool::commit_async(Envelope envelope, std::string content, CommitCallback done,
                         CommitKind kind) {
  bool preassigned = !envelope.queue_id.empty();
  if (!preassigned) envelope.queue_id = ids_.next();  // now: arrival order is call order
  std::string id = envelope.queue_id;
  submit(CommitOp{std::move(envelope), std::move(content), preassigned,
                  kind == CommitKind::ClientMail},
         [id = std::move(id), done = std::move(done)](std::error_code ec) {
           done(ec, ec ? std::string() : id);
         });
}

void Spool::stage_chunk_async(std::string queue_id, uint32_t index, std::string bytes,
                              DoneCallback done) {
  submit(StageChunkOp{std::move(queue_id), index, std::move(bytes)}, std::move(done));
}

void Spool::commit_staged_async(Envelope envelope, std::string head, StagedContent staged,
                                CommitCallback done) {
  std::string id = envelope.queue_id;
  submit(CommitOp{std::move(envelope), std::move(head), true, true, staged},
         [id = std::move(id), done = std::move(done)](std::error_code ec) {
           done(ec, ec ? std::string() : id);
         });
}

std::string Spool::commit_staged(Envelope envelope, std::string head, StagedContent staged) {
  std::string id = envelope.queue_id;
  submit_and_wait(CommitOp{std::move(envelope), std::move(head), true, true, staged}, "commit " + id);
  return id;
}

void Spool::discard_staged_async(std::string queue_id, uint32_t chunks, DoneCallback done) {
  submit(DiscardStagedOp{std::move(queue_id), chunks}, std::move(done));
}

void Spool::update_recipient_async(std::string queue_id, uint32_t index, RecipientStatus status,
                                   DoneCallback done) {
  submit(UpdateRecipientOp{std::move(queue_id), index, std::move(status)}, std::move(done));
}

void Spool::reclassify_async(std::string queue_id, std::string pool,
                             std::vector<std::string> reasons, bool hold_for_dns,
                             DoneCallback done) {
  submit(ReclassifyOp{std::move(queue_id), std::move(pool), std::move(reasons), hold_for_dns},
         std::move(done));
}

void Spool::reclassify(std::string queue_id, std::string pool, std::vector<std::string> reasons,
                       bool hold_for_dns) {
  std::string what = "reclassify " + queue_id;
  submit_and_wait(
      ReclassifyOp{std::move(queue_id), std::move(pool), std::move(reasons), hold_for_dns}, what);
}

void Spool::remove_async(std::string queue_id, DoneCallback done) {
  submit(RemoveOp{std::move(queue_id)}, std::move(done));
}

void Spool::put_meta_async(std::string name, std::string value, DoneCallback done) {
  submit(MetaOp{std::move(name), std::move(value)}, std::move(done));
}

void Spool::submit_and_wait(SpoolOp op, const std::string& what) {
  if (committer_.on_committer_thread())
    throw std::logic_error("blocking spool call from a spool callback would deadlock");
  std::promise<std::error_code> result;
  submit(std::move(op), [&result](std::error_code ec) { result.set_value(ec); });
  if (std::error_code ec = result.get_future().get())
    throw SpoolError(ec, "spool " + path() + ": " + what);
}

std::string Spool::commit(Envelope envelope, std::string content) {
  bool preassigned = !envelope.queue_id.empty();
  if (!preassigned) envelope.queue_id = ids_.next();
  std::string id = envelope.queue_id;
  submit_and_wait(CommitOp{std::move(envelope), std::move(content), preassigned}, "commit " + id);
  return id;
}

void Spool::update_recipient(std::string queue_id, uint32_t index, RecipientStatus status) {
  std::string what = "update " + queue_id + " recipient " + std::to_string(index);
  submit_and_wait(UpdateRecipientOp{std::move(queue_id), index, std::move(status)}, what);
}

void Spool::remove(std::string queue_id) {
  std::string what = "remove " + queue_id;
  submit_and_wait(RemoveOp{std::move(queue_id)}, what);
}

void Spool::put_meta(std::string name, std::string value) {
  std::string what = "put meta " + name;
  submit_and_wait(MetaOp{std::move(name), std::move(value)}, what);
}

void Spool::erase_meta(std::string name) {
  std::string what = "erase meta " + name;
  submit_and_wait(MetaOp{std::move(name), std::nullopt}, what);
}

}  // namespace poolgate
