// One delivery queue: the jobs ready for one (pool, domain), how many
// connections it has open, and its limits. Per destination, as Postfix does
// per nexthop, so one slow or throttling domain cannot take every connection,
// and a domain's rate limit is the one its operator asked for.
#pragma once

#include "config/config.h"
#include "queue/queued_message.h"
#include "reputation/sites.h"

#include <utility>  // Boost 1.74 asio headers use std::exchange without it

#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <deque>
#include <memory>
#include <vector>

namespace poolgate {

// An open connection waiting for more mail. `woken` rather than the timer's
// error code says whether kick() handed it a job: the timer may already have
// expired (its completion queued) when kick() cancels it.
struct IdleConnection {
  explicit IdleConnection(boost::asio::any_io_executor executor) : timer(std::move(executor)) {}
  boost::asio::steady_timer timer;
  bool woken = false;
};

struct Destination {
  DestinationKey key;
  std::deque<Job> ready;   // due now, oldest first
  uint32_t active = 0;     // connections open or being opened
  // Open connections with nothing to send, each waiting on its timer for more
  // mail here (connection_idle_ms); kick() cancels a timer to hand it a job.
  std::vector<std::shared_ptr<IdleConnection>> idle;
  size_t waking = 0;       // woken idle connections that have not taken their job yet
  uint32_t connection_limit = 20;
  double messages_per_second = 0;  // 0 = no limit
  TlsMode tls = TlsMode::Opportunistic;
  // Rate limit: the earliest time the next message may start.
  std::chrono::steady_clock::time_point next_send{};
  // The site (reputation/sites.h) its next hops were last found to be, and
  // that site's limits per source address; empty until the first connection
  // resolved them.
  std::string site;
  SiteLimits site_limits;
  bool site_v4 = true, site_v6 = true;  // address families of those next hops

  Destination(DestinationKey k, const DeliveryConfig& config);
  // Limits and TLS policy from `config` (its override for key.domain, if any).
  void reconfigure(const DeliveryConfig& config);
  // The wait before the next message may go, and books its slot.
  std::chrono::steady_clock::duration reserve_send_slot(std::chrono::steady_clock::time_point now);
};

}  // namespace poolgate
