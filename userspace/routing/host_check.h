// `poolgate check-config`'s checks against this host (read-only, no
// capabilities needed):
//   errors   a rule poolgate did not create sits in poolgate's priority block
//            (routing.rule_priority); a pool table already holds routes poolgate
//            did not create (pool[N].table)
//   warnings a pool address is not assigned to a local interface, or is still
//            tentative (pool[N].addresses[I]); an interface does not exist
//            (kernel.interfaces); the mirror table has no default
//            route for a family the pools use (routing.mirror_table)
#pragma once

#include "config/config.h"

#include <vector>

namespace poolgate {

// Throws OperatorError when the kernel cannot be asked at all.
std::vector<Diagnostic> check_host(const Config& config);

}  // namespace poolgate
