#include "reputation/source_site_book.h"

#include <algorithm>
#include <cmath>

namespace poolgate {
namespace {

// The floor of backing off: one connection, one message a minute.
constexpr double kMinRate = 1.0 / 60;
// Additive increase: a tenth of the way back per quiet period.
constexpr double kRateSteps = 10;
// A block within this long after the last rest ended counts as a repeat.
constexpr int64_t kRepeatWindow = 86400;

}  // namespace

const SourceSiteBook::State* SourceSiteBook::find(const std::string& source,
                                                  const std::string& site) const {
  auto it = states_.find({source, site});
  return it == states_.end() ? nullptr : &it->second;
}

bool SourceSiteBook::suspended(const std::string& source, const std::string& site,
                               int64_t now) const {
  const State* s = find(source, site);
  return s && s->suspended_until > now;
}

int64_t SourceSiteBook::suspended_until(const std::string& source, const std::string& site) const {
  const State* s = find(source, site);
  return s ? s->suspended_until : 0;
}

int64_t SourceSiteBook::suspend(const std::string& source, const std::string& site,
                                const std::string& reply, int64_t now) {
  State& s = state(source, site);
  ++s.blocks;
  s.last_block_reply = reply;
  s.last_block_unix = now;
  if (s.suspended_until > now) return s.suspended_until;  // the same episode
  bool repeat = s.suspensions > 0 && now - s.suspended_until < kRepeatWindow;
  uint32_t length = repeat ? std::min<uint64_t>(uint64_t{s.last_suspend_s} * 2,
                                                settings_.block_suspend_max_s)
                           : settings_.block_suspend_s;
  s.suspensions = repeat ? s.suspensions + 1 : 1;
  s.last_suspend_s = length;
  s.suspended_until = now + length;
  return s.suspended_until;
}

uint32_t SourceSiteBook::connection_limit(const State& s, const SiteLimits& limits) {
  uint32_t configured = std::max<uint32_t>(limits.connections, 1);
  return s.connection_cap ? std::min(s.connection_cap, configured) : configured;
}

double SourceSiteBook::rate(const State& s, const SiteLimits& limits) {
  double configured = limits.messages_per_second;
  if (s.rate_cap <= 0) return configured;
  return configured > 0 ? std::min(configured, s.rate_cap) : s.rate_cap;
}

uint32_t SourceSiteBook::connection_limit(const std::string& source, const std::string& site,
                                          const SiteLimits& limits) const {
  const State* s = find(source, site);
  if (!s) return std::max<uint32_t>(limits.connections, 1);
  return connection_limit(*s, limits);
}

uint32_t SourceSiteBook::connections(const std::string& source, const std::string& site) const {
  const State* s = find(source, site);
  return s ? s->active : 0;
}

double SourceSiteBook::rate(const std::string& source, const std::string& site,
                            const SiteLimits& limits) const {
  const State* s = find(source, site);
  if (!s) return limits.messages_per_second;
  return rate(*s, limits);
}

bool SourceSiteBook::rate_limited(const std::string& source, const std::string& site,
                                  const SiteLimits& limits, const std::string& reply,
                                  int64_t now) {
  State& s = state(source, site);
  s.configured = limits;
  ++s.rate_limits;
  s.last_rate_limit_reply = reply;
  s.last_rate_limit_unix = now;
  // Several connections often get the same 421 within a second: that is one
  // signal, not one halving per connection.
  if (s.last_step_unix == now && (s.connection_cap || s.rate_cap > 0)) return false;
  s.connection_cap = std::max<uint32_t>(1, connection_limit(s, s.configured) / 2);
  double current = rate(s, s.configured);
  if (current <= 0) {  // no configured rate: halve what was observed
    current = double(s.sent_this_minute + s.sent_last_minute) / 120.0;
    if (s.rate_ceiling <= 0) s.rate_ceiling = std::max(current, kMinRate);
  } else if (s.rate_ceiling <= 0) {
    s.rate_ceiling = limits.messages_per_second > 0 ? limits.messages_per_second : current;
  }
  s.rate_cap = std::max(kMinRate, current / 2);
  s.last_step_unix = now;
  return true;
}

void SourceSiteBook::recover(int64_t now) {
  for (auto& [key, s] : states_) {
    if (!s.connection_cap && s.rate_cap <= 0) continue;
    if (now - s.last_step_unix < int64_t(settings_.rate_limit_quiet_s)) continue;
    s.last_step_unix = now;
    uint32_t configured = std::max<uint32_t>(s.configured.connections, 1);
    if (s.connection_cap && ++s.connection_cap >= configured) s.connection_cap = 0;
    if (s.rate_cap > 0) {
      double ceiling = s.configured.messages_per_second > 0 ? s.configured.messages_per_second
                                                             : s.rate_ceiling;
      s.rate_cap += std::max(ceiling / kRateSteps, kMinRate);
      if (s.rate_cap >= ceiling) s.rate_cap = 0, s.rate_ceiling = 0;
    }
  }
}

bool SourceSiteBook::try_open(const std::string& source, const std::string& site,
                              const SiteLimits& limits) {
  State& s = state(source, site);
  s.configured = limits;
  if (s.active >= connection_limit(s, s.configured)) return false;
  ++s.active;
  return true;
}

void SourceSiteBook::closed(const std::string& source, const std::string& site) {
  State& s = state(source, site);
  if (s.active > 0) --s.active;
}

std::chrono::steady_clock::duration SourceSiteBook::reserve_send_slot(
    const std::string& source, const std::string& site, const SiteLimits& limits,
    SteadyTime now, int64_t now_unix) {
  State& s = state(source, site);
  s.configured = limits;
  int64_t minute = now_unix / 60;
  if (minute != s.minute) {
    s.sent_last_minute = minute == s.minute + 1 ? s.sent_this_minute : 0;
    s.sent_this_minute = 0;
    s.minute = minute;
  }
  ++s.sent_this_minute;
  double per_second = rate(s, s.configured);
  if (per_second <= 0) return {};
  auto interval = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      std::chrono::duration<double>(1.0 / per_second));
  SteadyTime start = std::max(now, s.next_send);
  s.next_send = start + interval;
  return start - now;
}

std::vector<SourceSiteView> SourceSiteBook::views(int64_t now) const {
  std::vector<SourceSiteView> out;
  for (const auto& [key, s] : states_) {
    SourceSiteView v;
    v.source = key.first;
    v.site = key.second;
    v.connections = s.active;
    v.connection_limit = connection_limit(s, s.configured);
    v.messages_per_second = rate(s, s.configured);
    v.backing_off = s.connection_cap || s.rate_cap > 0;
    v.suspended_until = s.suspended_until > now ? s.suspended_until : 0;
    v.suspensions = s.suspensions;
    v.last_block_reply = s.last_block_reply;
    v.last_block_unix = s.last_block_unix;
    v.last_rate_limit_reply = s.last_rate_limit_reply;
    v.last_rate_limit_unix = s.last_rate_limit_unix;
    v.blocks = s.blocks;
    v.rate_limits = s.rate_limits;
    out.push_back(std::move(v));
  }
  return out;
}

}  // namespace poolgate
