// The outbound spam policy per sender ([limits]): recipients per hour outside
// and inside relay.internal_domains, recipients per day, messages per minute
// and recipients per message, over sliding windows (sliding_window.h) kept in
// a CounterStore so a restart does not reset them.
//
// check_and_count() counts the message first, then compares, so the reason
// reads "limit:external-per-hour 501>500" for the message that went over.
// That message gets every limit it reached and the configured action in its
// LimitVerdict; what happens to it (high-risk pool, 550, just a log line) is
// classify's decide(). With block-for-today the sender is then blocked until
// the next 00:00 UTC, with block until release(): its later messages get
// LimitVerdict::blocked. A blocked sender's messages are refused, so they are
// not counted: the windows measure what poolgate relays, and counting refused
// attempts would only keep a sender blocked longer than the policy says.
//
// Not limited: messages without a sender key (sender_state.h sender_key):
// bounces (null sender) from an unauthenticated client. An authenticated
// client's null-sender messages count against its user, or "MAIL FROM:<>"
// would be a way round every limit.
//
// Every limit reached is logged and counted (LimitCounters), whatever the
// action. Not thread-safe: one event loop calls it.
#pragma once

#include "mail/verdicts.h"
#include "config/config.h"
#include "limits/clock.h"
#include "limits/counter_store.h"
#include "limits/sender_report.h"
#include "mail/envelope.h"

#include <array>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

namespace poolgate {

enum class Limit {
  RecipientsPerMessage,
  ExternalPerHour,
  InternalPerHour,
  RecipientsPerDay,
  MessagesPerMinute,
};
inline constexpr size_t kLimitCount = 5;
const char* limit_name(Limit limit);           // "external-per-hour"

// For metrics: monotonic since the daemon started.
struct LimitCounters {
  uint64_t messages_counted = 0;    // messages with a sender key, counted
  uint64_t messages_unlimited = 0;  // no sender key (bounces)
  uint64_t messages_over_limit = 0; // reached at least one limit
  std::array<uint64_t, kLimitCount> reached{};  // by Limit
  uint64_t messages_blocked = 0;    // arrived while their sender was blocked
  uint64_t blocks_imposed = 0;
  uint64_t blocks_expired = 0;      // block-for-today reached midnight
  uint64_t releases = 0;
};

class SenderLimits {
 public:
  SenderLimits(const LimitsConfig& config, const std::vector<std::string>& internal_domains,
               CounterStore& store, Clock clock = system_unix_now);

  LimitVerdict check_and_count(const Envelope& envelope);
  LimitVerdict check_and_count(const Envelope& envelope, int64_t now);

  // Lifts a block (block or block-for-today) and forgets the sender's counts:
  // the operator has judged it, and with the day window still full the next
  // message would block it again at once. False when it was not blocked.
  // `sender` is normalised like sender_key().
  bool release(const std::string& sender);

  // A reload: new limits and action from the next message on; counts kept.
  void reconfigure(const LimitsConfig& config, const std::vector<std::string>& internal_domains);

  // Every sender the store knows, at the clock's now.
  std::vector<SenderReport> report() const;
  const LimitCounters& counters() const { return counters_; }

 private:
  bool is_internal(const std::string& recipient) const;
  // Adds "limit:NAME count>limit" when limit != 0 and count > limit.
  void check(Limit limit, uint64_t count, uint32_t configured,
             std::vector<std::string>& exceeded, std::vector<Limit>& which) const;
  void impose_block(const std::string& sender, SenderState& state, int64_t now,
                    const std::string& reasons);

  LimitsConfig config_;
  std::set<std::string> internal_domains_;  // normalised
  CounterStore& store_;
  Clock clock_;
  LimitCounters counters_;
  int64_t last_forget_ = 0;
};

}  // namespace poolgate
