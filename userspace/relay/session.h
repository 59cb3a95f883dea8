// One inbound ESMTP session (RFC 5321) from connect to QUIT, as a coroutine.
//
// Reading: bytes go into in_; the command phase splits them with a LineReader,
// the DATA phase hands them to a DataReader, so octets after the end of data
// stay in in_ as the next (pipelined) commands. Pipelining is policed the way
// Postfix's smtpd_forbid_unauth_pipelining does: input already waiting behind a
// command before PIPELINING was offered (no EHLO yet, or HELO), or behind a
// command that RFC 2920 3.1 makes the last of a group (EHLO, HELO, DATA, VRFY,
// NOOP, QUIT, STARTTLS...), ends the session with 554 5.5.0.
#pragma once

#include "config/config.h"
#include "mail/envelope.h"
#include "net/channel.h"
#include "relay/connection_limits.h"
#include "relay/data_budget.h"
#include "relay/message_buffer.h"
#include "smtp/command_parser.h"
#include "smtp/line_reader.h"
#include "smtp/reply.h"

#include <boost/asio/ssl/context.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace poolgate {

class Classifier;

class Spool;

// What every session shares: the relay's settings and the spool.
struct RelayContext {
  const RelayConfig* config = nullptr;
  Spool* spool = nullptr;
  asio::ssl::context* tls = nullptr;  // null: no STARTTLS
  bool draining = false;               // SIGTERM: finish, then 421 at the next command
  // Called (on the event loop) with each message once it is durable: the
  // delivery engine's entry point. Unset: messages only queue up.
  std::function<void(Envelope)> on_queued;
  // Decides each message's pool before the 250; null: unclassified.
  Classifier* classifier = nullptr;
  // DATA bytes every session holds in memory (relay.max_data_in_flight_bytes).
  DataBudget data_budget;
};

// True when `client` may relay (relay.client_networks).
bool client_allowed(const RelayConfig& config, const asio::ip::address& client);

// The reply to a message the spool could not store: 452 4.3.1 when it is low
// on space, else 451 4.3.0.
Reply spool_failure_reply(std::error_code error);

// The reply a client outside client_networks is greeted with.
Reply refused_greeting(const asio::ip::address& client);

class SmtpSession : public std::enable_shared_from_this<SmtpSession> {
 public:
  // `allowed`: the client is in client_networks (see client_allowed); a
  // refused one only gets its 554 and a short wait for QUIT.
  SmtpSession(asio::ip::tcp::socket socket, RelayContext& context, uint64_t id,
              std::unique_ptr<ConnectionLimits::Slot> slot, bool allowed);

  // Runs the whole session; the caller keeps the session alive until it returns.
  asio::awaitable<void> run();
  // SIGTERM: an idle session says 421 and closes now; a busy one after its reply.
  void drain();

 private:
  struct Transaction {
    std::string sender;
    MailParams params;
    std::vector<Recipient> recipients;
  };
  enum class Next { Continue, Close };

  static asio::awaitable<void> watch(std::shared_ptr<SmtpSession> self);
  asio::awaitable<void> refuse(const Reply& greeting);
  // `restart_deadline`: each command line gets command_timeout_s anew; false
  // keeps the deadline already set (a refused client's one short wait).
  asio::awaitable<std::optional<Line>> read_line(bool restart_deadline = true);
  asio::awaitable<bool> fill();  // one read into in_; false on EOF/error/timeout
  asio::awaitable<void> reply(const Reply& reply);
  bool input_pending();

  asio::awaitable<Next> handle(const Command& command);
  void on_ehlo(const Command& command, bool esmtp, Reply& out);
  Reply on_mail(const Command& command);
  Reply on_rcpt(const Command& command);
  asio::awaitable<Next> on_data();
  asio::awaitable<Next> on_starttls();
  // The message after its end of data: its head in memory, the rest staged.
  asio::awaitable<Reply> accept_message(MessageBuffer& buffer);
  // The memory rules of this session's generation (message_buffer.h).
  MessageBufferLimits data_limits() const;
  // Runs the classifier; a reply when the message is refused (4xx/5xx), else
  // the envelope carries the decision (and the message its trace header).
  asio::awaitable<std::optional<Reply>> classify_message(Envelope& envelope,
                                                               std::string& message);

  Capabilities offered() const;
  std::string tag() const;  // "s42 198.51.100.7" for logs

  SmtpChannel channel_;
  RelayContext& context_;
  // The generation current when the session began (RelayServer::reconfigure):
  // a SIGHUP changes the limits of new sessions, never an open one's midway.
  const RelayConfig& config_;
  uint64_t id_;
  std::unique_ptr<ConnectionLimits::Slot> slot_;
  bool allowed_;
  LineReader lines_;
  std::string in_;  // received, not yet consumed
  std::string helo_;
  bool esmtp_ = false;
  bool greeted_ = false;  // EHLO or HELO given
  bool idle_ = false;     // waiting for the next command
  std::optional<Transaction> transaction_;
};

}  // namespace poolgate
