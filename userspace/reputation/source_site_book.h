// What the receivers told poolgate about each (source address, site), and
// what follows from it (issue "Reputation feedback"):
//
//   block       a reputation-block reply (a blocklisted source address) rests
//               that address for that site for block_suspend_s, doubling on
//               each repeat (a new block within a day of the last rest ending)
//               up to block_suspend_max_s. The message is not at fault: it
//               goes again at once from another address of the same pool,
//               never from another pool.
//   rate limit  a rate-limit reply halves the pair's connection ceiling and
//               message rate (multiplicative decrease, down to one connection
//               and one message a minute); after each quiet period without
//               one, both grow back one step (additive increase) until they
//               reach the configured limits again.
//
// Connection and rate limits are counted here per (source, site), so adding a
// source address adds capacity towards a site, and two domains that share MX
// hosts share one limit. Single-threaded: the delivery engine's thread.
#pragma once

#include "reputation/sites.h"

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace poolgate {

// One (source, site) as views and metrics show it.
struct SourceSiteView {
  std::string source;
  std::string site;
  uint32_t connections = 0;       // open now
  uint32_t connection_limit = 0;  // in force now (backed off or configured)
  double messages_per_second = 0;  // in force now; 0 = no limit
  bool backing_off = false;
  int64_t suspended_until = 0;    // unix seconds; 0 or past = not suspended
  uint32_t suspensions = 0;       // in a row
  std::string last_block_reply;
  int64_t last_block_unix = 0;
  std::string last_rate_limit_reply;
  int64_t last_rate_limit_unix = 0;
  uint64_t blocks = 0, rate_limits = 0;  // replies counted, since start
};

class SourceSiteBook {
 public:
  using SteadyTime = std::chrono::steady_clock::time_point;

  // [reputation]: how long a block rests an address, how fast backing off ends.
  explicit SourceSiteBook(const ReputationConfig& settings = {}) : settings_(settings) {}
  void reconfigure(const ReputationConfig& settings) { settings_ = settings; }

  bool suspended(const std::string& source, const std::string& site, int64_t now) const;
  // Rests `source` for `site`; returns the end of the rest (unix seconds). A
  // block during a rest (a connection already open) only updates the reply.
  int64_t suspend(const std::string& source, const std::string& site, const std::string& reply,
                  int64_t now);
  // The end of the rest of `source` at `site` (0: none).
  int64_t suspended_until(const std::string& source, const std::string& site) const;

  // True when this reply halved the limits (false: the same second's signal
  // was already taken, as several connections are often told at once).
  bool rate_limited(const std::string& source, const std::string& site, const SiteLimits& limits,
                    const std::string& reply, int64_t now);
  // Additive increase for every pair backing off whose last step is a quiet
  // period ago. Called from the engine's ticker.
  void recover(int64_t now);

  // Opens a connection slot if the pair is below its connection limit.
  bool try_open(const std::string& source, const std::string& site, const SiteLimits& limits);
  void closed(const std::string& source, const std::string& site);
  // The wait before the pair's next message may go (its rate limit), and
  // books that slot; counts the message for the observed rate.
  std::chrono::steady_clock::duration reserve_send_slot(const std::string& source,
                                                         const std::string& site,
                                                         const SiteLimits& limits,
                                                         SteadyTime now, int64_t now_unix);

  uint32_t connection_limit(const std::string& source, const std::string& site,
                            const SiteLimits& limits) const;
  uint32_t connections(const std::string& source, const std::string& site) const;
  double rate(const std::string& source, const std::string& site, const SiteLimits& limits) const;

  std::vector<SourceSiteView> views(int64_t now) const;

 private:
  struct State {
    SiteLimits configured;  // as of the last use: what backing off grows back to
    uint32_t active = 0;
    int64_t suspended_until = 0;
    uint32_t suspensions = 0;
    uint32_t last_suspend_s = 0;
    std::string last_block_reply;
    int64_t last_block_unix = 0;
    // Backing off: 0 = not (the configured value applies).
    uint32_t connection_cap = 0;
    double rate_cap = 0;
    double rate_ceiling = 0;  // what rate_cap grows back to
    int64_t last_step_unix = 0;
    std::string last_rate_limit_reply;
    int64_t last_rate_limit_unix = 0;
    SteadyTime next_send{};
    // Messages sent in the current and the previous minute: the observed
    // rate to halve when the site has no configured rate.
    int64_t minute = 0;
    uint32_t sent_this_minute = 0, sent_last_minute = 0;
    uint64_t blocks = 0, rate_limits = 0;
  };
  using Key = std::pair<std::string, std::string>;  // (source, site)

  State& state(const std::string& source, const std::string& site) {
    return states_[{source, site}];
  }
  const State* find(const std::string& source, const std::string& site) const;
  // In force for `s` under `limits` (backed off or configured).
  static uint32_t connection_limit(const State& s, const SiteLimits& limits);
  static double rate(const State& s, const SiteLimits& limits);

  ReputationConfig settings_;  // a copy: a reload's config may go before we do
  std::map<Key, State> states_;
};

}  // namespace poolgate
