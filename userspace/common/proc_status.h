// The one reader of a process's capability sets in /proc/self/status, for
// every check that asks "may this process still do X?" (BPF preflight, the
// SO_MARK check, the daemon's re-attach after its privilege drop).
#pragma once

#include <cstdint>
#include <string_view>

namespace poolgate {

enum class CapabilitySet { Effective, Permitted, Bounding };  // CapEff, CapPrm, CapBnd

// One set's bits from /proc/<pid>/status text (the hex after "CapEff:" etc.);
// throws OperatorError when its line is missing or malformed.
uint64_t parse_capability_set(std::string_view proc_status, CapabilitySet set);

// The same for this process, read from /proc/self/status now (the sets change
// when the daemon drops its privileges).
uint64_t own_capability_set(CapabilitySet set);

}  // namespace poolgate
