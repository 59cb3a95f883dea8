#include "common/proc_status.h"

#include "common/operator_error.h"

#include <charconv>
#include <fstream>
#include <iterator>
#include <string>

namespace poolgate {
namespace {

struct SetName {
  std::string_view field;  // the line's label in /proc/<pid>/status
  const char* words;       // for the error message
};

SetName name_of(CapabilitySet set) {
  switch (set) {
    case CapabilitySet::Effective: return {"CapEff:", "effective"};
    case CapabilitySet::Permitted: return {"CapPrm:", "permitted"};
    case CapabilitySet::Bounding: return {"CapBnd:", "bounding"};
  }
  return {"?", "?"};
}

}  // namespace

uint64_t parse_capability_set(std::string_view proc_status, CapabilitySet set) {
  const SetName name = name_of(set);
  for (size_t at = 0; at < proc_status.size();) {
    size_t end = proc_status.find('\n', at);
    if (end == std::string_view::npos) end = proc_status.size();
    std::string_view line = proc_status.substr(at, end - at);
    at = end + 1;
    if (!line.starts_with(name.field)) continue;
    line.remove_prefix(name.field.size());
    while (!line.empty() && (line.front() == '\t' || line.front() == ' ')) line.remove_prefix(1);
    uint64_t bits = 0;
    const auto [rest, ec] = std::from_chars(line.data(), line.data() + line.size(), bits, 16);
    if (ec == std::errc{} && rest != line.data()) return bits;
    break;
  }
  throw OperatorError(std::string("cannot read the ") + name.words + " capabilities (" +
                      std::string(name.field.substr(0, name.field.size() - 1)) +
                      ") from /proc/self/status");
}

uint64_t own_capability_set(CapabilitySet set) {
  std::ifstream file("/proc/self/status");
  const std::string text{std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
  return parse_capability_set(text, set);
}

}  // namespace poolgate
