// From an MX record set to the mail exchangers to try, in order (RFC 5321 5.1).
#pragma once

#include "dns/dns_types.h"

#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace poolgate {

struct MxHost {
  std::string name;  // lower case, no trailing dot
  uint16_t preference = 0;
  bool implicit = false;  // the domain itself, for want of MX records (RFC 5321 5.1)
};

// At most this many mail exchangers are resolved per plan, the most preferred
// first. Real domains publish one to five; a record set of hundreds (or a
// hostile one) would otherwise cost a pair of lookups per entry on every
// delivery attempt. See also kMaxHops (next_hops.h).
inline constexpr size_t kMaxMxHosts = 10;

// Sorted by preference, lowest first; hosts of equal preference shuffled with
// `rng` (RFC 5321 5.1: the sender MUST randomise them to spread load). Dropped,
// with a note in `notes` for the plan's detail: "." (a null MX target in a set
// that is not a null MX, RFC 7505 3), address exchanges (RFC 5321 5.1 forbids
// them), and a host listed again at a worse preference. Then cut to kMaxMxHosts.
std::vector<MxHost> order_mx_hosts(const std::vector<MxRecord>& records, std::mt19937& rng,
                                   std::vector<std::string>& notes);

}  // namespace poolgate
