// The outbound SMTP client (RFC 5321 client side): one connection from one
// pool address to one destination IP, carrying one message or several.
//
//   SmtpClient client(executor, {pool_address, fwmark}, {mx_ip, 25}, options);
//   MessageResult a = co_await client.send(first);   // connects on first use
//   MessageResult b = co_await client.send(second);  // same connection
//   co_await client.quit();
//
// The socket is marked before connect (marked_socket.h) or nothing is sent.
// Every wait has its own RFC 5321 4.5.3.2 timeout (client_options.h), enforced
// by the channel's watchdog. A failure of the connection itself (no connect,
// timeout, lost connection, TLS, a rejecting greeting, a 421) is a temporary
// failure for every recipient not yet decided, here and in every later send():
// a next hop refusing the connection says nothing about the recipients, and
// the engine may try another address or MX.
//
// A connection lost after the final dot but before its reply leaves the
// recipients TempFail although the next hop may have taken the message: the
// duplicate that RFC 1047 describes, which SMTP cannot rule out.
#pragma once

#include "delivery/client_options.h"
#include "delivery/marked_socket.h"
#include "delivery/message_plan.h"
#include "delivery/reply_stream.h"
#include "delivery/result.h"
#include "net/channel.h"
#include "smtp/ehlo.h"

#include <memory>
#include <optional>
#include <string_view>

namespace poolgate {

// Why a connection is unusable: applies to every recipient not yet decided.
struct ConnectionFailure {
  Stage stage = Stage::Connect;
  Reply reply;  // a 4yz with an enhanced code; the peer's own reply
                      // (greeting, 421...) keeps its code but counts as
                      // temporary (see above)
  bool from_peer = false;
  // The peer's reply classified by the rules; else by what failed: tls for
  // STARTTLS, protocol for a malformed reply, other for connect/timeout/loss.
  ReplyClass reply_class = ReplyClass::Other;
};

class SmtpClient {
 public:
  SmtpClient(asio::any_io_executor executor, SourceBinding source,
             asio::ip::tcp::endpoint destination, ClientOptions options);
  ~SmtpClient();  // closes the connection if still open (no QUIT)
  SmtpClient(const SmtpClient&) = delete;
  SmtpClient& operator=(const SmtpClient&) = delete;

  // Marked socket, connect, 220 greeting, EHLO (HELO after a 5xx to EHLO),
  // STARTTLS and EHLO again as the policy says. True when ready for send();
  // false: failure() says why. send() calls it when needed; calling it first
  // lets the engine learn about a bad destination before choosing messages.
  asio::awaitable<bool> open();

  // One mail transaction. Callable again after it returns, for the next
  // message; RSET goes first when the previous transaction ended half-way.
  asio::awaitable<MessageResult> send(const OutboundMessage& message);

  // QUIT and its reply (quit timeout), then close. Any state; errors ignored.
  asio::awaitable<void> quit();

  bool usable() const { return state_ == State::Ready; }
  // A ready connection that waited for mail (the engine's connection cache)
  // may have been closed by the peer meanwhile: receivers drop idle clients
  // after their own timeout, often with "421 4.4.2 timeout". Anything to read
  // now (EOF, a reset, an unsolicited reply) means it is gone: true, and the
  // connection is closed. Checked before reuse, as Postfix checks a cached
  // connection, so the next message is not charged with a dead socket.
  bool hung_up();
  const std::optional<ConnectionFailure>& failure() const { return failure_; }
  const Capabilities& capabilities() const { return caps_; }
  bool esmtp() const { return esmtp_; }
  // Source, destination, TLS, peer name; duration is the last send()'s.
  const DeliveryRecord& record() const { return record_; }

 private:
  enum class State { Fresh, Ready, Failed, Closed };
  // One read or write: its timeout, the stage a failure is charged to, and
  // what was awaited, for failure texts ("the reply to RCPT TO").
  struct Wait {
    SmtpTimeouts::Duration timeout;
    Stage stage;
    std::string_view what;
  };
  struct Transaction;  // one send()'s per-recipient progress (smtp_client_send.cpp)

  // Dialogue steps (smtp_client.cpp).
  asio::awaitable<void> connect();
  asio::awaitable<void> greeting();
  asio::awaitable<void> hello();
  asio::awaitable<void> starttls();
  asio::awaitable<void> say_quit(SmtpTimeouts::Duration timeout);

  // Transaction steps (smtp_client_send.cpp).
  asio::awaitable<void> rset();
  asio::awaitable<void> envelope_pipelined(Transaction& t);
  asio::awaitable<void> envelope_lockstep(Transaction& t);
  asio::awaitable<void> content(Transaction& t, ContentSource& source);
  asio::awaitable<void> abandon_data();  // 354 with nobody accepted: send an empty message

  // I/O (smtp_client_io.cpp): both throw ConnectionFailure, having closed the
  // connection, on timeout, loss or a malformed reply.
  asio::awaitable<Reply> read_reply(const Wait& wait);
  asio::awaitable<void> write(std::string_view data, const Wait& wait);
  // A 421 means the next hop is closing (RFC 5321 3.8): closes, throws with it.
  void check_closing(const Reply& reply, Stage stage);
  // Records the failure and throws it. The connection stays open when the
  // caller leaves it so (a refusing peer still gets its QUIT in open()).
  // A peer's reply is classified by the rules; poolgate's own by `local`.
  [[noreturn]] void fail(Stage stage, Reply reply, bool from_peer,
                         ReplyClass local = ReplyClass::Other);
  // The class the rules give a reply received at `stage`.
  ReplyClass classify(Stage stage, const Reply& reply) const;
  void close();
  bool connected() const;    // the socket is still open
  std::string peer() const;  // "203.0.113.25" for failure texts

  asio::any_io_executor executor_;
  SourceBinding source_;
  asio::ip::tcp::endpoint destination_;
  ClientOptions options_;
  std::unique_ptr<asio::ssl::context> own_tls_context_;  // when options_ had none
  std::shared_ptr<SmtpChannel> channel_;                 // shared with its watchdog coroutine
  ReplyStream replies_;
  State state_ = State::Fresh;
  std::optional<ConnectionFailure> failure_;
  Capabilities caps_;
  bool esmtp_ = false;
  bool need_rset_ = false;  // the last transaction ended without its final reply
  DeliveryRecord record_;
};

}  // namespace poolgate
