#include "daemon/run.h"

#include "common/operator_error.h"
#include "daemon/control_socket.h"
#include "relay/server.h"
#include "spool/spool.h"

#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl/context.hpp>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <optional>

namespace poolgate {
namespace {

void setup_logging() {
  auto logger = spdlog::stderr_logger_mt("poolgate");
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ poolgate[%P] %l: %v", spdlog::pattern_time_type::utc);
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
}

std::optional<asio::ssl::context> make_tls(const RelayConfig& relay) {
  if (relay.tls_certificate.empty()) return std::nullopt;
  asio::ssl::context tls(asio::ssl::context::tls_server);
  tls.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                  asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                  asio::ssl::context::no_tlsv1_1);
  boost::system::error_code ec;
  tls.use_certificate_chain_file(relay.tls_certificate, ec);
  if (ec)
    throw OperatorError("relay.tls_certificate " + relay.tls_certificate + ": " + ec.message());
  tls.use_private_key_file(relay.tls_key, asio::ssl::context::pem, ec);
  if (ec) throw OperatorError("relay.tls_key " + relay.tls_key + ": " + ec.message());
  return tls;
}

}  // namespace

int run_daemon(const Config& config) {
  setup_logging();
  const RelayConfig& relay = config.relay;
  std::unique_ptr<Spool> spool = Spool::open(relay.spool);
  std::vector<std::string> problems;
  std::vector<Envelope> unfinished = spool->load_unfinished(&problems);
  for (const std::string& problem : problems) spdlog::error("spool: {}", problem);
  for (const Envelope& envelope : unfinished)
    spdlog::info("{}: recovered from spool (from=<{}> nrcpt={})", envelope.queue_id,
                 envelope.sender, envelope.recipients.size());
  spdlog::info("spool {}: {} unfinished messages", relay.spool, unfinished.size());

  asio::io_context io(1);
  std::optional<asio::ssl::context> tls = make_tls(relay);
  RelayServer server(io, relay, *spool, tls ? &*tls : nullptr);
  ControlSocket control(io, *spool, control_socket_path(relay.spool));
  server.start();
  control.start();

  asio::signal_set signals(io, SIGTERM, SIGINT);
  signals.async_wait([&](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    spdlog::info("signal {}: draining {} sessions", signal, server.open_sessions());
    server.drain();
    control.close();
  });
  io.run();
  spool->close();
  spdlog::info("stopped; spool closed");
  return 0;
}

}  // namespace poolgate
