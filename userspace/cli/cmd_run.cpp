// `poolgate run`: the daemon in the foreground (daemon/run.h).
#include "cli/commands.h"
#include "daemon/run.h"

namespace poolgate::cli {

void register_run(CLI::App& app, const GlobalOptions& options, Runner& run) {
  auto* cmd = app.add_subcommand("run", "run the relay in the foreground (logs to stderr)");
  cmd->callback([&options, &run] {
    run = [&options] {
      std::optional<Config> config = load_or_report(options.config_path);
      if (!config) return kExitInvalidConfig;
      return run_daemon(*config);
    };
  });
}

}  // namespace poolgate::cli
