// The TTLs c-ares 1.18 does not hand over. Its parsers return TTLs for A and
// AAAA only; MX, TXT and PTR come without, and no parser reads the SOA of a
// negative answer's authority section together with that record's own TTL.
// This walks the raw reply just far enough to collect them.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

namespace poolgate {

struct ReplyTtls {
  std::optional<uint32_t> answer;    // smallest TTL in the answer section
  std::optional<uint32_t> negative;  // RFC 2308 5: min(SOA TTL, SOA MINIMUM), authority section
};

// nullopt when the message is cut short or its names are garbled.
std::optional<ReplyTtls> scan_ttls(std::span<const unsigned char> message);

}  // namespace poolgate
