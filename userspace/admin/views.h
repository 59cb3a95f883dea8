// The admin API's JSON views, each the daemon's live state (not the spool as
// last written):
//   /queue    every queued message, as `poolgate queue list --json` prints it
//   /senders  senders with live limit counters (?all=1: every one, else only
//             restricted ones), as `poolgate senders list --json`
//   /pools    each pool: its addresses with fwmark, table and weight, what
//             waits in the queue for it, and its kernel counters
//   /routes   installed rules and routes against the plan (`routes show`)
#pragma once

#include "admin/metrics.h"

#include <nlohmann/json.hpp>

namespace poolgate {

nlohmann::ordered_json queue_view(const DeliveryEngine& engine);
nlohmann::ordered_json senders_view(const SenderLimits& limits, bool all, int64_t now);
nlohmann::ordered_json pools_view(const Config& config, const DeliveryEngine* engine,
                                  const StatsMaps* kernel_maps);
nlohmann::ordered_json routes_view(const Config& config);

}  // namespace poolgate
