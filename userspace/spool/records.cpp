#include "spool/records.h"

#include "spool/tlv.h"

namespace poolgate {
namespace {

constexpr uint8_t kEnvelopeVersion = 1;
constexpr uint8_t kStatusVersion = 1;

// Tags are forever: never reuse a number, only add new ones.
enum EnvelopeTag : uint32_t {
  kSender = 1,
  kRecipient = 2,
  kRet = 3,
  kEnvid = 4,
  kSmtputf8 = 5,
  kBody8bitmime = 6,
  kClientAddress = 7,
  kClientHelo = 8,
  kTls = 9,
  kTlsCipher = 10,
  kAuthUser = 11,
  kReceivedUnix = 12,
  kSize = 13,
  kContentChunks = 14,
  kPool = 15,
  kReason = 16,  // repeated, in order
  kHoldForDns = 17,
};

enum RecipientTag : uint32_t { kAddress = 1, kNotify = 2, kOrcpt = 3 };

// kLastClass came later: older records lack it (no class), older readers skip it.
enum StatusTag : uint32_t {
  kState = 1,
  kLastReply = 2,
  kAttempts = 3,
  kNextAttempt = 4,
  kLastClass = 5,
};

// Helpers that leave defaults out, which keeps records small and makes a new
// field's absence in old records mean "default".
void put(TlvWriter& w, uint32_t tag, const std::string& v) {
  if (!v.empty()) w.bytes(tag, v);
}
void put(TlvWriter& w, uint32_t tag, uint64_t v) {
  if (v != 0) w.uint(tag, v);
}
void put_signed(TlvWriter& w, uint32_t tag, int64_t v) {
  if (v != 0) w.sint(tag, v);
}

Recipient decode_recipient(std::string_view fields) {
  TlvReader r(fields, "recipient");
  Recipient rcpt;
  uint32_t tag;
  std::string_view v;
  while (r.next(tag, v)) {
    switch (tag) {
      case kAddress: rcpt.address = v; break;
      case kNotify: rcpt.notify = static_cast<uint8_t>(r.as_enum(v, 0xff)); break;
      case kOrcpt: rcpt.orcpt = v; break;
      default: break;  // a newer poolgate's field
    }
  }
  return rcpt;
}

}  // namespace

std::string encode_envelope(const Envelope& e, uint32_t content_chunks) {
  TlvWriter w(kEnvelopeVersion);
  put(w, kSender, e.sender);
  for (const Recipient& rcpt : e.recipients) {
    TlvWriter nested;
    // An empty address is still a recipient: always write the field.
    nested.bytes(kAddress, rcpt.address);
    put(nested, kNotify, rcpt.notify);
    put(nested, kOrcpt, rcpt.orcpt);
    w.nested(kRecipient, nested);
  }
  put(w, kRet, static_cast<uint64_t>(e.ret));
  put(w, kEnvid, e.envid);
  put(w, kSmtputf8, e.smtputf8);
  put(w, kBody8bitmime, e.body_8bitmime);
  put(w, kClientAddress, e.client_address);
  put(w, kClientHelo, e.client_helo);
  put(w, kTls, e.tls);
  put(w, kTlsCipher, e.tls_cipher);
  put(w, kAuthUser, e.auth_user);
  put_signed(w, kReceivedUnix, e.received_unix);
  put(w, kSize, e.size);
  put(w, kContentChunks, content_chunks);
  put(w, kPool, e.pool);
  for (const std::string& reason : e.reasons) w.bytes(kReason, reason);
  put(w, kHoldForDns, e.hold_for_dns);
  return w.take();
}

EnvelopeRecord decode_envelope(std::string_view record) {
  TlvReader r(record, kEnvelopeVersion, "envelope record");
  EnvelopeRecord out;
  Envelope& e = out.envelope;
  uint32_t tag;
  std::string_view v;
  while (r.next(tag, v)) {
    switch (tag) {
      case kSender: e.sender = v; break;
      case kRecipient: e.recipients.push_back(decode_recipient(v)); break;
      case kRet: e.ret = static_cast<DsnRet>(r.as_enum(v, uint64_t(DsnRet::Headers))); break;
      case kEnvid: e.envid = v; break;
      case kSmtputf8: e.smtputf8 = r.as_enum(v, 1); break;
      case kBody8bitmime: e.body_8bitmime = r.as_enum(v, 1); break;
      case kClientAddress: e.client_address = v; break;
      case kClientHelo: e.client_helo = v; break;
      case kTls: e.tls = r.as_enum(v, 1); break;
      case kTlsCipher: e.tls_cipher = v; break;
      case kAuthUser: e.auth_user = v; break;
      case kReceivedUnix: e.received_unix = r.as_sint(v); break;
      case kSize: e.size = r.as_uint(v); break;
      case kContentChunks: out.content_chunks = static_cast<uint32_t>(r.as_enum(v, UINT32_MAX)); break;
      case kPool: e.pool = v; break;
      case kReason: e.reasons.emplace_back(v); break;
      case kHoldForDns: e.hold_for_dns = r.as_enum(v, 1); break;
      default: break;
    }
  }
  return out;
}

std::string encode_status(const RecipientStatus& s) {
  TlvWriter w(kStatusVersion);
  put(w, kState, static_cast<uint64_t>(s.state));
  put(w, kLastReply, s.last_reply);
  put(w, kAttempts, s.attempts);
  put_signed(w, kNextAttempt, s.next_attempt_unix);
  put(w, kLastClass, s.last_class);
  return w.take();
}

RecipientStatus decode_status(std::string_view record) {
  TlvReader r(record, kStatusVersion, "recipient status");
  RecipientStatus s;
  uint32_t tag;
  std::string_view v;
  while (r.next(tag, v)) {
    switch (tag) {
      case kState:
        s.state = static_cast<RecipientState>(r.as_enum(v, uint64_t(RecipientState::Deferred)));
        break;
      case kLastReply: s.last_reply = v; break;
      case kAttempts: s.attempts = static_cast<uint32_t>(r.as_enum(v, UINT32_MAX)); break;
      case kNextAttempt: s.next_attempt_unix = r.as_sint(v); break;
      case kLastClass: s.last_class = v; break;
      default: break;
    }
  }
  return s;
}

}  // namespace poolgate
