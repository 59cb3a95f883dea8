// Reverse-path filtering on the uplinks, as `routes apply` leaves it.
//
// Strict mode (rp_filter=1) accepts a packet only if the route back to its
// source leaves through the interface it arrived on. That reverse lookup is
// made without poolgate's fwmark (replies are not marked), so it uses the main
// table. When a pool table routes through a different uplink than main does,
// replies to that pool address arrive on an interface strict mode considers
// wrong, and are dropped: connections from that address hang in SYN-SENT.
// Loose mode (2) only requires the source to be routable at all, which keeps
// spoofed-source protection for unroutable sources.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace poolgate {

inline const std::filesystem::path kIpv4ConfDir = "/proc/sys/net/ipv4/conf";

// One uplink whose strict filtering was loosened, and what it was before.
struct RpFilterChange {
  std::string interface;
  int own = 0;  // conf/<interface>/rp_filter before
  int all = 0;  // conf/all/rp_filter
  std::filesystem::path file;
  std::string text() const;  // the line `routes apply` prints
};

// For each interface in `interfaces` that exists (has a directory in
// `conf_dir`) and is filtered strictly, writes 2 to its rp_filter. The kernel
// applies max(conf/all, conf/<if>), so an interface is strict when that
// maximum is 1 (all=1 with if=0 included), and writing 2 to the interface
// makes the maximum 2 whatever `all` is. Returns what it changed; throws
// OperatorError when a value cannot be read or written.
std::vector<RpFilterChange> loosen_strict_rp_filter(
    const std::vector<std::string>& interfaces,
    const std::filesystem::path& conf_dir = kIpv4ConfDir);

}  // namespace poolgate
