// Opening the RocksDB database behind a spool, in one of two modes:
//
//   read-write  the daemon, or the CLI when no daemon runs: takes the spool
//               lock (spool_lock.h), creates the directory and families
//   secondary   read-only, safe while a writer holds the spool (see
//               open_secondary); sees what the writer had made durable when it
//               opened, and more after catch_up()
//
// Everything an operator has to fix (not a directory, somebody else's files,
// corruption, in use) becomes an OperatorError naming the path and what to do.
#pragma once

#include "spool/spool_lock.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
class Status;
}  // namespace rocksdb

namespace poolgate {

class SpoolDb {
 public:
  static std::unique_ptr<SpoolDb> open_read_write(const std::string& path);

  // RocksDB offers two read-only openers. OpenForReadOnly replays the WAL once
  // at open, but its own documentation calls a concurrent read-write opener
  // undefined behaviour (the writer deletes WAL and SST files under it).
  // OpenAsSecondary is built for that case: it keeps every file it opened and
  // tails the writer's MANIFEST and WAL on catch_up(). Both saw a live
  // writer's synced messages in spool_process_test; the secondary is the one
  // that is supposed to. Its info log goes to a private directory under /tmp,
  // removed on close, so a reader needs no write access to the spool.
  static std::unique_ptr<SpoolDb> open_secondary(const std::string& path);

  ~SpoolDb();
  SpoolDb(const SpoolDb&) = delete;
  SpoolDb& operator=(const SpoolDb&) = delete;

  rocksdb::DB& db() const { return *db_; }
  rocksdb::ColumnFamilyHandle* envelopes() const { return handles_[0]; }
  rocksdb::ColumnFamilyHandle* content() const { return handles_[1]; }
  rocksdb::ColumnFamilyHandle* recipients() const { return handles_[2]; }
  rocksdb::ColumnFamilyHandle* meta() const { return handles_[3]; }
  const std::string& path() const { return path_; }
  bool read_only() const { return !lock_.has_value(); }

  // Secondary only: pick up what the writer committed since open / last call.
  void catch_up();

  // Throws SpoolError "spool PATH: what: status" unless status is ok.
  void check(const rocksdb::Status& status, const std::string& what) const;

 private:
  explicit SpoolDb(std::string path) : path_(std::move(path)) {}
  void check_format();

  std::string path_;
  std::optional<SpoolLock> lock_;  // declared first: released after the DB closes
  std::string secondary_dir_;
  rocksdb::DB* db_ = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;  // ours first, in the order above
};

}  // namespace poolgate
