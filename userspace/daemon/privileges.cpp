#include "daemon/privileges.h"

#include "common/operator_error.h"

namespace poolgate {

void drop_privileges(const Config& config) {
  if (config.daemon.user.empty()) return;
  throw OperatorError("daemon.user: dropping privileges is not built yet");
}

}  // namespace poolgate
