// Checks that loading and attaching can work at all, before touching anything,
// so the operator gets "grant CAP_NET_ADMIN" instead of an EPERM from deep inside
// libbpf.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace poolgate {

// Names of the capabilities missing from an effective set (CapEff bits): one of
// CAP_BPF / CAP_SYS_ADMIN, and CAP_NET_ADMIN.
std::vector<std::string> missing_capabilities(uint64_t cap_eff);

// Throws OperatorError naming the missing capability (the effective set of
// common/proc_status.h).
void check_capabilities();

// Throws OperatorError when the kernel has no BTF (/sys/kernel/btf/vmlinux),
// which the CO-RE programs are relocated against.
void check_kernel_btf();

// Both of the above: everything loading and attaching needs.
void preflight_check();

}  // namespace poolgate
