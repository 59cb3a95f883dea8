// What an operator can ask of the running delivery engine (through the
// daemon's control socket, `poolgate queue ...`). Each returns "" on success
// or the reason it could not be done.
#pragma once

#include <string>

namespace poolgate {

// Suspended domains are spool meta records "delivery/suspended/<domain>", so a
// suspension survives a restart (and the CLI can set it with no daemon running).
inline constexpr const char* kSuspendedDomainMeta = "delivery/suspended/";

class QueueControl {
 public:
  virtual ~QueueControl() = default;
  virtual std::string retry(const std::string& queue_id) = 0;   // deferred recipients: now
  virtual std::string bounce(const std::string& queue_id) = 0;  // fail the rest, DSN to the sender
  virtual std::string remove(const std::string& queue_id) = 0;  // drop, no DSN
  virtual std::string suspend(const std::string& domain) = 0;   // no new connections there
  virtual std::string resume(const std::string& domain) = 0;
};

}  // namespace poolgate
