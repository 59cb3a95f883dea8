#include "smtp/ehlo.h"

#include <charconv>

namespace poolgate {

namespace {

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'a' && c <= 'z') c = char(c - 'a' + 'A');
  return out;
}

// Splits on runs of spaces.
std::vector<std::string_view> words(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && s[i] == ' ') ++i;
    size_t start = i;
    while (i < s.size() && s[i] != ' ') ++i;
    if (i > start) out.push_back(s.substr(start, i - start));
  }
  return out;
}

}  // namespace

Capabilities Capabilities::server_all(uint64_t max_size) {
  Capabilities c;
  c.pipelining = c.size = c.eightbitmime = c.enhanced_status_codes = c.dsn = c.starttls =
      c.smtputf8 = true;
  c.max_size = max_size;
  return c;
}

Reply build_ehlo_reply(std::string_view server_name, const Capabilities& offered) {
  // Postfix's order, which clients have long seen.
  Reply r{250, "", {std::string(server_name)}};
  if (offered.pipelining) r.lines.emplace_back("PIPELINING");
  if (offered.size)
    r.lines.emplace_back(offered.max_size ? "SIZE " + std::to_string(offered.max_size) : "SIZE");
  if (offered.starttls) r.lines.emplace_back("STARTTLS");
  if (offered.enhanced_status_codes) r.lines.emplace_back("ENHANCEDSTATUSCODES");
  if (offered.eightbitmime || offered.smtputf8) r.lines.emplace_back("8BITMIME");
  if (offered.dsn) r.lines.emplace_back("DSN");
  if (offered.smtputf8) r.lines.emplace_back("SMTPUTF8");
  return r;
}

Reply build_helo_reply(std::string_view server_name) {
  return Reply{250, "", {std::string(server_name)}};
}

Capabilities parse_ehlo_reply(const Reply& reply) {
  Capabilities caps;
  for (size_t i = 1; i < reply.lines.size(); ++i) {
    auto w = words(reply.lines[i]);
    if (w.empty()) continue;
    std::string keyword = upper(w[0]);
    // Old servers announce "AUTH=LOGIN PLAIN" (pre-RFC 4954 syntax).
    if (keyword.starts_with("AUTH=")) {
      w[0].remove_prefix(5);
      keyword = "AUTH";
    } else {
      w.erase(w.begin());
    }
    if (keyword == "PIPELINING") caps.pipelining = true;
    else if (keyword == "8BITMIME") caps.eightbitmime = true;
    else if (keyword == "ENHANCEDSTATUSCODES") caps.enhanced_status_codes = true;
    else if (keyword == "DSN") caps.dsn = true;
    else if (keyword == "STARTTLS") caps.starttls = true;
    else if (keyword == "SMTPUTF8") caps.smtputf8 = true;
    else if (keyword == "CHUNKING") caps.chunking = true;
    else if (keyword == "SIZE") {
      caps.size = true;
      uint64_t n = 0;
      if (!w.empty()) {
        auto [end, ec] = std::from_chars(w[0].data(), w[0].data() + w[0].size(), n);
        if (ec != std::errc{} || end != w[0].data() + w[0].size()) n = 0;
      }
      caps.max_size = n;
    } else if (keyword == "AUTH") {
      for (auto m : w) {
        if (m.empty()) continue;  // "AUTH=" with nothing after it
        std::string mech = upper(m);
        bool seen = false;
        for (const auto& a : caps.auth) seen = seen || a == mech;
        if (!seen) caps.auth.push_back(std::move(mech));
      }
    } else {
      caps.other.push_back(reply.lines[i]);
    }
  }
  return caps;
}

size_t command_line_limit(const Capabilities& offered) {
  size_t mail = 512, rcpt = 512;
  if (offered.size) mail += 26;
  if (offered.smtputf8) mail += 10;
  if (offered.eightbitmime || offered.smtputf8) mail += 15;
  if (offered.dsn) mail += 100, rcpt += 500;
  return mail > rcpt ? mail : rcpt;
}

}  // namespace poolgate
