// The session's I/O loop: greeting, reading commands, pipelining policy, the
// DATA phase. The per-command rules are in session_commands.cpp.
#include "relay/session.h"

#include "common/log_text.h"

#include "smtp/data_reader.h"
#include "spool/errors.h"
#include "smtp/ehlo.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

namespace poolgate {

using namespace std::chrono_literals;

namespace {

// RFC 2920 3.1: these end a group; the client must wait for their reply.
// HELO and STARTTLS (RFC 3207 4.2) likewise. QUIT ends the session anyway.
bool must_end_group(Verb verb) {
  switch (verb) {
    case Verb::Ehlo: case Verb::Helo: case Verb::Data:
    case Verb::Vrfy: case Verb::Noop: case Verb::Starttls:
    case Verb::Help:
      return true;
    default:
      return false;
  }
}

constexpr size_t kReadChunk = 16 * 1024;
constexpr size_t kBaseCommandLine = 512;  // RFC 5321 4.5.3.1.4, CRLF included
constexpr int kMaxCommandsWhenRefused = 20;
// A refused client has this long in all (never more than command_timeout_s) to
// read its 554 and say QUIT: enough for any real client, and a flood of refused
// connections ends within seconds instead of waiting out command_timeout_s.
constexpr auto kRefusedDeadline = std::chrono::seconds(10);

}  // namespace

bool client_allowed(const RelayConfig& config, const asio::ip::address& client) {
  for (const Network& network : config.client_networks)
    if (network.contains(client)) return true;
  return false;
}

Reply spool_failure_reply(std::error_code error) {
  // Space (spool/space_guard.h): RFC 3463 X.3.1 "mail system full", the
  // sending MTA keeps the message and retries; anything else is a write error.
  if (error == make_error_code(SpoolErrc::no_space)) return replies::insufficient_storage();
  return make_reply(451, "4.3.0", "Error: queue file write error, try again later");
}

Reply refused_greeting(const asio::ip::address& client) {
  return make_reply(554, "5.7.1", client.to_string() + ": relay access denied");
}

SmtpSession::SmtpSession(asio::ip::tcp::socket socket, RelayContext& context, uint64_t id,
                         std::unique_ptr<ConnectionLimits::Slot> slot, bool allowed)
    : channel_(std::move(socket)),
      context_(context),
      config_(*context.config),
      id_(id),
      slot_(std::move(slot)),
      allowed_(allowed),
      // The limit depends only on the extensions poolgate offers, not on state.
      lines_({command_line_limit(Capabilities::server_all()), BareLf::Accept}) {}

std::string SmtpSession::tag() const {
  return "s" + std::to_string(id_) + " " + channel_.remote_address().to_string();
}

Capabilities SmtpSession::offered() const {
  Capabilities caps = Capabilities::server_all(config_.max_message_size);
  caps.starttls = context_.tls != nullptr && !channel_.tls();
  return caps;
}

void SmtpSession::drain() {
  // Only an idle session is interrupted; a busy one sees `draining` when it
  // next waits for a command. Cancelling makes the pending read return.
  if (idle_) {
    error_code ignored;
    channel_.socket().cancel(ignored);
  }
}

asio::awaitable<void> SmtpSession::reply(const Reply& r) {
  error_code ec;
  co_await channel_.write(r.wire(), ec);
  if (ec) channel_.close();
}

asio::awaitable<bool> SmtpSession::fill() {
  char buffer[kReadChunk];
  error_code ec;
  size_t n = co_await channel_.read_some(asio::buffer(buffer), ec);
  if (ec) co_return false;
  in_.append(buffer, n);
  co_return true;
}

bool SmtpSession::input_pending() {
  error_code ec;
  return !in_.empty() || channel_.socket().available(ec) > 0;
}

asio::awaitable<std::optional<Line>> SmtpSession::read_line(bool restart_deadline) {
  for (;;) {
    if (!in_.empty()) {
      LineReader::Result result = lines_.feed(in_);
      in_.erase(0, result.consumed);
      if (result.line) co_return std::move(result.line);
    }
    if (context_.draining && !lines_.mid_line()) co_return std::nullopt;
    // The deadline covers the whole command line, not each read: a client that
    // trickles one byte at a time (slowloris) still runs out of time.
    if (restart_deadline && !lines_.mid_line())
      channel_.set_deadline(std::chrono::seconds(config_.command_timeout_s));
    idle_ = !lines_.mid_line();
    bool ok = co_await fill();
    idle_ = false;
    if (!ok) co_return std::nullopt;
  }
}

asio::awaitable<void> SmtpSession::refuse(const Reply& greeting) {
  // RFC 5321 3.1: after a 554 greeting the server waits for QUIT and answers
  // anything else with 503, so the client learns why instead of retrying blindly.
  // One short deadline for all of it, not one per command.
  channel_.set_deadline(std::min<std::chrono::seconds>(
      kRefusedDeadline, std::chrono::seconds(config_.command_timeout_s)));
  co_await reply(greeting);
  for (int i = 0; i < kMaxCommandsWhenRefused; ++i) {
    std::optional<Line> line = co_await read_line(false);
    if (!line) co_return;
    if (parse_command(line->text).command.verb == Verb::Quit) {
      co_await reply(replies::bye());
      co_return;
    }
    co_await reply(make_reply(503, "5.7.1", "Error: no SMTP service for you here"));
  }
}

// The watchdog's last wake-up comes after run() ends, so it holds the session
// too: as a coroutine parameter, which lives in the frame (a lambda's capture
// would not).
asio::awaitable<void> SmtpSession::watch(std::shared_ptr<SmtpSession> self) {
  co_await self->channel_.watchdog();
}

asio::awaitable<void> SmtpSession::run() {
  auto self = shared_from_this();
  asio::co_spawn(co_await asio::this_coro::executor, watch(self), asio::detached);
  channel_.set_deadline(std::chrono::seconds(config_.command_timeout_s));
  const RelayConfig& config = config_;
  auto client = channel_.remote_address();

  if (!allowed_) {
    spdlog::warn("{}: refused: client not in client_networks", tag());
    co_await refuse(refused_greeting(client));
    channel_.close();
    co_return;
  }
  if (context_.draining) {
    co_await reply(replies::shutting_down());
    channel_.close();
    co_return;
  }
  spdlog::info("{}: connect", tag());
  co_await reply(make_reply(220, "", config.hostname + " ESMTP poolgate"));

  for (;;) {
    std::optional<Line> line = co_await read_line();
    if (!line) {
      if (context_.draining) co_await reply(replies::shutting_down());
      else if (channel_.timed_out()) co_await reply(replies::timeout());
      break;
    }
    ParseOptions options;
    static_cast<ParamContext&>(options) = {offered(), esmtp_, transaction_ &&
                                                                     transaction_->params.smtputf8};
    options.overlong = line->status == Line::Status::TooLong;
    ParseResult parsed = parse_command(line->text, options);
    // The line reader allows what MAIL and RCPT may grow to with SIZE, DSN and
    // SMTPUTF8 (RFC 1870, 3461, 6531); every other command keeps RFC 5321's 512.
    if (!options.overlong && line->text.size() + 2 > kBaseCommandLine &&
        parsed.command.verb != Verb::Mail && parsed.command.verb != Verb::Rcpt) {
      options.overlong = true;
      parsed = parse_command(line->text, options);
    }
    Verb verb = parsed.command.verb;
    if (verb != Verb::Quit && (!esmtp_ || must_end_group(verb)) && input_pending()) {
      spdlog::warn("{}: improper command pipelining after {}", tag(),
                   parsed.command.name.empty() ? "CONNECT" : log_text(parsed.command.name));
      co_await reply(make_reply(554, "5.5.0", "Error: SMTP protocol synchronization"));
      break;
    }
    if (parsed.error) {
      co_await reply(*parsed.error);
      continue;
    }
    if (co_await handle(parsed.command) == Next::Close) break;
  }
  spdlog::info("{}: disconnect", tag());
  channel_.close();
}

MessageBufferLimits SmtpSession::data_limits() const {
  return {config_.stream_threshold_bytes, config_.max_data_in_flight_bytes,
          context_.spool->chunk_bytes()};
}

asio::awaitable<SmtpSession::Next> SmtpSession::on_data() {
  co_await reply(replies::start_data());
  const RelayConfig& config = config_;
  DataReaderOptions options;
  options.max_size = config.max_message_size;
  options.bare_newline = config.bare_newline;
  // The head stays in memory, the rest goes to the spool as it arrives
  // (message_buffer.h); the queue id is taken now, for the staged chunks.
  // (The co_await in its own statement: GCC 12 mishandles temporaries that
  // share a full-expression with one, chunk_stager.cpp.)
  auto executor = co_await asio::this_coro::executor;
  MessageBuffer buffer(*context_.spool, executor, context_.data_budget, data_limits(),
                       context_.spool->new_queue_id());
  DataReader reader(options, [&buffer](std::string_view bytes) { buffer.append(bytes); });
  // data_timeout_s bounds the whole DATA phase, from 354 to the final dot: a
  // deadline restarted on every read would let one byte a second hold the
  // session (and its slot) forever.
  channel_.set_deadline(std::chrono::seconds(config.data_timeout_s));
  for (;;) {
    size_t used = reader.feed(in_);
    in_.erase(0, used);
    // A message already rejected keeps nothing while the reader goes on to
    // the real end of data.
    if (reader.errors() && !buffer.dropped()) buffer.drop();
    co_await buffer.flush();  // waits for the spool before reading more
    if (reader.done()) break;
    if (!co_await fill()) {
      bool timed_out = channel_.timed_out();
      spdlog::warn("{}: {} in DATA after {} bytes; nothing queued", tag(),
                   timed_out ? "timeout" : "connection lost", reader.size());
      if (timed_out) co_await reply(replies::timeout());
      co_return Next::Close;  // the buffer discards what it staged
    }
  }
  // Classifying and committing get their own time, as the reply to the dot
  // does on the client's side (RFC 5321 4.5.3.2.6).
  channel_.set_deadline(std::chrono::seconds(config.data_timeout_s));
  co_await buffer.finish();
  Transaction transaction = std::move(*transaction_);
  transaction_.reset();
  if (auto error = data_error_reply(reader.error())) {
    spdlog::warn("{}: message rejected: {} (from=<{}> size={})", tag(), error->str(),
                 log_text(transaction.sender), reader.size());
    co_await reply(*error);
    co_return Next::Continue;
  }
  if (buffer.over_budget()) {
    context_.data_budget.count_refusal();
    Reply refusal = replies::insufficient_storage();
    spdlog::warn("{}: message refused: {}: DATA held in memory by all sessions reached "
                 "relay.max_data_in_flight_bytes ({}) (from=<{}> size={})",
                 tag(), refusal.str(), config.max_data_in_flight_bytes,
                 log_text(transaction.sender), reader.size());
    co_await reply(refusal);
    co_return Next::Continue;
  }
  if (buffer.error()) {
    spdlog::error("{}: spool write failed while receiving: {}; message not accepted", tag(),
                  buffer.error().message());
    co_await reply(spool_failure_reply(buffer.error()));
    co_return Next::Continue;
  }
  transaction_ = std::move(transaction);  // accept_message reads it
  Reply result = co_await accept_message(buffer);
  transaction_.reset();
  co_await reply(result);
  co_return Next::Continue;
}

}  // namespace poolgate
