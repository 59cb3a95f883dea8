// NDR surge detection: non-delivery reports counted per sender domain (the
// domain of the address the NDR is about) and in total, over a sliding window
// of [limits] surge_window_s, against a moving baseline. A sudden rise means
// something is wrong upstream of the bounces, and the alert names what to
// check: a spoofing campaign using the domain (backscatter), a directory-
// harvest attack, a spam run from a compromised account, a rogue server.
//
// Baseline: an exponential moving average of the counts of past whole windows
// (windows aligned to the epoch; quiet windows count as 0). Alert when the
// sliding count over the last window is >= surge_min_count and >=
// surge_factor x baseline. A new domain has baseline 0, so min_count decides.
//
// One alert per key per surge: after alerting a key is disarmed and re-armed
// only when its count is back under the threshold. One alert per surge in
// all: a domain's surge also raises the total, which then does not alert on
// its own (the domain alert names the cause); the total alerts when the rise
// is spread over domains none of which alerts (a harvest, a rogue server).
//
// Warm-up: baselines are in memory only, so after a start nothing alerts
// until the first whole window has ended, and keys seen in that time take
// their first window's count (a partial one scaled up to a whole window) as
// baseline rather than averaging from 0: a restart does not alert on steady
// traffic. Keys first seen later start from 0. Not thread-safe: one event loop.
#pragma once

#include "config/config.h"
#include "limits/clock.h"
#include "limits/sliding_window.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace poolgate {

inline constexpr const char* kNullSenderDomain = "(null sender)";

struct NdrSurgeCounters {
  uint64_t ndrs = 0;               // every NDR observed
  uint64_t alerts = 0;             // alerts raised (domain or total)
  uint64_t domain_alerts = 0;
  uint64_t total_alerts = 0;
  uint64_t total_alerts_folded = 0;  // total surges explained by a domain alert
  uint64_t domains_untracked = 0;    // NDRs of domains over max_domains (total only)
};

// One key now, for metrics and `poolgate stats` later.
struct NdrSurgeKeyStat {
  std::string key;  // a domain, kNullSenderDomain, or "" for the total
  uint64_t window_count = 0;
  double baseline = 0;
  bool alerting = false;
};

struct NdrSurgeOptions {
  // EMA weight of the newest whole window: 2/(N+1) with N = 12 windows (an
  // hour at the default 300 s), so a new rate becomes the baseline in about N
  // windows and a burst alerts once rather than forever.
  double baseline_alpha = 2.0 / 13.0;
  // Domains tracked one by one; NDRs from more (a spoofing run with random
  // domains) count in the total only, so memory stays bounded.
  size_t max_domains = 10000;
};

class NdrSurgeDetector {
 public:
  NdrSurgeDetector(const LimitsConfig& config, Clock clock = system_unix_now,
                   NdrSurgeOptions options = {});

  // One NDR about a message from `sender_domain` ("" for a null sender).
  // The alert text when this NDR starts a surge (also logged), else nullopt.
  std::optional<std::string> observe_ndr(std::string sender_domain);

  const NdrSurgeCounters& counters() const { return counters_; }
  std::vector<NdrSurgeKeyStat> stats();  // the total first, then domains

 private:
  struct Key {
    SlidingWindow window;
    int64_t epoch = -1;         // the whole window being counted
    uint64_t epoch_count = 0;
    double baseline = 0;
    bool has_baseline = false;  // false: still the partial first window's estimate
    int64_t created = 0;
    bool armed = true;
    Key(uint32_t window_s, uint32_t bucket_s, int64_t now, bool has_baseline);
  };

  void roll(Key& key, int64_t now);  // folds finished windows into the baseline
  double threshold(const Key& key) const;
  bool surging(Key& key, int64_t now) const;
  // Re-arms disarmed domains whose surge is over; true if one still alerts.
  bool any_domain_alerting(int64_t now);
  Key* domain_key(const std::string& domain, int64_t now);
  void sweep(int64_t now);  // forgets quiet domains
  std::string alert_text(const std::string& domain, const Key& key, int64_t now) const;

  uint32_t window_s_;
  uint32_t bucket_s_;
  double factor_;
  uint32_t min_count_;
  Clock clock_;
  NdrSurgeOptions options_;
  int64_t warm_until_;
  Key total_;
  std::map<std::string, Key> domains_;
  std::map<std::string, bool> disarmed_;  // domains whose alert is still on
  int64_t last_sweep_epoch_ = -1;
  NdrSurgeCounters counters_;
};

}  // namespace poolgate
