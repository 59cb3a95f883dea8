// `poolgate stats`: reads the pinned maps alone; needs no daemon. The pins are
// where the config's kernel.pin_path says (the daemon and `bpf attach` pinned
// them there), unless --pin-path names another place.
#include "cli/commands.h"
#include "kernel/stats.h"

#include <filesystem>
#include <iostream>
#include <optional>

namespace poolgate {

namespace {

inline constexpr const char* kDefaultPinPath = "/sys/fs/bpf/poolgate";

// --pin-path, else the config's; with no config file at the default path (a
// host configured elsewhere, a bare `poolgate stats`) the built-in default.
// A --config that was given must load: a typo there must not silently read
// other pins.
std::optional<std::string> pin_path_to_read(const GlobalOptions& options,
                                            const std::optional<std::string>& pin_path) {
  if (pin_path) return pin_path;
  std::error_code ec;
  if (!options.config_given && !std::filesystem::exists(options.config_path, ec))
    return kDefaultPinPath;
  std::optional<Config> config = load_or_report(options.config_path);
  if (!config) return std::nullopt;
  return config->kernel.pin_path;
}

}  // namespace

void register_stats(CLI::App& app, const GlobalOptions& options, Runner& run) {
  auto* cmd = app.add_subcommand("stats",
                                 "per-pool and per-address kernel counters from the pinned maps");
  auto pin_path = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  CLI::Option* pin_option = cmd->add_option("--pin-path", *pin_path,
                  std::string("where poolgate pinned its maps (default: the config's "
                              "kernel.pin_path, or ") +
                      kDefaultPinPath + " without a config file)");
  cmd->add_flag("--json", *json, "machine-readable output");
  cmd->callback([&options, &run, pin_path, pin_option, json] {
    std::optional<std::string> given;
    if (pin_option->count() > 0) given = *pin_path;
    run = [&options, given, json] {
      std::optional<std::string> path = pin_path_to_read(options, given);
      if (!path) return kExitInvalidConfig;
      Stats stats = read_stats(*path);
      if (*json)
        std::cout << stats_to_json(stats).dump(2) << "\n";
      else
        std::cout << format_stats_table(stats);
      return 0;
    };
  });
}

}  // namespace poolgate
