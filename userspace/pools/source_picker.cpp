#include "pools/source_picker.h"

#include "pools/address_plan.h"

namespace poolgate {

SourcePicker::SourcePicker(const PoolConfig& pool) {
  // The marks come from plan_addresses(), the one place that numbers them
  // (routing and the BPF maps read the same plan): a picker that computed
  // fwmark + i itself could drift from the rules actually installed.
  Config single;
  single.pools.push_back(pool);
  for (const PoolAddress& entry : plan_addresses(single)) {
    const uint32_t weight = entry.index < pool.weights.size() ? pool.weights[entry.index] : 1;
    if (weight == 0) continue;
    Candidate candidate{{entry.address, entry.fwmark}, weight, 0};
    (entry.address.is_v6() ? v6_ : v4_).push_back(candidate);
  }
}

std::optional<SourceBinding> SourcePicker::pick(bool v6) {
  return pick(v6, [](const SourceBinding&) { return true; });
}

std::optional<SourceBinding> SourcePicker::pick(
    bool v6, const std::function<bool(const SourceBinding&)>& usable) {
  std::vector<Candidate>& candidates = v6 ? v6_ : v4_;
  // Smooth weighted round robin: every candidate gains its weight, the one
  // with the most accumulated (first in config order on a tie) is chosen and
  // pays back the total. Over any sum(weights) consecutive picks each address
  // is chosen exactly weight times, spread out rather than in runs. Only the
  // usable ones take part in this round.
  int64_t total = 0;
  Candidate* best = nullptr;
  for (Candidate& candidate : candidates) {
    if (!usable(candidate.source)) continue;
    candidate.current += candidate.weight;
    total += candidate.weight;
    if (best == nullptr || candidate.current > best->current) best = &candidate;
  }
  if (!best) return std::nullopt;
  best->current -= total;
  return best->source;
}

std::vector<SourceBinding> SourcePicker::sources() const {
  std::vector<SourceBinding> out;
  for (const auto* family : {&v4_, &v6_})
    for (const Candidate& candidate : *family) out.push_back(candidate.source);
  return out;
}

bool SourcePicker::has_family(bool v6) const { return !(v6 ? v6_ : v4_).empty(); }

}  // namespace poolgate
