#include "spool/spool_lock.h"

#include "common/operator_error.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace poolgate {
namespace {

std::string read_holder_pid(int fd) {
  char buf[32] = {};
  ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
  std::string pid(buf, n > 0 ? static_cast<size_t>(n) : 0);
  while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
  return pid.empty() ? "unknown" : pid;
}

}  // namespace

SpoolLock SpoolLock::acquire(const std::string& dir) {
  std::string file = dir + "/" + kFileName;
  int fd = open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0)
    throw OperatorError("cannot open spool lock file " + file + ": " + std::strerror(errno) +
                        ": the spool directory must be writable by the poolgate user");
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    std::string pid = read_holder_pid(fd);
    close(fd);
    if (err == EWOULDBLOCK)
      throw OperatorError("spool " + dir + " is in use by another poolgate (pid " + pid +
                          "): stop it first, or use the read-only commands; messages are "
                          "deleted through the running daemon");
    throw OperatorError("cannot lock " + file + ": " + std::strerror(err));
  }
  std::string pid = std::to_string(getpid()) + "\n";
  if (ftruncate(fd, 0) != 0 || pwrite(fd, pid.data(), pid.size(), 0) < 0) {
    int err = errno;
    close(fd);
    throw OperatorError("cannot write " + file + ": " + std::strerror(err));
  }
  return SpoolLock(fd);
}

SpoolLock::~SpoolLock() {
  // Closing releases the flock; the file stays (unlinking a lock file races
  // with the next opener locking the old inode).
  if (fd_ >= 0) close(fd_);
}

}  // namespace poolgate
