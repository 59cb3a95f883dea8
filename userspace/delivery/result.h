// What one delivery attempt over one connection tells the delivery engine: an
// outcome per recipient with the reply that decided it and the stage where it
// was decided, plus what the delivery log records. Failures poolgate decides
// itself (no connection, TLS, a next hop lacking an extension the message
// needs) carry a reply made here, marked !from_peer, in the same shape.
#pragma once

#include "reputation/reply_class.h"
#include "smtp/reply.h"

#include <utility>  // Boost 1.74 asio headers use std::exchange without it

#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace poolgate {

enum class Outcome : uint8_t { Delivered, TempFail, PermFail };

// Where the outcome was decided, in dialogue order.
enum class Stage : uint8_t {
  Connect,   // socket, mark, connect
  Greeting,  // the 220
  Hello,     // EHLO, or HELO after a 5xx to EHLO
  StartTls,  // STARTTLS and the handshake
  Prepare,   // before MAIL: the next hop cannot take this message (5.6.3, 5.6.7, 5.3.4)
  Rset,      // RSET before this message, after an earlier one failed mid-way
  Mail,
  Rcpt,
  Data,     // the DATA command (its 354)
  Content,  // sending the content, or the reply to the final dot
};
std::string_view stage_name(Stage stage);  // "connect", "rcpt", ... (log keys)

struct RecipientResult {
  size_t recipient = 0;  // index into the envelope's recipients
  Outcome outcome = Outcome::TempFail;
  Reply reply;  // always with an enhanced code (see with_enhanced_code)
  Stage stage = Stage::Connect;
  bool from_peer = false;  // the next hop said it; false: poolgate decided
  // What the outcome says about our mail (reputation/reply_class.h): from the
  // rules for a reply, from what happened for a failed connect, TLS or DNS;
  // None for a delivery or a decision that is no remote outcome.
  ReplyClass reply_class = ReplyClass::None;
};

// One line of the delivery log per message and connection.
struct DeliveryRecord {
  boost::asio::ip::address source;  // the pool address
  uint32_t fwmark = 0;
  boost::asio::ip::tcp::endpoint destination;
  std::string tls;                        // "TLSv1.3 TLS_AES_256_GCM_SHA384", "" = plain
  std::string peer_name;                  // from the 220 greeting or the EHLO reply
  std::chrono::milliseconds duration{0};  // send() from start to its result
};

struct MessageResult {
  std::vector<RecipientResult> recipients;  // one per recipient sent, in order
  DeliveryRecord record;
  bool all_delivered() const;
};

// The outcome a reply's code means: 2xx Delivered, 4xx TempFail, 5xx
// PermFail. Anything else where a 2xx was expected (a 3xx, say) is a protocol
// error, TempFail.
Outcome outcome_of(const Reply& reply);

// Servers without ENHANCEDSTATUSCODES send none; the engine and DSNs want one,
// so "X.0.0" of the reply's class is filled in (RFC 3463 3.1: "other or
// undefined"), as Postfix does.
Reply with_enhanced_code(Reply reply);

// A 5xx that decides nothing about the recipients (a next hop refusing us at
// its greeting or EHLO: "554 5.7.1 ... blocked using zen.spamhaus.org" is a
// blocklist, not a verdict on the mail) shown as the deferral it is: 451 and
// class 4 with subject and detail kept, the next hop's text kept, the original
// code appended: "451 4.7.1 <text> (was 554 5.7.1)". Postfix defers the same
// way (smtp_skip_5xx_greeting). Anything but a 5xx comes back unchanged.
Reply as_deferral(Reply reply);

// "to=<a@example.com> relay=203.0.113.25:25 source=198.51.100.10 mark=0x100
// tls=... delay=0.35 stage=rcpt class=other status=deferred (451 4.2.0 try later)";
// class= only when there is one (not on a delivery)
std::string log_line(const DeliveryRecord& record, std::string_view recipient,
                     const RecipientResult& result);

}  // namespace poolgate
