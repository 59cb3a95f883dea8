#include "kernel/xdp_hook.h"

#include "common/operator_error.h"
#include "kernel/libbpf_opts.h"
#include "kernel/prog_info.h"
#include "poolgate_maps.h"

#include <bpf/libbpf.h>
#include <linux/if_link.h>

#include <cstring>
#include <vector>

namespace poolgate {

namespace {

bool is_ours(uint32_t id) { return id != 0 && prog_name_by_id(id) == PG_PROG_XDP_INGRESS; }

void refuse_foreign(const XdpProgIds& ids, const std::string& ifname) {
  const std::pair<uint32_t, const char*> attached[] = {
      {ids.native, "native"}, {ids.generic, "generic"}, {ids.offload, "offload"}};
  for (const auto& [id, mode] : attached) {
    if (id == 0 || is_ours(id)) continue;
    throw OperatorError(ifname + " already has XDP program '" + prog_name_by_id(id) + "' (id " +
                        std::to_string(id) + ") attached in " + mode +
                        " mode; poolgate does not replace other programs: detach it first "
                        "(`ip link set dev " + ifname + " xdp off`)");
  }
}

}  // namespace

XdpProgIds xdp_prog_ids(int ifindex) {
  auto opts = libbpf_opts<bpf_xdp_query_opts>();
  if (bpf_xdp_query(ifindex, 0, &opts) != 0) return {};
  return XdpProgIds{opts.drv_prog_id, opts.skb_prog_id, opts.hw_prog_id};
}

bool xdp_attach(int ifindex, const std::string& ifname, int prog_fd, XdpMode mode) {
  XdpProgIds ids = xdp_prog_ids(ifindex);
  refuse_foreign(ids, ifname);

  std::vector<uint32_t> modes;
  if (mode != XdpMode::Generic) modes.push_back(XDP_FLAGS_DRV_MODE);
  if (mode != XdpMode::Native) modes.push_back(XDP_FLAGS_SKB_MODE);
  int err = 0;
  for (uint32_t flags : modes) {
    // The kernel refuses native and generic at once: move ours out of the way.
    const bool native = flags == XDP_FLAGS_DRV_MODE;
    uint32_t& other = native ? ids.generic : ids.native;
    if (other != 0) {
      bpf_xdp_detach(ifindex, native ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE, nullptr);
      other = 0;
    }
    err = bpf_xdp_attach(ifindex, prog_fd, flags, nullptr);
    if (err == 0) return native;
  }
  const char* wanted = mode == XdpMode::Native    ? "native"
                       : mode == XdpMode::Generic ? "generic"
                                                  : "native or generic";
  const char* hint = mode == XdpMode::Native
                         ? " (kernel.xdp_mode = \"auto\" falls back to generic mode)"
                         : "";
  throw OperatorError("cannot attach the XDP program to " + ifname + " in " + wanted +
                      " mode: " + std::strerror(-err) + hint);
}

bool xdp_detach(int ifindex) {
  const XdpProgIds ids = xdp_prog_ids(ifindex);
  bool detached = false;
  if (is_ours(ids.native))
    detached |= bpf_xdp_detach(ifindex, XDP_FLAGS_DRV_MODE, nullptr) == 0;
  if (is_ours(ids.generic))
    detached |= bpf_xdp_detach(ifindex, XDP_FLAGS_SKB_MODE, nullptr) == 0;
  return detached;
}

}  // namespace poolgate
