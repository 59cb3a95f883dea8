// Reads and checks the [classify] section (see config/poolgate.toml): the pool
// of ordinary mail and the switches of the classification rules (NDR
// detection, sender-domain checks, how long an unanswerable DNS question may
// hold a message). The rules' precedence is classify/decide.h.
#pragma once

#include "config/reporter.h"

#include <toml++/toml.h>

namespace poolgate {

void read_classify(const toml::table& table, Config& config, std::vector<Diagnostic>& diags);
void check_classify(const Config& config, Reporter& report);

}  // namespace poolgate
