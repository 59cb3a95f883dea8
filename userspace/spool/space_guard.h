// Keeping the spool's file system from filling up, the way Postfix's
// queue_minfree does, because a full disk is far worse for RocksDB than a
// refused message: Debian's librocksdb (7.8, built with assertions) aborts the
// process on the write after a failed WAL append, and a flush or compaction
// that hits ENOSPC puts the database in read-only mode. So the group committer
// asks this guard before every batch:
//
//   new mail      (a client's message)  only while the file system keeps
//                 min_free bytes free after the batch; below that the relay
//                 answers 452 4.3.1 and the spool reports "not accepting"
//   everything    (status updates, removals, poolgate's own DSNs) as long as
//   else          the batch fits at all
//
// A full disk caused by somebody else (a log that grew) must still let the
// operator `queue delete`, and the engine record statuses and bounces: for
// that the guard keeps a reserve file (fallocate'd, SPACE-RESERVE in the spool
// directory) and gives its space back when a batch would not fit otherwise.
// It is made again once the file system has room for it above min_free.
#pragma once

#include <cstdint>
#include <string>

namespace poolgate {

class SpaceGuard {
 public:
  static constexpr const char* kReserveFile = "SPACE-RESERVE";

  // min_free_bytes 0: new mail is refused only when it would not fit at all.
  SpaceGuard(std::string directory, uint64_t min_free_bytes, uint64_t reserve_bytes);

  // Bytes the spool's file system has for us (statvfs f_bavail), refreshed
  // by each call. Unknown (statvfs failed): treated as plenty.
  uint64_t available();

  // May a batch of `bytes` with new client mail be written now?
  bool room_for_new_mail(uint64_t bytes);
  // May a batch of `bytes` without new mail be written? Releases the reserve
  // when that makes it fit.
  bool room_for(uint64_t bytes);

  // Re-creates the reserve when there is room for it; cheap when it exists.
  void keep_reserve();

  uint64_t min_free_bytes() const { return min_free_; }
  uint64_t last_available() const { return last_available_; }

 private:
  void release_reserve();

  std::string directory_;
  std::string reserve_path_;
  uint64_t min_free_;
  uint64_t reserve_bytes_;
  bool reserve_held_ = false;
  uint64_t last_available_ = 0;
};

}  // namespace poolgate
