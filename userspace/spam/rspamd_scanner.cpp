#include "spam/rspamd_scanner.h"

#include "spam/failure.h"
#include "spam/guarded_scan.h"
#include "spam/rspamd_protocol.h"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

namespace poolgate {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::redirect_error;
using asio::use_awaitable;
using boost::system::error_code;

namespace {
// A /checkv2 reply lists every rule that hit with its description: a few KiB.
constexpr uint64_t kMaxReplyBody = 1024 * 1024;
}  // namespace

RspamdScanner::RspamdScanner(asio::any_io_executor executor, SpamConfig config)
    : executor_(std::move(executor)), config_(std::move(config)) {}

asio::awaitable<SpamVerdict> RspamdScanner::scan(const Envelope& envelope,
                                                 std::string_view content) {
  co_return co_await guarded_scan("rspamd", content, config_.max_scan_bytes, envelope.size,
                                  [this, &envelope](std::string_view part) {
                                    return exchange(envelope, part);
                                  });
}

asio::awaitable<SpamVerdict> RspamdScanner::exchange(const Envelope& envelope,
                                                     std::string_view content) {
  const Endpoint& server = config_.address;
  auto fail = [&](const error_code& ec, std::string_view what) {
    return failed_verdict("rspamd", describe_io_error(ec, what, config_.timeout_ms, server));
  };
  // One deadline for connect, request and reply together: the stream's timer
  // is armed once here and every operation after it shares it.
  beast::tcp_stream stream(executor_);
  stream.expires_after(std::chrono::milliseconds(config_.timeout_ms));
  error_code ec;
  asio::ip::tcp::endpoint endpoint(server.address, server.port);
  co_await stream.async_connect(endpoint, redirect_error(use_awaitable, ec));
  if (ec) co_return fail(ec, "connect");

  http::request<http::string_body> request{http::verb::post, "/checkv2", 11};
  request.set(http::field::host, server.to_string());
  request.set(http::field::user_agent, "poolgate");
  request.set(http::field::connection, "close");  // one message per connection
  for (const auto& [name, value] : rspamd_headers(envelope)) request.insert(name, value);
  request.body().assign(content.data(), content.size());
  request.prepare_payload();
  co_await http::async_write(stream, request, redirect_error(use_awaitable, ec));
  if (ec) co_return fail(ec, "send");

  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(kMaxReplyBody);
  co_await http::async_read(stream, buffer, parser, redirect_error(use_awaitable, ec));
  if (ec == http::error::end_of_stream && buffer.size() == 0)
    co_return failed_verdict("rspamd", "connection closed by " + server.to_string() +
                                           " before a reply");
  if (ec && ec.category() == http::make_error_code(http::error::end_of_stream).category())
    // Beast's HTTP errors: the bytes were there but are not an HTTP reply.
    co_return failed_verdict("rspamd", "unparseable reply: " + ec.message() + ": " +
                                           printable_excerpt(beast::buffers_to_string(buffer.data())));
  if (ec) co_return fail(ec, "read");
  error_code ignored;
  stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  co_return parse_rspamd_reply(parser.get().result_int(), parser.get().body());
}

}  // namespace poolgate
