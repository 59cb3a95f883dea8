// `poolgate classify --from ADDR --rcpt ADDR [--client IP] < message.eml`: the
// classification pipeline offline, so an operator can ask "why would this go
// high-risk?". Same rules, resolver, scanner and sender limits as the daemon:
// the limits start from the spool's counters (as `senders list` reads them
// without a daemon, which may trail a running daemon's by one group commit),
// so a blocked or over-limit sender gets the daemon's decision; the message is
// counted in a copy that is thrown away, never in the spool (asking must not
// use up anyone's quota).
#include "classify/classifier.h"
#include "cli/commands.h"
#include "common/operator_error.h"
#include "dns/dns_caching_resolver.h"
#include "dns/dns_resolver.h"
#include "limits/sender_limits.h"
#include "limits/spool_counter_store.h"
#include "spool/spool.h"
#include "spam/scanner.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <nlohmann/json.hpp>

#include <ctime>
#include <filesystem>
#include <map>
#include <iostream>
#include <iterator>

namespace poolgate {
namespace {

struct ClassifyArgs {
  std::string from;
  std::vector<std::string> rcpts;
  std::string client = "127.0.0.1";
  bool json = false;
};

// The message as it would be stored: CRLF line endings.
std::string read_message(std::istream& in) {
  std::string raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::string out;
  out.reserve(raw.size() + raw.size() / 40);
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '\n' && (i == 0 || raw[i - 1] != '\r')) out += '\r';
    out += raw[i];
  }
  return out;
}

// The spool's sender records, copied into memory: SenderLimits counts the
// message here as the daemon would, and the count dies with the command.
class ScratchCounterStore : public CounterStore {
 public:
  explicit ScratchCounterStore(std::vector<std::pair<std::string, SenderState>> states)
      : states_(states.begin(), states.end()) {}
  SenderState load(const std::string& sender) override {
    auto it = states_.find(sender);
    return it == states_.end() ? SenderState{} : it->second;
  }
  void save(const std::string& sender, const SenderState& state) override {
    states_[sender] = state;
  }
  std::vector<std::pair<std::string, SenderState>> list() const override {
    return {states_.begin(), states_.end()};
  }
  void erase(const std::string& sender) override { states_.erase(sender); }

 private:
  std::map<std::string, SenderState> states_;
};

// Read-only (beside a running daemon too); no spool yet means no counts yet.
std::vector<std::pair<std::string, SenderState>> spool_sender_states(const std::string& spool) {
  std::error_code ec;
  if (!std::filesystem::exists(spool, ec)) return {};
  std::vector<std::string> problems;
  auto states = read_sender_states(*Spool::open_read_only(spool), &problems);
  for (const std::string& problem : problems) std::cerr << "poolgate: skipped: " << problem << "\n";
  return states;
}

int classify_offline(const Config& config, const ClassifyArgs& args) {
  Envelope envelope;
  envelope.queue_id = "(classify)";
  envelope.sender = args.from == "<>" ? "" : args.from;
  for (const std::string& rcpt : args.rcpts) envelope.recipients.push_back(Recipient{rcpt});
  envelope.client_address = args.client;
  envelope.received_unix = std::time(nullptr);
  std::string content = read_message(std::cin);
  envelope.size = content.size();

  boost::asio::io_context io(1);
  Resolver resolver(io.get_executor(), config.dns);
  CachingResolver dns(resolver, CachePolicy::from(config.dns));
  std::unique_ptr<Scanner> scanner =
      make_scanner(io.get_executor(), config.spam, config.relay.client_networks);
  ScratchCounterStore counters(spool_sender_states(config.relay.spool));
  SenderLimits limits(config.limits, config.relay.internal_domains, counters);
  Classifier classifier(config, {&dns, scanner.get(), &limits, nullptr});
  auto future = boost::asio::co_spawn(
      io, classifier.classify(envelope, content, envelope.received_unix), boost::asio::use_future);
  io.run();
  Decision decision = future.get();

  using Action = Decision::Action;
  const char* action = decision.action == Action::Accept     ? "accept"
                       : decision.action == Action::Hold     ? "hold"
                       : decision.action == Action::TempFail ? "tempfail"
                                                             : "reject";
  if (args.json) {
    nlohmann::json out = {{"pool", decision.pool}, {"action", action}, {"reasons", decision.reasons}};
    if (decision.action == Action::TempFail || decision.action == Action::Reject)
      out["reply"] = decision.reply.str();
    std::cout << out.dump(2) << "\n";
  } else {
    std::cout << "pool:    " << decision.pool << "\n"
              << "action:  " << action << "\n"
              << "reasons: " << decision.reasons_text() << "\n";
    if (decision.action == Action::TempFail || decision.action == Action::Reject)
      std::cout << "reply:   " << decision.reply.str() << "\n";
  }
  return 0;
}

}  // namespace

void register_classify(CLI::App& app, const GlobalOptions& options, Runner& run) {
  auto args = std::make_shared<ClassifyArgs>();
  auto* cmd = app.add_subcommand(
      "classify", "decide the pool of a message read from stdin, and say why (nothing is sent)");
  cmd->add_option("--from", args->from, "envelope sender (\"<>\" for the null sender)")->required();
  cmd->add_option("--rcpt", args->rcpts, "envelope recipient (repeatable)")->required();
  cmd->add_option("--client", args->client, "the submitting client's IP");
  cmd->add_flag("--json", args->json, "machine-readable output");
  cmd->callback([&options, &run, args] {
    run = [&options, args] {
      std::optional<Config> config = load_or_report(options.config_path);
      if (!config) return kExitInvalidConfig;
      return classify_offline(*config, *args);
    };
  });
}

}  // namespace poolgate
