// Opening a connection: marked socket, connect, greeting, EHLO/HELO,
// STARTTLS; and closing it with QUIT. The transaction is smtp_client_send.cpp.
#include "delivery/smtp_client.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

namespace poolgate {

namespace {

// The peer's name: the first word of a 220 greeting or of the EHLO reply.
std::string first_word(const Reply& reply) {
  if (reply.lines.empty()) return "";
  const std::string& line = reply.lines.front();
  return line.substr(0, line.find(' '));
}

// The watchdog's last wake-up may come after the client is gone, so it holds
// the channel: as a coroutine parameter, which lives in the frame (a lambda's
// capture would not; ASan showed it in the relay).
asio::awaitable<void> watch(std::shared_ptr<SmtpChannel> channel) { co_await channel->watchdog(); }

}  // namespace

SmtpClient::SmtpClient(asio::any_io_executor executor, SourceBinding source,
                       asio::ip::tcp::endpoint destination, ClientOptions options)
    : executor_(std::move(executor)),
      source_(source),
      destination_(destination),
      options_(std::move(options)) {
  record_.source = source_.address;
  record_.fwmark = source_.fwmark;
  record_.destination = destination_;
}

SmtpClient::~SmtpClient() {
  // The watchdog holds the channel and ends once it sees it closed.
  if (channel_) channel_->close();
}

asio::awaitable<bool> SmtpClient::open() {
  if (state_ != State::Fresh) co_return state_ == State::Ready;
  try {
    co_await connect();
    co_await greeting();
    co_await hello();
    if (options_.tls != TlsPolicy::Off) co_await starttls();
    state_ = State::Ready;
  } catch (const ConnectionFailure&) {
    // Handled below: co_await is not allowed inside a catch block.
  }
  // A peer that refused us with a reply, over a connection still intact, is
  // told QUIT (RFC 5321 3.1: a server answering 554 waits for it).
  if (state_ != State::Ready) {
    if (connected()) co_await say_quit(options_.timeouts.quit);
    close();
  }
  co_return state_ == State::Ready;
}

asio::awaitable<void> SmtpClient::connect() {
  std::string error;
  std::optional<asio::ip::tcp::socket> socket =
      open_marked_socket(executor_, source_, destination_, options_.bind_source, error);
  if (!socket) fail(Stage::Connect, make_reply(451, "4.4.0", error), false);

  channel_ = std::make_shared<SmtpChannel>(std::move(*socket));
  channel_->set_deadline(options_.timeouts.connect);
  asio::co_spawn(executor_, watch(channel_), asio::detached);
  error_code ec;
  co_await channel_->connect(destination_, ec);
  if (ec) {
    std::string why = channel_->timed_out() ? "timed out" : ec.message();
    close();
    std::string where = destination_.address().is_v6()
                            ? "[" + peer() + "]:" + std::to_string(destination_.port())
                            : peer() + ":" + std::to_string(destination_.port());
    fail(Stage::Connect, make_reply(451, "4.4.1", "connect to " + where + ": " + why), false);
  }
}

asio::awaitable<void> SmtpClient::greeting() {
  Reply reply =
      co_await read_reply({options_.timeouts.greeting, Stage::Greeting, "the initial greeting"});
  if (reply.code != 220) fail(Stage::Greeting, reply, true);
  record_.peer_name = first_word(reply);
}

asio::awaitable<void> SmtpClient::hello() {
  const auto timeout = options_.timeouts.hello;
  co_await write("EHLO " + options_.ehlo_name + "\r\n", {timeout, Stage::Hello, "EHLO"});
  Reply reply = co_await read_reply({timeout, Stage::Hello, "the reply to EHLO"});
  if (reply.positive()) {
    caps_ = parse_ehlo_reply(reply);
    esmtp_ = true;
  } else if (reply.permanent()) {
    // RFC 5321 3.2: a server that does not know EHLO answers 5xx; try HELO.
    co_await write("HELO " + options_.ehlo_name + "\r\n", {timeout, Stage::Hello, "HELO"});
    reply = co_await read_reply({timeout, Stage::Hello, "the reply to HELO"});
    if (!reply.positive()) fail(Stage::Hello, reply, true);
    caps_ = Capabilities{};
    esmtp_ = false;
  } else {
    fail(Stage::Hello, reply, true);
  }
  if (record_.peer_name.empty()) record_.peer_name = first_word(reply);
}

asio::awaitable<void> SmtpClient::starttls() {
  const bool required = options_.tls == TlsPolicy::Required;
  const auto timeout = options_.timeouts.starttls;
  if (!caps_.starttls) {
    if (required)
      fail(Stage::StartTls,
           make_reply(451, "4.7.4",
                            "TLS is required, but " + peer() + " did not offer STARTTLS"),
           false, ReplyClass::Tls);
    co_return;
  }
  co_await write("STARTTLS\r\n", {timeout, Stage::StartTls, "STARTTLS"});
  Reply reply = co_await read_reply({timeout, Stage::StartTls, "the reply to STARTTLS"});
  check_closing(reply, Stage::StartTls);
  if (reply.code != 220) {
    if (required)
      fail(Stage::StartTls,
           make_reply(451, "4.7.4",
                            "TLS is required, but " + peer() + " refused STARTTLS: " + reply.str()),
           false, ReplyClass::Tls);
    co_return;  // opportunistic: go on in plain text on the same connection
  }
  if (replies_.buffered()) {
    // Anything sent before the handshake would be read as if it came over
    // TLS; only an attacker or a broken peer sends it.
    close();
    fail(Stage::StartTls,
         make_reply(451, "4.7.5", peer() + " sent data after its 220 to STARTTLS"), false,
         ReplyClass::Tls);
  }
  if (!options_.tls_context) {
    own_tls_context_ = std::make_unique<asio::ssl::context>(make_client_tls_context());
    options_.tls_context = own_tls_context_.get();
  }
  channel_->set_deadline(timeout);
  error_code ec;
  co_await channel_->start_client_tls(*options_.tls_context, options_.tls_server_name, ec);
  if (ec) {
    std::string why = channel_->timed_out() ? "timed out" : ec.message();
    close();
    fail(Stage::StartTls,
         make_reply(451, "4.7.5", "TLS handshake with " + peer() + " failed: " + why), false,
         ReplyClass::Tls);
  }
  record_.tls = channel_->tls_description();
  // RFC 3207 4.2: forget everything learnt before the handshake, ask again.
  co_await hello();
}

asio::awaitable<void> SmtpClient::say_quit(SmtpTimeouts::Duration timeout) {
  // Best effort, and not a failure of anything: write QUIT, wait for its reply
  // briefly, close. Errors only end it sooner.
  if (!connected()) co_return;
  State before = state_;
  std::optional<ConnectionFailure> kept = failure_;
  try {
    co_await write("QUIT\r\n", {timeout, Stage::Connect, "QUIT"});
    co_await read_reply({timeout, Stage::Connect, "the reply to QUIT"});
  } catch (const ConnectionFailure&) {
  }
  failure_ = kept;  // a failed QUIT must not replace the reason we had
  close();
  state_ = before == State::Failed ? State::Failed : State::Closed;
}

asio::awaitable<void> SmtpClient::quit() {
  if (state_ == State::Ready) co_await say_quit(options_.timeouts.quit);
  close();
}

}  // namespace poolgate
