// [delivery]: retries and lifetime, how hard to push each destination, TLS,
// timeouts; [[delivery.destination]]: overrides for one recipient domain;
// [[delivery.site]]: a receiver platform matched by its MX host names.
// Optional: every key has a default (DeliveryConfig). Here only types and what
// must be converted while reading (enums, port, domain spelling);
// validate_delivery.cpp checks ranges once the whole file is read.
#include "config/delivery_section.h"

#include "config/toml_reader.h"
#include "mail/domain_name.h"

#include <algorithm>
#include <string_view>

namespace poolgate {

std::optional<TlsMode> parse_tls_mode(std::string_view text) {
  if (text == "opportunistic") return TlsMode::Opportunistic;
  if (text == "required") return TlsMode::Required;
  if (text == "off") return TlsMode::Off;
  return std::nullopt;
}

const char* tls_mode_name(TlsMode mode) {
  switch (mode) {
    case TlsMode::Opportunistic: return "opportunistic";
    case TlsMode::Required: return "required";
    case TlsMode::Off: return "off";
  }
  return "?";
}

namespace {

void report(Config& config, std::vector<Diagnostic>& diags, const std::string& key,
            const std::string& message) {
  diags.push_back({Diagnostic::Severity::Error, config.path, config.line_of(key), key, message});
}

bool is_ascii(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

// The `tls` key of `table`; nullopt when absent or wrong (then reported).
std::optional<TlsMode> read_tls(const toml::table& table, TomlTableReader& reader,
                                Config& config, std::vector<Diagnostic>& diags) {
  std::string text;
  reader.read("tls", text);
  const toml::node* node = table.get("tls");
  if (!node || !node->is_string()) return std::nullopt;  // absent, or a type error
  std::optional<TlsMode> mode = parse_tls_mode(text);
  if (!mode)
    report(config, diags, reader.path_of("tls"),
           "must be \"opportunistic\", \"required\" or \"off\"");
  return mode;
}

void read_destination(const toml::table& table, size_t index, Config& config,
                      std::vector<Diagnostic>& diags) {
  DestinationConfig destination;
  TomlTableReader reader(table, "delivery.destination[" + std::to_string(index) + "]", config,
                         diags);
  reader.require("domain");
  reader.read("domain", destination.domain);
  destination.tls = read_tls(table, reader, config, diags);
  uint32_t connections = 0;
  reader.read("connections", connections);
  double rate = 0;
  reader.read("messages_per_second", rate);
  reader.reject_unknown_keys();

  // The spelling recipient domains are compared in (mail/domain_name.h), so
  // find_destination() is a plain comparison. A name written with non-ASCII
  // labels stays as written: check_destinations() asks for its xn-- A-labels.
  if (is_ascii(destination.domain)) destination.domain = normalize_domain(destination.domain);
  if (table.get("connections")) destination.connections = connections;
  if (table.get("messages_per_second")) destination.messages_per_second = rate;
  config.delivery.destinations.push_back(std::move(destination));
}

void read_site(const toml::table& table, size_t index, Config& config,
               std::vector<Diagnostic>& diags) {
  SiteConfig site;
  TomlTableReader reader(table, "delivery.site[" + std::to_string(index) + "]", config, diags);
  reader.require("name");
  reader.require("mx");
  reader.read("name", site.name);
  reader.read("mx", site.mx);
  uint32_t connections = 0;
  reader.read("connections", connections);
  double rate = 0;
  reader.read("messages_per_second", rate);
  reader.reject_unknown_keys();
  // Host names compare in one spelling; a pattern's "*." prefix survives.
  for (std::string& pattern : site.mx) {
    bool wildcard = pattern.starts_with("*.");
    pattern = (wildcard ? "*." : "") + normalize_domain(wildcard ? pattern.substr(2) : pattern);
  }
  if (table.get("connections")) site.connections = connections;
  if (table.get("messages_per_second")) site.messages_per_second = rate;
  config.delivery.sites.push_back(std::move(site));
}

// [[NAME]] tables under [delivery]: each one read by `read_one`.
void read_tables(const toml::node* node, const std::string& name, Config& config,
                 std::vector<Diagnostic>& diags,
                 void (*read_one)(const toml::table&, size_t, Config&, std::vector<Diagnostic>&)) {
  if (!node) return;
  std::string key = "delivery." + name;
  if (!node->is_array_of_tables()) {
    report(config, diags, key, "must be written as [[" + key + "]] tables");
    return;
  }
  const toml::array& array = *node->as_array();
  for (size_t i = 0; i < array.size(); ++i) {
    config.lines[key + "[" + std::to_string(i) + "]"] = line_of_node(*array.get(i));
    read_one(*array.get(i)->as_table(), i, config, diags);
  }
}

}  // namespace

void read_delivery(const toml::table& table, Config& config, std::vector<Diagnostic>& diags) {
  DeliveryConfig& delivery = config.delivery;
  TomlTableReader reader(table, "delivery", config, diags);
  reader.read("retry_intervals_s", delivery.retry_intervals_s);
  reader.read("max_lifetime_s", delivery.max_lifetime_s);
  reader.read("delay_warning_s", delivery.delay_warning_s);
  reader.read("connections_per_destination", delivery.connections_per_destination);
  reader.read("messages_per_second", delivery.messages_per_second);
  reader.read("max_messages_per_connection", delivery.max_messages_per_connection);
  reader.read("connection_idle_ms", delivery.connection_idle_ms);
  reader.read("max_concurrent_connections", delivery.max_concurrent_connections);
  if (auto mode = read_tls(table, reader, config, diags)) delivery.tls = *mode;
  reader.read("bind_source", delivery.bind_source);
  uint32_t port = delivery.port;
  reader.read("port", port);
  reader.read("connect_timeout_s", delivery.connect_timeout_s);
  reader.read("command_timeout_s", delivery.command_timeout_s);
  reader.read("data_timeout_s", delivery.data_timeout_s);
  reader.read("dsn_max_returned_bytes", delivery.dsn_max_returned_bytes);
  const toml::node* destinations = reader.node("destination");
  const toml::node* sites = reader.node("site");
  reader.reject_unknown_keys();

  // DeliveryConfig::port is 16 bits: range-check before narrowing.
  if (port < 1 || port > 65535)
    report(config, diags, "delivery.port", "must be between 1 and 65535");
  else
    delivery.port = static_cast<uint16_t>(port);

  read_tables(destinations, "destination", config, diags, read_destination);
  read_tables(sites, "site", config, diags, read_site);
}

}  // namespace poolgate
