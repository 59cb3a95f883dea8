#include "routing/route_keeper.h"

#include "common/operator_error.h"
#include "pools/address_plan.h"
#include "routing/drift_report.h"
#include "routing/policy_routes.h"
#include "routing/route_watch.h"

#include <boost/asio/steady_timer.hpp>
#include <spdlog/spdlog.h>

#include <chrono>
#include <set>

namespace poolgate {

namespace {

using Clock = std::chrono::steady_clock;

// Events come in bursts (a DHCP client rewrites a route as delete + add, our
// own apply is a dozen changes): one comparison after the burst settles.
constexpr auto kDebounce = std::chrono::milliseconds(200);
// Drift found again this soon after a repair counts as "the same fight"...
constexpr auto kFightWindow = std::chrono::seconds(3);
// ...and after this many repairs in a row, someone else keeps undoing ours
// (another routing daemon, a script in a loop): repairing at the pace of
// their changes would only flood both logs, so wait this long between tries.
constexpr int kFightLimit = 5;
constexpr auto kFightPause = std::chrono::seconds(30);

std::set<uint32_t> watched_tables(const Config& config) {
  std::set<uint32_t> tables{config.routing.mirror_table_id};
  for (const PoolAddress& entry : plan_addresses(config)) tables.insert(entry.table);
  return tables;
}

void log_drift(const RoutingComparison& drift, bool repaired) {
  for (const std::string& line : drift_report(drift.rules, drift.routes, repaired)) {
    if (repaired)
      spdlog::warn("routing drift: {}", line);
    else
      spdlog::error("routing drift: {}", line);
  }
}

}  // namespace

struct RouteKeeper::Impl {
  Impl(boost::asio::io_context& io, const Config& config)
      : io(io), config(&config), debounce(io), periodic(io) {}

  void schedule_check(const std::string& why);
  void check(const char* why);
  void arm_periodic();

  boost::asio::io_context& io;
  const Config* config;
  RouteKeeperStats stats;
  boost::asio::steady_timer debounce;  // armed: a check is pending
  boost::asio::steady_timer periodic;
  std::unique_ptr<RouteWatch> watch;
  std::function<bool()> also_periodic;
  bool started = false;
  bool check_pending = false;
  // The repair-fight guard (kFightLimit).
  Clock::time_point last_repair{};
  int fight = 0;
  Clock::time_point paused_until{};
};

void RouteKeeper::Impl::schedule_check(const std::string& why) {
  if (!started) return;
  spdlog::debug("routing watch: {}", why);
  if (check_pending) return;  // coalesce: the pending check will see this change too
  check_pending = true;
  const auto now = Clock::now();
  debounce.expires_at(std::max(now + kDebounce, paused_until));
  debounce.async_wait([this](const boost::system::error_code& ec) {
    if (ec == boost::asio::error::operation_aborted) return;  // stop(); `this` may be gone
    check_pending = false;
    if (started) check("change");
  });
}

void RouteKeeper::Impl::check(const char* why) {
  ++stats.checks;
  RoutingComparison drift;
  try {
    drift = routes_compare(*config);
  } catch (const std::exception& e) {
    ++stats.failures;
    spdlog::error("routing check ({}): {}", why, e.what());
    return;
  }
  if (!drift.any()) {
    fight = 0;
    return;
  }
  const auto now = Clock::now();
  fight = (stats.repairs + stats.failures > 0 && now - last_repair < kFightWindow) ? fight + 1 : 1;
  last_repair = now;
  if (fight > kFightLimit) {
    paused_until = now + kFightPause;
    fight = 0;
    log_drift(drift, false);
    spdlog::error("routing drift: poolgate's rules or routes were changed again right after {} "
                  "repairs in a row: something else is rewriting them; next repair in {} s",
                  kFightLimit, std::chrono::duration_cast<std::chrono::seconds>(kFightPause).count());
    schedule_check("retry after a pause");
    return;
  }
  try {
    // Apply's own account repeats what the drift report below says; kept for debugging.
    for (const std::string& line : routes_apply(*config).lines()) spdlog::debug("routes: {}", line);
  } catch (const std::exception& e) {
    ++stats.failures;
    log_drift(drift, false);
    spdlog::error("routing drift ({}): repair failed: {}", why, e.what());
    return;
  }
  ++stats.repairs;
  // Apply fixed what it found, which is what was compared unless the kernel
  // changed in between (then the next event compares again).
  log_drift(drift, true);
}

void RouteKeeper::Impl::arm_periodic() {
  const uint32_t seconds = config->daemon.route_check_s;
  periodic.cancel();  // a reload may have turned it off or changed the interval
  if (!started || seconds == 0) return;
  periodic.expires_after(std::chrono::seconds(seconds));
  periodic.async_wait([this](const boost::system::error_code& ec) {
    if (ec == boost::asio::error::operation_aborted) return;
    if (!started) return;
    if (Clock::now() >= paused_until) check("periodic");
    if (also_periodic && !also_periodic()) ++stats.failures;
    arm_periodic();
  });
}

RouteKeeper::RouteKeeper(boost::asio::io_context& io, const Config& config)
    : impl_(std::make_unique<Impl>(io, config)) {}

RouteKeeper::~RouteKeeper() { stop(); }

void RouteKeeper::on_periodic(std::function<bool()> also) { impl_->also_periodic = std::move(also); }

void RouteKeeper::start() {
  Impl& impl = *impl_;
  if (impl.started) return;
  impl.started = true;
  try {
    impl.watch = std::make_unique<RouteWatch>(
        impl.io.get_executor(), [&impl](const std::string& why) { impl.schedule_check(why); });
    impl.watch->set_watched_tables(watched_tables(*impl.config));
    impl.watch->start();
  } catch (const OperatorError& e) {
    // Not fatal: the periodic check still repairs, only later.
    impl.watch.reset();
    spdlog::error("routing watch: {}; relying on the check every {} s", e.what(),
                  impl.config->daemon.route_check_s);
  }
  spdlog::info("keeping routes: netlink watch {}, check every {}", impl.watch ? "on" : "off",
               impl.config->daemon.route_check_s
                   ? std::to_string(impl.config->daemon.route_check_s) + " s"
                   : std::string("(periodic check off)"));
  // Whatever changed between setup and now (the listeners took a while) counts.
  impl.check("start");
  impl.arm_periodic();
}

void RouteKeeper::reconfigure(const Config& config) {
  Impl& impl = *impl_;
  impl.config = &config;
  if (impl.watch) impl.watch->set_watched_tables(watched_tables(config));
  // The plan may have changed under the timers: compare afresh from now on.
  impl.arm_periodic();
}

void RouteKeeper::stop() {
  Impl& impl = *impl_;
  if (!impl.started) return;
  impl.started = false;
  if (impl.watch) impl.watch->stop();
  impl.watch.reset();
  impl.debounce.cancel();
  impl.periodic.cancel();
  impl.check_pending = false;
}

RouteKeeperStats RouteKeeper::stats() const {
  RouteKeeperStats stats = impl_->stats;
  stats.watching = impl_->watch && impl_->watch->running();
  return stats;
}

}  // namespace poolgate
