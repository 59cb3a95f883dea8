#include "limits/sliding_window.h"

#include <algorithm>
#include <stdexcept>

namespace poolgate {

SlidingWindow::SlidingWindow(uint32_t window_s, uint32_t bucket_s)
    : window_s_(window_s), bucket_s_(bucket_s) {
  if (bucket_s == 0 || window_s == 0 || window_s % bucket_s != 0)
    throw std::invalid_argument("sliding window: window must be a positive multiple of the bucket");
}

int64_t SlidingWindow::bucket_of(int64_t now) const {
  // Floor division, so times before the epoch (never in practice) still work.
  int64_t b = bucket_s_;
  return now >= 0 ? now / b : -((-now + b - 1) / b);
}

bool SlidingWindow::expire(int64_t now) {
  int64_t first = first_live(now);
  auto live = std::find_if(buckets_.begin(), buckets_.end(),
                           [first](const auto& bucket) { return bucket.first >= first; });
  buckets_.erase(buckets_.begin(), live);
  return buckets_.empty();
}

void SlidingWindow::add(int64_t now, uint64_t n) {
  if (n == 0) return;
  expire(now);
  int64_t index = bucket_of(now);
  if (!buckets_.empty() && buckets_.back().first == index) {
    buckets_.back().second += n;
    return;
  }
  if (!buckets_.empty() && buckets_.back().first > index) {
    // The clock went back (NTP step): count the event in the newest bucket
    // rather than reorder, so memory stays bounded and nothing is lost.
    buckets_.back().second += n;
    return;
  }
  buckets_.emplace_back(index, n);
}

uint64_t SlidingWindow::count(int64_t now) const {
  int64_t first = first_live(now);
  uint64_t total = 0;
  for (const auto& [index, n] : buckets_)
    if (index >= first) total += n;
  return total;
}

void SlidingWindow::restore(std::vector<std::pair<int64_t, uint64_t>> buckets) {
  buckets_.clear();
  size_t capacity = window_s_ / bucket_s_;
  for (auto& bucket : buckets) {
    if (!buckets_.empty() && bucket.first <= buckets_.back().first) continue;
    if (bucket.second == 0) continue;
    buckets_.push_back(bucket);
  }
  // A record written by a build with other bucket sizes could hold more;
  // keep the newest so memory stays bounded.
  if (buckets_.size() > capacity)
    buckets_.erase(buckets_.begin(), buckets_.end() - static_cast<ptrdiff_t>(capacity));
}

}  // namespace poolgate
