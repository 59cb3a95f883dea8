// Reads and checks the [classify] section (see config/poolgate.toml). For now it
// only names the pool ordinary mail goes out of; classification rules (issue 5)
// will be read here too.
#pragma once

#include "config/reporter.h"

#include <toml++/toml.h>

namespace poolgate {

void read_classify(const toml::table& table, Config& config, std::vector<Diagnostic>& diags);
void check_classify(const Config& config, Reporter& report);

}  // namespace poolgate
