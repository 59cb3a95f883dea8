// `poolgate routes apply|show|flush`: the policy routing of routing/, whose
// reports are printed here.
#include "cli/commands.h"
#include "common/text_lines.h"
#include "routing/policy_routes.h"

#include <iostream>

namespace poolgate {

void register_routes(CLI::App& app, const GlobalOptions& options, Runner& run) {
  auto* routes = app.add_subcommand("routes", "policy routing: fwmark rules and pool tables");
  routes->require_subcommand(1);
  // Each prints its report and gives the exit status.
  using Action = int (*)(const Config&);
  const std::pair<const char*, Action> actions[] = {
      {"apply",
       [](const Config& c) {
         std::cout << as_text(routes_apply(c).lines());
         return 0;
       }},
      {"show",
       [](const Config& c) {
         const RoutesShowReport report = routes_show(c);
         std::cout << as_text(report.lines());
         return report.exit_code();
       }},
      {"flush", [](const Config& c) {
         std::cout << as_text(routes_flush(c).lines());
         return 0;
       }}};
  const char* help[] = {"install the rules and tables the config wants (idempotent)",
                        "print installed next to wanted, and the drift (exit 3 on drift)",
                        "remove every rule and route poolgate created"};
  for (size_t i = 0; i < std::size(actions); ++i) {
    auto [name, action] = actions[i];
    routes->add_subcommand(name, help[i])->callback([&options, &run, action] {
      run = [&options, action] {
        std::optional<Config> config = load_or_report(options.config_path);
        if (!config) return kExitInvalidConfig;
        return action(*config);
      };
    });
  }
}

}  // namespace poolgate
