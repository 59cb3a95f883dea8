// Delivery Status Notifications (RFC 3464 in an RFC 6522 multipart/report):
// what poolgate sends back to a message's sender when recipients fail
// permanently, expire, or are delayed. The delivery engine decides *when*; this
// folder decides *whether* (RFC 3461 NOTIFY, no bounce loops) and *what* (a
// complete, spoolable message). Pure functions: no clock, no I/O, so every byte
// of a DSN is reproducible in tests.
#pragma once

#include "mail/envelope.h"
#include "smtp/reply.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace poolgate {

// RFC 3464 2.3.3. poolgate reports only these two: "delivered", "relayed" and
// "expanded" are success notices (NOTIFY=SUCCESS), which a relay that hands the
// message on to a DSN-capable next hop leaves to that hop (RFC 3461 5.2).
enum class Action : uint8_t { Failed, Delayed };

struct RecipientReport {
  size_t index = 0;  // into original.recipients (address, orcpt, notify come from there)
  Action action = Action::Failed;
  Reply reply;  // code + enhanced status + text: Status: and Diagnostic-Code:
  // true: the next hop said it: "Diagnostic-Code: smtp; <reply>". false:
  // poolgate decided (connect/TLS failure, expiry): "Diagnostic-Code:
  // X-Poolgate; <reply>", since RFC 3464 2.3.6 reserves "smtp" for what a
  // remote SMTP server actually replied.
  bool from_peer = false;
  // What the reply says about the mail, as the delivery log names it
  // ("invalid-recipient", reputation/reply_class.h); "" = none. Per recipient
  // as "X-Poolgate-Reply-Class:" (an RFC 3464 2.4 extension field) and a line
  // of the human part.
  std::string reply_class;
  // "dns; mx1.example.net" (or "dns; 203.0.113.25" when only the IP is known),
  // empty = omit. RFC 3464 2.3.5: mta-name-type ";" mta-name, one token; a
  // value that is not of that form is left out rather than sent malformed.
  std::string remote_mta;
  int64_t last_attempt_unix = 0;      // Last-Attempt-Date (RFC 3464 2.3.7), 0 = omit
  int64_t will_retry_until_unix = 0;  // Delayed only: Will-Retry-Until (2.3.9), 0 = omit
};

struct DsnOptions {
  // Our host name: "Reporting-MTA: dns; <it>", From: MAILER-DAEMON@<it>, and
  // the Message-ID domain. Empty: "localhost".
  std::string reporting_mta;
  int64_t now_unix = 0;  // Date:, and the DSN envelope's received_unix
  // RET=FULL (or no RET) returns the whole message only up to this many
  // octets; above it, its headers only, and the human part says so.
  size_t max_returned_bytes = 50000;
};

// Whether `recipient` of `original` wants a notice of this kind (RFC 3461 4.1):
// NOTIFY=NEVER: none; an explicit NOTIFY list: only the kinds it names; no
// NOTIFY: failures yes, delays yes (4.1 leaves delays to the MTA; poolgate
// sends them, as Postfix and Sendmail do). Never anything when the original
// sender is the null reverse-path "": a DSN about a DSN (or any bounce) could
// loop (RFC 5321 4.5.5 and 6.1).
bool wanted(const Envelope& original, const Recipient& recipient, Action action);

// A DSN ready to spool: envelope (null sender, one NOTIFY=NEVER recipient) and
// content (CRLF lines, none over 998 octets).
struct Dsn {
  Envelope envelope;
  std::string content;
};

// The DSN for `reports` about `original` (whose stored content is
// `original_content`), or nullopt when no report is wanted (see wanted()),
// when no report names an existing recipient, or when the original sender
// cannot be written into a header safely (control characters: nothing the
// relay accepts, but the spool is not trusted blindly).
//
// Reports for the same recipient index twice: the first counts. Failed and
// Delayed may be mixed; the subject is then the failure one.
//
// SMTPUTF8 originals whose DSN would carry non-ASCII (the sender, a reported
// address or ORCPT, the returned header block) use RFC 6533's types:
// multipart/report; report-type=global-delivery-status, message/global-
// delivery-status, message/global or message/global-headers; the DSN envelope
// then has smtputf8 set. Otherwise the plain RFC 3464/6522 types, with
// body_8bitmime set when the returned content has 8-bit octets (RFC 6152).
std::optional<Dsn> build(const Envelope& original, std::string_view original_content,
                         const std::vector<RecipientReport>& reports, const DsnOptions& options);

// Helpers for the engine, so it never has to build an mta-name by hand:
// "dns; <host>" for a host name or a bare IP address (no brackets, no port).
std::string remote_mta_value(std::string_view host);
// True for "type; name": a type keyword, ";", optional spaces, then one token
// of printable ASCII without spaces (RFC 3464 2.3.5 / 2.2.2).
bool valid_mta_value(std::string_view value);

}  // namespace poolgate
