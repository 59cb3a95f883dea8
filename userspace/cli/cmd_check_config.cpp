// `poolgate check-config`: syntax, types, unknown keys, numbering (config/), then
// what collides with the host's existing rules and tables (routing/host_check).
#include "cli/commands.h"
#include "routing/host_check.h"

#include <iostream>

namespace poolgate {

std::optional<Config> load_or_report(const std::string& path) {
  LoadResult result = load_config(path);
  for (const Diagnostic& d : result.diagnostics) std::cerr << d.to_string() << "\n";
  return std::move(result.config);
}

void register_check_config(CLI::App& app, const GlobalOptions& options, Runner& run) {
  auto* cmd = app.add_subcommand("check-config", "validate the configuration against the host");
  auto skip_host = std::make_shared<bool>(false);
  cmd->add_flag("--no-host", *skip_host,
                "skip the checks against this host's rules, tables and addresses");
  cmd->callback([&options, &run, skip_host] {
    run = [&options, skip_host] {
      std::optional<Config> config = load_or_report(options.config_path);
      if (!config) return kExitInvalidConfig;
      if (!*skip_host) {
        bool errors = false;
        for (const Diagnostic& d : check_host(*config)) {
          std::cerr << d.to_string() << "\n";
          errors |= d.severity == Diagnostic::Severity::Error;
        }
        if (errors) return kExitInvalidConfig;
      }
      std::cout << options.config_path << ": ok (" << config->pools.size() << " pools)\n";
      return 0;
    };
  });
}

}  // namespace poolgate
