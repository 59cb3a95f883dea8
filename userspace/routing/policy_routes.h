// `poolgate routes apply|show|flush`: the policy routing of route_plan.h,
// reconciled with what the kernel has. Only rules and routes carrying
// poolgate's protocol (kPoolgateProtocol) are ever changed or removed.
#pragma once

#include "config/config.h"
#include "routing/drift.h"
#include "routing/entries.h"

#include <ostream>

namespace poolgate {

inline constexpr int kExitDrift = 3;

// Installs what is missing, replaces what differs, removes poolgate's entries
// the config no longer wants, leaves equal ones alone (so a second run changes
// nothing), loosens strict rp_filter on the uplinks (see rp_filter.h), and ends
// with "added N, removed M, unchanged K". Returns 0; throws OperatorError
// naming the rule or route that failed.
int routes_apply(const Config& config, std::ostream& out);

// Prints every planned and every installed poolgate entry with its state (ok,
// missing, unexpected, differs). Returns 0 when installed matches the plan,
// kExitDrift when it does not.
int routes_show(const Config& config, std::ostream& out);

// Removes every rule and route carrying poolgate's protocol, in any table,
// whatever the config says now (it may have shrunk since apply). Returns 0.
int routes_flush(const Config& config, std::ostream& out);

// The comparison `routes show` prints, as values, for callers that act on it
// (the daemon's kernel keeper decides from it whether to re-apply and what to
// log). Reads the kernel; throws OperatorError.
struct RoutingComparison {
  Drift<RuleEntry> rules;
  Drift<RouteEntry> routes;
  bool any() const { return rules.any() || routes.any(); }
};
RoutingComparison routes_compare(const Config& config);

}  // namespace poolgate
