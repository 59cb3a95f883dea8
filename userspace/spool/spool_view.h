// Reading a spool: shared by Spool (the writer) and ReadOnlySpool (the CLI
// beside a running daemon), so both see messages the same way. Each call reads
// one consistent state of the database: a message is either there with its
// envelope, every recipient status and every content chunk, or not at all.
#pragma once

#include "mail/envelope.h"
#include "spool/spool_db.h"

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace poolgate {

class SpoolView {
 public:
  virtual ~SpoolView() = default;

  const std::string& path() const { return db_->path(); }

  // The envelope with every recipient's current status, or nullopt.
  std::optional<Envelope> load_envelope(std::string_view queue_id) const;

  // Streams the content chunk by chunk without copying it; false when there is
  // no such message. Throws SpoolError(corrupt) when a chunk is missing or the
  // size disagrees with the envelope (after streaming what it had).
  bool read_content(std::string_view queue_id,
                    const std::function<void(std::string_view chunk)>& sink) const;
  std::optional<std::string> load_content(std::string_view queue_id) const;

  // One content chunk (0, 1, ...), for delivery to pull a message a chunk at a
  // time (delivery/spool_content_source.h); nullopt past the last chunk or when
  // the message is gone. The reader checks the total against Envelope::size.
  std::optional<std::string> read_chunk(std::string_view queue_id, uint32_t index) const;

  // Every message still in the spool (delivered or bounced messages are
  // removed, so these are the unfinished ones), oldest first, for recovery at
  // startup. Recipients whose final state is recorded but whose message was not
  // removed yet are included as they are: the delivery engine finishes them.
  // A record that does not decode is skipped and described in `problems` (or
  // logged): one bad record must not keep every other message from delivery.
  std::vector<Envelope> load_unfinished(std::vector<std::string>* problems = nullptr) const;

  // Named records in the meta family (classification decisions, sender-limit
  // counters...). Names under "spool/" are the spool's own.
  std::optional<std::string> get_meta(std::string_view name) const;
  std::vector<std::pair<std::string, std::string>> list_meta(std::string_view prefix) const;

  // A full consistency scan: envelopes that do not decode, missing or extra
  // chunks and statuses, content size mismatches, chunks or statuses without an
  // envelope (except the staged chunks of a message still arriving). Empty
  // when the spool is sound.
  std::vector<std::string> check() const;

  // RocksDB's memory: memtables (writes not yet flushed to SST files; bounded
  // by the families' write_buffer_size, see spool_db.cpp) and the block
  // cache. For metrics, and for telling the queue's own memory from the
  // database's in `make bench`.
  struct MemoryUsage {
    uint64_t memtables = 0;
    uint64_t block_cache = 0;
  };
  MemoryUsage memory_usage() const;

 protected:
  explicit SpoolView(std::unique_ptr<SpoolDb> db) : db_(std::move(db)) {}
  SpoolDb& db() const { return *db_; }

 private:
  std::unique_ptr<SpoolDb> db_;
};

// A read-only spool (Spool::open_read_only): safe while a daemon writes the
// same spool. To delete or change messages of a running daemon, ask the daemon
// (its control socket); with no daemon running, open the spool read-write.
class ReadOnlySpool : public SpoolView {
 public:
  explicit ReadOnlySpool(std::unique_ptr<SpoolDb> db) : SpoolView(std::move(db)) {}
  // Picks up what the writer committed since the open or the last refresh.
  // Not concurrently with reads on the same object.
  void refresh() { db().catch_up(); }
};

}  // namespace poolgate
