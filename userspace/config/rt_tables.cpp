// Routing table names, the way iproute2 resolves them: the built-in names, then
// /etc/iproute2/rt_tables and every rt_tables.d/*.conf ("NUMBER NAME" lines).
#include "config/config.h"

#include <charconv>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace poolgate {
namespace {

std::optional<uint32_t> parse_number(const std::string& text) {
  uint32_t value = 0;
  int base = text.rfind("0x", 0) == 0 ? 16 : 10;
  const char* begin = text.data() + (base == 16 ? 2 : 0);
  auto [end, ec] = std::from_chars(begin, text.data() + text.size(), value, base);
  if (ec != std::errc() || end != text.data() + text.size() || begin == end) return std::nullopt;
  return value;
}

std::optional<uint32_t> find_in_file(const std::filesystem::path& file, const std::string& name) {
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string number, table_name;
    if (!(fields >> number >> table_name) || number[0] == '#') continue;
    if (table_name == name) return parse_number(number);
  }
  return std::nullopt;
}

}  // namespace

std::optional<uint32_t> resolve_table_name(const std::string& name) {
  if (name.empty()) return std::nullopt;
  if (auto number = parse_number(name)) return number;
  if (name == "main") return 254;
  if (name == "default") return 253;
  if (name == "local") return 255;
  for (const char* dir : {"/etc/iproute2", "/usr/share/iproute2", "/usr/lib/iproute2"}) {
    if (auto found = find_in_file(std::filesystem::path(dir) / "rt_tables", name)) return found;
    std::error_code ec;
    for (const auto& entry :
         std::filesystem::directory_iterator(std::filesystem::path(dir) / "rt_tables.d", ec)) {
      if (entry.path().extension() != ".conf") continue;
      if (auto found = find_in_file(entry.path(), name)) return found;
    }
  }
  return std::nullopt;
}

}  // namespace poolgate
