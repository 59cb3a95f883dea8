// Keeps poolgate's rules and routes as planned while the daemon runs (the
// setup itself is `routes apply`, which the daemon calls and logs):
//   - a netlink watch (rule and route groups, IPv4 and IPv6) notices when a
//     poolgate rule or pool-table route is deleted or changed, or when the
//     mirror table's default route changes (DHCP, failover), and re-applies
//     the plan (debounced), logging what it restored;
//   - every [daemon] route_check_s the plan is compared again, in case an
//     event was lost (netlink is not reliable under load: ENOBUFS).
//
// A repair is logged at warn level, one line per entry ("routing drift: rule
// `priority 10000 fwmark 0x100/0xfff lookup 100` missing; restored"). The
// events of the repair itself lead to one more comparison that finds nothing.
// Should drift come back right after every repair (something else rewriting
// the same entries), the keeper pauses repairs for 30 s after 5 in a row
// rather than fight at netlink speed.
//
// Repairs need only CAP_NET_ADMIN (rules, routes, net sysctls), which the
// daemon keeps after dropping its privileges.
#pragma once

#include "config/config.h"

#include <boost/asio/io_context.hpp>

#include <cstdint>
#include <functional>
#include <memory>

namespace poolgate {

struct RouteKeeperStats {
  uint64_t checks = 0;       // plan comparisons (events and periodic)
  uint64_t repairs = 0;      // comparisons that found drift and re-applied
  uint64_t failures = 0;     // re-applies that failed (logged)
  bool watching = false;     // netlink watch running
};

class RouteKeeper {
 public:
  // `config` outlives this object's use of it (until reconfigure or stop).
  RouteKeeper(boost::asio::io_context& io, const Config& config);
  ~RouteKeeper();
  RouteKeeper(const RouteKeeper&) = delete;
  RouteKeeper& operator=(const RouteKeeper&) = delete;

  // Starts the netlink watch and the periodic check on the io_context, after
  // one comparison at once.
  void start();
  // A reload: keep `config` from now on (watched tables, check interval). The
  // caller applies the new plan itself.
  void reconfigure(const Config& config);
  void stop();

  // Runs after every periodic comparison, at the same pace: the daemon looks
  // for its BPF programs there (kernel/bpf_presence.h). It returns false when
  // its own repair failed, which counts with the route repairs' failures.
  void on_periodic(std::function<bool()> also);

  RouteKeeperStats stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace poolgate
