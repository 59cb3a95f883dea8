// systemd's readiness protocol (sd_notify(3), "Type=notify" units): one
// datagram of newline-separated KEY=VALUE to the AF_UNIX socket named in
// $NOTIFY_SOCKET ("@name" = abstract namespace). Without the variable (not
// under systemd, or Type=simple/exec) nothing happens. The daemon says
// READY=1 once it accepts mail, RELOADING=1 / READY=1 around a SIGHUP reload,
// and STOPPING=1 when it starts draining, so `systemctl start|reload` wait
// for the real state.
#pragma once

#include <string>

namespace poolgate {

// True when systemd was told (or there is nobody to tell); false when the
// socket exists but the send failed (logged by the caller if it cares).
bool notify_systemd(const std::string& state);

}  // namespace poolgate
