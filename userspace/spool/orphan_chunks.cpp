#include "spool/orphan_chunks.h"

#include "spool/keys.h"
#include "spool/spool_db.h"

#include <rocksdb/db.h>

#include <memory>
#include <string>
#include <vector>

namespace poolgate {

OrphanChunks remove_orphan_chunks(const SpoolDb& db) {
  const std::string prefix(spool_keys::kStagingMetaPrefix);
  rocksdb::ReadOptions read;
  std::vector<std::string> staged;
  std::unique_ptr<rocksdb::Iterator> markers(db.db().NewIterator(read, db.meta()));
  for (markers->Seek(prefix); markers->Valid() && markers->key().starts_with(prefix);
       markers->Next())
    staged.push_back(markers->key().ToString().substr(prefix.size()));
  db.check(markers->status(), "listing staged messages");

  OrphanChunks removed;
  rocksdb::WriteBatch batch;
  std::unique_ptr<rocksdb::Iterator> content(db.db().NewIterator(read, db.content()));
  for (const std::string& id : staged) {
    batch.Delete(db.meta(), spool_keys::staging_marker(id));
    std::string record;
    rocksdb::Status s = db.db().Get(read, db.envelopes(), id, &record);
    if (s.ok()) continue;  // committed after all: its chunks are the message's
    if (!s.IsNotFound()) db.check(s, "reading message " + id);
    ++removed.messages;
    for (content->Seek(spool_keys::indexed(id, 0)); content->Valid(); content->Next()) {
      std::string_view key_id;
      uint32_t index;
      if (!spool_keys::split_indexed(content->key().ToStringView(), key_id, index) ||
          key_id != id)
        break;
      batch.Delete(db.content(), content->key());
      ++removed.chunks;
    }
    db.check(content->status(), "reading message " + id);
  }
  if (batch.Count() > 0) {
    rocksdb::WriteOptions sync;
    sync.sync = true;
    db.check(db.db().Write(sync, &batch), "removing chunks of messages never committed");
  }
  return removed;
}

}  // namespace poolgate
