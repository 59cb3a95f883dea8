// The time source of the limits and the NDR surge detector: Unix seconds from
// an injectable function, so tests can roll windows over minute, hour and day
// boundaries (and midnight UTC) without sleeping.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>

namespace poolgate {

using Clock = std::function<int64_t()>;  // seconds since the Unix epoch (UTC)

inline int64_t system_unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The next 00:00 UTC strictly after `now` (Unix time has no leap seconds, so a
// day is always 86400 s).
inline int64_t next_utc_midnight(int64_t now) { return (now / 86400 + 1) * 86400; }

}  // namespace poolgate
