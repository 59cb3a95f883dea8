// When a deferred recipient is tried again and when the relay gives up on it.
// Backoff is exponential by default (5m, 10m, 20m, 40m, then hourly) so a
// destination that is throttling us is not hammered; after max_lifetime
// (RFC 5321 4.5.4.1 suggests 4-5 days) the recipient fails and its sender gets
// a DSN.
#pragma once

#include "config/config.h"

#include <cstdint>
#include <vector>

namespace poolgate {

struct RetryPolicy {
  std::vector<uint32_t> intervals_s{300, 600, 1200, 2400, 3600};
  uint32_t max_lifetime_s = 5 * 86400;
  uint32_t delay_warning_s = 4 * 3600;  // 0 = no "delayed" DSNs

  static RetryPolicy from(const DeliveryConfig& config);

  // Seconds to wait after a recipient's `attempts`-th attempt failed
  // temporarily (attempts >= 1); the last interval repeats.
  uint32_t interval_after(uint32_t attempts) const;
  // The message has been queued too long: give up instead of retrying.
  bool expired(int64_t received_unix, int64_t now_unix) const {
    return now_unix - received_unix >= int64_t(max_lifetime_s);
  }
  // A "delayed" DSN is due (once per message).
  bool delay_warning_due(int64_t received_unix, int64_t now_unix) const {
    return delay_warning_s > 0 && now_unix - received_unix >= int64_t(delay_warning_s);
  }
};

}  // namespace poolgate
