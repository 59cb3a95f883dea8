#include "daemon/fd_limit.h"

#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <cerrno>
#include <cstring>

namespace poolgate {

FdNeed fd_need(const Config& config) {
  return FdNeed{config.relay.max_connections, config.delivery.max_concurrent_connections,
                kFdReserve};
}

std::optional<std::string> fd_limit_warning(const FdNeed& need, uint64_t soft) {
  if (need.total() <= soft) return std::nullopt;
  return "open-file limit " + std::to_string(soft) + " is below the " +
         std::to_string(need.total()) + " descriptors the configuration may use (relay.max_connections " +
         std::to_string(need.relay_sessions) + " + delivery.max_concurrent_connections " +
         std::to_string(need.outbound) + " + " + std::to_string(need.reserve) +
         " for the spool, DNS, admin API and pins); past it connections fail with EMFILE. "
         "Raise LimitNOFILE= in the unit (or `ulimit -n` before starting) to at least " +
         std::to_string(need.total()) + ", or lower those limits";
}

FdLimit raise_fd_limit() {
  FdLimit result;
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) {
    result.error = std::string("getrlimit: ") + std::strerror(errno);
    return result;
  }
  result.soft_before = result.soft = limit.rlim_cur;
  result.hard = limit.rlim_max;
  if (limit.rlim_cur == limit.rlim_max) return result;
  limit.rlim_cur = limit.rlim_max;
  if (setrlimit(RLIMIT_NOFILE, &limit) != 0) {
    result.error = std::string("setrlimit: ") + std::strerror(errno);
    return result;
  }
  result.soft = limit.rlim_cur;
  return result;
}

void log_fd_limit(const FdLimit& limit, const Config& config) {
  if (!limit.error.empty())
    spdlog::warn("open-file limit: cannot raise the soft limit {} to the hard limit {}: {}",
                 limit.soft_before, limit.hard, limit.error);
  else if (limit.soft != limit.soft_before)
    spdlog::info("open-file limit: soft limit raised from {} to {} (the hard limit)",
                 limit.soft_before, limit.soft);
  else
    spdlog::info("open-file limit: {} (soft = hard)", limit.soft);
  if (auto warning = fd_limit_warning(fd_need(config), limit.soft)) spdlog::warn("{}", *warning);
}

}  // namespace poolgate
