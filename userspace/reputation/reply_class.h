// What a next hop's answer means for the sender's reputation: one class per
// remote outcome (a reply at any stage, a failed connect, a failed TLS
// handshake, a failed next-hop lookup). Rules in a file decide the class of a
// reply (reply_rules.h); outcomes without a reply get theirs from what
// happened (dns, tls, other). Later work reads it: suspending a source address
// a site blocks, backing off a site that rate-limits.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace poolgate {

enum class ReplyClass : uint8_t {
  None,             // nothing to classify: a 2xx, or a decision poolgate made itself
  ReputationBlock,  // the source address or domain is blocked (blocklists, "poor reputation")
  RateLimit,        // too much, too fast: try later, more slowly
  InvalidRecipient, // no such mailbox, disabled account
  MailboxFull,      // over quota
  SpamContent,      // this message looks like spam (content filters)
  Authentication,   // SPF, DKIM or DMARC failed (5.7.26 and friends)
  Policy,           // the site's own rules: relaying denied, greylisting, rDNS, size
  Dns,              // the next hops could not be found (lookup failed, no such domain)
  Tls,              // TLS required and missing, handshake failed
  Protocol,         // the dialogue went wrong: syntax, sequence, a malformed reply
  Other,            // none of the above
};

inline constexpr ReplyClass kAllReplyClasses[] = {
    ReplyClass::ReputationBlock, ReplyClass::RateLimit,  ReplyClass::InvalidRecipient,
    ReplyClass::MailboxFull,     ReplyClass::SpamContent, ReplyClass::Authentication,
    ReplyClass::Policy,          ReplyClass::Dns,         ReplyClass::Tls,
    ReplyClass::Protocol,        ReplyClass::Other};

// "reputation-block", "rate-limit", ...: the spelling of rules files, the
// log's class=, `queue show`, DSNs and the metric's label. "" for None.
std::string_view reply_class_name(ReplyClass cls);
// The inverse; nullopt for anything else (and for "").
std::optional<ReplyClass> parse_reply_class(std::string_view name);

}  // namespace poolgate
