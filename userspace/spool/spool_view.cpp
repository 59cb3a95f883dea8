#include "spool/spool_view.h"

#include "spool/errors.h"
#include "spool/keys.h"
#include "spool/records.h"
#include "spool/tlv.h"

#include <rocksdb/db.h>
#include <spdlog/spdlog.h>

#include <set>

namespace poolgate {
namespace {

using IteratorPtr = std::unique_ptr<rocksdb::Iterator>;

std::string_view view(const rocksdb::Slice& s) { return {s.data(), s.size()}; }

// Iterators over several families that all read the same state of the
// database (RocksDB pins one sequence number for them).
std::vector<IteratorPtr> consistent_iterators(const SpoolDb& db,
                                              std::vector<rocksdb::ColumnFamilyHandle*> families) {
  std::vector<rocksdb::Iterator*> raw;
  db.check(db.db().NewIterators(rocksdb::ReadOptions(), families, &raw), "reading");
  std::vector<IteratorPtr> out;
  for (auto* it : raw) out.emplace_back(it);
  return out;
}

// Visits the <queue_id><index> keys of one message: seeks to the first one and
// stops at the first key of another message.
template <class Visit>
void for_each_indexed(const SpoolDb& db, rocksdb::Iterator& it, std::string_view queue_id,
                      Visit visit) {
  for (it.Seek(spool_keys::indexed(queue_id, 0)); it.Valid(); it.Next()) {
    std::string_view id;
    uint32_t index;
    if (!spool_keys::split_indexed(view(it.key()), id, index) || id != queue_id) break;
    visit(index, view(it.value()));
  }
  db.check(it.status(), "reading message " + std::string(queue_id));
}

// Builds the Envelope of one message from its record and recipient statuses.
// A missing or undecodable status leaves that recipient Queued (delivering
// twice beats never delivering) and is reported in `problems`.
Envelope assemble(const SpoolDb& db, std::string_view queue_id, EnvelopeRecord record,
                  rocksdb::Iterator& statuses, std::vector<std::string>& problems) {
  Envelope e = std::move(record.envelope);
  e.queue_id = queue_id;
  std::vector<bool> seen(e.recipients.size());
  std::string where = "message " + e.queue_id + ": recipient ";
  for_each_indexed(db, statuses, queue_id, [&](uint32_t index, std::string_view value) {
    if (index >= e.recipients.size()) {
      problems.push_back(where + std::to_string(index) + ": status without recipient");
      return;
    }
    try {
      decode_status(value).apply_to(e.recipients[index]);
      seen[index] = true;
    } catch (const RecordError& err) {
      problems.push_back(where + std::to_string(index) + ": " + err.what());
    }
  });
  for (size_t i = 0; i < seen.size(); ++i)
    if (!seen[i]) problems.push_back(where + std::to_string(i) + ": status missing");
  return e;
}

// Streams one message's chunks from `content`, checking them against its
// envelope record: every chunk present, in order, and the sizes adding up.
void stream_chunks(const SpoolDb& db, rocksdb::Iterator& content, const std::string& queue_id,
                   const EnvelopeRecord& record,
                   const std::function<void(std::string_view)>& sink) {
  auto fail = [&](const std::string& why) {
    throw SpoolError(SpoolErrc::corrupt,
                     "spool " + db.path() + ": message " + queue_id + ": " + why);
  };
  uint32_t expected = 0;
  uint64_t bytes = 0;
  for_each_indexed(db, content, queue_id, [&](uint32_t index, std::string_view chunk) {
    if (index != expected) fail("content chunk " + std::to_string(expected) + " missing");
    ++expected;
    bytes += chunk.size();
    sink(chunk);
  });
  if (expected != record.content_chunks || bytes != record.envelope.size)
    fail("content has " + std::to_string(expected) + " chunks, " + std::to_string(bytes) +
         " bytes; the envelope says " + std::to_string(record.content_chunks) + ", " +
         std::to_string(record.envelope.size));
}

SpoolError corrupt_record(const SpoolDb& db, std::string_view queue_id, const RecordError& err) {
  return SpoolError(SpoolErrc::corrupt, "spool " + db.path() + ": message " +
                                            std::string(queue_id) + ": " + err.what());
}

// Seeks `envelopes` to the message and decodes its record; nullopt when the
// message is not there.
std::optional<EnvelopeRecord> find_record(const SpoolDb& db, rocksdb::Iterator& envelopes,
                                          std::string_view queue_id) {
  envelopes.Seek(rocksdb::Slice(queue_id.data(), queue_id.size()));
  db.check(envelopes.status(), "reading message " + std::string(queue_id));
  if (!envelopes.Valid() || view(envelopes.key()) != queue_id) return std::nullopt;
  try {
    return decode_envelope(view(envelopes.value()));
  } catch (const RecordError& err) {
    throw corrupt_record(db, queue_id, err);
  }
}

void report(std::vector<std::string>& found, std::vector<std::string>* problems,
            const std::string& path) {
  if (problems) {
    problems->insert(problems->end(), found.begin(), found.end());
    return;
  }
  for (const auto& p : found) spdlog::error("spool {}: {}", path, p);
}

}  // namespace

std::optional<Envelope> SpoolView::load_envelope(std::string_view queue_id) const {
  auto its = consistent_iterators(*db_, {db_->envelopes(), db_->recipients()});
  std::optional<EnvelopeRecord> record = find_record(*db_, *its[0], queue_id);
  if (!record) return std::nullopt;
  std::vector<std::string> problems;
  Envelope e = assemble(*db_, queue_id, std::move(*record), *its[1], problems);
  report(problems, nullptr, path());
  return e;
}

bool SpoolView::read_content(std::string_view queue_id,
                             const std::function<void(std::string_view)>& sink) const {
  auto its = consistent_iterators(*db_, {db_->envelopes(), db_->content()});
  std::optional<EnvelopeRecord> record = find_record(*db_, *its[0], queue_id);
  if (!record) return false;
  stream_chunks(*db_, *its[1], std::string(queue_id), *record, sink);
  return true;
}

std::optional<std::string> SpoolView::load_content(std::string_view queue_id) const {
  std::string content;
  if (!read_content(queue_id, [&](std::string_view chunk) { content.append(chunk); }))
    return std::nullopt;
  return content;
}

std::optional<std::string> SpoolView::read_chunk(std::string_view queue_id,
                                                 uint32_t index) const {
  std::string key = spool_keys::indexed(queue_id, index);
  std::string value;
  auto s = db_->db().Get(rocksdb::ReadOptions(), db_->content(), key, &value);
  if (s.IsNotFound()) return std::nullopt;
  db_->check(s, "reading message " + std::string(queue_id));
  return value;
}

std::vector<Envelope> SpoolView::load_unfinished(std::vector<std::string>* problems) const {
  auto its = consistent_iterators(*db_, {db_->envelopes(), db_->recipients()});
  std::vector<Envelope> out;
  std::vector<std::string> found;
  for (its[0]->SeekToFirst(); its[0]->Valid(); its[0]->Next()) {
    std::string_view id = view(its[0]->key());
    try {
      out.push_back(assemble(*db_, id, decode_envelope(view(its[0]->value())), *its[1], found));
    } catch (const RecordError& err) {
      found.push_back("message " + std::string(id) + ": " + err.what() + " (skipped)");
    }
  }
  db_->check(its[0]->status(), "scanning envelopes");
  report(found, problems, path());
  return out;
}

std::optional<std::string> SpoolView::get_meta(std::string_view name) const {
  std::string value;
  auto s = db_->db().Get(rocksdb::ReadOptions(), db_->meta(),
                         rocksdb::Slice(name.data(), name.size()), &value);
  if (s.IsNotFound()) return std::nullopt;
  db_->check(s, "reading meta " + std::string(name));
  return value;
}

std::vector<std::pair<std::string, std::string>> SpoolView::list_meta(
    std::string_view prefix) const {
  auto its = consistent_iterators(*db_, {db_->meta()});
  std::vector<std::pair<std::string, std::string>> out;
  for (its[0]->Seek(rocksdb::Slice(prefix.data(), prefix.size()));
       its[0]->Valid() && view(its[0]->key()).starts_with(prefix); its[0]->Next())
    out.emplace_back(its[0]->key().ToString(), its[0]->value().ToString());
  db_->check(its[0]->status(), "listing meta");
  return out;
}

std::vector<std::string> SpoolView::check() const {
  auto its = consistent_iterators(
      *db_, {db_->envelopes(), db_->recipients(), db_->content(), db_->meta()});
  std::vector<std::string> problems;
  std::set<std::string, std::less<>> ids;
  // Messages still arriving (a live spool): their staged chunks have no
  // envelope yet, by design (keys.h).
  std::set<std::string, std::less<>> staging;
  const std::string_view prefix = spool_keys::kStagingMetaPrefix;
  for (its[3]->Seek(rocksdb::Slice(prefix.data(), prefix.size()));
       its[3]->Valid() && view(its[3]->key()).starts_with(prefix); its[3]->Next())
    staging.insert(std::string(view(its[3]->key()).substr(prefix.size())));
  db_->check(its[3]->status(), "listing staged messages");
  for (its[0]->SeekToFirst(); its[0]->Valid(); its[0]->Next()) {
    std::string id = its[0]->key().ToString();
    ids.insert(id);
    try {
      EnvelopeRecord record = decode_envelope(view(its[0]->value()));
      stream_chunks(*db_, *its[2], id, record, [](std::string_view) {});
      assemble(*db_, id, std::move(record), *its[1], problems);
    } catch (const RecordError& err) {
      problems.push_back("message " + id + ": " + err.what());
    } catch (const SpoolError& err) {
      problems.push_back(err.what());
    }
  }
  db_->check(its[0]->status(), "scanning envelopes");
  // Statuses and chunks whose envelope is gone: a remove that was not atomic.
  for (size_t family : {1, 2}) {
    for (its[family]->SeekToFirst(); its[family]->Valid(); its[family]->Next()) {
      std::string_view id;
      uint32_t index;
      if (!spool_keys::split_indexed(view(its[family]->key()), id, index))
        problems.push_back("malformed key " + its[family]->key().ToString(true));
      else if (!ids.contains(id) && !(family == 2 && staging.contains(id)))
        problems.push_back("message " + std::string(id) + ": " +
                           (family == 1 ? "status" : "content chunk") + " " +
                           std::to_string(index) + " without an envelope");
    }
    db_->check(its[family]->status(), "scanning");
  }
  return problems;
}

SpoolView::MemoryUsage SpoolView::memory_usage() const {
  MemoryUsage usage;
  rocksdb::DB& db = db_->db();
  db.GetAggregatedIntProperty(rocksdb::DB::Properties::kCurSizeAllMemTables, &usage.memtables);
  db.GetAggregatedIntProperty(rocksdb::DB::Properties::kBlockCacheUsage, &usage.block_cache);
  return usage;
}

}  // namespace poolgate
