#include "spam/spamd_scanner.h"

#include "spam/failure.h"
#include "spam/guarded_scan.h"
#include "spam/spamd_protocol.h"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/tcp_stream.hpp>

namespace poolgate {

namespace asio = boost::asio;
namespace beast = boost::beast;
using asio::redirect_error;
using asio::use_awaitable;
using boost::system::error_code;

namespace {
// A SYMBOLS reply is a status line, two headers and the rule names: a few
// hundred bytes. Anything far larger is not spamd.
constexpr size_t kMaxReply = 64 * 1024;
}  // namespace

SpamdScanner::SpamdScanner(asio::any_io_executor executor, SpamConfig config)
    : executor_(std::move(executor)), config_(std::move(config)) {}

asio::awaitable<SpamVerdict> SpamdScanner::scan(const Envelope& envelope,
                                                std::string_view content) {
  co_return co_await guarded_scan("spamd", content, config_.max_scan_bytes, envelope.size,
                                  [this](std::string_view part) { return exchange(part); });
}

asio::awaitable<SpamVerdict> SpamdScanner::exchange(std::string_view content) {
  const Endpoint& server = config_.address;
  auto fail = [&](const error_code& ec, std::string_view what) {
    return failed_verdict("spamd", describe_io_error(ec, what, config_.timeout_ms, server));
  };
  // One deadline for connect, request and reply together: the stream's timer
  // is armed once here and every operation after it shares it.
  beast::tcp_stream stream(executor_);
  stream.expires_after(std::chrono::milliseconds(config_.timeout_ms));
  error_code ec;
  asio::ip::tcp::endpoint endpoint(server.address, server.port);
  co_await stream.async_connect(endpoint, redirect_error(use_awaitable, ec));
  if (ec) co_return fail(ec, "connect");

  std::string request = spamd_request(content);
  co_await asio::async_write(stream, asio::buffer(request), redirect_error(use_awaitable, ec));
  if (ec) co_return fail(ec, "send");
  // spamd reads exactly Content-length bytes, so the half-close is not needed;
  // spamc sends it anyway and so do we, which makes an old spamd that reads to
  // EOF work too.
  error_code ignored;
  stream.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);

  std::string reply;
  char buffer[4096];
  while (!spamd_reply_complete(reply)) {
    size_t n = co_await stream.async_read_some(asio::buffer(buffer), redirect_error(use_awaitable, ec));
    reply.append(buffer, n);
    if (ec == asio::error::eof) break;  // spamd closes after its reply
    if (ec) co_return fail(ec, "read");
    if (reply.size() > kMaxReply)
      co_return failed_verdict("spamd", "unparseable reply: longer than 64 KiB");
  }
  stream.close();
  co_return parse_spamd_reply(reply);
}

}  // namespace poolgate
