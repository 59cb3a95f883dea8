#include "limits/ndr_surge.h"

#include "mail/domain_name.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace poolgate {
namespace {

// Buckets of about a tenth of the window: the sliding count is then exact to
// within 10% of the window's age (sliding_window.h).
uint32_t bucket_for(uint32_t window_s) {
  for (uint32_t b = std::max<uint32_t>(1, window_s / 10); b > 1; --b)
    if (window_s % b == 0) return b;
  return 1;
}

std::string fixed1(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

}  // namespace

NdrSurgeDetector::Key::Key(uint32_t window_s, uint32_t bucket_s, int64_t now, bool baseline_known)
    : window(window_s, bucket_s), has_baseline(baseline_known), created(now) {}

NdrSurgeDetector::NdrSurgeDetector(const LimitsConfig& config, Clock clock, NdrSurgeOptions options)
    : window_s_(std::max<uint32_t>(1, config.surge_window_s)),
      bucket_s_(bucket_for(window_s_)),
      factor_(config.surge_factor),
      min_count_(config.surge_min_count),
      clock_(std::move(clock)),
      options_(options),
      warm_until_((clock_() / window_s_ + 2) * window_s_),
      total_(window_s_, bucket_s_, clock_(), false) {}

void NdrSurgeDetector::roll(Key& key, int64_t now) {
  int64_t epoch = now / window_s_;
  if (key.epoch < 0) key.epoch = epoch;
  if (epoch <= key.epoch) return;
  const double a = options_.baseline_alpha;
  int64_t epoch_start = key.epoch * window_s_;
  if (!key.has_baseline) {
    // Seen since the detector started: this window's count is the baseline,
    // scaled up when the key was only seen for part of it.
    int64_t covered = epoch_start + window_s_ - std::max(epoch_start, key.created);
    covered = std::max<int64_t>(covered, window_s_ / 10 + 1);
    key.baseline = double(key.epoch_count) * window_s_ / double(std::min<int64_t>(covered, window_s_));
    key.has_baseline = key.created <= epoch_start;
  } else {
    key.baseline = a * double(key.epoch_count) + (1 - a) * key.baseline;
  }
  // Quiet windows in between count as 0.
  int64_t quiet = std::min<int64_t>(epoch - key.epoch - 1, 10000);
  if (quiet > 0) key.baseline *= std::pow(1 - a, double(quiet));
  key.epoch = epoch;
  key.epoch_count = 0;
}

double NdrSurgeDetector::threshold(const Key& key) const {
  return std::max(double(min_count_), factor_ * key.baseline);
}

bool NdrSurgeDetector::surging(Key& key, int64_t now) const {
  return double(key.window.count(now)) >= threshold(key) && now >= warm_until_;
}

bool NdrSurgeDetector::any_domain_alerting(int64_t now) {
  for (auto it = disarmed_.begin(); it != disarmed_.end();) {
    auto key = domains_.find(it->first);
    if (key != domains_.end()) {
      roll(key->second, now);
      if (double(key->second.window.count(now)) >= threshold(key->second)) {
        ++it;
        continue;
      }
      key->second.armed = true;
    }
    it = disarmed_.erase(it);
  }
  return !disarmed_.empty();
}

void NdrSurgeDetector::sweep(int64_t now) {
  for (auto it = domains_.begin(); it != domains_.end();) {
    Key& key = it->second;
    roll(key, now);
    if (!key.armed && double(key.window.count(now)) < threshold(key)) {  // its surge is over
      key.armed = true;
      disarmed_.erase(it->first);
    }
    bool quiet = key.armed && key.window.expire(now) && key.epoch_count == 0 && key.baseline < 0.05;
    if (quiet) it = domains_.erase(it);
    else ++it;
  }
}

NdrSurgeDetector::Key* NdrSurgeDetector::domain_key(const std::string& domain, int64_t now) {
  auto it = domains_.find(domain);
  if (it != domains_.end()) return &it->second;
  if (domains_.size() >= options_.max_domains) sweep(now);
  if (domains_.size() >= options_.max_domains) return nullptr;
  return &domains_.emplace(domain, Key(window_s_, bucket_s_, now, now >= warm_until_)).first->second;
}

std::optional<std::string> NdrSurgeDetector::observe_ndr(std::string sender_domain) {
  int64_t now = clock_();
  std::string domain = sender_domain.empty() ? kNullSenderDomain : normalize_domain(sender_domain);
  ++counters_.ndrs;

  int64_t epoch = now / window_s_;
  roll(total_, now);
  if (epoch != last_sweep_epoch_) {  // once a window: forget quiet domains
    last_sweep_epoch_ = epoch;
    sweep(now);
  }
  Key* key = domain_key(domain, now);
  if (!key) ++counters_.domains_untracked;

  // Re-arm before counting this NDR: a surge is over once the rate was back
  // under the threshold.
  if (!total_.armed && double(total_.window.count(now)) < threshold(total_)) total_.armed = true;
  if (key) {
    roll(*key, now);
    if (!key->armed && double(key->window.count(now)) < threshold(*key)) {
      key->armed = true;
      disarmed_.erase(domain);
    }
    key->window.add(now);
    ++key->epoch_count;
  }
  total_.window.add(now);
  ++total_.epoch_count;

  std::optional<std::string> alert;
  if (key && key->armed && surging(*key, now)) {
    key->armed = false;
    disarmed_[domain] = true;
    ++counters_.domain_alerts;
    alert = alert_text(domain, *key, now);
  }
  if (total_.armed && surging(total_, now)) {
    total_.armed = false;
    if (alert || any_domain_alerting(now)) {
      ++counters_.total_alerts_folded;  // the domain alert already says it
    } else {
      ++counters_.total_alerts;
      alert = alert_text("", total_, now);
    }
  }
  if (alert) {
    ++counters_.alerts;
    spdlog::error("ndr-surge: {}", *alert);
  }
  return alert;
}

std::string NdrSurgeDetector::alert_text(const std::string& domain, const Key& key,
                                         int64_t now) const {
  std::string what = domain.empty() ? "across all sender domains (no single domain stands out)"
                     : domain == kNullSenderDomain ? "for null-sender messages (bounces of bounces)"
                                                   : "for sender domain " + domain;
  std::string text = "NDR surge " + what + ": " + std::to_string(key.window.count(now)) +
                     " NDRs in the last " + std::to_string(window_s_) + " s (baseline " +
                     fixed1(key.baseline) + " per window; alert at >= " +
                     std::to_string(min_count_) + " and >= " + fixed1(factor_) +
                     "x baseline). Likely causes to check: ";
  if (!domain.empty() && domain != kNullSenderDomain)
    text += "a spoofing campaign forging " + domain +
            " as sender (backscatter; check its SPF/DKIM/DMARC reports), ";
  else
    text += "a spoofing campaign (backscatter to forged senders), ";
  text +=
      "a directory-harvest attack (NDRs for unknown recipients), a spam run from a compromised "
      "account or script (poolgate senders list), a rogue or misconfigured server relaying "
      "through poolgate (check client addresses in the log)";
  return text;
}

std::vector<NdrSurgeKeyStat> NdrSurgeDetector::stats() {
  int64_t now = clock_();
  std::vector<NdrSurgeKeyStat> out;
  roll(total_, now);
  out.push_back({"", total_.window.count(now), total_.baseline, !total_.armed});
  for (auto& [domain, key] : domains_) {
    roll(key, now);
    out.push_back({domain, key.window.count(now), key.baseline, !key.armed});
  }
  return out;
}

}  // namespace poolgate
