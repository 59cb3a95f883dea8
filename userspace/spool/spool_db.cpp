#include "spool/spool_db.h"

#include "common/operator_error.h"
#include "spool/errors.h"
#include "spool/keys.h"

#include <rocksdb/convenience.h>
#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/utilities/table_properties_collectors.h>

#include <stdlib.h>

#include <cerrno>
#include <cstring>

#include <algorithm>
#include <filesystem>

namespace poolgate {
namespace fs = std::filesystem;
namespace {

const std::vector<std::string> kOurFamilies = {spool_keys::kEnvelopes, spool_keys::kContent,
                                               spool_keys::kRecipients, spool_keys::kMeta};
constexpr const char* kFormat = "1";

rocksdb::DBOptions db_options() {
  rocksdb::DBOptions o;
  o.create_if_missing = true;
  o.create_missing_column_families = true;
  o.paranoid_checks = true;
  // A crash (or power loss) mid-write leaves a torn record at the WAL's tail;
  // that write was never acknowledged. Point-in-time recovery replays every
  // record before it and drops the tail; kAbsoluteConsistency would refuse to
  // open instead, which only turns a crash into an outage.
  o.wal_recovery_mode = rocksdb::WALRecoveryMode::kPointInTimeRecovery;
  // Rarely written families (meta) would otherwise keep old WAL files alive.
  o.max_total_wal_size = 256 << 20;
  o.max_background_jobs = 2;
  o.keep_log_file_num = 4;
  o.max_log_file_size = 8 << 20;
  return o;
}

rocksdb::ColumnFamilyOptions family_options(const std::string& name) {
  rocksdb::ColumnFamilyOptions o;
  // Most messages are delivered and deleted within seconds, while their puts
  // are still in the memtable: the flush then drops them, and they never reach
  // an SST file. A large memtable for content makes that the common case.
  o.write_buffer_size = name == spool_keys::kContent ? 64 << 20 : 16 << 20;
  auto supported = rocksdb::GetSupportedCompressions();
  if (std::find(supported.begin(), supported.end(), rocksdb::kLZ4Compression) != supported.end())
    o.compression = rocksdb::kLZ4Compression;  // mail is text: cheap, ~2x
  // A queue deletes everything it writes; SST files full of tombstones slow the
  // startup scan. Compact a file when 64 of any 128 consecutive keys are
  // deletions.
  o.table_properties_collector_factories.push_back(
      rocksdb::NewCompactOnDeletionCollectorFactory(128, 64));
  return o;
}

bool has_current(const std::string& path) {
  std::error_code ec;
  return fs::exists(fs::path(path) / "CURRENT", ec);
}

// A directory without CURRENT may become a spool if it holds nothing, or only
// what an interrupted first open leaves. Database files without CURRENT mean a
// damaged spool (creating a fresh one there would hide accepted mail); any
// other file means the path points at somebody else's directory.
void check_new_spool_directory(const std::string& path) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(path, ec)) {
    std::string name = entry.path().filename();
    if (name == SpoolLock::kFileName || name == "lost+found" || name == "LOCK" ||
        name == "IDENTITY" || name.starts_with("LOG") || name.starts_with("OPTIONS-"))
      continue;
    if (name.starts_with("MANIFEST-") || name.ends_with(".log") || name.ends_with(".sst"))
      throw OperatorError("spool " + path + " has database files but no CURRENT file: it is " +
                          "damaged; keep a copy (cp -a " + path + " " + path + ".broken), then " +
                          "try `ldb --db=" + path + " repair` (Debian package rocksdb-tools)");
    throw OperatorError("spool path " + path + " is not empty and is not a poolgate spool (" +
                        name + "): point relay.spool at an empty directory or an existing spool");
  }
  if (ec) throw OperatorError("cannot read spool directory " + path + ": " + ec.message());
}

void prepare_directory(const std::string& path) {
  std::error_code ec;
  auto status = fs::status(path, ec);
  if (fs::exists(status) && !fs::is_directory(status))
    throw OperatorError("spool path " + path + " exists and is not a directory: point " +
                        "relay.spool at a directory");
  if (!fs::exists(status)) {
    if (!fs::create_directories(path, ec) && ec)
      throw OperatorError("cannot create spool directory " + path + ": " + ec.message() +
                          ": create it, writable by the poolgate user, or fix relay.spool");
    fs::permissions(path, fs::perms::owner_all, ec);  // mail is private
  }
  if (!has_current(path)) check_new_spool_directory(path);
}

[[noreturn]] void open_failed(const std::string& path, const rocksdb::Status& s) {
  // Corruption, or a file the database lists is gone: the spool is damaged.
  if (s.IsCorruption() || s.IsPathNotFound())
    throw OperatorError("spool " + path + " is damaged (" + s.ToString() + "). It holds " +
                        "accepted mail: keep a copy first (cp -a " + path + " " + path +
                        ".broken), then try `ldb --db=" + path + " repair` (Debian package " +
                        "rocksdb-tools), or move it aside to start with an empty spool");
  if (s.IsIOError() && s.ToString().find("lock") != std::string::npos)
    throw OperatorError("spool " + path + " is locked by another process that is not " +
                        "poolgate (" + s.ToString() + "): stop it (ldb?) and retry");
  throw OperatorError("cannot open spool " + path + " (" + s.ToString() + "): check that the " +
                      "directory and its files are readable and writable by the poolgate user");
}

// Our families, then whatever else the database has (a newer poolgate's), so
// opening never fails on an unknown family.
std::vector<rocksdb::ColumnFamilyDescriptor> families(const std::string& path,
                                                      const rocksdb::DBOptions& options) {
  std::vector<std::string> names = kOurFamilies;
  std::vector<std::string> existing;
  if (has_current(path)) {
    auto s = rocksdb::DB::ListColumnFamilies(options, path, &existing);
    if (!s.ok()) open_failed(path, s);
  }
  existing.push_back(rocksdb::kDefaultColumnFamilyName);
  for (const auto& name : existing)
    if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
  std::vector<rocksdb::ColumnFamilyDescriptor> out;
  for (const auto& name : names) out.emplace_back(name, family_options(name));
  return out;
}

}  // namespace

std::unique_ptr<SpoolDb> SpoolDb::open_read_write(const std::string& path) {
  prepare_directory(path);
  std::unique_ptr<SpoolDb> spool(new SpoolDb(path));
  spool->lock_.emplace(SpoolLock::acquire(path));
  rocksdb::DBOptions options = db_options();
  auto s = rocksdb::DB::Open(options, path, families(path, options), &spool->handles_,
                             &spool->db_);
  if (!s.ok()) open_failed(path, s);
  spool->check_format();
  return spool;
}

std::unique_ptr<SpoolDb> SpoolDb::open_secondary(const std::string& path) {
  if (!has_current(path))
    throw OperatorError("no spool at " + path + " (no CURRENT file): check relay.spool");
  std::unique_ptr<SpoolDb> spool(new SpoolDb(path));
  char dir[] = "/tmp/poolgate-spool-reader.XXXXXX";
  if (!mkdtemp(dir)) throw OperatorError(std::string("cannot create a directory in /tmp: ") +
                                         std::strerror(errno));
  spool->secondary_dir_ = dir;
  rocksdb::DBOptions options = db_options();
  options.create_if_missing = false;
  options.create_missing_column_families = false;
  options.max_open_files = -1;  // required: keep files the writer deletes readable
  auto wanted = families(path, options);
  auto s = rocksdb::DB::OpenAsSecondary(options, path, spool->secondary_dir_, wanted,
                                        &spool->handles_, &spool->db_);
  if (!s.ok()) open_failed(path, s);
  if (spool->handles_.size() != wanted.size())  // a family of ours is missing
    throw OperatorError("spool " + path + " lacks poolgate's column families: not a spool");
  spool->check_format();
  return spool;
}

SpoolDb::~SpoolDb() {
  if (db_) {
    for (auto* handle : handles_) db_->DestroyColumnFamilyHandle(handle);
    db_->Close();
    delete db_;
  }
  std::error_code ec;
  if (!secondary_dir_.empty()) fs::remove_all(secondary_dir_, ec);
}

void SpoolDb::catch_up() {
  if (!secondary_dir_.empty()) check(db_->TryCatchUpWithPrimary(), "catching up with the writer");
}

void SpoolDb::check(const rocksdb::Status& status, const std::string& what) const {
  if (!status.ok())
    throw SpoolError(to_error_code(status), "spool " + path_ + ": " + what + ": " +
                                                status.ToString());
}

// The format stamp in meta: written by the first open, checked by every later
// one, so a future incompatible layout is refused by name instead of misread.
void SpoolDb::check_format() {
  std::string format;
  auto s = db_->Get(rocksdb::ReadOptions(), meta(), spool_keys::kFormatMeta, &format);
  if (s.IsNotFound() && !read_only()) {
    rocksdb::WriteOptions sync;
    sync.sync = true;
    check(db_->Put(sync, meta(), spool_keys::kFormatMeta, kFormat), "stamping the format");
    return;
  }
  if (s.IsNotFound()) return;  // a reader of a spool created a moment ago
  check(s, "reading the format");
  if (format != kFormat)
    throw OperatorError("spool " + path_ + " has format " + format + "; this poolgate reads " +
                        "format " + kFormat + ": run the poolgate that wrote it");
}

}  // namespace poolgate
