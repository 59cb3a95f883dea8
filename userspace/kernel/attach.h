// `poolgate bpf attach` / `poolgate bpf detach`: the data plane's whole life on
// the host. Both are idempotent and return what they did per interface
// (attach_report.h); the callers present it.
#pragma once

#include "config/config.h"
#include "kernel/attach_report.h"

namespace poolgate {

// Preflight (capabilities, BTF), bpffs, load both programs with maps pinned at
// kernel.pin_path, fill the maps from `config`, then attach tc egress and XDP
// ingress on every kernel.interfaces entry (replacing poolgate's own earlier
// attachment). Interfaces attached earlier but no longer configured are
// detached. Throws OperatorError.
BpfAttachReport bpf_attach(const Config& config);

// Removes poolgate's filter, the clsact qdisc if poolgate created it, and
// poolgate's XDP program from every interface recorded in pg1_attach or listed
// in the config (interfaces that no longer exist are skipped), then unpins the
// maps and removes the pin directory if empty. Nothing that is not poolgate's
// is touched.
BpfDetachReport bpf_detach(const Config& config);

}  // namespace poolgate
