// The CLI's side of the admin API: while the daemon runs, `poolgate queue
// list`, `senders list` and `pools` show its live state from here rather
// than the spool as last written.
#pragma once

#include "config/config.h"

#include <optional>
#include <string>

namespace poolgate {

// GET `target` from [admin] listen. nullopt when no daemon answers there
// (nothing listening, or [admin] listen = ""): the caller falls back to the
// offline view. Throws OperatorError when a daemon answers with an error or
// stops answering mid-reply.
std::optional<std::string> admin_get(const Config& config, const std::string& target);

}  // namespace poolgate
