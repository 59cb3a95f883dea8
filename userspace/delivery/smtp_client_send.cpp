// One mail transaction (RFC 5321 3.3): MAIL, RCPT per recipient, DATA, the
// content, the final reply; pipelined when the next hop offers PIPELINING
// (RFC 2920), in lock-step otherwise.
#include "delivery/smtp_client.h"

#include "smtp/dot_stuffer.h"

#include <exception>

namespace poolgate {

namespace {

// Content goes out in blocks of at most this much (before stuffing), so a
// message that arrives as one huge chunk is still never copied whole, and each
// write gets its own data-block timeout.
constexpr size_t kBlock = 64 * 1024;

}  // namespace

struct SmtpClient::Transaction {
  TransactionPlan plan;
  std::vector<size_t> recipients;                    // envelope indices, in RCPT order
  std::vector<std::optional<RecipientResult>> done;  // decided, per position
  std::vector<bool> accepted;                        // 2xx to RCPT, no final reply yet
  bool data_started = false;                         // 354 to DATA and content owed

  bool any_accepted() const {
    for (bool a : accepted)
      if (a) return true;
    return false;
  }
  void decide(size_t i, const Reply& reply, Stage stage, bool from_peer, ReplyClass cls,
              std::optional<Outcome> outcome = std::nullopt) {
    accepted[i] = false;
    Outcome decided = outcome.value_or(outcome_of(reply));
    done[i] = RecipientResult{recipients[i], decided, with_enhanced_code(reply), stage, from_peer,
                              decided == Outcome::Delivered ? ReplyClass::None : cls};
  }
  // Every recipient still open (accepted included) gets `reply`.
  void decide_open(const Reply& reply, Stage stage, bool from_peer, ReplyClass cls,
                   std::optional<Outcome> outcome = std::nullopt) {
    for (size_t i = 0; i < done.size(); ++i)
      if (!done[i]) decide(i, reply, stage, from_peer, cls, outcome);
  }
  // The RCPT reply for position i: accepted, or decided now.
  void rcpt_reply(size_t i, const Reply& reply, ReplyClass cls) {
    if (reply.positive())
      accepted[i] = true;
    else
      decide(i, reply, Stage::Rcpt, true, cls);
  }
};

asio::awaitable<MessageResult> SmtpClient::send(const OutboundMessage& message) {
  const auto start = std::chrono::steady_clock::now();
  Transaction t;
  t.recipients = recipients_of(message);
  t.done.resize(t.recipients.size());
  t.accepted.resize(t.recipients.size());

  if (state_ == State::Fresh) co_await open();
  if (state_ == State::Ready) {
    t.plan = plan_transaction(message.envelope, t.recipients, caps_);
    if (t.plan.refusal) {
      // poolgate's words, but about what the next hop lacks: the rules read
      // its enhanced code (5.6.x protocol, 5.3.4 policy).
      t.decide_open(*t.plan.refusal, Stage::Prepare, false,
                    classify(Stage::Prepare, *t.plan.refusal));
    } else {
      try {
        if (need_rset_) co_await rset();
        need_rset_ = true;  // until the final reply says the transaction is over
        if (caps_.pipelining)
          co_await envelope_pipelined(t);
        else
          co_await envelope_lockstep(t);
        if (t.data_started) co_await content(t, message.content);
      } catch (const ConnectionFailure&) {
        // failure_ is set and the connection closed; recipients get it below.
      }
    }
  } else if (state_ == State::Closed && !failure_) {
    failure_ = ConnectionFailure{
        Stage::Connect,
        make_reply(451, "4.4.2", "connection to " + peer() + " already closed"), false,
        ReplyClass::Other};
  }
  if (failure_)
    t.decide_open(failure_->reply, failure_->stage, failure_->from_peer, failure_->reply_class,
                  Outcome::TempFail);

  MessageResult result;
  for (auto& r : t.done) result.recipients.push_back(std::move(*r));
  result.record = record_;
  result.record.duration = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);
  record_.duration = result.record.duration;
  co_return result;
}

asio::awaitable<void> SmtpClient::rset() {
  const Wait wait{options_.timeouts.rset, Stage::Rset, "the reply to RSET"};
  co_await write("RSET\r\n", wait);
  Reply reply = co_await read_reply(wait);
  check_closing(reply, Stage::Rset);
  // A server that cannot reset is in a state we cannot reason about: give the
  // connection up (Postfix does the same).
  if (!reply.positive()) {
    close();
    fail(Stage::Rset, reply, true);
  }
  need_rset_ = false;
}

asio::awaitable<void> SmtpClient::envelope_pipelined(Transaction& t) {
  // RFC 2920 3.1: MAIL, every RCPT and DATA may go in one group; DATA ends it.
  std::string group = t.plan.mail + "\r\n";
  for (const std::string& rcpt : t.plan.rcpts) group += rcpt + "\r\n";
  group += "DATA\r\n";
  co_await write(group, {options_.timeouts.mail, Stage::Mail, "MAIL FROM"});

  // The replies come in command order (RFC 2920 3.2); all are read, whatever
  // they say, to stay in step.
  Reply mail =
      co_await read_reply({options_.timeouts.mail, Stage::Mail, "the reply to MAIL FROM"});
  check_closing(mail, Stage::Mail);
  for (size_t i = 0; i < t.recipients.size(); ++i) {
    Reply rcpt =
        co_await read_reply({options_.timeouts.rcpt, Stage::Rcpt, "the reply to RCPT TO"});
    check_closing(rcpt, Stage::Rcpt);
    if (mail.positive()) t.rcpt_reply(i, rcpt, classify(Stage::Rcpt, rcpt));
  }
  Reply data =
      co_await read_reply({options_.timeouts.data_init, Stage::Data, "the reply to DATA"});
  check_closing(data, Stage::Data);

  if (!mail.positive()) t.decide_open(mail, Stage::Mail, true, classify(Stage::Mail, mail));
  if (data.code == 354 && t.any_accepted()) {
    t.data_started = true;
    co_return;
  }
  if (t.any_accepted()) t.decide_open(data, Stage::Data, true, classify(Stage::Data, data));
  if (data.code == 354) co_await abandon_data();
}

asio::awaitable<void> SmtpClient::abandon_data() {
  // RFC 2920 3.1: the server took DATA although no recipient (or MAIL) was
  // accepted; an empty message ends it, and its reply means nothing.
  const Wait wait{options_.timeouts.data_termination, Stage::Data, "the reply to an empty DATA"};
  co_await write(".\r\n", wait);
  Reply reply = co_await read_reply(wait);
  check_closing(reply, Stage::Data);
}

asio::awaitable<void> SmtpClient::envelope_lockstep(Transaction& t) {
  const Wait mail_wait{options_.timeouts.mail, Stage::Mail, "the reply to MAIL FROM"};
  co_await write(t.plan.mail + "\r\n", mail_wait);
  Reply mail = co_await read_reply(mail_wait);
  check_closing(mail, Stage::Mail);
  if (!mail.positive()) {
    t.decide_open(mail, Stage::Mail, true, classify(Stage::Mail, mail));
    co_return;
  }
  for (size_t i = 0; i < t.recipients.size(); ++i) {
    const Wait wait{options_.timeouts.rcpt, Stage::Rcpt, "the reply to RCPT TO"};
    co_await write(t.plan.rcpts[i] + "\r\n", wait);
    Reply rcpt = co_await read_reply(wait);
    check_closing(rcpt, Stage::Rcpt);
    t.rcpt_reply(i, rcpt, classify(Stage::Rcpt, rcpt));
  }
  if (!t.any_accepted()) co_return;
  const Wait data_wait{options_.timeouts.data_init, Stage::Data, "the reply to DATA"};
  co_await write("DATA\r\n", data_wait);
  Reply data = co_await read_reply(data_wait);
  check_closing(data, Stage::Data);
  if (data.code == 354)
    t.data_started = true;
  else
    t.decide_open(data, Stage::Data, true, classify(Stage::Data, data));
}

asio::awaitable<void> SmtpClient::content(Transaction& t, ContentSource& source) {
  const Wait block{options_.timeouts.data_block, Stage::Content, "the message content"};
  DotStuffer stuffer;
  std::string out;
  for (;;) {
    std::string_view chunk;
    std::optional<std::string> error;
    try {
      chunk = source.next();
    } catch (const std::exception& e) {
      error = e.what();
    }
    if (error) {
      // Closing without the final dot makes the next hop discard what it got
      // (RFC 5321 4.1.1.4): a truncated message must never be delivered.
      close();
      // Our own spool, not the next hop: no remote outcome to classify.
      fail(Stage::Content,
           make_reply(451, "4.3.0", "cannot read the message content: " + *error), false,
           ReplyClass::None);
    }
    if (chunk.empty()) break;
    while (!chunk.empty()) {
      std::string_view piece = chunk.substr(0, kBlock);
      chunk.remove_prefix(piece.size());
      out.clear();
      stuffer.feed(piece, out);
      co_await write(out, block);
    }
  }
  out.clear();
  stuffer.finish(out);
  co_await write(out, block);

  Reply reply = co_await read_reply(
      {options_.timeouts.data_termination, Stage::Content, "the reply to the end of data"});
  need_rset_ = false;  // any final reply ends the transaction (RFC 5321 4.1.1.4)
  check_closing(reply, Stage::Content);
  ReplyClass cls = classify(Stage::Content, reply);
  for (size_t i = 0; i < t.accepted.size(); ++i)
    if (t.accepted[i]) t.decide(i, reply, Stage::Content, true, cls);
}

}  // namespace poolgate
