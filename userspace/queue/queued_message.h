// What the delivery engine keeps in memory per queued message, and how a
// message's recipients are split into jobs: one job per recipient domain,
// since each domain has its own next hops (RFC 5321 5.1) and its own queue.
#pragma once

#include "mail/domain_name.h"
#include "mail/envelope.h"

#include <compare>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace poolgate {

struct QueuedMessage {
  Envelope envelope;     // recipients carry their current state
  std::string pool;      // which pool delivers it
  uint32_t in_flight = 0;        // jobs of it on a connection right now
  bool deleted = false;          // `queue delete` while in flight: drop the results
  bool bounce_requested = false; // `queue bounce` while in flight: bounce after them
  bool delay_warned = false;     // a "delayed" DSN went out (in memory: a restart may send a second)
  uint32_t dsn_pending = 0;      // DSNs about it being written: removal waits for them
};

// A set of recipients of one message that go to one domain in one pool.
struct Job {
  std::string queue_id;
  std::vector<size_t> recipients;  // indices into the envelope's recipients
};

struct DestinationKey {
  std::string pool;
  std::string domain;  // lower case
  auto operator<=>(const DestinationKey&) const = default;
};

// The domain of a recipient address, lower case ("" when it has none).
std::string recipient_domain(std::string_view address);

// The unfinished (Queued, Deferred) recipients of a message by domain.
std::map<std::string, std::vector<size_t>> pending_by_domain(const Envelope& envelope);

// A recipient still to be delivered.
inline bool unfinished(const Recipient& r) {
  return r.state == RecipientState::Queued || r.state == RecipientState::Deferred;
}
bool all_final(const Envelope& envelope);

}  // namespace poolgate
