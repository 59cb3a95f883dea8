// Where sender-limit state lives. SenderLimits only talks to this interface,
// so the embedded store (spool_counter_store.h: the spool's meta records, one
// host) can later be replaced by a shared one (several relays sharing one
// quota per sender) without touching the policy.
#pragma once

#include "limits/sender_state.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace poolgate {

class CounterStore {
 public:
  virtual ~CounterStore() = default;
  // The sender's state; a fresh SenderState when it has none.
  virtual SenderState load(const std::string& sender) = 0;
  // Replaces the sender's state. May return before it is durable: an
  // implementation documents what a crash can lose.
  virtual void save(const std::string& sender, const SenderState& state) = 0;
  // Every sender with a state, in key order.
  virtual std::vector<std::pair<std::string, SenderState>> list() const = 0;
  virtual void erase(const std::string& sender) = 0;
  // Called now and then (hourly) with the time: a store may drop senders with
  // nothing left to count from memory. A shared store with expiring keys has
  // nothing to do.
  virtual void forget_idle(int64_t now) { (void)now; }
};

}  // namespace poolgate
