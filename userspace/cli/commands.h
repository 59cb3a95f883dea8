// The CLI's subcommands. Each register_* adds its subcommand(s) to the app and
// sets `run` to the function that carries it out; main() calls it after parsing.
// Exit codes: 0 ok, 1 operational error (OperatorError), 2 invalid configuration,
// 3 drift found (routes show), 64 usage (EX_USAGE: a script can tell a mistyped
// command line from a bad config).
#pragma once

#include "config/config.h"

#include <CLI/CLI.hpp>

#include <functional>
#include <string>

namespace poolgate {

struct GlobalOptions {
  std::string config_path = kDefaultConfigPath;
  bool config_given = false;  // --config was on the command line (not the default)
};

using Runner = std::function<int()>;

void register_check_config(CLI::App& app, const GlobalOptions& options, Runner& run);
void register_routes(CLI::App& app, const GlobalOptions& options, Runner& run);
void register_bpf(CLI::App& app, const GlobalOptions& options, Runner& run);
void register_stats(CLI::App& app, const GlobalOptions& options, Runner& run);
void register_run(CLI::App& app, const GlobalOptions& options, Runner& run);
void register_queue(CLI::App& app, const GlobalOptions& options, Runner& run);
void register_classify(CLI::App& app, const GlobalOptions& options, Runner& run);
void register_pools(CLI::App& app, const GlobalOptions& options, Runner& run);

// Loads the config, printing every diagnostic to stderr; nullopt on errors.
std::optional<Config> load_or_report(const std::string& path);

inline constexpr int kExitInvalidConfig = 2;
inline constexpr int kExitUsage = 64;  // sysexits.h EX_USAGE

}  // namespace poolgate
