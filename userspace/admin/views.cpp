#include "admin/views.h"

#include "admin/queue_json.h"
#include "admin/senders_json.h"
#include "kernel/stats.h"
#include "limits/sender_limits.h"
#include "pools/address_plan.h"
#include "queue/delivery_engine.h"
#include "routing/policy_routes.h"

#include <map>
#include <optional>

namespace poolgate {

using nlohmann::ordered_json;

namespace {

// One address's standing with the sites that told us something: rests,
// backing off, connections open there. And its state in a word: "drained"
// (weight 0), "suspended" (resting at some site), "backing-off", "active".
void add_reputation(ordered_json& entry, const std::string& address, bool drained,
                    const std::vector<SourceSiteView>& book) {
  ordered_json sites = ordered_json::array();
  bool suspended = false, backing_off = false;
  std::string last_block;
  int64_t last_block_unix = 0;
  for (const SourceSiteView& v : book) {
    if (v.source != address) continue;
    suspended = suspended || v.suspended_until > 0;
    backing_off = backing_off || v.backing_off;
    if (v.last_block_unix > last_block_unix) {
      last_block_unix = v.last_block_unix;
      last_block = v.last_block_reply;
    }
    sites.push_back({{"site", v.site},
                     {"suspended_until", v.suspended_until},
                     {"suspensions", v.suspensions},
                     {"backing_off", v.backing_off},
                     {"connections", v.connections},
                     {"connection_limit", v.connection_limit},
                     {"messages_per_second", v.messages_per_second},
                     {"blocks", v.blocks},
                     {"rate_limits", v.rate_limits},
                     {"last_block_reply", v.last_block_reply},
                     {"last_rate_limit_reply", v.last_rate_limit_reply}});
  }
  entry["state"] = drained ? "drained" : suspended ? "suspended" : backing_off ? "backing-off"
                                                                              : "active";
  entry["last_block_reply"] = last_block;
  entry["last_block_unix"] = last_block_unix;
  entry["sites"] = std::move(sites);
}

}  // namespace

ordered_json queue_view(const DeliveryEngine& engine) {
  return queue_to_json(engine.snapshot());
}

ordered_json senders_view(const SenderLimits& limits, bool all, int64_t now) {
  return senders_to_json(senders_shown(limits.report(), all, now));
}

ordered_json pools_view(const Config& config, const DeliveryEngine* engine,
                        const StatsMaps* kernel_maps) {
  std::map<std::string, std::pair<uint64_t, uint64_t>> waiting;  // pool -> (messages, recipients)
  if (engine)
    for (const QueueDepth& depth : engine->queue_depths()) {
      waiting[depth.key.pool].first += depth.messages;
      waiting[depth.key.pool].second += depth.recipients;
    }
  std::optional<Stats> kernel;
  if (kernel_maps) {
    try {
      kernel = kernel_maps->read();
    } catch (const std::exception&) {
      // Shown as "kernel": null: the pins are gone, the view still answers.
    }
  }
  std::vector<PoolAddress> addresses = plan_addresses(config);
  std::vector<SourceSiteView> book;
  if (engine) book = engine->reputation();
  ordered_json pools = ordered_json::array();
  for (size_t id = 0; id < config.pools.size(); ++id) {
    const PoolConfig& pool = config.pools[id];
    ordered_json entry = {{"name", pool.name}, {"ehlo", pool.ehlo}};
    ordered_json list = ordered_json::array();
    for (const PoolAddress& a : addresses) {
      if (a.pool_id != id) continue;
      uint32_t weight = a.index < pool.weights.size() ? pool.weights[a.index] : 1;
      ordered_json item = {{"address", a.address.to_string()},
                           {"fwmark", a.fwmark},
                           {"table", a.table},
                           {"weight", weight}};
      add_reputation(item, a.address.to_string(), weight == 0, book);
      item["kernel"] = nullptr;
      if (kernel)
        for (const AddressStats& s : kernel->addresses)
          if (s.address == a.address.to_string())
            item["kernel"] = stats_to_json({.addresses = {s}})["addresses"][0];
      list.push_back(std::move(item));
    }
    entry["addresses"] = std::move(list);
    entry["queued_messages"] = waiting[pool.name].first;
    entry["queued_recipients"] = waiting[pool.name].second;
    entry["kernel"] = nullptr;
    if (kernel)
      for (const PoolStats& s : kernel->pools)
        if (s.name == pool.name) entry["kernel"] = stats_to_json({.pools = {s}})["pools"][0];
    pools.push_back(std::move(entry));
  }
  return {{"pools", std::move(pools)}};
}

ordered_json routes_view(const Config& config) {
  const RoutesShowReport report = routes_show(config);
  return {{"in_sync", report.in_sync()}, {"report", report.lines()}};
}

}  // namespace poolgate
