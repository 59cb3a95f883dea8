#include "config/toml_reader.h"

#include <cmath>
#include <limits>

namespace poolgate {

std::optional<toml::table> parse_toml_document(std::string_view text, const std::string& path,
                                               std::vector<Diagnostic>& diagnostics) {
  try {
    return toml::parse(text, path);
  } catch (const toml::parse_error& e) {
    diagnostics.push_back({Diagnostic::Severity::Error, path,
                           static_cast<int>(e.source().begin.line), "(syntax)",
                           std::string(e.description())});
    return std::nullopt;
  }
}


int line_of_node(const toml::node& node) { return static_cast<int>(node.source().begin.line); }

TomlTableReader::TomlTableReader(const toml::table& table, std::string prefix, Config& config,
                                 std::vector<Diagnostic>& diagnostics)
    : table_(table), prefix_(std::move(prefix)), config_(config), diagnostics_(diagnostics) {}

const toml::node* TomlTableReader::lookup(const char* key) {
  known_.insert(key);
  const toml::node* node = table_.get(key);
  if (node) config_.lines[path_of(key)] = line_of_node(*node);
  return node;
}

void TomlTableReader::error(const toml::node& node, const std::string& key,
                            const std::string& message) {
  diagnostics_.push_back(
      {Diagnostic::Severity::Error, config_.path, line_of_node(node), key, message});
}

void TomlTableReader::read(const char* key, std::string& out) {
  const toml::node* node = lookup(key);
  if (!node) return;
  if (auto value = node->value<std::string>(); value && node->is_string())
    out = *value;
  else
    error(*node, path_of(key), "must be a string");
}

void TomlTableReader::read(const char* key, bool& out) {
  const toml::node* node = lookup(key);
  if (!node) return;
  if (node->is_boolean())
    out = *node->value<bool>();
  else
    error(*node, path_of(key), "must be true or false");
}

std::optional<uint32_t> TomlTableReader::to_uint32(const toml::node& node,
                                                   const std::string& key) {
  if (!node.is_integer()) {
    error(node, key, "must be an integer");
    return std::nullopt;
  }
  int64_t value = *node.value<int64_t>();
  if (value < 0 || value > std::numeric_limits<uint32_t>::max()) {
    error(node, key, "must be between 0 and 4294967295");
    return std::nullopt;
  }
  return static_cast<uint32_t>(value);
}

void TomlTableReader::read(const char* key, uint32_t& out) {
  const toml::node* node = lookup(key);
  if (!node) return;
  if (auto value = to_uint32(*node, path_of(key))) out = *value;
}

void TomlTableReader::read(const char* key, double& out) {
  const toml::node* node = lookup(key);
  if (!node) return;
  // TOML has inf and nan; neither is a usable rate or size.
  std::optional<double> value;
  if (node->is_integer()) value = static_cast<double>(*node->value<int64_t>());
  if (node->is_floating_point()) value = *node->value<double>();
  if (value && std::isfinite(*value))
    out = *value;
  else
    error(*node, path_of(key), "must be a number");
}

void TomlTableReader::read(const char* key, std::vector<uint32_t>& out) {
  const toml::node* node = lookup(key);
  if (!node) return;
  const toml::array* array = node->as_array();
  if (!array) {
    error(*node, path_of(key), "must be an array of integers");
    return;
  }
  out.clear();
  for (size_t i = 0; i < array->size(); ++i) {
    const toml::node& element = *array->get(i);
    std::string element_key = path_of(key) + "[" + std::to_string(i) + "]";
    config_.lines[element_key] = line_of_node(element);
    if (auto value = to_uint32(element, element_key)) out.push_back(*value);
  }
}

void TomlTableReader::read(const char* key, std::vector<std::string>& out) {
  const toml::node* node = lookup(key);
  if (!node) return;
  const toml::array* array = node->as_array();
  if (!array) {
    error(*node, path_of(key), "must be an array of strings");
    return;
  }
  out.clear();
  for (const toml::node& element : *array) {
    if (!element.is_string()) {
      error(element, path_of(key), "must be an array of strings");
      continue;
    }
    out.push_back(*element.value<std::string>());
  }
}

void TomlTableReader::read(const char* key, std::vector<boost::asio::ip::address>& out) {
  std::vector<std::string> texts;
  const toml::node* node = table_.get(key);
  read(key, texts);
  if (!node || !node->is_array()) return;
  out.clear();
  const toml::array& array = *node->as_array();
  for (size_t i = 0; i < array.size(); ++i) {
    const toml::node& element = *array.get(i);
    if (!element.is_string()) continue;  // already reported
    std::string element_key = path_of(key) + "[" + std::to_string(i) + "]";
    config_.lines[element_key] = line_of_node(element);
    boost::system::error_code ec;
    auto address = boost::asio::ip::make_address(*element.value<std::string>(), ec);
    if (ec) {
      error(element, element_key,
            "'" + *element.value<std::string>() + "' is not an IPv4 or IPv6 address" +
                " (write the address alone, without a /prefix)");
      continue;
    }
    out.push_back(address);
  }
}

void TomlTableReader::require(const char* key) {
  known_.insert(key);
  if (!table_.get(key))
    diagnostics_.push_back({Diagnostic::Severity::Error, config_.path,
                            line_of_node(table_), path_of(key), "is required"});
}

void TomlTableReader::reject_unknown_keys() {
  for (const auto& [key, node] : table_) {
    std::string name(key.str());
    if (known_.count(name)) continue;
    error(node, prefix_.empty() ? name : prefix_ + "." + name, "unknown key");
  }
}

}  // namespace poolgate
