// The part of a transaction that needs no network: given a message and what
// the next hop offered in its EHLO reply, can the message go there at all, and
// which MAIL and RCPT lines carry it. Extensions are used only when offered
// (RFC 5321 4.1.1.11: a parameter the server did not announce must not be sent).
#pragma once

#include "delivery/content_source.h"
#include "mail/envelope.h"
#include "smtp/ehlo.h"
#include "smtp/reply.h"

#include <optional>
#include <string>
#include <vector>

namespace poolgate {

// One message as the client sends it: its envelope, which of its recipients
// go over this connection, and where its content comes from. Both referenced
// objects must outlive send().
struct OutboundMessage {
  const Envelope& envelope;
  ContentSource& content;
  std::vector<size_t> recipients;  // indices into envelope.recipients; empty: all
};

// The recipient indices a message sends: `recipients`, or all of them.
std::vector<size_t> recipients_of(const OutboundMessage& message);

// The message needs SMTPUTF8 (RFC 6531): the client declared it when it
// submitted the message, or an envelope address is not ASCII.
bool needs_smtputf8(const Envelope& envelope, const std::vector<size_t>& recipients);

struct TransactionPlan {
  // Set when the next hop cannot take the message; every recipient fails
  // permanently with it and nothing is sent:
  //  - 554 5.6.3: the message is 8-bit (BODY=8BITMIME at submission) and the
  //    next hop offers neither 8BITMIME nor SMTPUTF8. RFC 6152 forbids sending
  //    8-bit data there, and poolgate does not convert content to 7 bit (a
  //    MIME re-encoding would break DKIM signatures anyway);
  //  - 550 5.6.7: the message needs SMTPUTF8 and the next hop lacks it (RFC
  //    6531 3.2: no downgrade is defined);
  //  - 552 5.3.4: the next hop's SIZE is smaller than the message (RFC 1870 6).
  std::optional<Reply> refusal;
  std::string mail;                // "MAIL FROM:<...> SIZE=..." without CRLF
  std::vector<std::string> rcpts;  // "RCPT TO:<...> NOTIFY=..." per recipient, in order
};

// `next_hop`: the parsed EHLO reply; all false after HELO (no parameters).
TransactionPlan plan_transaction(const Envelope& envelope, const std::vector<size_t>& recipients,
                                 const Capabilities& next_hop);

}  // namespace poolgate
