// `poolgate senders list|release`: the outbound limits as an operator sees
// them (limits/sender_limits.h). The functions behind the subcommands are
// declared here so tests can drive the offline paths without a process.
#pragma once

#include "cli/commands.h"
#include "limits/sender_report.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

namespace poolgate {

void register_senders(CLI::App& app, const GlobalOptions& options, Runner& run);

// Restricted senders (blocked, or over a limit in the last day), or every
// sender with live counters when `all`; read-only, beside a running daemon.
int senders_list(const Config& config, bool json, bool all, std::ostream& out, int64_t now);
// Through the daemon's control socket when it runs, else in the spool.
int senders_release(const Config& config, const std::string& address, std::ostream& out,
                    int64_t now);

nlohmann::ordered_json senders_to_json(const std::vector<SenderReport>& senders);
// From senders_to_json()'s form, which is also the daemon's /senders view.
std::string format_senders_table(const nlohmann::ordered_json& senders);
// What `senders list` shows: restricted senders, or with `all` every sender
// with live counters.
std::vector<SenderReport> senders_shown(std::vector<SenderReport> reports,
                                                bool all, int64_t now);

}  // namespace poolgate
