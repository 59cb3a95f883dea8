// The data plane's life inside `poolgate run` ([daemon] kernel_setup): set up
// at start exactly as `poolgate routes apply` + `poolgate bpf attach` would,
// then kept that way while the daemon runs:
//   - a netlink watch (rule and route groups, IPv4 and IPv6) notices when a
//     poolgate rule or pool-table route is deleted or changed, or when the
//     mirror table's default route changes (DHCP, failover), and re-applies
//     the plan (debounced), logging what it restored;
//   - every [daemon] route_check_s the plan is compared again, in case an
//     event was lost (netlink is not reliable under load: ENOBUFS).
// Shutdown leaves routes and BPF in place: the data plane fails closed
// without the daemon, and the next start reuses it.
//
// A repair is logged at warn level, one line per entry ("routing drift: rule
// `priority 10000 fwmark 0x100/0xfff lookup 100` missing; restored"). The
// events of the repair itself lead to one more comparison that finds nothing.
// Should drift come back right after every repair (something else rewriting
// the same entries), the keeper pauses repairs for 30 s after 5 in a row
// rather than fight at netlink speed.
//
// After drop_privileges (privileges.h) only CAP_NET_ADMIN is left. That is
// all rules, routes and net sysctls need, so repairs and reconfigure()'s
// routes apply keep working. Loading or attaching BPF programs is no longer
// possible: setup() keeps the pinned maps open, so reconfigure() re-syncs them
// through those fds (map updates need no capability), but a changed
// kernel.interfaces, xdp_mode or pin_path is only logged (restart, or run
// `poolgate bpf attach`). The periodic check also looks for the tc/XDP
// programs on kernel.interfaces: re-attached while privileged, logged once
// otherwise.
#pragma once

#include "config/config.h"

#include <boost/asio/io_context.hpp>

#include <cstdint>
#include <memory>

namespace poolgate {

struct KernelKeeperStats {
  uint64_t checks = 0;       // plan comparisons (events and periodic)
  uint64_t repairs = 0;      // comparisons that found drift and re-applied
  uint64_t failures = 0;     // re-applies that failed (logged)
  bool watching = false;     // netlink watch running
};

class KernelKeeper {
 public:
  KernelKeeper(boost::asio::io_context& io, const Config& config);
  ~KernelKeeper();
  KernelKeeper(const KernelKeeper&) = delete;
  KernelKeeper& operator=(const KernelKeeper&) = delete;

  // routes apply + bpf attach, logged. Throws OperatorError (the daemon does
  // not start without its data plane).
  void setup();
  // Starts the netlink watch and the periodic check on the io_context.
  void start();
  // A reload: from now on keep `config` (which outlives this object's use of
  // it); re-applies routes and re-syncs the BPF maps at once.
  void reconfigure(const Config& config);
  void stop();

  KernelKeeperStats stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace poolgate
