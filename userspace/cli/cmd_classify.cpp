// `poolgate classify --from ADDR --rcpt ADDR [--client IP] < message.eml`: the
// classification pipeline offline, so an operator can ask "why would this go
// high-risk?". Same rules, resolver and scanner as the daemon; the sender
// limits are not counted (asking must not use up anyone's quota).
#include "classify/classifier.h"
#include "cli/commands.h"
#include "common/operator_error.h"
#include "dns/dns_caching_resolver.h"
#include "dns/dns_resolver.h"
#include "spam/scanner.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <nlohmann/json.hpp>

#include <ctime>
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
  Classifier classifier(config, {&dns, scanner.get(), nullptr, nullptr});
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
