#include "mx/domain_name.h"

#include <algorithm>
#include <cctype>

namespace poolgate {

namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  return text;
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::optional<boost::asio::ip::address> parse_address(std::string_view text) {
  boost::system::error_code error;
  boost::asio::ip::address address = boost::asio::ip::make_address(std::string(text), error);
  if (error) return std::nullopt;
  return address;
}

}  // namespace


std::optional<boost::asio::ip::address> parse_domain_literal(std::string_view literal) {
  literal = trim(literal);
  if (literal.size() < 3 || literal.front() != '[' || literal.back() != ']') return std::nullopt;
  std::string_view inside = literal.substr(1, literal.size() - 2);
  constexpr std::string_view kTag = "ipv6:";
  if (inside.size() > kTag.size() && lower(inside.substr(0, kTag.size())) == kTag) {
    std::optional<boost::asio::ip::address> address = parse_address(inside.substr(kTag.size()));
    if (!address || !address->is_v6()) return std::nullopt;
    return address;
  }
  // Without a tag only dotted-quad IPv4 is allowed; make_address would also
  // take "2001:db8::5", which RFC 5321 4.1.3 requires to carry "IPv6:".
  if (inside.find(':') != std::string_view::npos) return std::nullopt;
  std::optional<boost::asio::ip::address> address = parse_address(inside);
  if (!address || !address->is_v4()) return std::nullopt;
  return address;
}

std::string format_domain_literal(const boost::asio::ip::address& address) {
  // Appended piece by piece: GCC 12 warns falsely (-Wrestrict, bug 105329)
  // about "literal" + std::string&& at -O3.
  std::string literal = address.is_v6() ? "[IPv6:" : "[";
  literal += address.to_string();
  literal += ']';
  return literal;
}

bool is_address_exchange(std::string_view exchange) {
  exchange = trim(exchange);
  if (!exchange.empty() && exchange.back() == '.') exchange.remove_suffix(1);
  if (is_domain_literal(exchange)) return true;  // not a host name, whatever is inside
  return parse_address(exchange).has_value();
}

}  // namespace poolgate
