#include "routing/routes_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

namespace poolgate {
namespace {

size_t count(const std::vector<RoutingChange>& changes, RoutingChange::Action action) {
  return std::count_if(changes.begin(), changes.end(),
                       [action](const RoutingChange& c) { return c.action == action; });
}

void add_warnings(std::vector<std::string>& lines, const std::vector<std::string>& warnings) {
  for (const std::string& warning : warnings) lines.push_back("warning: " + warning);
}

// One line per entry (two for one that differs), sorted by where it sits: per
// family (as `ip -4` and `ip -6` list them), rules in priority order, routes
// grouped by table.
template <class Entry>
void add_drift(std::vector<std::string>& lines, const char* heading, const Drift<Entry>& drift) {
  std::vector<std::pair<Entry, std::vector<std::string>>> rows;
  for (const Entry& e : drift.unchanged) rows.push_back({e, {"  ok          " + describe(e)}});
  for (const Entry& e : drift.missing) rows.push_back({e, {"  missing     " + describe(e)}});
  for (const Entry& e : drift.unexpected) rows.push_back({e, {"  unexpected  " + describe(e)}});
  for (const auto& [want, have] : drift.differing)
    rows.push_back({want,
                    {"  differs     want " + describe(want), "              have " + describe(have)}});
  std::stable_sort(rows.begin(), rows.end(),
                   [](const auto& a, const auto& b) { return place(a.first) < place(b.first); });
  lines.push_back(heading);
  for (const auto& row : rows) lines.insert(lines.end(), row.second.begin(), row.second.end());
}

}  // namespace

std::string RoutingChange::text() const {
  switch (action) {
    case Action::Added: return fmt::format("added {} `{}`", kind, entry);
    case Action::Replaced: return fmt::format("replaced {} `{}` with `{}`", kind, replaced, entry);
    case Action::Removed: return fmt::format("removed {} `{}`", kind, entry);
  }
  return "";
}

size_t RoutesApplyReport::replaced() const { return count(changes, RoutingChange::Action::Replaced); }
size_t RoutesApplyReport::added() const {
  return count(changes, RoutingChange::Action::Added) + replaced();
}
size_t RoutesApplyReport::removed() const {
  return count(changes, RoutingChange::Action::Removed) + replaced();
}

std::vector<std::string> RoutesApplyReport::lines() const {
  std::vector<std::string> out;
  add_warnings(out, warnings);
  for (const RoutingChange& change : changes) out.push_back(change.text());
  for (const RpFilterChange& change : rp_filter) out.push_back(change.text());
  std::string summary = fmt::format("added {}, removed {}, unchanged {}", added(), removed(), unchanged);
  if (replaced()) summary += fmt::format(" ({} of them replaced in place)", replaced());
  out.push_back(std::move(summary));
  return out;
}

std::vector<std::string> RoutesShowReport::lines() const {
  std::vector<std::string> out;
  out.push_back(fmt::format("poolgate's rules and routes (proto {} \"{}\"), as configured in {} "
                            "and as installed:",
                            kPoolgateProtocol, kPoolgateProtocolName,
                            config_path.empty() ? "the config" : config_path));
  add_drift(out, "rules:", rules);
  add_drift(out, "routes:", routes);
  if (!foreign_routes.empty()) {
    out.push_back("other routes in the pool tables (not poolgate's, left alone):");
    for (const RouteEntry& route : foreign_routes) out.push_back("  foreign     " + describe(route));
  }
  add_warnings(out, warnings);
  if (in_sync()) {
    out.push_back(fmt::format("no drift: {} rules and {} routes as configured",
                              rules.unchanged.size(), routes.unchanged.size()));
    return out;
  }
  out.push_back(fmt::format(
      "drift: {} missing, {} unexpected, {} differing; `poolgate routes apply` repairs it",
      rules.missing.size() + routes.missing.size(),
      rules.unexpected.size() + routes.unexpected.size(),
      rules.differing.size() + routes.differing.size()));
  return out;
}

std::vector<std::string> RoutesFlushReport::lines() const {
  std::vector<std::string> out;
  for (const RuleEntry& rule : removed_rules) out.push_back("removed rule `" + describe(rule) + "`");
  for (const RouteEntry& route : removed_routes)
    out.push_back("removed route `" + describe(route) + "`");
  out.push_back(fmt::format("removed {} rules and {} routes", removed_rules.size(),
                            removed_routes.size()));
  return out;
}

}  // namespace poolgate
