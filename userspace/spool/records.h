// What the spool stores per message, as bytes (tlv.h):
//
//   envelope record   everything in Envelope except the queue id (the key) and
//                     the recipients' delivery state, plus the content's chunk
//                     count; written once, at commit
//   recipient status  one per recipient: state, attempts, next attempt, last
//                     reply and its class; rewritten on every delivery attempt, so updating one
//                     recipient never rewrites the envelope or its neighbours
#pragma once

#include "mail/envelope.h"

#include <cstdint>
#include <string>
#include <string_view>

namespace poolgate {

// The mutable part of a Recipient.
struct RecipientStatus {
  RecipientState state = RecipientState::Queued;
  std::string last_reply;
  uint32_t attempts = 0;
  int64_t next_attempt_unix = 0;
  std::string last_class;

  static RecipientStatus of(const Recipient& r) {
    return {r.state, r.last_reply, r.attempts, r.next_attempt_unix, r.last_class};
  }
  void apply_to(Recipient& r) const {
    r.state = state;
    r.last_reply = last_reply;
    r.attempts = attempts;
    r.next_attempt_unix = next_attempt_unix;
    r.last_class = last_class;
  }
  bool operator==(const RecipientStatus&) const = default;
};

struct EnvelopeRecord {
  Envelope envelope;  // recipients carry their fixed fields, state at defaults
  uint32_t content_chunks = 0;
};

std::string encode_envelope(const Envelope& envelope, uint32_t content_chunks);
EnvelopeRecord decode_envelope(std::string_view record);  // throws RecordError

std::string encode_status(const RecipientStatus& status);
RecipientStatus decode_status(std::string_view record);  // throws RecordError

}  // namespace poolgate
