// What the engine does with the receivers' feedback about its source
// addresses (reputation/source_site_book.h): which address a connection to a
// site may use, resting an address a site blocks, backing off one a site
// rate-limits, and mail that must wait because every address of its pool
// rests at the site. A block is about the address, never the message: the
// recipients are deferred and go again from another address of the same pool;
// they never move to another pool and never bounce before their lifetime ends.
#include "common/log_text.h"
#include "common/utc_text.h"
#include "queue/delivery_engine.h"

#include <spdlog/spdlog.h>

#include <ctime>

namespace poolgate {

DeliveryEngine::SiteRoom DeliveryEngine::site_room(const Destination& dest, int64_t now) const {
  if (dest.site.empty()) return SiteRoom::Free;  // not resolved yet: the connection will see
  auto picker = pickers_.find(dest.key.pool);
  if (picker == pickers_.end()) return SiteRoom::Free;  // fails with 4.3.5 in connection()
  bool any_awake = false;
  for (const SourceBinding& source : picker->second->sources()) {
    // Only addresses that can reach the site's next hops count.
    if (!(source.address.is_v6() ? dest.site_v6 : dest.site_v4)) continue;
    std::string address = source.address.to_string();
    if (book_.suspended(address, dest.site, now)) continue;
    any_awake = true;
    if (book_.connections(address, dest.site) <
        book_.connection_limit(address, dest.site, dest.site_limits))
      return SiteRoom::Free;
  }
  return any_awake ? SiteRoom::Full : SiteRoom::AllResting;
}

std::optional<SourceBinding> DeliveryEngine::take_source(SourcePicker& picker,
                                                         const Destination& dest, bool v6,
                                                         int64_t now) {
  auto usable = [&](const SourceBinding& source) {
    std::string address = source.address.to_string();
    return !book_.suspended(address, dest.site, now) &&
           book_.connections(address, dest.site) <
               book_.connection_limit(address, dest.site, dest.site_limits);
  };
  std::optional<SourceBinding> source = picker.pick(v6, usable);
  if (source) book_.try_open(source->address.to_string(), dest.site, dest.site_limits);
  return source;
}

void DeliveryEngine::release_source(const SourceBinding& source, const std::string& site) {
  book_.closed(source.address.to_string(), site);
  // A slot at the site is free: destinations that waited for one try again.
  for (auto& [key, dest] : destinations_)
    if (dest->site == site && !dest->ready.empty()) kick(*dest);
}

void DeliveryEngine::close_idle_at_site(const Destination& wanting, size_t count) {
  for (auto& [key, dest] : destinations_) {
    if (count == 0) return;
    if (dest.get() == &wanting || dest->site != wanting.site) continue;
    // Not woken: wait_idle() sees no job and the connection QUITs.
    while (count > 0 && !dest->idle.empty()) {
      dest->idle.back()->timer.cancel();
      dest->idle.pop_back();
      --count;
    }
  }
}

void DeliveryEngine::defer_resting(Destination& dest, std::optional<Job> first, int64_t now) {
  int64_t until = 0;
  std::string reply_text;
  auto picker = pickers_.find(dest.key.pool);
  if (picker != pickers_.end())
    for (const SourceBinding& source : picker->second->sources()) {
      if (!(source.address.is_v6() ? dest.site_v6 : dest.site_v4)) continue;
      std::string address = source.address.to_string();
      int64_t end = book_.suspended_until(address, dest.site);
      if (end > now && (until == 0 || end < until)) until = end;
    }
  for (const SourceSiteView& view : book_.views(now))
    if (view.site == dest.site && !view.last_block_reply.empty()) reply_text = view.last_block_reply;
  Reply reply = make_reply(451, "4.7.1",
                           "every address of pool " + dest.key.pool + " rests at " + dest.site +
                               " until " + utc_text(until) + " after a block: " + reply_text);
  spdlog::warn("pool {}: every address rests at site {} until {}: mail to {} waits (deferred)",
               dest.key.pool, dest.site, utc_text(until), dest.key.domain);
  Attempt attempt;
  attempt.retry_at_unix = until;
  RecipientResult result{0, Outcome::TempFail, reply, Stage::Connect, false};
  result.reply_class = ReplyClass::ReputationBlock;
  fail_destination(dest, std::move(first), result, attempt);
}

bool DeliveryEngine::take_feedback(const SourceBinding& source, const Destination& dest,
                                   ReplyClass cls, const Reply& reply) {
  if (dest.site.empty()) return false;
  std::string address = source.address.to_string();
  int64_t now = std::time(nullptr);
  if (cls == ReplyClass::ReputationBlock) {
    bool already = book_.suspended(address, dest.site, now);
    int64_t until = book_.suspend(address, dest.site, reply.str(), now);
    if (!already)
      spdlog::warn("source {} rests at site {} until {} (pool {}): {}", address, dest.site,
                   utc_text(until), dest.key.pool, log_text(reply.str()));
    return true;
  }
  if (cls == ReplyClass::RateLimit) {
    if (book_.rate_limited(address, dest.site, dest.site_limits, reply.str(), now))
      spdlog::warn("source {} backs off at site {} (pool {}): {} connections, {:.3g} msg/s: {}",
                 address, dest.site, dest.key.pool,
                 book_.connection_limit(address, dest.site, dest.site_limits),
                 book_.rate(address, dest.site, dest.site_limits), log_text(reply.str()));
  }
  return false;
}

}  // namespace poolgate
