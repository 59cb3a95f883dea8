#include "kernel/attach.h"

#include "common/operator_error.h"
#include "kernel/bpffs.h"
#include "kernel/data_plane.h"
#include "kernel/pins.h"
#include "kernel/preflight.h"
#include "kernel/tc_hook.h"
#include "kernel/xdp_hook.h"
#include "poolgate_maps.h"

#include <bpf/bpf.h>
#include <net/if.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <optional>
#include <vector>

namespace poolgate {

namespace {

struct Interface {
  std::string name;
  uint32_t ifindex = 0;
};

// pg1_attach as ifindex -> PG_ATTACH_* flags; empty for an invalid fd.
std::map<uint32_t, uint32_t> read_attachments(int fd) {
  std::map<uint32_t, uint32_t> out;
  uint32_t key = 0, next = 0;
  const void* prev = nullptr;
  while (fd >= 0 && bpf_map_get_next_key(fd, prev, &next) == 0) {
    pg_attachment value{};
    if (bpf_map_lookup_elem(fd, &next, &value) == 0) out[next] = value.flags;
    key = next;
    prev = &key;
  }
  return out;
}

void record(int fd, uint32_t ifindex, uint32_t flags) {
  const pg_attachment value{flags};
  if (bpf_map_update_elem(fd, &ifindex, &value, BPF_ANY) != 0)
    throw OperatorError(std::string("cannot write BPF map " PG_MAP_ATTACH ": ") +
                        std::strerror(errno));
}

// Every configured interface, resolved before anything is attached, so a typo
// fails the whole attach instead of leaving it half done.
std::vector<Interface> resolve_interfaces(const Config& config) {
  std::vector<Interface> out;
  for (const std::string& name : config.kernel.interfaces) {
    const uint32_t ifindex = if_nametoindex(name.c_str());
    if (ifindex == 0)
      throw OperatorError("interface " + name + " (kernel.interfaces) does not exist");
    out.push_back({name, ifindex});
  }
  return out;
}

InterfaceAttached attach_interface(const DataPlane& plane, const Interface& iface,
                                   uint32_t recorded, XdpMode mode) {
  const int attach_map = plane.maps().attach;
  // A record is only trusted while our filter is still there: an interface that
  // was deleted and re-created (maybe with a foreign clsact) starts afresh.
  const bool ours_before = (recorded & PG_ATTACH_TC) && tc_egress_attached(iface.ifindex);
  const bool created_earlier = ours_before && (recorded & PG_ATTACH_CREATED_CLSACT);

  const TcAttachResult tc = tc_attach_egress(iface.ifindex, iface.name, plane.tc_prog_fd());
  uint32_t flags = PG_ATTACH_TC;
  if (tc.created_clsact || created_earlier) flags |= PG_ATTACH_CREATED_CLSACT;
  record(attach_map, iface.ifindex, flags);  // before XDP, so a failure there is undoable

  const bool native = xdp_attach(iface.ifindex, iface.name, plane.xdp_prog_fd(), mode);
  flags |= PG_ATTACH_XDP | (native ? PG_ATTACH_XDP_NATIVE : 0);
  record(attach_map, iface.ifindex, flags);

  using Clsact = InterfaceAttached::Clsact;
  return {iface.name,
          tc.created_clsact ? Clsact::Created
          : created_earlier ? Clsact::CreatedEarlier
                            : Clsact::Existing,
          native};
}

// Removes what poolgate put on one interface.
InterfaceDetached detach_interface(uint32_t ifindex, uint32_t recorded) {
  InterfaceDetached done{ifindex};
  char name[IF_NAMESIZE] = {};
  if (if_indextoname(ifindex, name) == nullptr) return done;  // gone: nothing to remove
  done.name = name;
  done.tc = tc_detach_egress(ifindex);
  done.clsact = (recorded & PG_ATTACH_CREATED_CLSACT) && tc_destroy_clsact(ifindex);
  done.xdp = xdp_detach(ifindex);
  return done;
}

}  // namespace

BpfAttachReport bpf_attach(const Config& config) {
  preflight_check();
  BpfAttachReport report;
  report.pin_path = config.kernel.pin_path;
  if (std::optional<std::string> notice = ensure_bpffs(report.pin_path))
    report.notices.push_back(std::move(*notice));
  const std::vector<Interface> interfaces = resolve_interfaces(config);

  DataPlane plane(report.pin_path);
  sync_maps(plane.maps(), config);
  std::map<uint32_t, uint32_t> recorded = read_attachments(plane.maps().attach);
  for (const Interface& iface : interfaces) {
    report.attached.push_back(
        attach_interface(plane, iface, recorded[iface.ifindex], config.kernel.xdp_mode));
    recorded.erase(iface.ifindex);
  }
  // What is left was attached earlier on interfaces no longer configured.
  for (const auto& [ifindex, flags] : recorded) {
    report.detached.push_back(detach_interface(ifindex, flags));
    bpf_map_delete_elem(plane.maps().attach, &ifindex);
  }
  return report;
}

BpfDetachReport bpf_detach(const Config& config) {
  check_capabilities();
  BpfDetachReport report;
  report.pin_path = config.kernel.pin_path;
  std::map<uint32_t, uint32_t> targets =
      read_attachments(open_pinned_map(report.pin_path, PG_MAP_ATTACH).get());
  for (const std::string& name : config.kernel.interfaces) {
    // Configured but unrecorded: remove our programs by name, keep any clsact.
    if (const uint32_t ifindex = if_nametoindex(name.c_str()); ifindex != 0)
      targets.try_emplace(ifindex, 0);
  }
  for (const auto& [ifindex, flags] : targets)
    report.detached.push_back(detach_interface(ifindex, flags));
  report.unpinned = unpin_all(report.pin_path);
  return report;
}

}  // namespace poolgate
