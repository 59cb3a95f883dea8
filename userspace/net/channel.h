// One SMTP connection, either side of it: the relay's sessions (an accepted
// socket, server-side STARTTLS) and the delivery client (a socket it opened and
// marked itself, connected here, client-side STARTTLS). A TCP socket that can be
// upgraded to TLS in place, with coroutine reads and writes that report errors
// through an error_code instead of throwing, and a watchdog that aborts the
// pending operation when a deadline passes (Asio 1.74 has no awaitable
// operators to race a read against a timer, so the timer cancels the socket and
// the pending read, write, connect or handshake completes with
// operation_aborted).
#pragma once

#include <utility>  // Boost 1.74 awaitable.hpp uses std::exchange without it

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <memory>
#include <string_view>

namespace poolgate {

namespace asio = boost::asio;
using boost::system::error_code;

class SmtpChannel {
 public:
  // `socket` is connected (an accepted client) or open but not yet connected
  // (the delivery client connects it with connect() under a deadline).
  explicit SmtpChannel(asio::ip::tcp::socket socket);

  // Client side: connects the open socket; remote_address() is then `peer`.
  asio::awaitable<void> connect(const asio::ip::tcp::endpoint& peer, error_code& ec);

  asio::awaitable<size_t> read_some(asio::mutable_buffer buffer, error_code& ec);
  asio::awaitable<void> write(std::string_view data, error_code& ec);
  // Server-side TLS handshake on the existing connection. On failure the
  // connection is unusable and the caller closes it.
  asio::awaitable<void> start_tls(asio::ssl::context& context, error_code& ec);
  // Client-side handshake (STARTTLS towards a next hop); `server_name` goes
  // into SNI when not empty. Verification is whatever `context` asks for.
  asio::awaitable<void> start_client_tls(asio::ssl::context& context, std::string_view server_name,
                                         error_code& ec);

  bool tls() const { return tls_ != nullptr; }
  std::string tls_description() const;  // "TLSv1.3 TLS_AES_256_GCM_SHA384"
  asio::ip::address remote_address() const { return remote_; }
  asio::ip::tcp::socket& socket() { return socket_; }

  // When `timeout` passes without the next set_deadline, the pending read or
  // write is aborted and timed_out() turns true (the session then says 421,
  // the client gives up); a second expiry closes the connection.
  void set_deadline(std::chrono::steady_clock::duration timeout);
  // Runs until close(); spawn it beside the session.
  asio::awaitable<void> watchdog();
  void close();
  bool timed_out() const { return timed_out_; }

 private:
  asio::awaitable<void> handshake(asio::ssl::context& context,
                                  asio::ssl::stream_base::handshake_type role,
                                  std::string_view server_name, error_code& ec);

  asio::ip::tcp::socket socket_;
  std::unique_ptr<asio::ssl::stream<asio::ip::tcp::socket&>> tls_;
  asio::steady_timer timer_;
  std::chrono::steady_clock::time_point deadline_;
  asio::ip::address remote_;
  bool closed_ = false;
  bool timed_out_ = false;
};

}  // namespace poolgate
