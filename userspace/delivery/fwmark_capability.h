// Checked once at daemon start, so that a poolgate without the right to mark
// its sockets says so by name instead of deferring every message with
// "cannot set fwmark" (which it would: delivery never sends unmarked).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace poolgate {

// What is missing for SO_MARK given an effective capability set (CapEff bits)
// and a kernel release ("6.1.0-18-amd64"): CAP_NET_ADMIN always suffices,
// CAP_NET_RAW too from Linux 5.17 on. nullopt when setting marks will work.
std::optional<std::string> fwmark_capability_problem(uint64_t cap_eff,
                                                     std::string_view kernel_release);

// The same for this process (/proc/self/status, uname); throws OperatorError
// naming the capability to grant.
void check_fwmark_capability();

}  // namespace poolgate
