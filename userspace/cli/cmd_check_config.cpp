// `poolgate check-config`: syntax, types, unknown keys, numbering (config/), then
// what collides with the host's existing rules and tables (routing/host_check),
// in one pass: the errors are printed first, then the warnings in a summary
// at the end, where a passing run cannot hide them above the "ok" line.
#include "cli/commands.h"
#include "reputation/reply_rules_file.h"
#include "routing/host_check.h"

#include <iostream>

namespace poolgate {

namespace {

inline constexpr int kExitStrictWarnings = 1;

std::string count_of(size_t n, const char* what) {
  return std::to_string(n) + " " + what + (n == 1 ? "" : "s");
}

struct CheckConfigArgs {
  bool skip_host = false;
  bool strict = false;
};

int check_config(const std::string& path, const CheckConfigArgs& args) {
  LoadResult result = load_config(path);
  std::vector<Diagnostic> found = std::move(result.diagnostics);
  // A file with errors is still checked against the host (result.with_errors),
  // so the operator does not fix one round only to meet the next.
  const Config* checked = result.config ? &*result.config
                          : result.with_errors ? &*result.with_errors
                                               : nullptr;
  // The reply rules files it names: FILE:LINE: rule[N].key: ... like the config's own.
  if (checked)
    for (Diagnostic& d : load_reply_rules(*checked).diagnostics) found.push_back(std::move(d));
  if (checked && !args.skip_host)
    for (Diagnostic& d : check_host(*checked)) found.push_back(std::move(d));

  size_t errors = 0;
  std::vector<const Diagnostic*> warnings;
  for (const Diagnostic& d : found) {
    if (d.severity == Diagnostic::Severity::Error) {
      std::cerr << d.to_string() << "\n";
      ++errors;
    } else {
      warnings.push_back(&d);
    }
  }
  if (!warnings.empty()) {
    std::cerr << count_of(warnings.size(), "warning")
              << (args.strict ? " (--strict: they fail the check)" : "") << ":\n";
    for (const Diagnostic* d : warnings) std::cerr << d->to_string() << "\n";
  }
  if (errors > 0) {
    // Not "FILE:..." like a finding: scripts pick those out by the prefix.
    std::cerr << "poolgate: " << path << " is invalid: " << count_of(errors, "error") << ", "
              << count_of(warnings.size(), "warning") << "\n";
    return kExitInvalidConfig;
  }
  if (args.strict && !warnings.empty()) {
    std::cerr << "poolgate: " << path << " has " << count_of(warnings.size(), "warning")
              << ", which --strict does not allow\n";
    return kExitStrictWarnings;
  }
  std::cout << path << ": ok (" << checked->pools.size() << " pools";
  if (!warnings.empty()) std::cout << ", " << count_of(warnings.size(), "warning");
  std::cout << ")\n";
  return 0;
}

}  // namespace

std::optional<Config> load_or_report(const std::string& path) {
  LoadResult result = load_config(path);
  for (const Diagnostic& d : result.diagnostics) std::cerr << d.to_string() << "\n";
  return std::move(result.config);
}

void register_check_config(CLI::App& app, const GlobalOptions& options, Runner& run) {
  auto* cmd = app.add_subcommand("check-config", "validate the configuration against the host");
  auto args = std::make_shared<CheckConfigArgs>();
  cmd->add_flag("--no-host", args->skip_host,
                "skip the checks against this host's rules, tables, interfaces and addresses");
  cmd->add_flag("--strict", args->strict, "fail (exit 1) when there are warnings");
  cmd->callback([&options, &run, args] {
    run = [&options, args] { return check_config(options.config_path, *args); };
  });
}

}  // namespace poolgate
