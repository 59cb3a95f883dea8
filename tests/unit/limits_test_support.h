// Shared by the limits tests: a settable clock, an in-memory CounterStore,
// and envelopes with a given number of internal and external recipients.
#pragma once

#include "limits/clock.h"
#include "limits/counter_store.h"
#include "mail/envelope.h"

#include <cstdint>
#include <map>
#include <memory>
#include <string>

namespace poolgate::limits_test {

// 2025-01-15T00:00:00Z: a Wednesday midnight UTC, minute/hour/day aligned.
inline constexpr int64_t kMidnight = 1736899200;

struct FakeClock {
  std::shared_ptr<int64_t> now = std::make_shared<int64_t>(kMidnight);
  Clock fn() const {
    auto n = now;
    return [n] { return *n; };
  }
  void set(int64_t t) { *now = t; }
  void advance(int64_t s) { *now += s; }
};

class MemoryStore : public CounterStore {
 public:
  SenderState load(const std::string& sender) override {
    auto it = states.find(sender);
    return it == states.end() ? SenderState{} : it->second;
  }
  void save(const std::string& sender, const SenderState& state) override {
    states[sender] = state;
    ++saves;
  }
  std::vector<std::pair<std::string, SenderState>> list() const override {
    return {states.begin(), states.end()};
  }
  void erase(const std::string& sender) override { states.erase(sender); }

  std::map<std::string, SenderState> states;
  int saves = 0;
};

inline Envelope mail(const std::string& sender, int external, int internal = 0,
                     const std::string& auth_user = "") {
  Envelope e;
  e.sender = sender;
  e.auth_user = auth_user;
  // Built with append: GCC 12's -Wrestrict misfires on "lit" + to_string().
  auto address = [](int i, const char* domain) {
    std::string a = std::to_string(i);
    a.insert(0, 1, 'r');
    return a.append(domain);
  };
  for (int i = 0; i < external; ++i) e.recipients.push_back({address(i, "@outside.example")});
  for (int i = 0; i < internal; ++i) e.recipients.push_back({address(i, "@Corp.Example")});
  return e;
}

}  // namespace poolgate::limits_test
