// Reads and checks the [spam] section (see config/poolgate.toml): which
// scanner every accepted message is shown to, where it listens, how long to
// wait, and what a scanner failure means for the message (classify/decide.h).
#pragma once

#include "config/reporter.h"

#include <toml++/toml.h>

#include <optional>
#include <string_view>

namespace poolgate {

// "spamd", "rspamd", "header", "none".
std::optional<ScannerKind> parse_scanner_kind(std::string_view text);
const char* scanner_kind_name(ScannerKind kind);
// "tempfail", kNormalAction, kHighRiskAction (mail/verdicts.h: the pools' names).
std::optional<ScannerFailure> parse_scanner_failure(std::string_view text);
const char* scanner_failure_name(ScannerFailure failure);

// The port a scanner listens on by default: spamd 783, rspamd 11333 (its
// normal worker); the others have no address, 783 keeps SpamConfig's default.
uint16_t default_scanner_port(ScannerKind kind);

void read_spam(const toml::table& table, Config& config, std::vector<Diagnostic>& diags);
void check_spam(const Config& config, Reporter& report);

}  // namespace poolgate
