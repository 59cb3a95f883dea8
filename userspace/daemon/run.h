// `poolgate run`: the daemon in the foreground. Today: the inbound relay and
// the spool (issue 3); delivery and classification join here later.
#pragma once

#include "config/config.h"

namespace poolgate {

// Runs until SIGTERM/SIGINT, then drains sessions and closes the spool.
// Returns the process exit code.
int run_daemon(const Config& config);

}  // namespace poolgate
