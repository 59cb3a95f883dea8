// The BPF half of keeping the data plane while the daemon runs: after `bpf
// attach` it holds the pinned maps open and remembers where the programs went,
// so that later it can
//   - tell which of those interfaces lost poolgate's tc or XDP program (an
//     operator's `tc qdisc del`), and
//   - re-sync the maps on a reload after the privilege drop: updating a map
//     through an fd already held needs no capability, while opening pins,
//     loading or attaching programs would need CAP_BPF/CAP_SYS_ADMIN.
// It decides nothing about logging; the daemon says what these return.
#pragma once

#include "config/config.h"
#include "kernel/pins.h"
#include "kernel/unique_fd.h"

#include <array>
#include <string>
#include <vector>

namespace poolgate {

// Whether this process may still load and attach BPF programs (before the
// privilege drop, or when run without [daemon] user).
bool may_attach_bpf();

// What a reload could do with the held maps after the privilege drop.
struct BpfResync {
  bool maps_synced = false;          // the held maps now carry the new config
  bool pin_path_changed = false;     // not synced: the maps live elsewhere now
  bool attachment_changed = false;   // kernel.interfaces or xdp_mode differ from the attach
};

class BpfPresence {
 public:
  // After a successful bpf_attach(config): opens the pinned maps (throws
  // OperatorError) and remembers the interfaces and the XDP mode.
  void attached(const Config& config);

  // The attached interfaces that still exist but lack poolgate's tc egress or
  // XDP program. Needs no capability: programs are told by their ids.
  std::vector<std::string> missing_programs() const;

  // Syncs the held maps with `config` when its pin path is the attached one.
  BpfResync resync(const Config& config);

 private:
  std::array<UniqueFd, std::tuple_size_v<decltype(kPinnedMaps)>> fds_;  // in kPinnedMaps order
  std::string pin_path_;
  std::vector<std::string> interfaces_;
  XdpMode xdp_mode_{};
  bool holding_ = false;
};

}  // namespace poolgate
