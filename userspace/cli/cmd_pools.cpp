// `poolgate pools [--json]`: each pool's addresses (fwmark, table, weight),
// what waits for it in the queue and its kernel counters. From the running
// daemon's admin API (/pools) when it answers, else from the config and the
// pinned maps (no queue figures then).
#include "admin/admin_client.h"
#include "admin/views.h"
#include "cli/commands.h"
#include "common/utc_text.h"
#include "kernel/stats.h"

#include <fmt/format.h>

#include <iostream>

namespace poolgate {
namespace {

nlohmann::ordered_json offline_pools(const Config& config) {
  std::optional<StatsMaps> maps;
  try {
    maps.emplace(config.kernel.pin_path);
  } catch (const std::exception&) {
    // No data plane pinned: the view shows "kernel": null.
  }
  return pools_view(config, nullptr, maps ? &*maps : nullptr);
}

void print_kernel(const nlohmann::ordered_json& k, const char* indent, std::ostream& out) {
  out << fmt::format("{}kernel: tx {} pkts / {} bytes, {} connections, {} leak drops\n", indent,
                     k.value("tx_packets", uint64_t{0}), k.value("tx_bytes", uint64_t{0}),
                     k.value("connections", uint64_t{0}), k.value("leak_drops", uint64_t{0}));
}

void print_table(const nlohmann::ordered_json& view, std::ostream& out) {
  for (const auto& pool : view["pools"]) {
    out << fmt::format("pool {}", pool.value("name", ""));
    if (pool.contains("queued_messages"))
      out << fmt::format("  queued: {} messages, {} recipients", pool.value("queued_messages", 0),
                         pool.value("queued_recipients", 0));
    out << "\n";
    for (const auto& a : pool["addresses"]) {
      out << fmt::format("  {:<40} fwmark {:#x}  table {:<6} weight {:<4} {}\n",
                         a.value("address", ""), a.value("fwmark", 0u), a.value("table", 0u),
                         a.value("weight", 0u), a.value("state", ""));
      if (a.contains("sites"))
        for (const auto& s : a["sites"]) {
          std::string rest;
          if (s.value("suspended_until", int64_t{0}) > 0)
            rest = fmt::format("suspended until {} (rest #{}) ",
                               utc_text(s.value("suspended_until", int64_t{0})),
                               s.value("suspensions", 0u));
          out << fmt::format("    site {}: {}{}/{} connections, {} msg/s{}\n",
                             s.value("site", ""), rest, s.value("connections", 0u),
                             s.value("connection_limit", 0u),
                             s.value("messages_per_second", 0.0) > 0
                                 ? fmt::format("{:.3g}", s.value("messages_per_second", 0.0))
                                 : "unlimited",
                             s.value("backing_off", false) ? " (backing off)" : "");
          if (!s.value("last_block_reply", std::string()).empty())
            out << fmt::format("      last block: {}\n", s.value("last_block_reply", ""));
        }
      if (a.contains("kernel") && a["kernel"].is_object()) print_kernel(a["kernel"], "    ", out);
    }
    if (pool["kernel"].is_object()) print_kernel(pool["kernel"], "  ", out);
  }
}

}  // namespace

void register_pools(CLI::App& app, const GlobalOptions& options, Runner& run) {
  auto* cmd = app.add_subcommand("pools", "pools, their addresses, queue and kernel counters");
  auto json = std::make_shared<bool>(false);
  cmd->add_flag("--json", *json, "machine-readable output");
  cmd->callback([&options, &run, json] {
    run = [&options, json] {
      std::optional<Config> config = load_or_report(options.config_path);
      if (!config) return kExitInvalidConfig;
      nlohmann::ordered_json view;
      if (std::optional<std::string> live = admin_get(*config, "/pools"))
        view = nlohmann::ordered_json::parse(*live);
      else
        view = offline_pools(*config);
      if (*json)
        std::cout << view.dump(2) << "\n";
      else
        print_table(view, std::cout);
      return 0;
    };
  });
}

}  // namespace poolgate
