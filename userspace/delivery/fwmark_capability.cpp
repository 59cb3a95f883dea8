#include "delivery/fwmark_capability.h"

#include "common/operator_error.h"
#include "common/proc_status.h"

#include <sys/utsname.h>

#include <charconv>

namespace poolgate {

namespace {

constexpr int kCapNetAdmin = 12;  // <linux/capability.h>
constexpr int kCapNetRaw = 13;

bool has(uint64_t caps, int bit) { return (caps >> bit) & 1; }

// "6.1.0-18-amd64" -> {6, 1}; {0, 0} when it does not start with two numbers.
std::pair<int, int> major_minor(std::string_view release) {
  int major = 0, minor = 0;
  const char* end = release.data() + release.size();
  auto [p, ec] = std::from_chars(release.data(), end, major);
  if (ec != std::errc{} || p == end || *p != '.') return {0, 0};
  auto [q, ec2] = std::from_chars(p + 1, end, minor);
  if (ec2 != std::errc{}) return {0, 0};
  (void)q;
  return {major, minor};
}

}  // namespace

std::optional<std::string> fwmark_capability_problem(uint64_t cap_eff,
                                                     std::string_view kernel_release) {
  if (has(cap_eff, kCapNetAdmin)) return std::nullopt;
  // Linux 5.17 lets CAP_NET_RAW set SO_MARK as well ("net: Allow setting
  // SO_MARK with CAP_NET_RAW").
  auto [major, minor] = major_minor(kernel_release);
  bool raw_suffices = major > 5 || (major == 5 && minor >= 17);
  if (raw_suffices && has(cap_eff, kCapNetRaw)) return std::nullopt;
  std::string text = "delivery marks every outbound socket (SO_MARK) and needs CAP_NET_ADMIN";
  text += raw_suffices ? " or CAP_NET_RAW"
                       : " (CAP_NET_RAW suffices only from Linux 5.17; this is " +
                             std::string(kernel_release) + ")";
  text +=
      " in its effective set; run poolgate as root or grant it (systemd: "
      "AmbientCapabilities=CAP_NET_ADMIN)";
  return text;
}

void check_fwmark_capability() {
  struct utsname uts {};
  ::uname(&uts);
  const uint64_t effective = own_capability_set(CapabilitySet::Effective);
  if (auto problem = fwmark_capability_problem(effective, uts.release))
    throw OperatorError(*problem);
}

}  // namespace poolgate
