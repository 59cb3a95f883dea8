#include "routing/drift_report.h"

#include <algorithm>
#include <utility>

namespace poolgate {

namespace {

template <class Entry>
void report(const char* kind, const Drift<Entry>& drift, bool repaired,
            std::vector<std::string>& out) {
  // Sorted by place so that the same drift always logs the same way,
  // whatever order the kernel dumped it in.
  std::vector<std::pair<Entry, std::string>> lines;
  const std::string prefix = std::string(kind) + " `";
  for (const Entry& entry : drift.missing)
    lines.emplace_back(entry, prefix + describe(entry) + "` missing" +
                                  (repaired ? "; restored" : ""));
  for (const Entry& entry : drift.unexpected)
    lines.emplace_back(entry, prefix + describe(entry) + "` not planned" +
                                  (repaired ? "; removed" : ""));
  for (const auto& [want, have] : drift.differing)
    lines.emplace_back(want, prefix + describe(have) + "` differs from the plan `" +
                                 describe(want) + "`" + (repaired ? "; replaced" : ""));
  std::stable_sort(lines.begin(), lines.end(),
                   [](const auto& a, const auto& b) { return place(a.first) < place(b.first); });
  for (auto& line : lines) out.push_back(std::move(line.second));
}

}  // namespace

std::vector<std::string> drift_report(const Drift<RuleEntry>& rules,
                                      const Drift<RouteEntry>& routes, bool repaired) {
  std::vector<std::string> out;
  report("rule", rules, repaired, out);
  report("route", routes, repaired, out);
  return out;
}

}  // namespace poolgate
