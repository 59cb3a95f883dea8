// `poolgate senders list [--json] [--all]` and `poolgate senders release
// ADDRESS`. Like `queue`, reading works beside a running daemon (a read-only
// spool view: the counters as last written, which may trail the daemon's by
// one group commit); a release goes through the daemon's control socket when
// one runs (it holds the counters in memory), else the spool is changed
// directly and the next start picks it up.
#include "cli/cmd_senders.h"

#include "admin/admin_client.h"
#include "admin/senders_json.h"
#include "common/operator_error.h"
#include "daemon/control_socket.h"
#include "limits/clock.h"
#include "limits/sender_state.h"
#include "limits/spool_counter_store.h"
#include "spool/spool.h"

#include <iomanip>
#include <iostream>
#include <sstream>

namespace poolgate {

std::string format_senders_table(const nlohmann::ordered_json& senders) {
  if (senders.empty()) return "no restricted senders\n";
  std::ostringstream out;
  out << std::left << std::setw(32) << "SENDER" << std::right << std::setw(7) << "EXT/1H"
      << std::setw(7) << "INT/1H" << std::setw(9) << "RCPT/24H" << std::setw(8) << "MSG/1M"
      << "  STATUS\n";
  for (const auto& r : senders) {
    std::string status = "-";
    if (r.value("blocked", false)) {
      std::string until = r.value("blocked_until", "");
      status = until == "release" ? "blocked until released" : "blocked until " + until;
    } else if (r.contains("last_exceeded")) {
      status = "over a limit at " + r.value("last_exceeded", "");
    }
    out << std::left << std::setw(32) << r.value("sender", "") << std::right << std::setw(7)
        << r.value("external_last_hour", uint64_t{0}) << std::setw(7)
        << r.value("internal_last_hour", uint64_t{0}) << std::setw(9)
        << r.value("recipients_last_day", uint64_t{0}) << std::setw(8)
        << r.value("messages_last_minute", uint64_t{0}) << "  " << status << "\n";
    std::string why = r.value("blocked", false) ? r.value("block_reasons", "") : r.value("last_reasons", "");
    if (!why.empty()) out << "    " << why << "\n";
  }
  return out.str();
}

int senders_list(const Config& config, bool json, bool all, std::ostream& out, int64_t now) {
  nlohmann::ordered_json shown;
  // The running daemon's live counters when its admin API answers, else the
  // spool's records as last written.
  if (std::optional<std::string> live = admin_get(config, all ? "/senders?all=1" : "/senders")) {
    shown = nlohmann::ordered_json::parse(*live);
  } else {
    auto spool = Spool::open_read_only(config.relay.spool);
    std::vector<std::string> problems;
    std::vector<SenderReport> reports;
    for (auto& [sender, state] : read_sender_states(*spool, &problems))
      reports.push_back(report_of(sender, state, now));
    for (const std::string& problem : problems) std::cerr << "poolgate: skipped: " << problem << "\n";
    shown = senders_to_json(senders_shown(std::move(reports), all, now));
  }
  if (json) out << shown.dump(2) << "\n";
  else out << format_senders_table(shown);
  return 0;
}

int senders_release(const Config& config, const std::string& address, std::ostream& out,
                    int64_t now) {
  std::string sender = sender_key("", address);
  if (sender.empty()) throw OperatorError("give the sender address (or user) to release");
  std::optional<std::string> answer = control_request(config.relay.spool, "release " + sender);
  if (answer) {
    if (*answer != "ok") throw OperatorError("the daemon says: " + *answer);
  } else {
    // No daemon: change the record it will load at its next start.
    auto spool = Spool::open(config.relay.spool);
    SpoolCounterStore store(*spool, now);  // destroyed (flushed) before the spool
    SenderState state = store.load(sender);
    if (!lift_block(state)) throw OperatorError(sender + " is not blocked");
    store.save(sender, state);
    store.flush();
  }
  out << sender << ": released (its counters start again from zero)\n";
  return 0;
}

void register_senders(CLI::App& app, const GlobalOptions& options, Runner& run) {
  auto* senders = app.add_subcommand("senders", "outbound limits per sender ([limits])");
  senders->require_subcommand(1);
  auto json = std::make_shared<bool>(false);
  auto all = std::make_shared<bool>(false);
  auto address = std::make_shared<std::string>();
  auto* list_cmd = senders->add_subcommand("list", "restricted senders and their counters");
  list_cmd->add_flag("--json", *json, "machine-readable output");
  list_cmd->add_flag("--all", *all, "every sender with live counters, not only restricted ones");
  auto* release_cmd = senders->add_subcommand("release", "lift a sender's block");
  release_cmd->add_option("ADDRESS", *address, "sender address or authenticated user")->required();

  auto with_config = [&options](auto action) {
    return [&options, action] {
      std::optional<Config> config = load_or_report(options.config_path);
      if (!config) return kExitInvalidConfig;
      return action(*config);
    };
  };
  list_cmd->callback([&run, with_config, json, all] {
    run = with_config([json, all](const Config& c) {
      return senders_list(c, *json, *all, std::cout, system_unix_now());
    });
  });
  release_cmd->callback([&run, with_config, address] {
    run = with_config([address](const Config& c) {
      return senders_release(c, *address, std::cout, system_unix_now());
    });
  });
}

}  // namespace poolgate
