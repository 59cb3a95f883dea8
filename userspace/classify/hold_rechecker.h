// Messages held because DNS could not answer for their sender (or From:)
// domain at arrival (Envelope::hold_for_dns): the classifier's second look.
// The delivery engine keeps such a message parked and never schedules it; this
// class looks its domains up again, at once and then every
// min(30, dns_unknown_after_s / 2) seconds, until resolve_hold() decides: the
// stored pool once verified, high-risk when a domain has neither A nor MX or
// is still unknown after dns_unknown_after_s. The new decision is written to
// the spool, then the message is handed back (Release; the daemon wires it to
// the engine), so classification stays one stage and the engine never
// classifies.
//
// Single-threaded: runs on the io_context's thread, like the engine.
#pragma once

#include <utility>  // Boost 1.74 awaitable.hpp uses std::exchange without it

#include "mail/envelope.h"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace poolgate {

class Classifier;
class Spool;

class HoldRechecker {
 public:
  // The message's domains are settled: deliver it through `pool`, with
  // `reasons` (already durable in the spool). false: it is no longer queued
  // (deleted or bounced meanwhile).
  using Release = std::function<bool(const std::string& queue_id, const std::string& pool,
                                     const std::vector<std::string>& reasons)>;

  // `classifier` gives the lookups and the current configuration (a reload
  // changes dns_unknown_after_s for the checks after it).
  HoldRechecker(boost::asio::io_context& io, Classifier& classifier, Spool& spool,
                Release release);

  // A held message, recovered at start or just accepted: checked now, then
  // again until decided. A message not held, or already watched, is ignored.
  void add(const Envelope& envelope);
  // `poolgate queue retry` of a held message: look its domains up again now
  // rather than at the next periodic check. false: it is not held here.
  bool recheck_now(const std::string& queue_id);
  // No more checks (SIGTERM): pending waits end at once.
  void stop();

  size_t held() const { return held_.size(); }

 private:
  struct Held {
    Envelope envelope;  // as stored: sender, received time, arrival pool and reasons
    std::shared_ptr<boost::asio::steady_timer> wait;  // set while waiting for the next check
    bool again_now = false;  // a retry came during a lookup: no wait after it
  };

  boost::asio::awaitable<void> watch(std::string queue_id);
  // The time between two checks: 30 s, or less when dns_unknown_after_s is
  // short, so a hold never lasts much past it.
  uint32_t interval_s() const;

  boost::asio::io_context& io_;
  Classifier& classifier_;
  Spool& spool_;
  Release release_;
  std::map<std::string, Held> held_;  // by queue id
  bool stopping_ = false;
};

}  // namespace poolgate
