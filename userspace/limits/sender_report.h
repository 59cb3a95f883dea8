// One sender as `poolgate senders list` and SenderLimits::report() show it:
// the live counts against the configured limits, and any block. Built from a
// stored SenderState alone, so the CLI can show it from a read-only spool.
#pragma once

#include "config/config.h"
#include "limits/sender_state.h"

#include <cstdint>
#include <string>

namespace poolgate {

struct SenderReport {
  std::string sender;
  uint64_t external_last_hour = 0;
  uint64_t internal_last_hour = 0;
  uint64_t recipients_last_day = 0;
  uint64_t messages_last_minute = 0;
  bool blocked = false;
  bool until_release = false;  // "block": only `senders release` lifts it
  int64_t blocked_until = 0;   // block-for-today: the next 00:00 UTC
  int64_t blocked_since = 0;
  std::string block_reasons;
  int64_t last_exceeded_unix = 0;
  uint64_t times_exceeded = 0;
  std::string last_reasons;

  // Blocked, or reached a limit in the last day: what `senders list` shows
  // without --all.
  bool restricted(int64_t now) const;
};

SenderReport report_of(const std::string& sender, const SenderState& state, int64_t now);

}  // namespace poolgate
