// The inbound ESMTP service: one acceptor per [relay] listen endpoint, the
// connection limits, and the set of live sessions so SIGTERM can drain them.
#pragma once

#include "relay/connection_limits.h"
#include "relay/session.h"

#include <boost/asio/io_context.hpp>

#include <list>
#include <memory>
#include <vector>

namespace poolgate {

class RelayServer {
 public:
  // Binds every listen endpoint; throws OperatorError naming the one that fails.
  RelayServer(asio::io_context& io, const RelayConfig& config, Spool& spool,
              asio::ssl::context* tls);

  void start();
  // Stops accepting, lets sessions finish their current transaction and tells
  // idle ones 421; io_context::run returns once the last session has ended.
  void drain();
  size_t open_sessions() const { return sessions_.size(); }
  // DATA in memory across sessions, and the 452s it caused (metrics).
  const DataBudget& data_budget() const { return context_.data_budget; }
  // Where it listens (port 0 in the config: the port the kernel chose).
  std::vector<asio::ip::tcp::endpoint> local_endpoints() const;
  // Where accepted messages go once durable (the delivery engine).
  void on_queued(std::function<void(Envelope)> handler) { context_.on_queued = std::move(handler); }
  void set_classifier(Classifier* classifier) { context_.classifier = classifier; }
  // A reload (SIGHUP): sessions accepted from now on take `config` (limits,
  // timeouts, bare_newline, hostname, client_networks); open ones keep theirs.
  // listen, spool and the TLS files stay as they were at start (restart-only,
  // daemon/generations.h). `config` must outlive the server's use of it (the
  // daemon keeps every generation).
  void reconfigure(const RelayConfig& config);

 private:
  asio::awaitable<void> accept_loop(asio::ip::tcp::acceptor& acceptor);
  asio::awaitable<void> serve(asio::ip::tcp::socket socket);

  asio::io_context& io_;
  RelayContext context_;
  ConnectionLimits limits_;          // clients in client_networks
  ConnectionLimits refused_limits_;  // the others, while they read their 554
  std::vector<std::unique_ptr<asio::ip::tcp::acceptor>> acceptors_;
  std::list<std::weak_ptr<SmtpSession>> sessions_;
  uint64_t next_id_ = 1;
};

}  // namespace poolgate
