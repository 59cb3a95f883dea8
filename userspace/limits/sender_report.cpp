#include "limits/sender_report.h"

namespace poolgate {

bool SenderReport::restricted(int64_t now) const {
  return blocked || (last_exceeded_unix != 0 && now - last_exceeded_unix < 86400);
}

SenderReport report_of(const std::string& sender, const SenderState& state, int64_t now) {
  SenderReport r;
  r.sender = sender;
  r.external_last_hour = state.external_hour.count(now);
  r.internal_last_hour = state.internal_hour.count(now);
  r.recipients_last_day = state.recipients_day.count(now);
  r.messages_last_minute = state.messages_minute.count(now);
  r.blocked = state.blocked_at(now);
  if (r.blocked) {
    r.until_release = state.blocked_until == kBlockedUntilRelease;
    r.blocked_until = r.until_release ? 0 : state.blocked_until;
    r.blocked_since = state.blocked_since;
    r.block_reasons = state.block_reasons;
  }
  r.last_exceeded_unix = state.last_exceeded_unix;
  r.times_exceeded = state.times_exceeded;
  r.last_reasons = state.last_reasons;
  return r;
}

}  // namespace poolgate
