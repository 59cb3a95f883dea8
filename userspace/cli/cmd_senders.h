// `poolgate senders list|release`: the outbound limits as an operator sees
// them (limits/sender_limits.h). The functions behind the subcommands are
// declared here so tests can drive the offline paths without a process.
#pragma once

#include "cli/commands.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <ostream>
#include <string>

namespace poolgate {

void register_senders(CLI::App& app, const GlobalOptions& options, Runner& run);

// Restricted senders (blocked, or over a limit in the last day), or every
// sender with live counters when `all`; read-only, beside a running daemon.
int senders_list(const Config& config, bool json, bool all, std::ostream& out, int64_t now);
// Through the daemon's control socket when it runs, else in the spool.
int senders_release(const Config& config, const std::string& address, std::ostream& out,
                    int64_t now);

// From senders_to_json()'s form (admin/senders_json.h): the daemon's /senders
// view, or the spool's records when no daemon runs.
std::string format_senders_table(const nlohmann::ordered_json& senders);

}  // namespace poolgate
