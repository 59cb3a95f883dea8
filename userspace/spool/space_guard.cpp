#include "spool/space_guard.h"

#include <fcntl.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>
#include <limits>

namespace poolgate {
namespace {

// What one batch may need beyond its own bytes: WAL record headers, a new WAL
// file's first block, the MANIFEST line of a flush.
constexpr uint64_t kSlack = 1 << 20;

}  // namespace

SpaceGuard::SpaceGuard(std::string directory, uint64_t min_free_bytes, uint64_t reserve_bytes)
    : directory_(std::move(directory)),
      reserve_path_(directory_ + "/" + kReserveFile),
      min_free_(min_free_bytes),
      reserve_bytes_(reserve_bytes) {
  // A reserve left by an earlier run counts as held: it is ours to give back.
  reserve_held_ = reserve_bytes_ > 0 && ::access(reserve_path_.c_str(), F_OK) == 0;
  keep_reserve();
}

uint64_t SpaceGuard::available() {
  struct statvfs st {};
  if (::statvfs(directory_.c_str(), &st) != 0)
    return last_available_ = std::numeric_limits<uint64_t>::max();
  return last_available_ = uint64_t(st.f_bavail) * st.f_frsize;
}

bool SpaceGuard::room_for_new_mail(uint64_t bytes) {
  return available() >= bytes + kSlack + min_free_;
}

bool SpaceGuard::room_for(uint64_t bytes) {
  if (available() >= bytes + kSlack) return true;
  if (!reserve_held_) return false;
  release_reserve();
  return available() >= bytes + kSlack;
}

void SpaceGuard::release_reserve() {
  if (::unlink(reserve_path_.c_str()) != 0 && errno != ENOENT)
    spdlog::error("spool {}: cannot remove the space reserve {}: {}", directory_, reserve_path_,
                  std::strerror(errno));
  reserve_held_ = false;
  spdlog::warn("spool {}: file system full: released the {} MiB space reserve so that status "
               "updates, removals and DSNs can still be written", directory_,
               reserve_bytes_ >> 20);
}

void SpaceGuard::keep_reserve() {
  if (reserve_held_ || reserve_bytes_ == 0) return;
  // Only with room to spare above min_free: taking the last free bytes back
  // for the reserve would refuse the mail the reserve exists to protect.
  if (available() < reserve_bytes_ + min_free_ + kSlack) return;
  int fd = ::open(reserve_path_.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    spdlog::warn("spool {}: cannot create the space reserve {}: {}", directory_, reserve_path_,
                 std::strerror(errno));
    reserve_bytes_ = 0;  // say it once; run without a reserve
    return;
  }
  // posix_fallocate returns the error instead of setting errno. Real blocks,
  // not a sparse file: removing it must give space back.
  int error = ::posix_fallocate(fd, 0, off_t(reserve_bytes_));
  ::close(fd);
  if (error != 0) {
    ::unlink(reserve_path_.c_str());
    if (error != ENOSPC) {
      spdlog::warn("spool {}: cannot allocate the space reserve: {}", directory_,
                   std::strerror(error));
      reserve_bytes_ = 0;
    }
    return;
  }
  reserve_held_ = true;
}

}  // namespace poolgate
