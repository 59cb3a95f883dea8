#include "relay/server.h"
#include "net/plain_address.h"

#include "common/operator_error.h"
#include "smtp/reply.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <spdlog/spdlog.h>

namespace poolgate {

using asio::ip::tcp;

namespace {
uint32_t per_client_limit(const RelayConfig& config) {
  return config.max_connections_per_client ? config.max_connections_per_client
                                           : config.max_connections;
}
// Clients outside client_networks are counted apart, in this small budget, so
// a flood of them never takes a slot an internal server needs; past it they
// get their 554 and are closed at once.
constexpr uint32_t kRefusedSessions = 100;

}  // namespace

RelayServer::RelayServer(asio::io_context& io, const RelayConfig& config, Spool& spool,
                         asio::ssl::context* tls)
    : io_(io),
      limits_(config.max_connections, per_client_limit(config)),
      refused_limits_(kRefusedSessions, kRefusedSessions) {
  context_.config = &config;
  context_.spool = &spool;
  context_.tls = tls;
  for (const ListenEndpoint& listen : config.listen) {
    tcp::endpoint endpoint(listen.address, listen.port);
    auto acceptor = std::make_unique<tcp::acceptor>(io_);
    error_code ec;
    acceptor->open(endpoint.protocol(), ec);
    if (!ec) acceptor->set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec && listen.address.is_v6()) acceptor->set_option(asio::ip::v6_only(true), ec);
    if (!ec) acceptor->bind(endpoint, ec);
    if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
    if (ec)
      throw OperatorError("cannot listen on " + endpoint.address().to_string() + " port " +
                          std::to_string(endpoint.port()) + " (relay.listen): " + ec.message());
    spdlog::info("listening on {}:{}", endpoint.address().to_string(), endpoint.port());
    acceptors_.push_back(std::move(acceptor));
  }
}

void RelayServer::reconfigure(const RelayConfig& config) {
  context_.config = &config;
  limits_.set_limits(config.max_connections, per_client_limit(config));
}

std::vector<tcp::endpoint> RelayServer::local_endpoints() const {
  std::vector<tcp::endpoint> out;
  for (const auto& acceptor : acceptors_) out.push_back(acceptor->local_endpoint());
  return out;
}

void RelayServer::start() {
  for (auto& acceptor : acceptors_)
    asio::co_spawn(io_, accept_loop(*acceptor), asio::detached);
}

void RelayServer::drain() {
  context_.draining = true;
  for (auto& acceptor : acceptors_) {
    error_code ignored;
    acceptor->close(ignored);
  }
  for (auto& weak : sessions_)
    if (auto session = weak.lock()) session->drain();
}

asio::awaitable<void> RelayServer::accept_loop(tcp::acceptor& acceptor) {
  while (acceptor.is_open()) {
    error_code ec;
    tcp::socket socket = co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (ec == asio::error::operation_aborted) co_return;
      // Out of descriptors and the like: log, pause briefly, go on accepting.
      spdlog::error("accept: {}", ec.message());
      asio::steady_timer pause(io_, std::chrono::milliseconds(100));
      co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    asio::co_spawn(io_, serve(std::move(socket)), asio::detached);
  }
}

asio::awaitable<void> RelayServer::serve(tcp::socket socket) {
  error_code ec;
  auto client = plain_address(socket.remote_endpoint(ec).address());
  bool allowed = client_allowed(*context_.config, client);
  auto slot = (allowed ? limits_ : refused_limits_).acquire(client);
  if (!slot) {
    Reply refusal = allowed ? make_reply(421, "4.7.0", "Error: too many connections")
                            : refused_greeting(client);
    if (allowed)
      spdlog::warn("{}: too many connections ({} open); 421", client.to_string(), limits_.open());
    std::string wire = refusal.wire();
    co_await asio::async_write(socket, asio::buffer(wire),
                               asio::redirect_error(asio::use_awaitable, ec));
    co_return;
  }
  auto session = std::make_shared<SmtpSession>(std::move(socket), context_, next_id_++,
                                               std::move(slot), allowed);
  auto position = sessions_.insert(sessions_.end(), session);
  try {
    co_await session->run();
  } catch (const std::exception& e) {
    spdlog::error("session ended by internal error: {}", e.what());
  }
  sessions_.erase(position);
}

}  // namespace poolgate
