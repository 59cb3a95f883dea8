#include "net/channel.h"
#include "net/plain_address.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

namespace poolgate {

using asio::redirect_error;
using asio::use_awaitable;

SmtpChannel::SmtpChannel(asio::ip::tcp::socket socket)
    : socket_(std::move(socket)), timer_(socket_.get_executor()) {
  error_code ignored;
  auto endpoint = socket_.remote_endpoint(ignored);
  remote_ = plain_address(endpoint.address());
}

asio::awaitable<void> SmtpChannel::connect(const asio::ip::tcp::endpoint& peer, error_code& ec) {
  co_await socket_.async_connect(peer, redirect_error(use_awaitable, ec));
  if (!ec) remote_ = peer.address();
}

asio::awaitable<size_t> SmtpChannel::read_some(asio::mutable_buffer buffer, error_code& ec) {
  if (tls_) co_return co_await tls_->async_read_some(buffer, redirect_error(use_awaitable, ec));
  co_return co_await socket_.async_read_some(buffer, redirect_error(use_awaitable, ec));
}

asio::awaitable<void> SmtpChannel::write(std::string_view data, error_code& ec) {
  auto buffer = asio::buffer(data.data(), data.size());
  if (tls_)
    co_await asio::async_write(*tls_, buffer, redirect_error(use_awaitable, ec));
  else
    co_await asio::async_write(socket_, buffer, redirect_error(use_awaitable, ec));
}

asio::awaitable<void> SmtpChannel::start_tls(asio::ssl::context& context, error_code& ec) {
  co_await handshake(context, asio::ssl::stream_base::server, {}, ec);
}

asio::awaitable<void> SmtpChannel::start_client_tls(asio::ssl::context& context,
                                                    std::string_view server_name,
                                                    error_code& ec) {
  co_await handshake(context, asio::ssl::stream_base::client, server_name, ec);
}

asio::awaitable<void> SmtpChannel::handshake(asio::ssl::context& context,
                                             asio::ssl::stream_base::handshake_type role,
                                             std::string_view server_name, error_code& ec) {
  tls_ = std::make_unique<asio::ssl::stream<asio::ip::tcp::socket&>>(socket_, context);
  if (!server_name.empty()) {
    std::string name(server_name);  // SSL_set_tlsext_host_name copies it
    SSL_set_tlsext_host_name(tls_->native_handle(), name.c_str());
  }
  co_await tls_->async_handshake(role, redirect_error(use_awaitable, ec));
}

std::string SmtpChannel::tls_description() const {
  if (!tls_) return "";
  SSL* ssl = const_cast<asio::ssl::stream<asio::ip::tcp::socket&>&>(*tls_).native_handle();
  return std::string(SSL_get_version(ssl)) + " " + SSL_get_cipher_name(ssl);
}

void SmtpChannel::set_deadline(std::chrono::steady_clock::duration timeout) {
  deadline_ = std::chrono::steady_clock::now() + timeout;
  timer_.expires_at(deadline_);  // wakes the watchdog, which re-arms for the new deadline
}

asio::awaitable<void> SmtpChannel::watchdog() {
  while (!closed_) {
    error_code ec;
    co_await timer_.async_wait(redirect_error(use_awaitable, ec));
    if (closed_) break;
    if (std::chrono::steady_clock::now() < deadline_) continue;
    if (!timed_out_) {
      // First expiry: abort the pending read so the session can still say
      // 421 4.4.2; give that reply a few seconds before closing for good.
      timed_out_ = true;
      error_code ignored;
      socket_.cancel(ignored);
      set_deadline(std::chrono::seconds(5));
    } else {
      close();
    }
  }
}

void SmtpChannel::close() {
  if (closed_) return;
  closed_ = true;
  error_code ignored;
  timer_.cancel();
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
}

}  // namespace poolgate
