// The data plane's life inside `poolgate run` ([daemon] kernel_setup): set up
// at start exactly as `poolgate routes apply` + `poolgate bpf attach` would
// (their reports logged), then kept that way while the daemon runs by two
// parts composed here:
//   - routing/route_keeper.h repairs drift of rules and routes (netlink watch,
//     periodic check, loop guard);
//   - kernel/bpf_presence.h, on the route keeper's periodic pass, looks for
//     the tc/XDP programs on kernel.interfaces: re-attached while privileged,
//     logged once otherwise.
// Shutdown leaves routes and BPF in place: the data plane fails closed
// without the daemon, and the next start reuses it.
//
// After drop_privileges (privileges.h) only CAP_NET_ADMIN is left. That is
// all rules, routes and net sysctls need, so repairs and reconfigure()'s
// routes apply keep working. Loading or attaching BPF programs is no longer
// possible: setup() keeps the pinned maps open, so reconfigure() re-syncs them
// through those fds (map updates need no capability), but a changed
// kernel.interfaces, xdp_mode or pin_path is only logged (restart, or run
// `poolgate bpf attach`).
#pragma once

#include "config/config.h"
#include "kernel/bpf_presence.h"
#include "routing/route_keeper.h"

#include <boost/asio/io_context.hpp>

namespace poolgate {

class KernelKeeper {
 public:
  KernelKeeper(boost::asio::io_context& io, const Config& config);
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

  // Its counters are the poolgate_routing_* metrics.
  const RouteKeeper& routes() const { return routes_; }

 private:
  // The periodic pass over the BPF programs; false when re-attaching failed.
  bool check_bpf();

  const Config* config_;
  RouteKeeper routes_;
  BpfPresence bpf_;
  // Reported and not repairable from here: asking again every period would
  // only repeat libbpf's "cannot find filter chain" on stderr.
  bool bpf_missing_logged_ = false;
};

}  // namespace poolgate
