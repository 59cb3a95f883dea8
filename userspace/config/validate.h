// Semantic checks of a parsed configuration that need nothing from the host:
// required pools, mark and table numbering, duplicate addresses, pool weights,
// limits of the BPF maps; [delivery] (validate_delivery.h), [classify]
// (classify_section.h), [limits] (limits_section.h) and [spam]
// (spam_section.h) have their own files. Host checks (existing rules, local
// addresses) are in routing/.
#pragma once

#include "config/config.h"

#include <vector>

namespace poolgate {

void validate(Config& config, std::vector<Diagnostic>& diagnostics);

}  // namespace poolgate
