// Reads and checks [reputation]: the operator's own reply-class rules files
// (reputation/reply_rules_file.h reads the files themselves). Optional; see
// config/poolgate.toml.
#pragma once

#include "config/reporter.h"

#include <toml++/toml.h>

namespace poolgate {

void read_reputation(const toml::table& table, Config& config, std::vector<Diagnostic>& diags);
void check_reputation(const Config& config, Reporter& report);

}  // namespace poolgate
