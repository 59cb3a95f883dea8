// What `bpf attach` and `bpf detach` did, as values (attach.h returns them):
// where the programs went, in which mode, where the maps are pinned, and what
// was removed. lines() is the text the CLI prints and the daemon logs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace poolgate {

// tc egress and XDP ingress on one interface.
struct InterfaceAttached {
  std::string name;
  enum class Clsact { Created, CreatedEarlier, Existing } clsact{};  // the tc qdisc used
  bool xdp_native = false;  // else generic (skb) mode
  std::string text() const;
};

// What came off one interface.
struct InterfaceDetached {
  uint32_t ifindex = 0;
  std::string name;  // empty: the interface no longer exists (skipped)
  bool tc = false;
  bool clsact = false;  // the qdisc poolgate had created
  bool xdp = false;
  std::string text() const;
};

struct BpfAttachReport {
  // Said once, on the side (the CLI's stderr): bpffs had to be mounted.
  std::vector<std::string> notices;
  std::vector<InterfaceAttached> attached;
  std::vector<InterfaceDetached> detached;  // attached earlier, no longer configured
  std::string pin_path;
  std::vector<std::string> lines() const;  // interfaces, then "maps pinned at ..."
};

struct BpfDetachReport {
  std::vector<InterfaceDetached> detached;
  int unpinned = 0;  // maps
  std::string pin_path;
  std::vector<std::string> lines() const;
};

}  // namespace poolgate
