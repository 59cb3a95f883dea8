// `poolgate queue list|show|delete|retry|bounce|suspend|resume`: the spool as
// an operator sees it. Reading works beside a running daemon (a read-only
// view); changes go through the daemon's control socket when one runs (its
// delivery engine holds the queue), else the spool is opened and changed
// directly, to take effect at the next start.
#include "admin/admin_client.h"
#include "admin/queue_json.h"
#include "cli/commands.h"
#include "cli/queue_format.h"
#include "common/operator_error.h"
#include "daemon/control_socket.h"
#include "queue/queue_control.h"
#include "queue/queued_message.h"
#include "spool/spool.h"

#include <iostream>

namespace poolgate {
namespace {

// The running daemon's queue (live recipient states) when its admin API
// answers, else the spool as last written.
int list(const Config& config, bool json) {
  nlohmann::ordered_json messages;
  if (std::optional<std::string> live = admin_get(config, "/queue")) {
    messages = nlohmann::ordered_json::parse(*live);
  } else {
    auto spool = Spool::open_read_only(config.relay.spool);
    messages = queue_to_json(spool->load_unfinished());
  }
  if (json)
    std::cout << messages.dump(2) << "\n";
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

// Asks the running daemon; false when none runs (the caller acts offline).
bool ask_daemon(const Config& config, const std::string& request) {
  std::optional<std::string> answer = control_request(config.relay.spool, request);
  if (!answer) return false;
  if (*answer != "ok") throw OperatorError("the daemon says: " + *answer);
  return true;
}

std::unique_ptr<Spool> open_with_message(const Config& config, const std::string& id) {
  auto spool = Spool::open(config.relay.spool);
  if (!spool->load_envelope(id)) throw OperatorError("no message " + id + " in the queue");
  return spool;
}

int remove(const Config& config, const std::string& id) {
  if (!ask_daemon(config, "delete " + id)) open_with_message(config, id)->remove(id);
  std::cout << id << ": deleted\n";
  return 0;
}

int retry(const Config& config, const std::string& id) {
  if (!ask_daemon(config, "retry " + id)) {
    // Offline: clear the retry times; the next start tries at once.
    auto spool = open_with_message(config, id);
    Envelope envelope = *spool->load_envelope(id);
    for (size_t i = 0; i < envelope.recipients.size(); ++i) {
      RecipientStatus status = RecipientStatus::of(envelope.recipients[i]);
      if (status.state != RecipientState::Queued && status.state != RecipientState::Deferred)
        continue;
      status.next_attempt_unix = 0;
      spool->update_recipient(id, uint32_t(i), status);
    }
  }
  std::cout << id << ": scheduled for delivery now\n";
  return 0;
}

int bounce(const Config& config, const std::string& id) {
  if (!ask_daemon(config, "bounce " + id))
    throw OperatorError("bouncing needs the running daemon (poolgate run): it writes the DSN");
  std::cout << id << ": bounced (DSN to the sender)\n";
  return 0;
}

int suspend(const Config& config, const std::string& domain_in, bool on) {
  std::string domain = normalize_domain(domain_in);  // as the engine compares them
  if (!ask_daemon(config, (on ? "suspend " : "resume ") + domain)) {
    auto spool = Spool::open(config.relay.spool);
    if (on) spool->put_meta(kSuspendedDomainMeta + domain, "");
    else spool->erase_meta(kSuspendedDomainMeta + domain);
  }
  std::cout << domain << (on ? ": delivery suspended\n" : ": delivery resumed\n");
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
  auto* retry_cmd = queue->add_subcommand("retry", "try the deferred recipients now");
  retry_cmd->add_option("ID", *id, "queue id")->required();
  auto* bounce_cmd = queue->add_subcommand("bounce", "fail the message and send its DSN");
  bounce_cmd->add_option("ID", *id, "queue id")->required();
  auto domain = std::make_shared<std::string>();
  auto* suspend_cmd = queue->add_subcommand("suspend", "no new deliveries to a domain");
  suspend_cmd->add_option("DOMAIN", *domain, "recipient domain")->required();
  auto* resume_cmd = queue->add_subcommand("resume", "deliver to a suspended domain again");
  resume_cmd->add_option("DOMAIN", *domain, "recipient domain")->required();

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
  retry_cmd->callback([&run, with_config, id] {
    run = with_config([id](const Config& c) { return retry(c, *id); });
  });
  bounce_cmd->callback([&run, with_config, id] {
    run = with_config([id](const Config& c) { return bounce(c, *id); });
  });
  suspend_cmd->callback([&run, with_config, domain] {
    run = with_config([domain](const Config& c) { return suspend(c, *domain, true); });
  });
  resume_cmd->callback([&run, with_config, domain] {
    run = with_config([domain](const Config& c) { return suspend(c, *domain, false); });
  });
}

}  // namespace poolgate
