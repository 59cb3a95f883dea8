// The admin API's HTTP/1.1 server (Boost.Beast over Asio coroutines): GET
// (and HEAD) of fixed paths, each answered by a handler that renders the
// body on the daemon's thread, so it sees a consistent state without locks.
// Anything else: 404 for an unknown path, 405 for another method. Keep-alive
// is honoured (Prometheus reuses its connection); an idle connection or a
// slow request is closed after 30 s, and a request may not exceed 8 KiB, so
// a stuck or hostile client costs one socket, never the mail path.
#pragma once

#include <utility>  // Boost 1.74 awaitable.hpp needs std::exchange

#include "config/config.h"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <functional>
#include <map>
#include <string>

namespace poolgate {

struct HttpResponse {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
};

// `query` is what followed '?' in the target ("" when nothing did).
using HttpHandler = std::function<HttpResponse(const std::string& query)>;

class HttpServer {
 public:
  // Binds `listen`; throws OperatorError naming it when that fails.
  HttpServer(boost::asio::io_context& io, const Endpoint& listen);
  void handle(std::string path, HttpHandler handler) { routes_[std::move(path)] = std::move(handler); }
  void start();
  void close();
  uint64_t requests() const { return requests_; }
  // Where it listens (port 0 in `listen`: the port the kernel chose).
  boost::asio::ip::tcp::endpoint local_endpoint() const { return acceptor_.local_endpoint(); }

 private:
  boost::asio::awaitable<void> accept_loop();
  boost::asio::awaitable<void> serve(boost::asio::ip::tcp::socket socket);
  HttpResponse respond(const std::string& method, const std::string& target);

  boost::asio::ip::tcp::acceptor acceptor_;
  std::map<std::string, HttpHandler> routes_;
  uint64_t requests_ = 0;
};

}  // namespace poolgate
