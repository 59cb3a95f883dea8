#include "daemon/kernel_keeper.h"

#include "kernel/attach.h"
#include "routing/policy_routes.h"

#include <spdlog/spdlog.h>

#include <string>
#include <vector>

namespace poolgate {

namespace {

void log_lines(spdlog::level::level_enum level, const char* what,
               const std::vector<std::string>& lines) {
  for (const std::string& line : lines) spdlog::log(level, "{}: {}", what, line);
}

// bpf attach, its report logged (a notice such as "mounted bpffs" at warn).
void attach_logged(const Config& config, spdlog::level::level_enum level) {
  const BpfAttachReport report = bpf_attach(config);
  log_lines(spdlog::level::warn, "bpf", report.notices);
  log_lines(level, "bpf", report.lines());
}

}  // namespace

KernelKeeper::KernelKeeper(boost::asio::io_context& io, const Config& config)
    : config_(&config), routes_(io, config) {
  routes_.on_periodic([this] { return check_bpf(); });
}

void KernelKeeper::setup() {
  log_lines(spdlog::level::info, "routes", routes_apply(*config_).lines());
  attach_logged(*config_, spdlog::level::info);
  bpf_.attached(*config_);
}

void KernelKeeper::start() { routes_.start(); }

// Only periodic: tc and XDP changes come on other netlink groups, and a
// detached program is rare enough (an operator's `tc qdisc del`) that the
// periodic pace is fine. Re-attaching needs CAP_BPF/CAP_SYS_ADMIN, so after
// the privilege drop this can only say what is missing.
bool KernelKeeper::check_bpf() {
  if (bpf_missing_logged_) return true;
  const std::vector<std::string> missing = bpf_.missing_programs();
  if (missing.empty()) return true;
  std::string names;
  for (const std::string& name : missing) names += (names.empty() ? "" : ", ") + name;
  if (may_attach_bpf()) {
    try {
      attach_logged(*config_, spdlog::level::warn);
      spdlog::warn("bpf: poolgate's programs were missing on {}; re-attached", names);
      return true;
    } catch (const std::exception& e) {
      spdlog::error("bpf: poolgate's programs are missing on {}; re-attaching failed: {}", names,
                    e.what());
      return false;
    }
  }
  bpf_missing_logged_ = true;
  spdlog::error("bpf: poolgate's programs are no longer attached to {}; the daemon has dropped "
                "the rights to attach them ([daemon] user): run `poolgate bpf attach`",
                names);
  return true;
}

void KernelKeeper::reconfigure(const Config& config) {
  config_ = &config;
  routes_.reconfigure(config);
  if (may_attach_bpf()) {
    setup();
  } else {
    // After the privilege drop: routes need only CAP_NET_ADMIN (kept), the
    // maps are written through the fds opened before the drop, but loading
    // or attaching programs would need CAP_BPF/CAP_SYS_ADMIN.
    log_lines(spdlog::level::info, "routes", routes_apply(config).lines());
    const BpfResync resync = bpf_.resync(config);
    if (resync.maps_synced)
      spdlog::info("bpf: maps at {} re-synced", config.kernel.pin_path);
    else
      spdlog::warn("bpf: kernel.pin_path changed to {}: the running daemon has dropped the "
                   "rights to load there; restart poolgate to move the data plane",
                   config.kernel.pin_path);
    if (resync.attachment_changed)
      spdlog::warn("bpf: kernel.interfaces or kernel.xdp_mode changed: attaching needs rights "
                   "the daemon dropped ([daemon] user); restart poolgate or run `poolgate bpf "
                   "attach`");
  }
  bpf_missing_logged_ = false;  // look again (the operator may have re-attached)
}

void KernelKeeper::stop() { routes_.stop(); }

}  // namespace poolgate
