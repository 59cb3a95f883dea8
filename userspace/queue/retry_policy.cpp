#include "queue/retry_policy.h"

#include <algorithm>

namespace poolgate {

RetryPolicy RetryPolicy::from(const DeliveryConfig& config) {
  RetryPolicy policy;
  if (!config.retry_intervals_s.empty()) policy.intervals_s = config.retry_intervals_s;
  policy.max_lifetime_s = config.max_lifetime_s;
  policy.delay_warning_s = config.delay_warning_s;
  return policy;
}

uint32_t RetryPolicy::interval_after(uint32_t attempts) const {
  if (intervals_s.empty()) return 300;
  size_t index = std::min<size_t>(attempts == 0 ? 0 : attempts - 1, intervals_s.size() - 1);
  return intervals_s[index];
}

}  // namespace poolgate
