#include "admin/metrics.h"

#include "admin/prometheus_text.h"
#include "admin/reputation_metrics.h"
#include "classify/classifier.h"
#include "dns/dns_caching_resolver.h"
#include "kernel/stats.h"
#include "limits/ndr_surge.h"
#include "limits/sender_limits.h"
#include "limits/spool_counter_store.h"
#include "queue/delivery_engine.h"
#include "relay/server.h"
#include "routing/route_keeper.h"
#include "spool/spool.h"

#include <spdlog/spdlog.h>

#include <ctime>
#include <map>

namespace poolgate {
namespace {

using Type = PrometheusText::Type;
constexpr Type kCounter = Type::Counter;
constexpr Type kGauge = Type::Gauge;

void daemon_metrics(PrometheusText& m, const DaemonCounters& d) {
  m.family("poolgate_build_info", kGauge, "poolgate's version, as a label; always 1");
  m.sample({{"version", POOLGATE_VERSION}}, uint64_t{1});
  m.single("poolgate_start_time_seconds", kGauge, "When the daemon started (unix time)",
           double(d.started_unix));
  m.family("poolgate_config_reloads_total", kCounter,
           "SIGHUP reloads: applied, or refused because the new config was invalid");
  m.sample({{"result", "applied"}}, d.reloads);
  m.sample({{"result", "refused"}}, d.reloads_refused);
}

void kernel_metrics(PrometheusText& m, const StatsMaps& maps) {
  Stats stats;
  try {
    stats = maps.read();
  } catch (const std::exception& e) {
    spdlog::warn("metrics: kernel counters: {}", e.what());
    m.single("poolgate_kernel_maps_readable", kGauge,
             "1 when the pinned BPF maps could be read for this scrape", uint64_t{0});
    return;
  }
  m.single("poolgate_kernel_maps_readable", kGauge,
           "1 when the pinned BPF maps could be read for this scrape", uint64_t{1});
  struct Field {
    const char* name;  // after poolgate_kernel_pool_ / poolgate_kernel_address_
    const char* pool_help;
    const char* address_help;
    uint64_t TrafficCounters::*member;
  };
  const Field fields[] = {
      {"tx_packets_total", "Packets the pool's addresses sent (tc egress)",
       "Packets the address sent (tc egress)", &TrafficCounters::tx_packets},
      {"tx_bytes_total", "Bytes the pool's addresses sent (tc egress)",
       "Bytes the address sent (tc egress)", &TrafficCounters::tx_bytes},
      {"connections_total", "SMTP connections (SYNs) the pool opened",
       "SMTP connections (SYNs) opened from the address", &TrafficCounters::connections},
      {"leak_drops_total",
       "Pool-marked packets dropped for leaving from an address outside the pool",
       "Packets with the address's mark dropped for leaving from another address",
       &TrafficCounters::leak_drops},
      {"rx_packets_total", "Packets to the pool's addresses (XDP ingress)",
       "Packets to the address (XDP ingress)", &TrafficCounters::rx_packets},
      {"rx_bytes_total", "Bytes to the pool's addresses (XDP ingress)",
       "Bytes to the address (XDP ingress)", &TrafficCounters::rx_bytes},
      {"inbound_syn_drops_total",
       "New inbound TCP connections to the pool's addresses dropped (XDP)",
       "New inbound TCP connections to the address dropped (XDP)",
       &TrafficCounters::inbound_syn_drops},
  };
  for (const Field& field : fields) {
    m.family(std::string("poolgate_kernel_pool_") + field.name, kCounter, field.pool_help);
    for (const PoolStats& pool : stats.pools) m.sample({{"pool", pool.name}}, pool.*field.member);
  }
  // At most PG_MAX_ADDRESSES (256) series per family: the map holds no more.
  for (const Field& field : fields) {
    m.family(std::string("poolgate_kernel_address_") + field.name, kCounter, field.address_help);
    for (const AddressStats& a : stats.addresses)
      m.sample({{"pool", a.pool}, {"address", a.address}}, a.*field.member);
  }
  m.single("poolgate_kernel_unmarked_smtp_drops_total", kCounter,
           "Egress TCP to port 25 without a poolgate mark, dropped (strict_smtp)",
           stats.unmarked_smtp_drops);
  m.single("poolgate_kernel_unknown_mark_drops_total", kCounter,
           "Packets with a mark in poolgate's bits that no pool address has, dropped",
           stats.unknown_mark_drops);
}

void queue_metrics(PrometheusText& m, const DeliveryEngine& engine) {
  EngineStats s = engine.stats();
  m.single("poolgate_queue_messages", kGauge, "Messages in the queue", uint64_t(s.messages));
  m.single("poolgate_queue_ready_jobs", kGauge,
           "Jobs (pool, domain, recipients of one message) due now, waiting for a connection",
           uint64_t(s.ready_jobs));
  m.single("poolgate_queue_deferred_jobs", kGauge, "Jobs waiting for their retry time",
           uint64_t(s.deferred_jobs));
  m.single("poolgate_queue_held_for_dns", kGauge,
           "Messages held until their sender domain can be checked", s.held_for_dns);

  // The biggest destinations by name, the tail folded per pool.
  std::vector<QueueDepth> depths = engine.queue_depths();
  std::map<std::string, QueueDepth> other;
  std::vector<const QueueDepth*> named;
  for (const QueueDepth& depth : depths) {
    if (named.size() < kMaxDomainSeries) {
      named.push_back(&depth);
    } else {
      QueueDepth& fold = other[depth.key.pool];
      fold.key = {depth.key.pool, "_other"};
      fold.messages += depth.messages;
      fold.recipients += depth.recipients;
    }
  }
  for (const auto& [pool, fold] : other) named.push_back(&fold);
  m.family("poolgate_queue_recipients", kGauge,
           "Recipients waiting for delivery, per pool and recipient domain");
  for (const QueueDepth* d : named)
    m.sample({{"pool", d->key.pool}, {"domain", d->key.domain}}, d->recipients);
  m.family("poolgate_queue_destination_messages", kGauge,
           "Messages with a recipient waiting, per pool and recipient domain");
  for (const QueueDepth* d : named)
    m.sample({{"pool", d->key.pool}, {"domain", d->key.domain}}, d->messages);

  m.single("poolgate_delivery_connections", kGauge, "Outbound SMTP connections open or opening",
           uint64_t(s.connections));
  m.family("poolgate_delivery_recipients_total", kCounter,
           "Delivery outcomes per recipient attempt: delivered, deferred (4xx, will retry), "
           "bounced (5xx or expired)");
  for (const auto& [pool, o] : s.outcomes_by_pool) {
    m.sample({{"pool", pool}, {"outcome", "delivered"}}, o.delivered);
    m.sample({{"pool", pool}, {"outcome", "deferred"}}, o.deferred);
    m.sample({{"pool", pool}, {"outcome", "bounced"}}, o.bounced);
  }
  m.single("poolgate_dsns_generated_total", kCounter, "DSNs (bounces, delay notices) poolgate wrote",
           s.dsns);
  m.family("poolgate_remote_replies_total", kCounter,
           "Remote outcomes by reply class (config/reply-classes.toml): failed recipients, "
           "connections that failed before a transaction, failed next-hop lookups");
  for (const auto& [key, count] : s.remote_replies)
    m.sample({{"pool", key.first}, {"class", key.second}}, count);
}

void classify_metrics(PrometheusText& m, const Classifier& classifier) {
  const ClassifyCounters& c = classifier.counters();
  m.family("poolgate_classify_decisions_total", kCounter,
           "Classification decisions by action (accept, hold, tempfail, reject) and pool");
  for (const auto& [key, count] : c.decisions)
    m.sample({{"action", key.first}, {"pool", key.second}}, count);
  m.family("poolgate_classify_reasons_total", kCounter,
           "Reasons given by classification decisions, by kind (a message can have several)");
  for (const auto& [reason, count] : c.reasons) m.sample({{"reason", reason}}, count);
}

void limits_metrics(PrometheusText& m, const SenderLimits& limits,
                    const SpoolCounterStore* store) {
  const LimitCounters& c = limits.counters();
  m.family("poolgate_limits_reached_total", kCounter,
           "Sending limits reached, by limit, whatever the action");
  for (size_t i = 0; i < kLimitCount; ++i)
    m.sample({{"limit", limit_name(static_cast<Limit>(i))}}, c.reached[i]);
  m.single("poolgate_limits_messages_over_limit_total", kCounter,
           "Messages whose sender reached at least one limit", c.messages_over_limit);
  m.single("poolgate_limits_messages_blocked_total", kCounter,
           "Messages refused because their sender was blocked", c.messages_blocked);
  m.single("poolgate_limits_blocks_imposed_total", kCounter, "Senders blocked", c.blocks_imposed);
  m.single("poolgate_limits_blocks_expired_total", kCounter,
           "block-for-today blocks lifted at 00:00 UTC", c.blocks_expired);
  m.single("poolgate_limits_releases_total", kCounter, "Blocks lifted by `poolgate senders release`",
           c.releases);
  if (store)
    m.single("poolgate_limits_store_write_errors_total", kCounter,
             "Sender counters that could not be saved to the spool", store->write_errors());
}

void surge_metrics(PrometheusText& m, NdrSurgeDetector& surge) {
  const NdrSurgeCounters& c = surge.counters();
  m.single("poolgate_ndr_total", kCounter, "NDRs (bounces, DSNs, auto-replies) classified", c.ndrs);
  m.family("poolgate_ndr_surge_alerts_total", kCounter,
           "NDR surge alerts raised, for one sender domain or for the total");
  m.sample({{"scope", "domain"}}, c.domain_alerts);
  m.sample({{"scope", "total"}}, c.total_alerts);
  uint64_t alerting = 0;
  double total_window = 0, total_baseline = 0;
  for (const NdrSurgeKeyStat& key : surge.stats()) {
    if (key.alerting) ++alerting;
    if (key.key.empty()) {
      total_window = double(key.window_count);
      total_baseline = key.baseline;
    }
  }
  m.single("poolgate_ndr_surge_active", kGauge,
           "Keys (sender domains or the total) in a surge now; 0 = no surge", alerting);
  m.single("poolgate_ndr_window_count", kGauge, "NDRs in the current surge window, in total",
           total_window);
  m.single("poolgate_ndr_baseline", kGauge, "Moving baseline of NDRs per window, in total",
           total_baseline);
}

void dns_metrics(PrometheusText& m, const CachingResolver& dns) {
  CacheStats s = dns.stats();
  m.single("poolgate_dns_cache_hits_total", kCounter, "DNS lookups answered from the cache", s.hits);
  m.single("poolgate_dns_cache_misses_total", kCounter, "DNS lookups sent upstream", s.misses);
  m.single("poolgate_dns_cache_coalesced_total", kCounter,
           "DNS lookups that joined one already in flight", s.coalesced);
  m.single("poolgate_dns_cache_entries", kGauge, "Answers in the DNS cache", uint64_t(s.entries));
  uint64_t asked = s.hits + s.misses + s.coalesced;
  m.single("poolgate_dns_cache_hit_ratio", kGauge,
           "Share of DNS lookups not sent upstream (hits and coalesced), since start",
           asked ? double(s.hits + s.coalesced) / double(asked) : 0.0);
}

void spool_metrics(PrometheusText& m, const Spool& spool) {
  SpoolStats s = spool.stats();
  m.single("poolgate_spool_syncs_total", kCounter, "Synced (fsync) batch writes to the spool",
           s.syncs);
  m.single("poolgate_spool_writes_total", kCounter, "Spool writes (commits, updates, removals)",
           s.requests);
  m.single("poolgate_spool_write_failures_total", kCounter, "Spool writes that failed", s.failed);
  m.single("poolgate_spool_messages_committed_total", kCounter,
           "Messages made durable (each one got its 250)", s.messages);
  Spool::MemoryUsage memory = spool.memory_usage();
  m.single("poolgate_spool_memtable_bytes", kGauge,
           "Spool writes held in RocksDB memtables (bounded by write_buffer_size)",
           memory.memtables);
  m.single("poolgate_spool_block_cache_bytes", kGauge, "RocksDB block cache in use",
           memory.block_cache);
  SpoolHealth health = spool.health();
  m.single("poolgate_spool_accepting", kGauge,
           "1 while the spool takes new mail; 0 while its file system is below "
           "relay.spool_min_free_mb or a write failed (/healthz says why)",
           uint64_t(health.accepting ? 1 : 0));
  m.single("poolgate_spool_free_bytes", kGauge,
           "Free bytes on the spool's file system at the last write or check", health.free_bytes);
  m.single("poolgate_spool_refused_for_space_total", kCounter,
           "Client messages refused (452 4.3.1) because the spool's file system was low",
           health.refused_for_space);
}

void routing_metrics(PrometheusText& m, const RouteKeeper& routes) {
  RouteKeeperStats s = routes.stats();
  m.single("poolgate_routing_checks_total", kCounter,
           "Comparisons of installed rules and routes with the plan", s.checks);
  m.single("poolgate_routing_repairs_total", kCounter,
           "Comparisons that found drift (deleted or changed rules/routes) and re-applied",
           s.repairs);
  m.single("poolgate_routing_repair_failures_total", kCounter, "Re-applies that failed",
           s.failures);
  m.single("poolgate_routing_watching", kGauge, "1 while the netlink watch runs",
           uint64_t(s.watching ? 1 : 0));
}

}  // namespace

std::string render_metrics(const MetricSources& sources) {
  PrometheusText m;
  if (sources.daemon) daemon_metrics(m, *sources.daemon);
  if (sources.kernel_maps) kernel_metrics(m, *sources.kernel_maps);
  if (sources.engine) queue_metrics(m, *sources.engine);
  if (sources.engine && sources.config) reputation_metrics(m, *sources.config, *sources.engine);
  if (sources.classifier) classify_metrics(m, *sources.classifier);
  if (sources.limits) limits_metrics(m, *sources.limits, sources.counter_store);
  if (sources.surge) surge_metrics(m, *sources.surge);
  if (sources.dns) dns_metrics(m, *sources.dns);
  if (sources.relay) {
    m.single("poolgate_relay_sessions", kGauge, "Inbound SMTP sessions open",
             uint64_t(sources.relay->open_sessions()));
    const DataBudget& budget = sources.relay->data_budget();
    m.single("poolgate_relay_data_in_flight_bytes", kGauge,
             "DATA bytes relay sessions hold in memory now (relay.max_data_in_flight_bytes)",
             budget.in_flight());
    m.single("poolgate_relay_data_budget_refusals_total", kCounter,
             "452 4.3.1 replies because relay.max_data_in_flight_bytes was reached",
             budget.refusals());
  }
  if (sources.spool) spool_metrics(m, *sources.spool);
  if (sources.routes) routing_metrics(m, *sources.routes);
  return m.str();
}

}  // namespace poolgate
