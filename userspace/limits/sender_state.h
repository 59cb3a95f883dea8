// What poolgate remembers about one sender (the authenticated user, else the
// envelope sender address): its recipient and message counts over the limit
// windows, and whether it is blocked. Kept in a CounterStore (counter_store.h)
// in a compact record, so a restart does not hand a spammer fresh limits.
#pragma once

#include "limits/sliding_window.h"

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

namespace poolgate {

// blocked_until for a "block" action: until an operator releases the sender.
inline constexpr int64_t kBlockedUntilRelease = std::numeric_limits<int64_t>::max();

struct SenderState {
  // The windows of [limits]; bucket sizes trade memory for exactness
  // (sliding_window.h): an event counts for 59-60 min, 23-24 h, 59-60 s.
  SlidingWindow external_hour{3600, 60};
  SlidingWindow internal_hour{3600, 60};
  SlidingWindow recipients_day{86400, 3600};
  SlidingWindow messages_minute{60, 1};

  int64_t blocked_until = 0;   // 0 = not blocked; kBlockedUntilRelease; else a Unix time
  int64_t blocked_since = 0;
  std::string block_reasons;   // the limits that caused the block, for `senders list`

  int64_t last_exceeded_unix = 0;  // the last time any limit was reached
  uint64_t times_exceeded = 0;     // messages that reached a limit, ever (until released)
  std::string last_reasons;        // "limit:external-per-hour 501>500, ..."

  bool blocked_at(int64_t now) const { return blocked_until != 0 && now < blocked_until; }
  // Nothing worth keeping: no live counts, no block, no recent limit.
  bool idle_at(int64_t now);
};

// Lifts a block and forgets the counts (see SenderLimits::release for why the
// counts go too). False when the sender was not blocked: nothing changes.
bool lift_block(SenderState& state);

// The record format: spool/tlv.h fields (a version byte, unknown tags skipped).
std::string encode_sender_state(const SenderState& state);
// Throws RecordError when the record does not decode.
SenderState decode_sender_state(std::string_view record);

// The key a sender is counted under: the authenticated user if any, else the
// envelope sender; lower case, so "Spammer@X" and "spammer@x" share one quota
// (case variation must not be a way round the limits). "" = no sender (a
// bounce from an unauthenticated client): not limited.
std::string sender_key(std::string_view auth_user, std::string_view envelope_sender);

}  // namespace poolgate
