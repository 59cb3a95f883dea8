// `poolgate routes apply|show|flush`: the policy routing of routing/.
#include "cli/commands.h"
#include "routing/policy_routes.h"

#include <iostream>

namespace poolgate {

void register_routes(CLI::App& app, const GlobalOptions& options, Runner& run) {
  auto* routes = app.add_subcommand("routes", "policy routing: fwmark rules and pool tables");
  routes->require_subcommand(1);
  using Action = int (*)(const Config&, std::ostream&);
  const std::pair<const char*, Action> actions[] = {
      {"apply", routes_apply}, {"show", routes_show}, {"flush", routes_flush}};
  const char* help[] = {"install the rules and tables the config wants (idempotent)",
                        "print installed next to wanted, and the drift (exit 3 on drift)",
                        "remove every rule and route poolgate created"};
  for (size_t i = 0; i < std::size(actions); ++i) {
    auto [name, action] = actions[i];
    routes->add_subcommand(name, help[i])->callback([&options, &run, action] {
      run = [&options, action] {
        std::optional<Config> config = load_or_report(options.config_path);
        if (!config) return kExitInvalidConfig;
        return action(*config, std::cout);
      };
    });
  }
}

}  // namespace poolgate
