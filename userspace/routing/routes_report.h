// What `routes apply`, `routes show` and `routes flush` did or found, as
// values (policy_routes.h returns them). lines() is their text, the same
// lines the CLI prints and the daemon logs; nothing reads them back.
#pragma once

#include "routing/drift.h"
#include "routing/entries.h"
#include "routing/rp_filter.h"

#include <cstddef>
#include <string>
#include <vector>

namespace poolgate {

inline constexpr int kExitDrift = 3;

// One rule or route that `routes apply` changed.
struct RoutingChange {
  enum class Action { Added, Replaced, Removed };
  Action action{};
  const char* kind = "";  // "rule" or "route"
  std::string entry;      // as describe() gives it: what was added, removed, or put in place
  std::string replaced;   // Replaced: the entry that was there before
  std::string text() const;
};

struct RoutesApplyReport {
  std::vector<std::string> warnings;       // the plan's (route_plan.h)
  std::vector<RoutingChange> changes;      // in the order they were made
  std::vector<RpFilterChange> rp_filter;   // uplinks loosened (rp_filter.h)
  size_t unchanged = 0;                    // rules and routes already as planned

  // A replacement is one entry out and one in.
  size_t added() const;
  size_t removed() const;
  size_t replaced() const;
  // Warnings, changes, rp_filter, then "added N, removed M, unchanged K".
  std::vector<std::string> lines() const;
};

// Installed next to planned (`routes show`), and the drift between them.
struct RoutesShowReport {
  std::string config_path;
  Drift<RuleEntry> rules;
  Drift<RouteEntry> routes;
  std::vector<RouteEntry> foreign_routes;  // others' routes in the pool tables
  std::vector<std::string> warnings;

  bool in_sync() const { return !rules.any() && !routes.any(); }
  int exit_code() const { return in_sync() ? 0 : kExitDrift; }
  std::vector<std::string> lines() const;
};

struct RoutesFlushReport {
  std::vector<RuleEntry> removed_rules;    // in the order removed (rules first)
  std::vector<RouteEntry> removed_routes;
  std::vector<std::string> lines() const;
};

}  // namespace poolgate
