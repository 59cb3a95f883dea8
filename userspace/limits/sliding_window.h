// A counter over a sliding time window with bounded memory: the window is cut
// into fixed buckets aligned to the epoch (per-minute buckets for an hour,
// per-hour buckets for a day, per-second buckets for a minute) and only
// non-empty buckets are kept, so an idle sender costs nothing and a busy one
// at most window/bucket entries.
//
// Exactness: count(now) is the sum of the bucket holding `now` and the
// window/bucket - 1 buckets before it. An event therefore stays counted for
// at least window - bucket and at most window seconds (an hour window with
// minute buckets forgets an event 59 to 60 minutes later); within that bound
// the count is exact, never an estimate. The error is on the lenient side by
// at most one bucket, which for spam limits is a rounding, not a loophole: a
// sender still cannot send more than limit x (window / (window - bucket)).
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

namespace poolgate {

class SlidingWindow {
 public:
  // window_s must be a positive multiple of bucket_s.
  SlidingWindow(uint32_t window_s, uint32_t bucket_s);

  void add(int64_t now, uint64_t n = 1);
  uint64_t count(int64_t now) const;
  // Forgets buckets that left the window by `now` (add() does it too); true
  // when nothing is left.
  bool expire(int64_t now);
  bool empty() const { return buckets_.empty(); }
  void clear() { buckets_.clear(); }

  uint32_t window_s() const { return window_s_; }
  uint32_t bucket_s() const { return bucket_s_; }

  // For persistence (sender_state.h): (bucket index = time / bucket_s, count),
  // oldest first. restore() drops pairs out of order or over the capacity.
  const std::vector<std::pair<int64_t, uint64_t>>& buckets() const { return buckets_; }
  void restore(std::vector<std::pair<int64_t, uint64_t>> buckets);

 private:
  int64_t bucket_of(int64_t now) const;
  // The oldest bucket index still inside the window at `now`.
  int64_t first_live(int64_t now) const { return bucket_of(now) - (window_s_ / bucket_s_ - 1); }

  uint32_t window_s_;
  uint32_t bucket_s_;
  std::vector<std::pair<int64_t, uint64_t>> buckets_;  // ascending bucket index
};

}  // namespace poolgate
