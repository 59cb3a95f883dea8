// Dropping what the daemon no longer needs once routes and BPF are set up and
// its listeners are bound ([daemon] user): the process switches to that user
// and its groups and keeps only CAP_NET_ADMIN, which SO_MARK and the route
// repair of routing/route_keeper.h need. Files the daemon must still create (the
// spool's RocksDB files) are handed to that user first.
#pragma once

#include "config/config.h"

namespace poolgate {

// No-op when config.daemon.user is empty. Throws OperatorError when the user
// does not exist or a step fails (the daemon then stops rather than running
// with more rights than it said it would).
void drop_privileges(const Config& config);

}  // namespace poolgate
