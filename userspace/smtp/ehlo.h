// The EHLO exchange (RFC 5321 4.1.1.1): the server side builds its reply from
// the extensions poolgate offers; the client side (outbound delivery) reads a
// next hop's reply into the same Capabilities.
#pragma once

#include "smtp/reply.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace poolgate {

struct Capabilities {
  bool pipelining = false;             // RFC 2920
  bool size = false;                   // RFC 1870
  uint64_t max_size = 0;               // SIZE parameter; 0 = no fixed maximum
  bool eightbitmime = false;           // RFC 6152
  bool enhanced_status_codes = false;  // RFC 2034 / 3463
  bool dsn = false;                    // RFC 3461
  bool starttls = false;               // RFC 3207
  bool smtputf8 = false;               // RFC 6531
  bool chunking = false;               // RFC 3030; read from next hops, never offered
  std::vector<std::string> auth;       // AUTH mechanisms, upper case (read only)
  std::vector<std::string> other;      // other keyword lines as received (read only)

  // Everything poolgate's server implements (what the parser accepts when the
  // caller does not say otherwise).
  static Capabilities server_all(uint64_t max_size = 0);
};

// "250-<server_name>", then one line per offered keyword. No enhanced codes in
// EHLO replies (RFC 2034 3). CHUNKING is never offered: BDAT is not implemented.
// SMTPUTF8 implies 8BITMIME (RFC 6531 3.1 item 8), which is then offered too.
Reply build_ehlo_reply(std::string_view server_name, const Capabilities& offered);

// The reply to HELO: "250 <server_name>", no extensions.
Reply build_helo_reply(std::string_view server_name);

// Reads a next hop's 250 reply to EHLO: the first line is its name, every other
// line a keyword (case-insensitive) with parameters. Unknown keywords land in
// `other`; malformed SIZE values leave max_size at 0.
Capabilities parse_ehlo_reply(const Reply& reply);

// Longest command line to accept, CRLF included: 512 (RFC 5321 4.5.3.1.4) plus
// what the offered extensions add to MAIL or RCPT, whichever is longer: SIZE 26
// (RFC 1870 3), SMTPUTF8 10 (RFC 6531 3.1), DSN 100 on MAIL and 500 on RCPT
// (RFC 3461 4), BODY=8BITMIME 15.
size_t command_line_limit(const Capabilities& offered);

}  // namespace poolgate
