#include "routing/rp_filter.h"

#include "common/operator_error.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>

namespace poolgate {

namespace {

constexpr int kStrict = 1;
constexpr int kLoose = 2;

int read_value(const std::filesystem::path& file) {
  std::ifstream in(file);
  int value = 0;
  if (!(in >> value))
    throw OperatorError("cannot read " + file.string() + ": " + std::strerror(errno));
  return value;
}

void write_value(const std::filesystem::path& file, int value) {
  std::ofstream out(file);
  out << value << "\n";
  out.flush();
  if (!out)
    throw OperatorError("cannot write " + file.string() + ": " + std::strerror(errno) +
                        " (changing rp_filter needs root with CAP_NET_ADMIN)");
}

}  // namespace

std::string RpFilterChange::text() const {
  return "rp_filter: " + interface + " was strict (" + interface + "=" + std::to_string(own) +
         ", all=" + std::to_string(all) + "); set " + file.string() +
         " to 2 (loose): strict filtering drops replies to pool addresses whose table routes "
         "via another uplink than main";
}

std::vector<RpFilterChange> loosen_strict_rp_filter(const std::vector<std::string>& interfaces,
                                                    const std::filesystem::path& conf_dir) {
  const int all = read_value(conf_dir / "all" / "rp_filter");
  std::vector<RpFilterChange> changed;
  for (const std::string& name : interfaces) {
    const std::filesystem::path file = conf_dir / name / "rp_filter";
    if (name.empty() || name == "all" || name == "default" || !std::filesystem::exists(file))
      continue;  // not on this host (check-config and `bpf attach` report that)
    const int own = read_value(file);
    if (std::max(all, own) != kStrict) continue;
    write_value(file, kLoose);
    changed.push_back({name, own, all, file});
  }
  return changed;
}

}  // namespace poolgate
