// Pins only work on a bpf filesystem, and Debian does not mount one at
// /sys/fs/bpf by default. Before pinning, make sure the pin path lives on bpffs.
#pragma once

#include <optional>
#include <string>

namespace poolgate {

inline constexpr const char* kBpffsMountPoint = "/sys/fs/bpf";

// True when `path` (which must exist) is on a bpf filesystem.
bool is_on_bpffs(const std::string& path);

// Ensures the directory `pin_path` will be created in is on bpffs. When the pin
// path is under /sys/fs/bpf and nothing is mounted there, mounts bpffs and
// returns a notice saying so (for the operator: add it to /etc/fstab). Throws
// OperatorError with the command to run when that fails or the pin path is
// elsewhere and not on bpffs.
std::optional<std::string> ensure_bpffs(const std::string& pin_path);

}  // namespace poolgate
