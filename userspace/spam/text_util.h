// Small text helpers the scanners' parsers share.
#pragma once

#include <optional>
#include <string_view>

namespace poolgate {

std::string_view trim(std::string_view text);  // spaces, tabs, CR, LF at both ends
bool iequals(std::string_view a, std::string_view b);  // ASCII case-insensitive
bool istarts_with(std::string_view text, std::string_view prefix);
// The whole of `text` (trimmed) as a finite number; "15", "-0.5", "1002.3".
std::optional<double> parse_number(std::string_view text);

}  // namespace poolgate
