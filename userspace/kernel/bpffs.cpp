#include "kernel/bpffs.h"

#include "common/operator_error.h"

#include <linux/magic.h>
#include <sys/mount.h>
#include <sys/statfs.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace poolgate {

bool is_on_bpffs(const std::string& path) {
  struct statfs st {};
  return ::statfs(path.c_str(), &st) == 0 && st.f_type == BPF_FS_MAGIC;
}

// The pin path's nearest existing ancestor: what the pins' directory will be
// created on (DataPlane creates the missing levels).
static std::filesystem::path existing_ancestor(const std::string& pin_path) {
  std::filesystem::path at = std::filesystem::path(pin_path).lexically_normal().parent_path();
  std::error_code ec;
  while (!at.empty() && at != at.root_path() && !std::filesystem::exists(at, ec))
    at = at.parent_path();
  return at;
}

std::optional<std::string> ensure_bpffs(const std::string& pin_path) {
  namespace fs = std::filesystem;
  if (is_on_bpffs(existing_ancestor(pin_path))) return std::nullopt;

  const fs::path mount_point{kBpffsMountPoint};
  const std::string normal = fs::path(pin_path).lexically_normal().string();
  if (normal.starts_with(mount_point.string() + "/") && !is_on_bpffs(mount_point)) {
    if (::mount("bpf", kBpffsMountPoint, "bpf", 0, "mode=0700") != 0) {
      throw OperatorError(std::string("cannot mount bpffs at ") + kBpffsMountPoint + ": " +
                          std::strerror(errno) + "; run `mount -t bpf bpf " +
                          kBpffsMountPoint + "` (and add it to /etc/fstab)");
    }
    const std::string notice = std::string("poolgate: mounted bpffs at ") + kBpffsMountPoint +
                               " (it was not mounted; add `bpf " + kBpffsMountPoint +
                               " bpf defaults 0 0` to /etc/fstab to keep it across reboots)";
    if (is_on_bpffs(existing_ancestor(pin_path))) return notice;
  }
  throw OperatorError("pin path " + pin_path + " is not on a bpf filesystem; run `mount -t bpf bpf " +
                      kBpffsMountPoint + "` and use a kernel.pin_path under it");
}

}  // namespace poolgate
