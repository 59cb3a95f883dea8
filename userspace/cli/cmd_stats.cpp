// `poolgate stats`: reads the pinned maps alone; needs neither config nor daemon.
#include "cli/commands.h"
#include "kernel/stats.h"

#include <iostream>

namespace poolgate {

void register_stats(CLI::App& app, Runner& run) {
  auto* cmd = app.add_subcommand("stats", "per-pool kernel counters from the pinned maps");
  auto pin_path = std::make_shared<std::string>("/sys/fs/bpf/poolgate");
  auto json = std::make_shared<bool>(false);
  cmd->add_option("--pin-path", *pin_path, "where poolgate pinned its maps")->capture_default_str();
  cmd->add_flag("--json", *json, "machine-readable output");
  cmd->callback([&run, pin_path, json] {
    run = [pin_path, json] {
      Stats stats = read_stats(*pin_path);
      if (*json)
        std::cout << stats_to_json(stats).dump(2) << "\n";
      else
        std::cout << format_stats_table(stats);
      return 0;
    };
  });
}

}  // namespace poolgate
