#include "daemon/kernel_keeper.h"

#include "kernel/attach.h"
#include "routing/policy_routes.h"

#include <spdlog/spdlog.h>

#include <sstream>

namespace poolgate {

struct KernelKeeper::Impl {
  Impl(boost::asio::io_context& io, const Config& config) : io(io), config(&config) {}
  boost::asio::io_context& io;
  const Config* config;
  KernelKeeperStats stats;
};

KernelKeeper::KernelKeeper(boost::asio::io_context& io, const Config& config)
    : impl_(std::make_unique<Impl>(io, config)) {}
KernelKeeper::~KernelKeeper() = default;

namespace {
// Runs one of the CLI's kernel steps and logs what it printed, line by line.
template <class Step>
void logged(const char* what, Step step) {
  std::ostringstream out;
  step(out);
  std::istringstream lines(out.str());
  for (std::string line; std::getline(lines, line);)
    if (!line.empty()) spdlog::info("{}: {}", what, line);
}
}  // namespace

void KernelKeeper::setup() {
  const Config& config = *impl_->config;
  logged("routes", [&](std::ostream& out) { routes_apply(config, out); });
  logged("bpf", [&](std::ostream& out) { bpf_attach(config, out); });
}

void KernelKeeper::start() {}

void KernelKeeper::reconfigure(const Config& config) {
  impl_->config = &config;
  setup();
}

void KernelKeeper::stop() {}

KernelKeeperStats KernelKeeper::stats() const { return impl_->stats; }

}  // namespace poolgate
