// What the relay knows about a message besides its content: the SMTP envelope
// with RFC 3461 DSN parameters, where it came from, and per-recipient delivery
// state. Shared by smtp/ (which fills it), spool/ (which stores it) and, later,
// delivery/ and classify/.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace poolgate {

// RFC 3461 NOTIFY: NEVER, or any of SUCCESS, FAILURE, DELAY.
enum DsnNotify : uint8_t {
  kNotifyDefault = 0,  // no NOTIFY given: FAILURE (and DELAY at the MTA's choice)
  kNotifyNever = 1,
  kNotifySuccess = 2,
  kNotifyFailure = 4,
  kNotifyDelay = 8,
};

enum class DsnRet : uint8_t { Default, Full, Headers };

enum class RecipientState : uint8_t { Queued, Delivered, Failed, Deferred };

struct Recipient {
  std::string address;      // as given in RCPT TO, without angle brackets
  uint8_t notify = kNotifyDefault;  // DsnNotify bits
  std::string orcpt;        // ORCPT as given ("rfc822;user@example.com"), xtext-decoded
  RecipientState state = RecipientState::Queued;
  std::string last_reply;   // last SMTP reply or error for this recipient
  // Its reply class ("invalid-recipient", reputation/reply_class.h); "" for
  // none (delivered, not yet tried, or poolgate's own decision).
  std::string last_class;
  uint32_t attempts = 0;
  int64_t next_attempt_unix = 0;  // 0 = as soon as possible
};

struct Envelope {
  std::string queue_id;
  std::string sender;       // MAIL FROM, "" = null reverse-path (<>)
  std::vector<Recipient> recipients;
  DsnRet ret = DsnRet::Default;
  std::string envid;        // RFC 3461 ENVID, xtext-decoded
  bool smtputf8 = false;
  bool body_8bitmime = false;
  std::string client_address;  // IP the message came from
  std::string client_helo;     // EHLO/HELO name it gave
  bool tls = false;            // accepted over TLS
  std::string tls_cipher;
  std::string auth_user;       // empty: not authenticated
  int64_t received_unix = 0;
  uint64_t size = 0;           // message bytes as stored
  // Classification (classify/), decided before the 250 and stored with the
  // message: the pool delivery uses and every reason. An empty pool: not
  // classified (the delivery engine falls back to its defaults).
  std::string pool;
  std::vector<std::string> reasons;
  // A sender domain could not be checked (DNS timeout): the delivery engine
  // keeps it parked while classification checks it again
  // (classify/hold_rechecker.h); never the normal pool until it is verified.
  bool hold_for_dns = false;
};

}  // namespace poolgate
