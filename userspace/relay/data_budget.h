// The DATA bytes every relay session holds in memory at once, against
// relay.max_data_in_flight_bytes. Without it, memory would grow with sessions
// x message size (ten 36 MB messages in parallel once took 900 MB); with
// streaming (message_buffer.h) a session holds at most its head and two spool
// chunks, and this budget caps the sum. A session whose next bytes do not fit
// stores nothing more and answers 452 4.3.1 after the end of data (the client
// retries later); MAIL FROM with a SIZE= whose memory does not fit what is left
// gets the same 452 at once.
//
// The limit is the caller's: each session passes the one of the configuration
// generation it began with, so a reload (SIGHUP) changes it for new sessions
// only, while the count is shared by all.
#pragma once

#include <atomic>
#include <cstdint>

namespace poolgate {

class DataBudget {
 public:
  // Takes `bytes` when the total stays within `limit`; false (nothing taken)
  // otherwise.
  bool try_take(uint64_t bytes, uint64_t limit) {
    uint64_t used = used_.load();
    do {
      if (bytes > limit || used > limit - bytes) return false;
    } while (!used_.compare_exchange_weak(used, used + bytes));
    return true;
  }
  void give_back(uint64_t bytes) { used_.fetch_sub(bytes); }

  uint64_t in_flight() const { return used_.load(); }
  uint64_t left(uint64_t limit) const {
    uint64_t used = used_.load();
    return used < limit ? limit - used : 0;
  }

  // A 452 4.3.1 given because of the budget (at MAIL FROM or after DATA).
  void count_refusal() { refusals_.fetch_add(1); }
  uint64_t refusals() const { return refusals_.load(); }

 private:
  std::atomic<uint64_t> used_{0};
  std::atomic<uint64_t> refusals_{0};
};

}  // namespace poolgate
