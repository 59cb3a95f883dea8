// poolgate: one binary, one subcommand per job.
#include "cli/cmd_senders.h"
#include "cli/commands.h"
#include "common/operator_error.h"

#include <iostream>

int main(int argc, char** argv) {
  using namespace poolgate;
  CLI::App app{"poolgate: outbound-mail egress controller (pools, fwmarks, policy routing, eBPF)"};
  app.require_subcommand(1);
  // Subcommands are created after this and inherit it: an option a subcommand
  // does not know goes to the app, so `poolgate check-config --config FILE`
  // works like `poolgate --config FILE check-config`.
  app.fallthrough();
  app.set_version_flag("--version", POOLGATE_VERSION);
  GlobalOptions options;
  CLI::Option* config_option =
      app.add_option("-c,--config", options.config_path, "configuration file")
          ->capture_default_str();

  Runner run;
  register_check_config(app, options, run);
  register_routes(app, options, run);
  register_bpf(app, options, run);
  register_stats(app, options, run);
  register_run(app, options, run);
  register_queue(app, options, run);
  register_classify(app, options, run);
  register_senders(app, options, run);
  register_pools(app, options, run);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : kExitUsage;
  }
  options.config_given = config_option->count() > 0;
  try {
    return run();
  } catch (const poolgate::OperatorError& e) {
    std::cerr << "poolgate: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "poolgate: internal error: " << e.what() << "\n";
    return 1;
  }
}
