#include "config/config.h"

#include "config/admin_section.h"
#include "config/classify_section.h"
#include "config/delivery_section.h"
#include "config/dns_section.h"
#include "config/limits_section.h"
#include "config/relay_section.h"
#include "config/reputation_section.h"
#include "config/spam_section.h"
#include "config/toml_reader.h"
#include "config/validate.h"
#include "mail/domain_name.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string_view>

namespace poolgate {

int Config::line_of(const std::string& key) const {
  auto it = lines.find(key);
  return it == lines.end() ? 0 : it->second;
}

const PoolConfig* Config::find_pool(const std::string& name) const {
  for (const PoolConfig& pool : pools)
    if (pool.name == name) return &pool;
  return nullptr;
}

// Stored domains are normalised (delivery_section.cpp); envelope domains
// arrive in any spelling, so they are normalised the same way. Exact domains
// only: an override for example.com does not cover mx.example.com.
const DestinationConfig* DeliveryConfig::find_destination(const std::string& domain) const {
  std::string wanted = normalize_domain(domain);
  for (const DestinationConfig& destination : destinations)
    if (destination.domain == wanted) return &destination;
  return nullptr;
}

std::string Diagnostic::to_string() const {
  std::string text = file + ":" + std::to_string(line) + ": ";
  if (severity == Severity::Warning) text += "warning: ";
  return text + key + ": " + message;
}

namespace {

void read_routing(const toml::table& table, Config& config, std::vector<Diagnostic>& diags) {
  TomlTableReader reader(table, "routing", config, diags);
  reader.read("fwmark_mask", config.routing.fwmark_mask);
  reader.read("rule_priority", config.routing.rule_priority);
  // mirror_table is a name from rt_tables or a number; accept both TOML types.
  if (const toml::node* node = table.get("mirror_table"); node && node->is_integer()) {
    uint32_t number = 0;
    reader.read("mirror_table", number);
    config.routing.mirror_table = std::to_string(number);
  } else {
    reader.read("mirror_table", config.routing.mirror_table);
  }
  reader.reject_unknown_keys();
}

void read_kernel(const toml::table& table, Config& config, std::vector<Diagnostic>& diags) {
  TomlTableReader reader(table, "kernel", config, diags);
  reader.read("interfaces", config.kernel.interfaces);
  reader.read("pin_path", config.kernel.pin_path);
  reader.read("strict_smtp", config.kernel.strict_smtp);
  reader.read("block_inbound_syn", config.kernel.block_inbound_syn);
  std::string mode = "auto";
  reader.read("xdp_mode", mode);
  if (mode == "auto") config.kernel.xdp_mode = XdpMode::Auto;
  else if (mode == "native") config.kernel.xdp_mode = XdpMode::Native;
  else if (mode == "generic") config.kernel.xdp_mode = XdpMode::Generic;
  else
    diags.push_back({Diagnostic::Severity::Error, config.path, config.line_of("kernel.xdp_mode"),
                     "kernel.xdp_mode", "must be \"auto\", \"native\" or \"generic\""});
  reader.reject_unknown_keys();
}

void read_pool(const toml::table& table, size_t index, Config& config,
               std::vector<Diagnostic>& diags) {
  PoolConfig pool;
  TomlTableReader reader(table, "pool[" + std::to_string(index) + "]", config, diags);
  for (const char* key : {"name", "fwmark", "table", "addresses"}) reader.require(key);
  reader.read("name", pool.name);
  reader.read("fwmark", pool.fwmark);
  reader.read("table", pool.table);
  reader.read("ehlo", pool.ehlo);
  reader.read("addresses", pool.addresses);
  reader.read("weights", pool.weights);
  reader.reject_unknown_keys();
  // Absent: every address sends equally. Written (even as []), it must match
  // addresses one to one; validate() checks that.
  if (!table.get("weights")) pool.weights.assign(pool.addresses.size(), 1);
  config.pools.push_back(std::move(pool));
}

void read_document(const toml::table& root, Config& config, std::vector<Diagnostic>& diags) {
  config.relay = default_relay();
  for (const auto& [key, node] : root) {
    std::string name(key.str());
    if (name == "routing" && node.is_table()) {
      read_routing(*node.as_table(), config, diags);
    } else if (name == "kernel" && node.is_table()) {
      read_kernel(*node.as_table(), config, diags);
    } else if (name == "pool" && node.is_array_of_tables()) {
      const toml::array& pools = *node.as_array();
      for (size_t i = 0; i < pools.size(); ++i) {
        config.lines["pool[" + std::to_string(i) + "]"] = line_of_node(*pools.get(i));
        read_pool(*pools.get(i)->as_table(), i, config, diags);
      }
    } else if (name == "relay" && node.is_table()) {
      config.lines["relay"] = line_of_node(node);  // where a default's warning points
      read_relay(*node.as_table(), config, diags);
    } else if (name == "dns" && node.is_table()) {
      read_dns(*node.as_table(), config, diags);
    } else if (name == "delivery" && node.is_table()) {
      config.lines["delivery"] = line_of_node(node);
      read_delivery(*node.as_table(), config, diags);
    } else if (name == "classify" && node.is_table()) {
      read_classify(*node.as_table(), config, diags);
    } else if (name == "limits" && node.is_table()) {
      read_limits(*node.as_table(), config, diags);
    } else if (name == "spam" && node.is_table()) {
      read_spam(*node.as_table(), config, diags);
    } else if (name == "admin" && node.is_table()) {
      read_admin(*node.as_table(), config, diags);
    } else if (name == "daemon" && node.is_table()) {
      read_daemon(*node.as_table(), config, diags);
    } else if (name == "reputation" && node.is_table()) {
      read_reputation(*node.as_table(), config, diags);
    } else if (name == "routing" || name == "kernel" || name == "pool" || name == "relay" ||
               name == "dns" || name == "delivery" || name == "classify" || name == "limits" ||
               name == "spam" || name == "admin" || name == "daemon" || name == "reputation") {
      diags.push_back({Diagnostic::Severity::Error, config.path, line_of_node(node), name,
                       name == "pool" ? "must be written as [[pool]] tables"
                                      : "must be a table, written [" + name + "]"});
    } else {
      diags.push_back({Diagnostic::Severity::Error, config.path, line_of_node(node), name,
                       "unknown key"});
    }
  }
}

bool has_errors(const std::vector<Diagnostic>& diags) {
  for (const Diagnostic& d : diags)
    if (d.severity == Diagnostic::Severity::Error) return true;
  return false;
}

// `key` is, or lies within, a key that already has an error: "pool[0].name"
// after "pool[0].name" or "pool", "kernel.interfaces" after "kernel".
bool follows_reading_error(const std::string& key, const std::vector<Diagnostic>& diags) {
  for (const Diagnostic& d : diags) {
    if (d.severity != Diagnostic::Severity::Error) continue;
    if (key == d.key) return true;
    if (key.size() > d.key.size() && key.compare(0, d.key.size(), d.key) == 0 &&
        (key[d.key.size()] == '.' || key[d.key.size()] == '['))
      return true;
  }
  return false;
}

}  // namespace

LoadResult parse_config(const std::string& text, const std::string& path) {
  LoadResult result;
  Config config;
  config.path = path;
  std::optional<toml::table> root = parse_toml_document(text, path, result.diagnostics);
  if (!root) return result;
  read_document(*root, config, result.diagnostics);
  // Validated even after reading errors, so one run reports every error; but a
  // key that could not be read has its default, and what validate() says about
  // that default would only repeat the reading error.
  std::vector<Diagnostic> checked;
  validate(config, checked);
  for (Diagnostic& d : checked)
    if (!follows_reading_error(d.key, result.diagnostics)) result.diagnostics.push_back(std::move(d));
  if (has_errors(result.diagnostics))
    result.with_errors = std::move(config);
  else
    result.config = std::move(config);
  return result;
}

LoadResult load_config(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    LoadResult result;
    result.diagnostics.push_back({Diagnostic::Severity::Error, path, 0, "(file)",
                                  "cannot read the configuration file (" +
                                      std::string(std::strerror(errno)) +
                                      "); pass another one with --config FILE"});
    return result;
  }
  std::stringstream text;
  text << in.rdbuf();
  return parse_config(text.str(), path);
}

}  // namespace poolgate
