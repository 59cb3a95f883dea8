#include <utility>  // Boost 1.74 awaitable.hpp needs std::exchange

#include "admin/admin_client.h"

#include "common/operator_error.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

#include <chrono>

namespace poolgate {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

namespace {

struct Exchange {
  bool connected = false;
  boost::system::error_code error;
  http::response<http::string_body> response;
};

// Async so the stream's deadline covers every step: a daemon that accepts
// but never answers must not hang the CLI.
asio::awaitable<void> exchange(beast::tcp_stream& stream, asio::ip::tcp::endpoint endpoint,
                               std::string host, std::string target, Exchange& out) {
  using asio::redirect_error;
  using asio::use_awaitable;
  stream.expires_after(std::chrono::seconds(10));
  co_await stream.async_connect(endpoint, redirect_error(use_awaitable, out.error));
  if (out.error) co_return;
  out.connected = true;
  http::request<http::empty_body> request{http::verb::get, target, 11};
  request.set(http::field::host, host);
  request.set(http::field::user_agent, "poolgate-cli");
  request.set(http::field::connection, "close");
  co_await http::async_write(stream, request, redirect_error(use_awaitable, out.error));
  if (out.error) co_return;
  beast::flat_buffer buffer;
  co_await http::async_read(stream, buffer, out.response, redirect_error(use_awaitable, out.error));
}

}  // namespace

std::optional<std::string> admin_get(const Config& config, const std::string& target) {
  if (!config.admin.listen) return std::nullopt;
  const Endpoint& where = *config.admin.listen;
  asio::io_context io;
  beast::tcp_stream stream(io);
  Exchange result;
  asio::co_spawn(io,
                 exchange(stream, asio::ip::tcp::endpoint(where.address, where.port),
                          where.to_string(), target, result),
                 asio::detached);
  io.run();
  if (!result.connected) return std::nullopt;  // no daemon: the offline view is the answer
  const std::string url = "http://" + where.to_string() + target;
  if (result.error) throw OperatorError("admin API " + url + ": " + result.error.message());
  if (result.response.result_int() != 200)
    throw OperatorError("admin API " + url + " answered " +
                        std::to_string(result.response.result_int()) + ": " + result.response.body());
  return result.response.body();
}

}  // namespace poolgate
