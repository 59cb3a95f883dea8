// One line per drifted rule or route, for the log of whoever repairs it (the
// daemon's kernel keeper): the operator reading "rule `priority 10000 fwmark
// 0x101/0xfff lookup 1001` missing; restored" can tell what someone or
// something changed, and paste the entry into `ip rule`/`ip route`.
#pragma once

#include "routing/drift.h"
#include "routing/entries.h"

#include <string>
#include <vector>

namespace poolgate {

// Rules first, then routes, each in kernel order (place()). With `repaired`
// every line says what the re-apply did about it ("restored", "removed",
// "replaced with `...`"); without, what is wrong and nothing more.
std::vector<std::string> drift_report(const Drift<RuleEntry>& rules,
                                      const Drift<RouteEntry>& routes, bool repaired);

}  // namespace poolgate
