// Reads one TOML table into typed fields, recording each key's source line and
// reporting wrong types and unknown keys as diagnostics. Every config section is
// read through this one class, so a new section is a list of `read(...)` calls.
#pragma once

#include "config/config.h"

#include <toml++/toml.h>

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace poolgate {

// Parses a whole TOML document; a syntax error becomes one "(syntax)"
// diagnostic at its line, and nullopt. The config and the reply-rules files
// both start here.
std::optional<toml::table> parse_toml_document(std::string_view text, const std::string& path,
                                               std::vector<Diagnostic>& diagnostics);

class TomlTableReader {
 public:
  // `prefix` is the dotted key path of the table ("routing", "pool[1]").
  TomlTableReader(const toml::table& table, std::string prefix, Config& config,
                  std::vector<Diagnostic>& diagnostics);

  void read(const char* key, std::string& out);
  void read(const char* key, bool& out);
  void read(const char* key, uint32_t& out);  // integers 0..2^32-1 (hex allowed)
  // A finite number: an integer or a float (rates: 2 and 0.5 both read naturally).
  void read(const char* key, double& out);
  // Integers 0..2^32-1, each element's line recorded as key[i].
  void read(const char* key, std::vector<uint32_t>& out);
  void read(const char* key, std::vector<std::string>& out);
  // IP addresses without prefix length, each element's line recorded as key[i].
  void read(const char* key, std::vector<boost::asio::ip::address>& out);
  // Marks a key as read and returns its node (null when absent), for a value the
  // caller parses itself: a sub-table or an array of tables.
  const toml::node* node(const char* key) { return lookup(key); }
  // Marks a key as required: an error if the table does not have it.
  void require(const char* key);
  // Reports every key of the table that no read() asked for. Call last.
  void reject_unknown_keys();

  std::string path_of(const char* key) const { return prefix_ + "." + key; }

 private:
  const toml::node* lookup(const char* key);
  void error(const toml::node& node, const std::string& key, const std::string& message);
  std::optional<uint32_t> to_uint32(const toml::node& node, const std::string& key);

  const toml::table& table_;
  std::string prefix_;
  Config& config_;
  std::vector<Diagnostic>& diagnostics_;
  std::set<std::string> known_;
};

int line_of_node(const toml::node& node);

}  // namespace poolgate
