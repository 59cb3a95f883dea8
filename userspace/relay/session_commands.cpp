// What each SMTP command does to the session (RFC 5321 4.1.1, 4.1.4 ordering),
// and handing an accepted message to the spool.
#include "relay/received_header.h"
#include "relay/session.h"

#include "common/log_text.h"
#include "classify/classifier.h"  // NOLINT: after session.h, which it completes
#include "spool/spool_commit.h"
#include "smtp/ehlo.h"

#include <spdlog/spdlog.h>

#include <ctime>

namespace poolgate {


asio::awaitable<SmtpSession::Next> SmtpSession::handle(const Command& command) {
  switch (command.verb) {
    case Verb::Ehlo:
    case Verb::Helo: {
      Reply out;
      on_ehlo(command, command.verb == Verb::Ehlo, out);
      co_await reply(out);
      co_return Next::Continue;
    }
    case Verb::Mail:
      co_await reply(on_mail(command));
      co_return Next::Continue;
    case Verb::Rcpt:
      co_await reply(on_rcpt(command));
      co_return Next::Continue;
    case Verb::Data:
      if (!transaction_) {
        co_await reply(replies::bad_sequence("need MAIL command"));
        co_return Next::Continue;
      }
      if (transaction_->recipients.empty()) {
        co_await reply(make_reply(554, "5.5.1", "Error: no valid recipients"));
        co_return Next::Continue;
      }
      co_return co_await on_data();
    case Verb::Rset:
      transaction_.reset();
      co_await reply(replies::ok());
      co_return Next::Continue;
    case Verb::Noop:
      co_await reply(replies::ok());
      co_return Next::Continue;
    case Verb::Vrfy:
      co_await reply(replies::cannot_vrfy());
      co_return Next::Continue;
    case Verb::Help:
      co_await reply(replies::help());
      co_return Next::Continue;
    case Verb::Quit:
      co_await reply(replies::bye());
      co_return Next::Close;
    case Verb::Starttls:
      co_return co_await on_starttls();
    case Verb::Unsupported:
      co_await reply(replies::not_implemented(command.name));
      co_return Next::Continue;
    case Verb::Unknown:
      co_await reply(replies::command_unrecognized());
      co_return Next::Continue;
  }
  co_return Next::Continue;
}

void SmtpSession::on_ehlo(const Command& command, bool esmtp, Reply& out) {
  if (command.argument.empty()) {
    out = replies::syntax(esmtp ? "EHLO hostname" : "HELO hostname");
    return;
  }
  // RFC 5321 4.1.4: EHLO/HELO in the middle of a session resets it like RSET.
  transaction_.reset();
  helo_ = command.argument;
  esmtp_ = esmtp;
  greeted_ = true;
  out = esmtp ? build_ehlo_reply(config_.hostname, offered())
              : build_helo_reply(config_.hostname);
}

Reply SmtpSession::on_mail(const Command& command) {
  if (!greeted_) return replies::bad_sequence("send HELO/EHLO first");
  if (transaction_) return replies::bad_sequence("nested MAIL command");
  if (context_.draining) return replies::shutting_down();
  const MailParams& params = command.mail;
  // RFC 1870 6.1: a declared size over the limit is refused before any data.
  if (params.size && *params.size > config_.max_message_size)
    return replies::size_exceeded();
  // The spool's file system is low (spool/space_guard.h): say so now rather
  // than after the client has sent the whole message.
  if (context_.spool && !context_.spool->health().accepting)
    return replies::insufficient_storage();
  // RFC 1870 6.1 again: a size whose memory (head and streaming chunks, not
  // the whole message) does not fit what the other sessions leave of
  // relay.max_data_in_flight_bytes is refused now, not after the data.
  if (params.size) {
    uint64_t need = memory_for_message(*params.size, data_limits());
    uint64_t left = context_.data_budget.left(config_.max_data_in_flight_bytes);
    if (need > left) {
      context_.data_budget.count_refusal();
      spdlog::warn("{}: MAIL refused: 452 4.3.1: SIZE={} needs {} bytes in memory, {} left of "
                   "relay.max_data_in_flight_bytes", tag(), *params.size, need, left);
      return replies::insufficient_storage();
    }
  }
  transaction_ = Transaction{command.path, params, {}};
  return replies::sender_ok();
}

Reply SmtpSession::on_rcpt(const Command& command) {
  if (!transaction_) return replies::bad_sequence("need MAIL command");
  if (transaction_->recipients.size() >= config_.max_recipients)
    return replies::too_many_recipients();
  Recipient recipient;
  recipient.address = command.path;
  recipient.notify = command.rcpt.notify;
  recipient.orcpt = command.rcpt.orcpt();
  transaction_->recipients.push_back(std::move(recipient));
  return replies::recipient_ok();
}

asio::awaitable<SmtpSession::Next> SmtpSession::on_starttls() {
  if (!context_.tls || channel_.tls()) {
    co_await reply(replies::not_implemented("STARTTLS"));
    co_return Next::Continue;
  }
  co_await reply(replies::ready_for_tls());
  error_code ec;
  co_await channel_.start_tls(*context_.tls, ec);
  if (ec) {
    spdlog::warn("{}: TLS handshake failed: {}", tag(), ec.message());
    co_return Next::Close;
  }
  // RFC 3207 4.2: forget everything learnt before TLS; the client says EHLO again.
  helo_.clear();
  esmtp_ = greeted_ = false;
  transaction_.reset();
  in_.clear();
  lines_.reset();
  spdlog::info("{}: TLS established: {}", tag(), channel_.tls_description());
  co_return Next::Continue;
}

asio::awaitable<std::optional<Reply>> SmtpSession::classify_message(Envelope& envelope,
                                                                          std::string& message) {
  Decision decision =
      co_await context_.classifier->classify(envelope, message, std::time(nullptr));
  using Action = Decision::Action;
  if (decision.action == Action::TempFail || decision.action == Action::Reject) {
    spdlog::info("{}: refused from=<{}>: {} ({})", envelope.queue_id, log_text(envelope.sender),
                 decision.reply.str(), log_text(decision.reasons_text()));
    co_return decision.reply;
  }
  envelope.pool = decision.pool;
  envelope.reasons = decision.reasons;
  envelope.hold_for_dns = decision.action == Action::Hold;
  spdlog::info("{}: classified pool={}{} reasons={}", envelope.queue_id, decision.pool,
               envelope.hold_for_dns ? " (held: sender domain unverified)" : "",
               log_text(decision.reasons_text()));
  if (context_.classifier->config().classify.add_header)
    message.insert(0, trace_header(decision));
  co_return std::nullopt;
}

asio::awaitable<Reply> SmtpSession::accept_message(MessageBuffer& buffer) {
  Transaction& transaction = *transaction_;
  Envelope envelope;
  envelope.queue_id = buffer.queue_id();
  envelope.sender = transaction.sender;
  envelope.recipients = std::move(transaction.recipients);
  envelope.ret = transaction.params.ret;
  envelope.envid = transaction.params.envid.value_or("");
  envelope.smtputf8 = transaction.params.smtputf8;
  envelope.body_8bitmime = transaction.params.body == Body::EightBitMime;
  envelope.client_address = channel_.remote_address().to_string();
  envelope.client_helo = helo_;
  envelope.tls = channel_.tls();
  envelope.tls_cipher = channel_.tls_description();
  envelope.received_unix = std::time(nullptr);

  // The head (the whole message unless it was streamed) gets the headers in
  // front, usually in place: the buffer reserves room for them.
  std::string& message = buffer.head();
  message.insert(0, received_header(envelope, config_.hostname, esmtp_));
  StagedContent staged = buffer.staged();
  // The classifier reads the head; the size tells the scanner what it did not see.
  envelope.size = message.size() + staged.bytes;

  if (context_.classifier) {
    std::optional<Reply> refusal = co_await classify_message(envelope, message);
    if (refusal) co_return *refusal;  // the buffer discards the staged chunks
  }

  std::string sender = envelope.sender;
  size_t recipients = envelope.recipients.size();
  // The delivery engine gets its own copy once the message is durable.
  std::optional<Envelope> queued;
  if (context_.on_queued) {
    queued = envelope;
    queued->size = message.size() + staged.bytes;
  }
  // Its bytes stay counted in the budget until the buffer goes, after the commit.
  CommitResult result = co_await commit_to_spool(*context_.spool, std::move(envelope),
                                                 std::move(message), staged);
  if (result.error) {
    spdlog::error("{}: spool commit failed: {}; message not accepted", tag(),
                  result.error.message());
    co_return spool_failure_reply(result.error);
  }
  buffer.committed();
  spdlog::info("{}: accepted from=<{}> nrcpt={} client={} helo={}", result.queue_id,
               log_text(sender), recipients, channel_.remote_address().to_string(),
               log_text(helo_));
  if (queued) {
    queued->queue_id = result.queue_id;
    context_.on_queued(std::move(*queued));
  }
  co_return replies::queued(result.queue_id);
}

}  // namespace poolgate
