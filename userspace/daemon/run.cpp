#include "daemon/run.h"

#include "classify/classifier.h"
#include "classify/hold_rechecker.h"
#include "common/operator_error.h"
#include "daemon/admin_api.h"
#include "daemon/control_socket.h"
#include "daemon/fd_limit.h"
#include "daemon/generations.h"
#include "daemon/kernel_keeper.h"
#include "daemon/privileges.h"
#include "daemon/systemd_notify.h"
#include "delivery/fwmark_capability.h"
#include "dns/dns_caching_resolver.h"
#include "dns/dns_resolver.h"
#include "kernel/stats.h"
#include "limits/ndr_surge.h"
#include "limits/sender_control.h"
#include "limits/sender_limits.h"
#include "limits/spool_counter_store.h"
#include "queue/delivery_engine.h"
#include "relay/server.h"
#include "routing/local_addresses.h"
#include "spool/spool.h"

#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl/context.hpp>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <ctime>
#include <functional>
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

// The pinned counter maps, opened while the daemon may still open them
// (before dropping privileges). Without a data plane (--no-kernel-setup and
// nothing attached yet) /metrics simply has no kernel families.
std::optional<StatsMaps> open_kernel_maps(const Config& config) {
  try {
    return StatsMaps(config.kernel.pin_path);
  } catch (const std::exception& e) {
    spdlog::warn("metrics: no kernel counters: {}", e.what());
    return std::nullopt;
  }
}

}  // namespace

int run_daemon(const Config& initial, const RunOptions& options) {
  setup_logging();
  // Before anything opens a descriptor: every session and outbound connection
  // is one, and the default soft limit (1024) is below the default limits.
  const FdLimit fd_limit = raise_fd_limit();
  log_fd_limit(fd_limit, initial);
  // Delivery never sends an unmarked socket; without the right to mark, say
  // so now rather than defer every message.
  check_fwmark_capability();
  asio::io_context io(1);
  Generations generations(io.get_executor(), initial);
  const Config& config = *generations.current().config;

  // The data plane first: without it nothing may be delivered.
  std::optional<KernelKeeper> kernel;
  if (options.kernel_setup) {
    kernel.emplace(io, config);
    kernel->setup();
  }
  std::optional<StatsMaps> kernel_maps = open_kernel_maps(config);

  const RelayConfig& relay = config.relay;
  SpoolOptions spool_options;
  spool_options.min_free_bytes = uint64_t{relay.spool_min_free_mb} << 20;
  spool_options.reserve_bytes = std::min<uint64_t>(16ull << 20, spool_options.min_free_bytes);
  std::unique_ptr<Spool> spool = Spool::open(relay.spool, spool_options);
  std::vector<std::string> problems;
  std::vector<Envelope> unfinished = spool->load_unfinished(&problems);
  for (const std::string& problem : problems) spdlog::error("spool: {}", problem);
  spdlog::info("spool {}: {} unfinished messages", relay.spool, unfinished.size());

  std::optional<asio::ssl::context> tls = make_tls(relay);
  Resolver resolver(io.get_executor(), config.dns);
  CachingResolver dns(resolver, CachePolicy::from(config.dns));
  DeliveryEngine engine(io, config, *spool, dns, local_address_check());
  engine.set_reply_rules(generations.current().reply_rules);
  spdlog::info("reply classes: {} rules ({} files before the defaults)",
               generations.current().reply_rules->rules().size(),
               config.reputation.reply_rules.size());

  // Classification: every message's pool is decided before its 250.
  SpoolCounterStore counter_store(*spool, std::time(nullptr));
  SenderLimits sender_limits(config.limits, relay.internal_domains, counter_store);
  NdrSurgeDetector surge(config.limits);
  Classifier classifier(
      config, {&dns, generations.current().scanner.get(), &sender_limits, &surge});
  // Held messages: parked in the engine, checked again by classification.
  HoldRechecker rechecker(io, classifier, *spool,
                          [&engine](const std::string& id, const std::string& pool,
                                    const std::vector<std::string>& reasons) {
                            return engine.release_hold(id, pool, reasons);
                          });
  engine.set_hold_hooks({[&rechecker](const Envelope& held) { rechecker.add(held); },
                         [&rechecker](const std::string& id) { return rechecker.recheck_now(id); }});

  RelayServer server(io, relay, *spool, tls ? &*tls : nullptr);
  server.set_classifier(&classifier);
  server.on_queued([&engine](Envelope envelope) { engine.add(std::move(envelope)); });
  SenderLimitsControl sender_control(sender_limits);
  ControlSocket control(io, engine, sender_control, control_socket_path(relay.spool));

  DaemonCounters counters{std::time(nullptr)};
  MetricSources sources{&config, &engine, &classifier, &sender_limits, &surge,
                               &counter_store, &dns, &server, spool.get(),
                               kernel ? &kernel->routes() : nullptr, kernel_maps ? &*kernel_maps : nullptr,
                               &counters};
  std::unique_ptr<HttpServer> admin = start_admin_api(io, config, sources);

  engine.start(std::move(unfinished));
  server.start();
  control.start();
  // Listeners are bound, the spool and the maps are open: what remains needs
  // only CAP_NET_ADMIN.
  drop_privileges(config);
  if (kernel) kernel->start();

  // SIGHUP: a new generation for what can change while running; an invalid
  // file changes nothing.
  auto reload = [&] {
    notify_systemd("RELOADING=1");
    const Config& running = *generations.current().config;
    const Generation* next = generations.load(options.config_path);
    if (!next) {
      ++counters.reloads_refused;
      spdlog::error("reload: {} is invalid; still running the previous configuration",
                    options.config_path);
      notify_systemd("READY=1\nSTATUS=reload refused: invalid configuration (see the log)");
      return;
    }
    const Config& fresh = *next->config;
    for (const std::string& key : restart_only_changes(running, fresh))
      spdlog::warn("reload: {} changed; it takes effect at the next restart", key);
    if (auto warning = fd_limit_warning(fd_need(fresh), fd_limit.soft))
      spdlog::warn("reload: {}", *warning);
    server.reconfigure(fresh.relay);
    engine.reconfigure(fresh);
    engine.set_reply_rules(next->reply_rules);
    classifier.reconfigure(fresh, next->scanner.get());
    sender_limits.reconfigure(fresh.limits, fresh.relay.internal_domains);
    sources.config = &fresh;
    if (kernel) {
      try {
        kernel->reconfigure(fresh);
      } catch (const std::exception& e) {
        spdlog::error("reload: kernel: {}", e.what());
      }
    }
    ++counters.reloads;
    spdlog::info("reload: {} applied (generation {}; pools {})", options.config_path,
                 generations.count(), fresh.pools.size());
    notify_systemd("READY=1\nSTATUS=accepting mail (configuration generation " +
                   std::to_string(generations.count()) + ")");
  };
  asio::signal_set hangup(io, SIGHUP);
  std::function<void()> wait_hangup = [&] {
    hangup.async_wait([&](const boost::system::error_code& ec, int) {
      if (ec) return;
      reload();
      wait_hangup();
    });
  };
  wait_hangup();

  asio::signal_set signals(io, SIGTERM, SIGINT);
  notify_systemd("READY=1\nSTATUS=accepting mail");
  signals.async_wait([&](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    spdlog::info("signal {}: draining {} sessions", signal, server.open_sessions());
    notify_systemd("STOPPING=1");
    server.drain();
    engine.stop();
    rechecker.stop();
    control.close();
    if (admin) admin->close();
    if (kernel) kernel->stop();
    boost::system::error_code ignored;
    hangup.cancel(ignored);
  });
  io.run();
  spool->close();
  spdlog::info("stopped; spool closed");
  return 0;
}

}  // namespace poolgate
