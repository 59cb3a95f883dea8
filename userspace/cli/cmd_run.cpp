// `poolgate run`: the daemon in the foreground (daemon/run.h).
#include "cli/commands.h"
#include "daemon/run.h"

namespace poolgate {

void register_run(CLI::App& app, const GlobalOptions& options, Runner& run) {
  auto* cmd = app.add_subcommand("run", "run the daemon in the foreground (logs to stderr)");
  auto no_kernel_setup = std::make_shared<bool>(false);
  cmd->add_flag("--no-kernel-setup", *no_kernel_setup,
                "leave routes and BPF to a separate privileged step (overrides [daemon] "
                "kernel_setup)");
  cmd->callback([&options, &run, no_kernel_setup] {
    run = [&options, no_kernel_setup] {
      std::optional<Config> config = load_or_report(options.config_path);
      if (!config) return kExitInvalidConfig;
      RunOptions run_options;
      run_options.config_path = options.config_path;
      run_options.kernel_setup = config->daemon.kernel_setup && !*no_kernel_setup;
      return run_daemon(*config, run_options);
    };
  });
}

}  // namespace poolgate
