// Semantic checks of [delivery] and [[delivery.destination]]: ranges (errors)
// and settings that are legal but hurt deliverability or the RFCs (warnings).
#pragma once

#include "config/reporter.h"

namespace poolgate {

void check_delivery(const Config& config, Reporter& report);

}  // namespace poolgate
