// The admin API's shape of the outbound limits per sender (GET /senders),
// which `poolgate senders list --json` prints too, from the daemon or, with no
// daemon running, from the spool's records.
#pragma once

#include "limits/sender_report.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <vector>

namespace poolgate {

nlohmann::ordered_json senders_to_json(const std::vector<SenderReport>& senders);

// Which senders the view lists: restricted ones (blocked, or over a limit in
// the last day), or with `all` every sender with live counters.
std::vector<SenderReport> senders_shown(std::vector<SenderReport> reports, bool all,
                                        int64_t now);

}  // namespace poolgate
