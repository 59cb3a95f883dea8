#include "daemon/run.h"

#include "common/operator_error.h"
#include "classify/classifier.h"
#include "daemon/control_socket.h"
#include "daemon/kernel_keeper.h"
#include "daemon/privileges.h"
#include "delivery/fwmark_capability.h"
#include "dns/dns_caching_resolver.h"
#include "dns/dns_resolver.h"
#include "limits/ndr_surge.h"
#include "limits/sender_control.h"
#include "limits/sender_limits.h"
#include "limits/spool_counter_store.h"
#include "queue/delivery_engine.h"
#include "relay/server.h"
#include "routing/local_addresses.h"
#include "spam/scanner.h"
#include "spool/spool.h"

#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl/context.hpp>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <ctime>
#include <optional>
#include <set>

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

// This host's own addresses: an MX that points at one of them would loop
// (RFC 5321 5.1). Read once at start; pool addresses do not come and go.
DeliveryEngine::IsLocal local_address_check() {
  NetlinkSession netlink;
  LocalAddresses local = read_local_addresses(netlink);
  std::set<asio::ip::address> all = local.usable;
  all.insert(local.tentative.begin(), local.tentative.end());
  return [all](const asio::ip::address& address) { return all.count(address) > 0; };
}

}  // namespace

int run_daemon(const Config& config, const RunOptions& options) {
  setup_logging();
  // Delivery never sends an unmarked socket; without the right to mark, say
  // so now rather than defer every message.
  check_fwmark_capability();
  asio::io_context io(1);
  // The data plane first: without it nothing may be delivered.
  std::optional<KernelKeeper> kernel;
  if (options.kernel_setup) {
    kernel.emplace(io, config);
    kernel->setup();
  }
  const RelayConfig& relay = config.relay;
  std::unique_ptr<Spool> spool = Spool::open(relay.spool);
  std::vector<std::string> problems;
  std::vector<Envelope> unfinished = spool->load_unfinished(&problems);
  for (const std::string& problem : problems) spdlog::error("spool: {}", problem);
  spdlog::info("spool {}: {} unfinished messages", relay.spool, unfinished.size());
  std::optional<asio::ssl::context> tls = make_tls(relay);
  dns::Resolver resolver(io.get_executor(), config.dns);
  dns::CachingResolver dns(resolver, dns::CachePolicy::from(config.dns));
  DeliveryEngine engine(io, config, *spool, dns, local_address_check());

  // Classification: every message's pool is decided before its 250.
  std::unique_ptr<spam::Scanner> scanner =
      spam::make_scanner(io.get_executor(), config.spam, relay.client_networks);
  limits::SpoolCounterStore counter_store(*spool, std::time(nullptr));
  limits::SenderLimits sender_limits(config.limits, relay.internal_domains, counter_store);
  limits::NdrSurgeDetector surge(config.limits);
  classify::Classifier classifier(config, {&dns, scanner.get(), &sender_limits, &surge});
  engine.set_classifier(&classifier);

  RelayServer server(io, relay, *spool, tls ? &*tls : nullptr);
  server.set_classifier(&classifier);
  server.on_queued([&engine](Envelope envelope) { engine.add(std::move(envelope)); });
  limits::SenderLimitsControl sender_control(sender_limits);
  ControlSocket control(io, engine, sender_control, control_socket_path(relay.spool));
  engine.start(std::move(unfinished));
  server.start();
  control.start();
  // Listeners are bound and the spool is open: what remains needs only
  // CAP_NET_ADMIN.
  drop_privileges(config);
  if (kernel) kernel->start();

  asio::signal_set signals(io, SIGTERM, SIGINT);
  signals.async_wait([&](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    spdlog::info("signal {}: draining {} sessions", signal, server.open_sessions());
    server.drain();
    engine.stop();
    control.close();
    if (kernel) kernel->stop();
  });
  io.run();
  spool->close();
  spdlog::info("stopped; spool closed");
  return 0;
}

}  // namespace poolgate
