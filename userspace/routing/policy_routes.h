// `poolgate routes apply|show|flush`: the policy routing of route_plan.h,
// reconciled with what the kernel has. Only rules and routes carrying
// poolgate's protocol (kPoolgateProtocol) are ever changed or removed.
#pragma once

#include "config/config.h"
#include "routing/drift.h"
#include "routing/entries.h"
#include "routing/routes_report.h"

namespace poolgate {

// Installs what is missing, replaces what differs, removes poolgate's entries
// the config no longer wants, leaves equal ones alone (so a second run changes
// nothing), and loosens strict rp_filter on the uplinks (see rp_filter.h).
// Returns what it did; throws OperatorError naming the rule or route that
// failed.
RoutesApplyReport routes_apply(const Config& config);

// Every planned and every installed poolgate entry with its state (ok,
// missing, unexpected, differs); exit_code() is kExitDrift when installed
// does not match the plan.
RoutesShowReport routes_show(const Config& config);

// Removes every rule and route carrying poolgate's protocol, in any table,
// whatever the config says now (it may have shrunk since apply).
RoutesFlushReport routes_flush(const Config& config);

// The comparison alone, for callers that act on it (the daemon's route keeper
// decides from it whether to re-apply and what to log). Reads the kernel;
// throws OperatorError.
struct RoutingComparison {
  Drift<RuleEntry> rules;
  Drift<RouteEntry> routes;
  bool any() const { return rules.any() || routes.any(); }
};
RoutingComparison routes_compare(const Config& config);

}  // namespace poolgate
