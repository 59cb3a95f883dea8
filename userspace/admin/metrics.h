// GET /metrics: everything the daemon knows about itself, in the Prometheus
// text format, rendered fresh for each scrape from the live objects (no
// second set of counters to drift from the real ones). Families:
//   poolgate_kernel_*     per-pool, per-address and global data-plane
//                         counters, read from the pinned BPF maps (the same
//                         numbers as `poolgate stats` and `bpftool map dump`)
//   poolgate_queue_*      what waits, per pool and recipient domain (the
//                         largest kMaxDomainSeries domains, the rest folded
//                         into domain="_other" so a wide queue cannot blow up
//                         the series count)
//   poolgate_delivery_*   recipients delivered / deferred / bounced per pool,
//                         DSNs generated, open connections
//   poolgate_remote_*     next hops' answers per pool by reply class
//   poolgate_classify_*   decisions by action and pool, reasons by kind
//   poolgate_limits_*     sending limits reached, blocks, releases
//   poolgate_ndr_*        NDRs seen and surge alerts, current surge state
//   poolgate_dns_cache_*  hits, misses, hit ratio
//   poolgate_relay_*, poolgate_spool_*, poolgate_routing_*, poolgate_config_*
// The README's "Metrics" section lists every family.
#pragma once

#include "config/config.h"

#include <cstdint>
#include <string>

namespace poolgate {
class DeliveryEngine;
class RelayServer;
class Spool;
class StatsMaps;
class RouteKeeper;
class Classifier;
class SenderLimits;
class NdrSurgeDetector;
class SpoolCounterStore;
class CachingResolver;


inline constexpr size_t kMaxDomainSeries = 50;

struct DaemonCounters {
  int64_t started_unix = 0;
  uint64_t reloads = 0;         // SIGHUPs that applied a new config
  uint64_t reloads_refused = 0; // SIGHUPs whose config was invalid (old one kept)
};

// What /metrics reads. Any pointer may be null: its families are left out
// (kernel_maps is null with --no-kernel-setup when nothing is pinned, routes
// when the daemon does not keep the routes).
struct MetricSources {
  const Config* config = nullptr;
  const DeliveryEngine* engine = nullptr;
  const Classifier* classifier = nullptr;
  const SenderLimits* limits = nullptr;
  NdrSurgeDetector* surge = nullptr;
  const SpoolCounterStore* counter_store = nullptr;
  const CachingResolver* dns = nullptr;
  const RelayServer* relay = nullptr;
  const Spool* spool = nullptr;
  const RouteKeeper* routes = nullptr;
  const StatsMaps* kernel_maps = nullptr;
  const DaemonCounters* daemon = nullptr;
};

std::string render_metrics(const MetricSources& sources);

}  // namespace poolgate
