#include "kernel/preflight.h"

#include "common/operator_error.h"
#include "common/proc_status.h"

#include <sys/stat.h>

namespace poolgate {

namespace {
// Bit numbers from <linux/capability.h>; not included for CAP_BPF, which older
// userspace headers lack.
constexpr int kCapNetAdmin = 12;
constexpr int kCapSysAdmin = 21;
constexpr int kCapBpf = 39;
constexpr const char* kVmlinuxBtf = "/sys/kernel/btf/vmlinux";

bool has(uint64_t caps, int bit) { return (caps >> bit) & 1; }
}  // namespace

std::vector<std::string> missing_capabilities(uint64_t cap_eff) {
  std::vector<std::string> missing;
  if (!has(cap_eff, kCapBpf) && !has(cap_eff, kCapSysAdmin))
    missing.push_back("CAP_BPF (or CAP_SYS_ADMIN)");
  if (!has(cap_eff, kCapNetAdmin)) missing.push_back("CAP_NET_ADMIN");
  return missing;
}

void check_capabilities() {
  std::vector<std::string> missing =
      missing_capabilities(own_capability_set(CapabilitySet::Effective));
  if (!missing.empty()) {
    std::string names;
    for (const std::string& name : missing) names += (names.empty() ? "" : " and ") + name;
    throw OperatorError("managing the eBPF data plane needs " + names +
                        "; run poolgate as root or grant the capabilities");
  }
}

void check_kernel_btf() {
  struct stat st {};
  if (::stat(kVmlinuxBtf, &st) != 0) {
    throw OperatorError(std::string("kernel BTF ") + kVmlinuxBtf +
                        " is missing; poolgate's programs need a kernel built with "
                        "CONFIG_DEBUG_INFO_BTF=y");
  }
}

void preflight_check() {
  check_capabilities();
  check_kernel_btf();
}

}  // namespace poolgate
