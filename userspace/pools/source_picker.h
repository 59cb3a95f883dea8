// Chooses the source address (and its fwmark) for each new delivery connection
// of one pool: smooth weighted round robin within each address family, so an
// operator can give a warmed-up address more of the traffic than a new one, or
// drain one (weight 0) without touching its routes and rules.
#pragma once

#include "config/config.h"
#include "mail/source_binding.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

namespace poolgate {

// Built from one PoolConfig and its marks (plan_addresses numbering: address
// i -> fwmark + i). Not thread-safe: one picker per pool, used from the thread
// that runs the delivery engine.
class SourcePicker {
 public:
  // Missing entries of pool.weights (a PoolConfig built by hand, not by
  // load_config) count as 1, the configured default.
  explicit SourcePicker(const PoolConfig& pool);

  // Next source address of that family by smooth weighted round robin (the
  // nginx algorithm: deterministic, exact proportions over any window of
  // sum(weights) picks, no bursts); weight 0 = drained, never picked.
  // nullopt when the pool has no address of that family with weight > 0.
  std::optional<SourceBinding> pick(bool v6);
  // The same among the addresses `usable` accepts (one resting for the site,
  // or at its connection limit there, sits this pick out without disturbing
  // the others' proportions); nullopt when it accepts none.
  std::optional<SourceBinding> pick(bool v6,
                                    const std::function<bool(const SourceBinding&)>& usable);
  // Every address with weight > 0, both families.
  std::vector<SourceBinding> sources() const;

  // Any address with weight > 0 in that family.
  bool has_family(bool v6) const;

 private:
  struct Candidate {
    SourceBinding source;
    int64_t weight = 0;
    int64_t current = 0;  // nginx's current_weight; 64 bits: sums of uint32 weights
  };
  // Only addresses with weight > 0: a drained one must not even take part in
  // the rotation, or it would shift the others' positions without being picked.
  std::vector<Candidate> v4_;
  std::vector<Candidate> v6_;
};

}  // namespace poolgate
