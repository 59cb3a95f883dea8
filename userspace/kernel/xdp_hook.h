// poolgate's XDP ingress program, attached through netlink (not a bpf_link), so
// it stays after poolgate exits. Never replaces another XDP program.
#pragma once

#include "config/config.h"

#include <cstdint>
#include <string>

namespace poolgate {

struct XdpProgIds {
  uint32_t native = 0;   // driver mode
  uint32_t generic = 0;  // skb mode
  uint32_t offload = 0;  // hardware
};

XdpProgIds xdp_prog_ids(int ifindex);

// Attaches (or replaces poolgate's own) XDP program. Auto tries native, then
// generic. Throws OperatorError when another XDP program is attached or no
// requested mode works. Returns true for native, false for generic.
bool xdp_attach(int ifindex, const std::string& ifname, int prog_fd, XdpMode mode);

// Detaches pg_xdp_ingress from whichever mode it is in. True when it did.
bool xdp_detach(int ifindex);

}  // namespace poolgate
