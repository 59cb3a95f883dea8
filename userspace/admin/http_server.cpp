#include "admin/http_server.h"

#include "common/operator_error.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <spdlog/spdlog.h>

#include <chrono>

namespace poolgate {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::redirect_error;
using asio::use_awaitable;
using boost::system::error_code;

namespace {
constexpr auto kIdleTimeout = std::chrono::seconds(30);
constexpr uint32_t kMaxRequestHeader = 8 * 1024;
}  // namespace

HttpServer::HttpServer(asio::io_context& io, const Endpoint& listen) : acceptor_(io) {
  asio::ip::tcp::endpoint endpoint(listen.address, listen.port);
  error_code ec;
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    throw OperatorError("admin.listen " + listen.to_string() + ": " + ec.message() +
                        " (another poolgate running? set [admin] listen = \"\" to turn it off)");
}

void HttpServer::start() {
  asio::co_spawn(acceptor_.get_executor(), accept_loop(), asio::detached);
}

void HttpServer::close() {
  error_code ignored;
  acceptor_.close(ignored);
}

asio::awaitable<void> HttpServer::accept_loop() {
  while (acceptor_.is_open()) {
    error_code ec;
    asio::ip::tcp::socket socket = co_await acceptor_.async_accept(redirect_error(use_awaitable, ec));
    if (ec) {
      if (ec == asio::error::operation_aborted) co_return;
      spdlog::warn("admin: accept: {}", ec.message());
      continue;
    }
    asio::co_spawn(acceptor_.get_executor(), serve(std::move(socket)), asio::detached);
  }
}

HttpResponse HttpServer::respond(const std::string& method, const std::string& target) {
  if (method != "GET" && method != "HEAD")
    return {405, "text/plain", "only GET and HEAD; changes go through the poolgate CLI\n"};
  size_t question = target.find('?');
  std::string path = target.substr(0, question);
  std::string query = question == std::string::npos ? "" : target.substr(question + 1);
  auto route = routes_.find(path);
  if (route == routes_.end()) {
    std::string known;
    for (const auto& [name, handler] : routes_) known += " " + name;
    return {404, "text/plain", "no such path " + path + "; known:" + known + "\n"};
  }
  try {
    return route->second(query);
  } catch (const std::exception& e) {
    // A view that cannot be rendered now (e.g. the pins went away) is the
    // operator's to see, not a reason to drop the connection.
    spdlog::warn("admin: {}: {}", path, e.what());
    return {500, "text/plain", std::string(e.what()) + "\n"};
  }
}

asio::awaitable<void> HttpServer::serve(asio::ip::tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  for (;;) {
    stream.expires_after(kIdleTimeout);
    http::request_parser<http::string_body> parser;
    parser.header_limit(kMaxRequestHeader);
    parser.body_limit(kMaxRequestHeader);
    error_code ec;
    co_await http::async_read(stream, buffer, parser, redirect_error(use_awaitable, ec));
    if (ec) break;  // closed, timed out, or not HTTP: nothing to answer
    const auto& request = parser.get();
    ++requests_;
    HttpResponse answer =
        respond(std::string(request.method_string()), std::string(request.target()));
    http::response<http::string_body> response{static_cast<http::status>(answer.status),
                                               request.version()};
    response.set(http::field::server, "poolgate");
    response.set(http::field::content_type, answer.content_type);
    response.keep_alive(request.keep_alive());
    response.body() = std::move(answer.body);
    response.prepare_payload();
    if (request.method() == http::verb::head) response.body().clear();
    co_await http::async_write(stream, response, redirect_error(use_awaitable, ec));
    if (ec || !response.keep_alive()) break;
  }
  error_code ignored;
  stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
}

}  // namespace poolgate
