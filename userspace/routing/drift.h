// Desired versus installed: which entries are as planned, which are missing,
// which are installed but no longer planned, and which sit where a planned entry
// belongs but differ from it. One comparison serves rules and routes, for
// `routes apply` (what to change) and `routes show` (what to report).
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

namespace poolgate {

template <class Entry>
struct Drift {
  std::vector<Entry> unchanged;
  std::vector<Entry> missing;     // planned, not installed
  std::vector<Entry> unexpected;  // installed by poolgate, not planned
  // {planned, installed} at the same place (see place() in entries.h)
  std::vector<std::pair<Entry, Entry>> differing;

  bool any() const { return !missing.empty() || !unexpected.empty() || !differing.empty(); }
};

// `installed` must hold only poolgate's own entries: whatever else is installed
// is not poolgate's to report or remove. Entry needs operator== and place().
template <class Entry>
Drift<Entry> compare(const std::vector<Entry>& wanted, const std::vector<Entry>& installed) {
  Drift<Entry> drift;
  std::vector<bool> matched(installed.size(), false);
  auto claim = [&](auto&& fits) -> const Entry* {
    for (std::size_t i = 0; i < installed.size(); ++i) {
      if (!matched[i] && fits(installed[i])) {
        matched[i] = true;
        return &installed[i];
      }
    }
    return nullptr;
  };
  // Exact matches first, so a duplicate at the same place (two of ours where
  // one belongs) comes out as one unchanged and one unexpected, not differing.
  std::vector<const Entry*> unmatched;
  for (const Entry& entry : wanted) {
    if (claim([&](const Entry& have) { return have == entry; }))
      drift.unchanged.push_back(entry);
    else
      unmatched.push_back(&entry);
  }
  for (const Entry* entry : unmatched) {
    if (const Entry* have = claim([&](const Entry& h) { return place(h) == place(*entry); }))
      drift.differing.emplace_back(*entry, *have);
    else
      drift.missing.push_back(*entry);
  }
  for (std::size_t i = 0; i < installed.size(); ++i)
    if (!matched[i]) drift.unexpected.push_back(installed[i]);
  return drift;
}

}  // namespace poolgate
