// `poolgate run`: the daemon in the foreground: kernel setup (kernel_keeper.h),
// the inbound relay and spool, classification, delivery, the admin API, and
// SIGHUP reload / SIGTERM drain.
#pragma once

#include "config/config.h"

#include <string>

namespace poolgate {

struct RunOptions {
  std::string config_path;   // re-read on SIGHUP
  bool kernel_setup = true;  // false: --no-kernel-setup (overrides [daemon])
};

// Runs until SIGTERM/SIGINT, then drains sessions and closes the spool.
// Returns the process exit code.
int run_daemon(const Config& config, const RunOptions& options);

}  // namespace poolgate
