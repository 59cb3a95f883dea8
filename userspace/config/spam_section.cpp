// [spam]: optional, every key has a default (SpamConfig); without it no
// scanner is asked. Here the types, the enum spellings and the address; ranges
// and advice in check_spam().
#include "config/spam_section.h"

#include "config/endpoint.h"
#include "config/toml_reader.h"

#include <fmt/format.h>

namespace poolgate {

std::optional<ScannerKind> parse_scanner_kind(std::string_view text) {
  if (text == "spamd") return ScannerKind::Spamd;
  if (text == "rspamd") return ScannerKind::Rspamd;
  if (text == "header") return ScannerKind::Header;
  if (text == "none") return ScannerKind::None;
  return std::nullopt;
}

const char* scanner_kind_name(ScannerKind kind) {
  switch (kind) {
    case ScannerKind::Spamd: return "spamd";
    case ScannerKind::Rspamd: return "rspamd";
    case ScannerKind::Header: return "header";
    case ScannerKind::None: return "none";
  }
  return "?";
}

std::optional<ScannerFailure> parse_scanner_failure(std::string_view text) {
  if (text == "tempfail") return ScannerFailure::TempFail;
  if (text == kNormalAction) return ScannerFailure::Normal;
  if (text == kHighRiskAction) return ScannerFailure::HighRisk;
  return std::nullopt;
}

const char* scanner_failure_name(ScannerFailure failure) {
  switch (failure) {
    case ScannerFailure::TempFail: return "tempfail";
    case ScannerFailure::Normal: return kNormalAction.data();
    case ScannerFailure::HighRisk: return kHighRiskAction.data();  // a literal: NUL-terminated
  }
  return "?";
}

uint16_t default_scanner_port(ScannerKind kind) {
  return kind == ScannerKind::Rspamd ? 11333 : 783;
}

namespace {

void report(Config& config, std::vector<Diagnostic>& diags, const std::string& key,
            const std::string& message) {
  diags.push_back({Diagnostic::Severity::Error, config.path, config.line_of(key), key, message});
}

// True when `key` is written as a string (absent and wrong types are not ours
// to report: absent keeps the default, the reader reported the type).
bool written_string(const toml::table& table, const char* key) {
  const toml::node* node = table.get(key);
  return node && node->is_string();
}

}  // namespace

void read_spam(const toml::table& table, Config& config, std::vector<Diagnostic>& diags) {
  SpamConfig& spam = config.spam;
  TomlTableReader reader(table, "spam", config, diags);
  std::string scanner, address, failure;
  reader.read("scanner", scanner);
  reader.read("address", address);
  reader.read("timeout_ms", spam.timeout_ms);
  reader.read("on_scanner_failure", failure);
  reader.read("max_scan_bytes", spam.max_scan_bytes);
  reader.reject_unknown_keys();

  if (written_string(table, "scanner")) {
    if (auto kind = parse_scanner_kind(scanner))
      spam.scanner = *kind;
    else
      report(config, diags, "spam.scanner",
             "must be \"spamd\", \"rspamd\", \"header\" or \"none\"");
  }
  // The port defaults to the chosen scanner's, also when address is not written:
  // rspamd alone must not be sent to spamd's 783.
  const uint16_t port = default_scanner_port(spam.scanner);
  if (written_string(table, "address")) {
    if (auto endpoint = parse_endpoint(address, port))
      spam.address = *endpoint;
    else
      report(config, diags, "spam.address",
             "'" + address + "' is not ADDRESS or ADDRESS:PORT (IPv6 with a port as "
                             "[ADDRESS]:PORT)");
  } else {
    spam.address.port = port;
  }
  if (written_string(table, "on_scanner_failure")) {
    if (auto parsed = parse_scanner_failure(failure))
      spam.on_scanner_failure = *parsed;
    else
      report(config, diags, "spam.on_scanner_failure",
             "must be \"tempfail\", \"normal\" or \"high-risk\"");
  }
}

void check_spam(const Config& config, Reporter& report) {
  const SpamConfig& spam = config.spam;
  // The scan runs before the reply to the final dot, which the client waits
  // for 10 minutes at most (RFC 5321 4.5.3.2.6).
  if (spam.timeout_ms < 100 || spam.timeout_ms > 600000)
    report.error("spam.timeout_ms", "must be between 100 and 600000 milliseconds");
  if (spam.max_scan_bytes < 1024)
    report.error("spam.max_scan_bytes", "must be at least 1024 bytes");
  // The header scanner believes X-Spam-* fields as they arrive: right only
  // when every client is a filter of ours; anyone else can write "No".
  if (spam.scanner == ScannerKind::Header)
    report.warning("spam.scanner",
                   "\"header\" trusts the X-Spam-* fields already in each message: use it only "
                   "when every client in relay.client_networks is a filter you run, or spammers "
                   "mark their own mail clean");
}

}  // namespace poolgate
