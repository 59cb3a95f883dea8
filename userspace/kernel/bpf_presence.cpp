#include "kernel/bpf_presence.h"

#include "common/operator_error.h"
#include "common/proc_status.h"
#include "kernel/map_sync.h"
#include "kernel/pins.h"
#include "kernel/preflight.h"
#include "kernel/tc_hook.h"
#include "kernel/xdp_hook.h"
#include "poolgate_maps.h"

#include <net/if.h>

namespace poolgate {

bool may_attach_bpf() {
  try {
    return missing_capabilities(own_capability_set(CapabilitySet::Effective)).empty();
  } catch (const OperatorError&) {
    return false;
  }
}

void BpfPresence::attached(const Config& config) {
  for (size_t i = 0; i < kPinnedMaps.size(); ++i)
    fds_[i] = require_pinned_map(config.kernel.pin_path, kPinnedMaps[i]);
  pin_path_ = config.kernel.pin_path;
  interfaces_ = config.kernel.interfaces;
  xdp_mode_ = config.kernel.xdp_mode;
  holding_ = true;
}

std::vector<std::string> BpfPresence::missing_programs() const {
  std::vector<std::string> missing;
  for (const std::string& name : interfaces_) {
    const unsigned ifindex = ::if_nametoindex(name.c_str());
    if (ifindex == 0) continue;  // gone with its interface; attach on re-creation is bpf attach's
    const XdpProgIds xdp = xdp_prog_ids(static_cast<int>(ifindex));
    // By id, not by name: telling pg_tc_egress from another program needs the
    // program's info, which needs CAP_SYS_ADMIN after the drop. Our handle and
    // priority are poolgate's alone.
    if (tc_egress_prog_id(static_cast<int>(ifindex)) == 0 || (!xdp.native && !xdp.generic))
      missing.push_back(name);
  }
  return missing;
}

BpfResync BpfPresence::resync(const Config& config) {
  BpfResync result;
  result.attachment_changed =
      config.kernel.interfaces != interfaces_ || config.kernel.xdp_mode != xdp_mode_;
  if (!holding_ || config.kernel.pin_path != pin_path_) {
    result.pin_path_changed = true;
    return result;
  }
  auto fd = [&](const char* name) {
    for (size_t i = 0; i < kPinnedMaps.size(); ++i)
      if (std::string(kPinnedMaps[i]) == name) return fds_[i].get();
    return -1;
  };
  sync_maps(MapFds{fd(PG_MAP_SETTINGS), fd(PG_MAP_MARKS), fd(PG_MAP_ADDRS),
                   fd(PG_MAP_POOL_NAMES), fd(PG_MAP_POOL_STATS), fd(PG_MAP_GLOBAL),
                   fd(PG_MAP_ATTACH), fd(PG_MAP_ADDR_STATS)},
            config);
  result.maps_synced = true;
  return result;
}

}  // namespace poolgate
