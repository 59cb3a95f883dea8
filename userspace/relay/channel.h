// One client connection as the SMTP session sees it: a TCP socket that can be
// upgraded to TLS in place (STARTTLS), with coroutine reads and writes that
// report errors through an error_code instead of throwing, and a watchdog that
// closes the connection when a deadline passes (Asio 1.74 has no awaitable
// operators to race a read against a timer, so the timer closes the socket and
// the pending read completes with operation_aborted).
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
  explicit SmtpChannel(asio::ip::tcp::socket socket);

  asio::awaitable<size_t> read_some(asio::mutable_buffer buffer, error_code& ec);
  asio::awaitable<void> write(std::string_view data, error_code& ec);
  // Server-side TLS handshake on the existing connection. On failure the
  // connection is unusable and the caller closes it.
  asio::awaitable<void> start_tls(asio::ssl::context& context, error_code& ec);

  bool tls() const { return tls_ != nullptr; }
  std::string tls_description() const;  // "TLSv1.3 TLS_AES_256_GCM_SHA384"
  asio::ip::address remote_address() const { return remote_; }
  asio::ip::tcp::socket& socket() { return socket_; }

  // When `timeout` passes without the next set_deadline, the pending read or
  // write is aborted and timed_out() turns true (the session then says 421);
  // a second expiry closes the connection.
  void set_deadline(std::chrono::steady_clock::duration timeout);
  // Runs until close(); spawn it beside the session.
  asio::awaitable<void> watchdog();
  void close();
  bool timed_out() const { return timed_out_; }

 private:
  asio::ip::tcp::socket socket_;
  std::unique_ptr<asio::ssl::stream<asio::ip::tcp::socket&>> tls_;
  asio::steady_timer timer_;
  std::chrono::steady_clock::time_point deadline_;
  asio::ip::address remote_;
  bool closed_ = false;
  bool timed_out_ = false;
};

}  // namespace poolgate
