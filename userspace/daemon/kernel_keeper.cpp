#include "daemon/kernel_keeper.h"

#include "common/operator_error.h"
#include "kernel/attach.h"
#include "kernel/map_sync.h"
#include "kernel/pins.h"
#include "kernel/preflight.h"
#include "kernel/tc_hook.h"
#include "kernel/xdp_hook.h"
#include "kernel/unique_fd.h"
#include "pools/address_plan.h"
#include "poolgate_maps.h"
#include "routing/drift_report.h"
#include "routing/policy_routes.h"
#include "routing/route_watch.h"

#include <boost/asio/steady_timer.hpp>
#include <net/if.h>
#include <spdlog/spdlog.h>

#include <array>
#include <chrono>
#include <fstream>
#include <optional>
#include <sstream>

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

// Runs one of the CLI's kernel steps and logs what it printed, line by line.
template <class Step>
void logged(spdlog::level::level_enum level, const char* what, Step step) {
  std::ostringstream out;
  step(out);
  std::istringstream lines(out.str());
  for (std::string line; std::getline(lines, line);)
    if (!line.empty()) spdlog::log(level, "{}: {}", what, line);
}

// Whether this process may still load and attach BPF programs (before the
// privilege drop, or when run without [daemon] user).
bool may_attach_bpf() {
  std::ifstream file("/proc/self/status");
  std::stringstream status;
  status << file.rdbuf();
  try {
    return missing_capabilities(parse_cap_eff(status.str())).empty();
  } catch (const OperatorError&) {
    return false;
  }
}

std::set<uint32_t> watched_tables(const Config& config) {
  std::set<uint32_t> tables{config.routing.mirror_table_id};
  for (const PoolAddress& entry : plan_addresses(config)) tables.insert(entry.table);
  return tables;
}

// The pinned maps, opened while the process may still open pins: updating a
// map through an fd it already holds needs no capability, so a reload after
// the privilege drop can still re-sync them.
struct HeldMaps {
  std::array<UniqueFd, 7> fds;
  std::string pin_path;

  static std::optional<HeldMaps> open(const std::string& pin_path) {
    HeldMaps held;
    held.pin_path = pin_path;
    for (size_t i = 0; i < kPinnedMaps.size(); ++i) {
      held.fds[i] = require_pinned_map(pin_path, kPinnedMaps[i]);
    }
    return held;
  }
  MapFds maps() const {
    auto fd = [&](const char* name) {
      for (size_t i = 0; i < kPinnedMaps.size(); ++i)
        if (std::string(kPinnedMaps[i]) == name) return fds[i].get();
      return -1;
    };
    return MapFds{fd(PG_MAP_SETTINGS),   fd(PG_MAP_MARKS),  fd(PG_MAP_ADDRS),
                  fd(PG_MAP_POOL_NAMES), fd(PG_MAP_POOL_STATS), fd(PG_MAP_GLOBAL),
                  fd(PG_MAP_ATTACH)};
  }
};

}  // namespace

struct KernelKeeper::Impl {
  Impl(boost::asio::io_context& io, const Config& config)
      : io(io), config(&config), debounce(io), periodic(io) {}

  void setup();
  void schedule_check(const std::string& why);
  void check(const char* why);
  void arm_periodic();
  void check_bpf();

  boost::asio::io_context& io;
  const Config* config;
  KernelKeeperStats stats;
  boost::asio::steady_timer debounce;  // armed: a check is pending
  boost::asio::steady_timer periodic;
  std::unique_ptr<RouteWatch> watch;
  std::optional<HeldMaps> maps;
  // What the BPF attachment was made with: after the drop a reload can re-sync
  // maps but not attach elsewhere, and says so when these change.
  std::vector<std::string> attached_interfaces;
  XdpMode attached_xdp_mode{};
  bool started = false;
  bool check_pending = false;
  bool bpf_missing_logged = false;
  // The repair-fight guard (kFightLimit).
  Clock::time_point last_repair{};
  int fight = 0;
  Clock::time_point paused_until{};
};

void KernelKeeper::Impl::setup() {
  const Config& cfg = *config;
  logged(spdlog::level::info, "routes", [&](std::ostream& out) { routes_apply(cfg, out); });
  logged(spdlog::level::info, "bpf", [&](std::ostream& out) { bpf_attach(cfg, out); });
  maps = HeldMaps::open(cfg.kernel.pin_path);
  attached_interfaces = cfg.kernel.interfaces;
  attached_xdp_mode = cfg.kernel.xdp_mode;
}

void KernelKeeper::Impl::schedule_check(const std::string& why) {
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

void KernelKeeper::Impl::check(const char* why) {
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
    for (const std::string& line : drift_report(drift.rules, drift.routes, false))
      spdlog::error("routing drift: {}", line);
    spdlog::error("routing drift: poolgate's rules or routes were changed again right after {} "
                  "repairs in a row: something else is rewriting them; next repair in {} s",
                  kFightLimit, std::chrono::duration_cast<std::chrono::seconds>(kFightPause).count());
    schedule_check("retry after a pause");
    return;
  }
  try {
    // Apply's own account repeats what the report below says; kept for debugging.
    logged(spdlog::level::debug, "routes", [&](std::ostream& out) { routes_apply(*config, out); });
  } catch (const std::exception& e) {
    ++stats.failures;
    for (const std::string& line : drift_report(drift.rules, drift.routes, false))
      spdlog::error("routing drift: {}", line);
    spdlog::error("routing drift ({}): repair failed: {}", why, e.what());
    return;
  }
  ++stats.repairs;
  // Apply fixed what it found, which is what was compared unless the kernel
  // changed in between (then the next event compares again).
  for (const std::string& line : drift_report(drift.rules, drift.routes, true))
    spdlog::warn("routing drift: {}", line);
}

// Only periodic: tc and XDP changes come on other netlink groups, and a
// detached program is rare enough (an operator's `tc qdisc del`) that the
// periodic pace is fine. Re-attaching needs CAP_BPF/CAP_SYS_ADMIN, so after
// the privilege drop this can only say what is missing.
void KernelKeeper::Impl::check_bpf() {
  // Reported and not repairable from here: asking again every period would
  // only repeat libbpf's "cannot find filter chain" on stderr.
  if (bpf_missing_logged) return;
  std::vector<std::string> missing;
  for (const std::string& name : attached_interfaces) {
    const unsigned ifindex = ::if_nametoindex(name.c_str());
    if (ifindex == 0) continue;  // gone with its interface; attach on re-creation is bpf attach's
    const XdpProgIds xdp = xdp_prog_ids(static_cast<int>(ifindex));
    // By id, not by name: telling pg_tc_egress from another program needs the
    // program's info, which needs CAP_SYS_ADMIN after the drop. Our handle and
    // priority are poolgate's alone.
    if (tc_egress_prog_id(static_cast<int>(ifindex)) == 0 || (!xdp.native && !xdp.generic))
      missing.push_back(name);
  }
  if (missing.empty()) return;
  std::string names;
  for (const std::string& name : missing) names += (names.empty() ? "" : ", ") + name;
  if (may_attach_bpf()) {
    try {
      const Config& cfg = *config;
      logged(spdlog::level::warn, "bpf", [&](std::ostream& out) { bpf_attach(cfg, out); });
      spdlog::warn("bpf: poolgate's programs were missing on {}; re-attached", names);
    } catch (const std::exception& e) {
      ++stats.failures;
      spdlog::error("bpf: poolgate's programs are missing on {}; re-attaching failed: {}", names,
                    e.what());
    }
    return;
  }
  bpf_missing_logged = true;
  spdlog::error("bpf: poolgate's programs are no longer attached to {}; the daemon has dropped "
                "the rights to attach them ([daemon] user): run `poolgate bpf attach`",
                names);
}

void KernelKeeper::Impl::arm_periodic() {
  const uint32_t seconds = config->daemon.route_check_s;
  periodic.cancel();  // a reload may have turned it off or changed the interval
  if (!started || seconds == 0) return;
  periodic.expires_after(std::chrono::seconds(seconds));
  periodic.async_wait([this](const boost::system::error_code& ec) {
    if (ec == boost::asio::error::operation_aborted) return;
    if (!started) return;
    if (Clock::now() >= paused_until) check("periodic");
    check_bpf();
    arm_periodic();
  });
}

KernelKeeper::KernelKeeper(boost::asio::io_context& io, const Config& config)
    : impl_(std::make_unique<Impl>(io, config)) {}

KernelKeeper::~KernelKeeper() { stop(); }

void KernelKeeper::setup() { impl_->setup(); }

void KernelKeeper::start() {
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

void KernelKeeper::reconfigure(const Config& config) {
  Impl& impl = *impl_;
  impl.config = &config;
  if (impl.watch) impl.watch->set_watched_tables(watched_tables(config));
  if (may_attach_bpf()) {
    impl.setup();
  } else {
    // After the privilege drop: routes need only CAP_NET_ADMIN (kept), the
    // maps are written through the fds opened before the drop, but loading
    // or attaching programs would need CAP_BPF/CAP_SYS_ADMIN.
    logged(spdlog::level::info, "routes", [&](std::ostream& out) { routes_apply(config, out); });
    if (impl.maps && impl.maps->pin_path == config.kernel.pin_path) {
      sync_maps(impl.maps->maps(), config);
      spdlog::info("bpf: maps at {} re-synced", config.kernel.pin_path);
    } else {
      spdlog::warn("bpf: kernel.pin_path changed to {}: the running daemon has dropped the "
                   "rights to load there; restart poolgate to move the data plane",
                   config.kernel.pin_path);
    }
    if (config.kernel.interfaces != impl.attached_interfaces ||
        config.kernel.xdp_mode != impl.attached_xdp_mode)
      spdlog::warn("bpf: kernel.interfaces or kernel.xdp_mode changed: attaching needs rights "
                   "the daemon dropped ([daemon] user); restart poolgate or run `poolgate bpf "
                   "attach`");
  }
  impl.bpf_missing_logged = false;  // look again (the operator may have re-attached)
  // The plan may have changed under the timers: compare afresh from now on.
  impl.arm_periodic();
}

void KernelKeeper::stop() {
  Impl& impl = *impl_;
  if (!impl.started) return;
  impl.started = false;
  if (impl.watch) impl.watch->stop();
  impl.watch.reset();
  impl.debounce.cancel();
  impl.periodic.cancel();
  impl.check_pending = false;
}

KernelKeeperStats KernelKeeper::stats() const {
  KernelKeeperStats stats = impl_->stats;
  stats.watching = impl_->watch && impl_->watch->running();
  return stats;
}

}  // namespace poolgate
