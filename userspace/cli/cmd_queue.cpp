// `poolgate queue list|show|delete`: the spool as an operator sees it. Reading
// works beside a running daemon (a read-only view); deleting goes through the
// daemon's control socket when one runs, else opens the spool itself.
#include "cli/commands.h"
#include "cli/queue_format.h"
#include "common/operator_error.h"
#include "daemon/control_socket.h"
#include "spool/spool.h"

#include <iostream>

namespace poolgate::cli {
namespace {

int list(const Config& config, bool json) {
  auto spool = Spool::open_read_only(config.relay.spool);
  std::vector<Envelope> messages = spool->load_unfinished();
  if (json)
    std::cout << queue_to_json(messages).dump(2) << "\n";
  else
    std::cout << format_queue_table(messages);
  return 0;
}

int show(const Config& config, const std::string& id, bool content, bool json) {
  auto spool = Spool::open_read_only(config.relay.spool);
  std::optional<Envelope> envelope = spool->load_envelope(id);
  if (!envelope) throw OperatorError("no message " + id + " in the queue");
  if (content) {
    // The message exactly as stored (with poolgate's Received: header), for
    // piping into other tools.
    spool->read_content(id, [](std::string_view chunk) { std::cout.write(chunk.data(), chunk.size()); });
    return 0;
  }
  if (json)
    std::cout << envelope_to_json(*envelope).dump(2) << "\n";
  else
    std::cout << format_envelope(*envelope);
  return 0;
}

int remove(const Config& config, const std::string& id) {
  if (auto answer = control_request(config.relay.spool, "delete " + id)) {
    if (*answer != "ok") throw OperatorError("the daemon says: " + *answer);
  } else {
    auto spool = Spool::open(config.relay.spool);
    if (!spool->load_envelope(id)) throw OperatorError("no message " + id + " in the queue");
    spool->remove(id);
  }
  std::cout << id << ": deleted\n";
  return 0;
}

}  // namespace

void register_queue(CLI::App& app, const GlobalOptions& options, Runner& run) {
  auto* queue = app.add_subcommand("queue", "inspect and change the spool");
  queue->require_subcommand(1);
  auto json = std::make_shared<bool>(false);
  auto content = std::make_shared<bool>(false);
  auto id = std::make_shared<std::string>();
  auto* list_cmd = queue->add_subcommand("list", "messages in the queue");
  list_cmd->add_flag("--json", *json, "machine-readable output");
  auto* show_cmd = queue->add_subcommand("show", "one message: envelope and recipients");
  show_cmd->add_option("ID", *id, "queue id")->required();
  show_cmd->add_flag("--content", *content, "print the stored message itself");
  show_cmd->add_flag("--json", *json, "machine-readable output");
  auto* delete_cmd = queue->add_subcommand("delete", "remove a message (no bounce)");
  delete_cmd->add_option("ID", *id, "queue id")->required();

  auto with_config = [&options](auto action) {
    return [&options, action] {
      std::optional<Config> config = load_or_report(options.config_path);
      if (!config) return kExitInvalidConfig;
      return action(*config);
    };
  };
  list_cmd->callback([&run, with_config, json] {
    run = with_config([json](const Config& c) { return list(c, *json); });
  });
  show_cmd->callback([&run, with_config, id, content, json] {
    run = with_config([id, content, json](const Config& c) { return show(c, *id, *content, *json); });
  });
  delete_cmd->callback([&run, with_config, id] {
    run = with_config([id](const Config& c) { return remove(c, *id); });
  });
}

}  // namespace poolgate::cli
