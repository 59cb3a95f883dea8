// The one-writer rule, with a name on it. RocksDB's own LOCK file already keeps
// a second writer out, but its error ("While lock file: .../LOCK: Resource
// temporarily unavailable") names no process. poolgate takes an flock on
// <spool>/poolgate.pid first and writes its pid there, so the second opener
// can say who holds the spool. The lock dies with the process (kill -9
// included), so a stale pid in the file is never reported: the pid is read
// only while somebody holds the lock.
#pragma once

#include <string>

namespace poolgate {

class SpoolLock {
 public:
  // Throws OperatorError "spool DIR is in use by another poolgate (pid N)..."
  static SpoolLock acquire(const std::string& dir);

  SpoolLock(SpoolLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  SpoolLock& operator=(SpoolLock&&) = delete;
  SpoolLock(const SpoolLock&) = delete;
  ~SpoolLock();

  static constexpr const char* kFileName = "poolgate.pid";

 private:
  explicit SpoolLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace poolgate
