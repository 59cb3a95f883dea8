// [relay]: listen endpoints, who may relay, limits, spool, TLS. Optional: a host
// that only runs the data plane needs none of it, so every key has a default.
#include "config/relay_section.h"
#include "net/plain_address.h"

#include "config/endpoint.h"
#include "config/toml_reader.h"

#include <charconv>

namespace poolgate {
namespace {

using boost::asio::ip::address;
using boost::asio::ip::make_address;

// "10.0.0.0/8", "::1/128", or a bare address (a host network).
std::optional<Network> parse_network(const std::string& text) {
  auto slash = text.find('/');
  boost::system::error_code ec;
  Network network;
  network.address = make_address(text.substr(0, slash), ec);
  if (ec) return std::nullopt;
  unsigned max = network.address.is_v4() ? 32 : 128;
  network.prefix = max;
  if (slash != std::string::npos) {
    std::string bits = text.substr(slash + 1);
    auto [end, err] = std::from_chars(bits.data(), bits.data() + bits.size(), network.prefix);
    if (err != std::errc() || end != bits.data() + bits.size() || network.prefix > max)
      return std::nullopt;
  }
  return network;
}

void report(Config& config, std::vector<Diagnostic>& diags, const std::string& key,
            const std::string& message) {
  diags.push_back({Diagnostic::Severity::Error, config.path, config.line_of(key), key, message});
}

}  // namespace

namespace {
// An address as bytes in network order: 4 for IPv4, 16 for IPv6.
std::vector<unsigned char> bytes_of(const address& a) {
  if (a.is_v4()) {
    auto b = a.to_v4().to_bytes();
    return {b.begin(), b.end()};
  }
  auto b = a.to_v6().to_bytes();
  return {b.begin(), b.end()};
}
}  // namespace

bool Network::contains(const boost::asio::ip::address& candidate) const {
  boost::asio::ip::address a = address.is_v4() ? plain_address(candidate) : candidate;
  if (a.is_v4() != address.is_v4()) return false;
  std::vector<unsigned char> x = bytes_of(a), y = bytes_of(address);
  unsigned bits = prefix;
  for (size_t i = 0; i < x.size() && bits > 0; ++i) {
    unsigned take = bits >= 8 ? 8 : bits;
    auto mask = static_cast<unsigned char>(0xff << (8 - take));
    if ((x[i] & mask) != (y[i] & mask)) return false;
    bits -= take;
  }
  return true;
}

std::string Network::to_string() const {
  return address.to_string() + "/" + std::to_string(prefix);
}

void read_relay(const toml::table& table, Config& config, std::vector<Diagnostic>& diags) {
  RelayConfig& relay = config.relay;
  TomlTableReader reader(table, "relay", config, diags);
  std::vector<std::string> listen, networks;
  reader.read("hostname", relay.hostname);
  reader.read("listen", listen);
  reader.read("client_networks", networks);
  reader.read("internal_domains", relay.internal_domains);
  reader.read("max_message_size", relay.max_message_size);
  reader.read("max_recipients", relay.max_recipients);
  reader.read("max_connections", relay.max_connections);
  reader.read("max_connections_per_client", relay.max_connections_per_client);
  reader.read("spool", relay.spool);
  reader.read("spool_min_free_mb", relay.spool_min_free_mb);
  reader.read("tls_certificate", relay.tls_certificate);
  reader.read("tls_key", relay.tls_key);
  reader.read("command_timeout_s", relay.command_timeout_s);
  reader.read("data_timeout_s", relay.data_timeout_s);
  reader.read("stream_threshold_bytes", relay.stream_threshold_bytes);
  reader.read("max_data_in_flight_bytes", relay.max_data_in_flight_bytes);
  std::string bare = "reject";
  reader.read("bare_newline", bare);
  reader.reject_unknown_keys();

  if (bare == "reject") relay.bare_newline = BareNewline::Reject;
  else if (bare == "normalize") relay.bare_newline = BareNewline::Normalize;
  else report(config, diags, "relay.bare_newline", "must be \"reject\" or \"normalize\"");
  if (table.get("listen")) relay.listen.clear();  // given: replaces the default
  for (const std::string& text : listen) {
    if (auto endpoint = parse_endpoint(text)) relay.listen.push_back(*endpoint);
    else report(config, diags, "relay.listen",
                "'" + text + "' is not ADDRESS:PORT (IPv6 as [ADDRESS]:PORT)");
  }
  if (table.get("client_networks")) relay.client_networks.clear();
  for (const std::string& text : networks) {
    if (auto network = parse_network(text)) relay.client_networks.push_back(*network);
    else report(config, diags, "relay.client_networks",
                "'" + text + "' is not a network (ADDRESS/PREFIX)");
  }
}

RelayConfig default_relay() {
  RelayConfig relay;
  relay.listen = {{make_address("127.0.0.1"), 2525}, {make_address("::1"), 2525}};
  relay.client_networks = {*parse_network("127.0.0.0/8"), *parse_network("::1/128")};
  return relay;
}

}  // namespace poolgate
