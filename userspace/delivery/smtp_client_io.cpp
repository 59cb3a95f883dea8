// The client's reads and writes: every one under its own deadline, every
// failure turned into a ConnectionFailure that closes the connection, so the
// dialogue code above reads as the RFC's sequence of commands and replies.
#include "delivery/smtp_client.h"

#include <sys/socket.h>

#include <cerrno>

namespace poolgate {

namespace {

constexpr size_t kReadChunk = 16 * 1024;

// After a wait, the deadline is pushed out of reach: a connection the engine
// keeps open between two messages must not be aborted by the last wait's
// expired timer. (The next hop's own idle timeout still applies.)
constexpr auto kParked = std::chrono::hours(24 * 365);

}  // namespace

std::string SmtpClient::peer() const { return destination_.address().to_string(); }

bool SmtpClient::connected() const { return channel_ && channel_->socket().is_open(); }

bool SmtpClient::hung_up() {
  if (state_ != State::Ready || !connected()) return state_ != State::Ready;
  char byte;
  ssize_t n = ::recv(channel_->socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return false;
  close();  // EOF (0), data nobody asked for (> 0), or an error such as a reset
  return true;
}

void SmtpClient::close() {
  if (channel_) channel_->close();
  if (state_ != State::Failed) state_ = State::Closed;
}

ReplyClass SmtpClient::classify(Stage stage, const Reply& reply) const {
  const ReplyRules& rules =
      options_.reply_rules ? *options_.reply_rules : *ReplyRules::defaults();
  return rules.classify(stage_name(stage), reply);
}

void SmtpClient::fail(Stage stage, Reply reply, bool from_peer, ReplyClass local) {
  // Classified as received: a filled-in X.0.0 (with_enhanced_code) is no evidence.
  ReplyClass cls = from_peer ? classify(stage, reply) : local;
  failure_ = ConnectionFailure{stage, with_enhanced_code(std::move(reply)), from_peer, cls};
  state_ = State::Failed;
  throw *failure_;
}

void SmtpClient::check_closing(const Reply& reply, Stage stage) {
  if (reply.code != 421) return;
  close();
  fail(stage, reply, true);
}

asio::awaitable<Reply> SmtpClient::read_reply(const Wait& wait) {
  // One deadline for the whole reply, not per read: a peer that trickles a
  // byte at a time cannot stretch the wait.
  channel_->set_deadline(wait.timeout);
  char buffer[kReadChunk];
  for (;;) {
    Reply reply;
    // Enhanced codes are split off every reply, negotiated or not: many
    // servers send them in a refusing greeting ("421 4.3.2") and in replies
    // without announcing ENHANCEDSTATUSCODES, and the parser takes only a
    // well-formed code of the reply's own class, never a host name.
    switch (replies_.next(reply, true)) {
      case ReplyStream::Status::Done: channel_->set_deadline(kParked); co_return reply;
      case ReplyStream::Status::Error:
        close();
        fail(wait.stage,
             make_reply(
                 451, "4.5.0",
                 peer() + " sent a malformed reply while we waited for " + std::string(wait.what)),
             false, ReplyClass::Protocol);
      case ReplyStream::Status::NeedMore: break;
    }
    error_code ec;
    size_t n = co_await channel_->read_some(asio::buffer(buffer), ec);
    if (ec) {
      bool timed_out = channel_->timed_out();
      close();
      fail(wait.stage,
           make_reply(
               451, "4.4.2",
               (timed_out ? "conversation with " + peer() + " timed out while waiting for "
                          : "lost connection with " + peer() + " while waiting for ") +
                   std::string(wait.what)),
           false);
    }
    replies_.append(std::string_view(buffer, n));
  }
}

asio::awaitable<void> SmtpClient::write(std::string_view data, const Wait& wait) {
  channel_->set_deadline(wait.timeout);
  error_code ec;
  co_await channel_->write(data, ec);
  if (ec) {
    bool timed_out = channel_->timed_out();
    close();
    fail(wait.stage,
         make_reply(451, "4.4.2",
                          (timed_out ? "conversation with " + peer() + " timed out while sending "
                                     : "lost connection with " + peer() + " while sending ") +
                              std::string(wait.what)),
         false);
  }
  channel_->set_deadline(kParked);
}

}  // namespace poolgate
