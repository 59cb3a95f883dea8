// Reads and checks [admin] (the HTTP API's listen address) and [daemon] (what
// `poolgate run` does around the mail path: kernel setup, the user it drops
// to). Both are optional; see config/poolgate.toml.
#pragma once

#include "config/reporter.h"

#include <toml++/toml.h>

namespace poolgate {

void read_admin(const toml::table& table, Config& config, std::vector<Diagnostic>& diags);
void check_admin(const Config& config, Reporter& report);

void read_daemon(const toml::table& table, Config& config, std::vector<Diagnostic>& diags);
void check_daemon(const Config& config, Reporter& report);

}  // namespace poolgate
