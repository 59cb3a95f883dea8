#include "config/endpoint.h"

#include <charconv>

namespace poolgate {

std::string Endpoint::to_string() const {
  std::string host = address.to_string();
  if (address.is_v6()) host = "[" + host + "]";
  return host + ":" + std::to_string(port);
}

std::optional<Endpoint> parse_endpoint(const std::string& text,
                                       std::optional<uint16_t> default_port) {
  boost::system::error_code ec;
  Endpoint endpoint;
  if (default_port && *default_port != 0) {
    // A bare address; IPv6 has colons of its own, so try the whole text first.
    endpoint.address = boost::asio::ip::make_address(text, ec);
    if (!ec) {
      endpoint.port = *default_port;
      return endpoint;
    }
  }
  std::string host, port;
  if (!text.empty() && text[0] == '[') {
    auto close = text.find("]:");
    if (close == std::string::npos) return std::nullopt;
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    // Without brackets only IPv4 may carry a port: "::1:25" is ambiguous.
    auto colon = text.rfind(':');
    if (colon == std::string::npos || text.find(':') != colon) return std::nullopt;
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  endpoint.address = boost::asio::ip::make_address(host, ec);
  unsigned value = 0;
  auto [end, err] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (ec || err != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535)
    return std::nullopt;
  endpoint.port = static_cast<uint16_t>(value);
  return endpoint;
}

}  // namespace poolgate
