#include "reputation/reply_class.h"

namespace poolgate {

std::string_view reply_class_name(ReplyClass cls) {
  switch (cls) {
    case ReplyClass::None: return "";
    case ReplyClass::ReputationBlock: return "reputation-block";
    case ReplyClass::RateLimit: return "rate-limit";
    case ReplyClass::InvalidRecipient: return "invalid-recipient";
    case ReplyClass::MailboxFull: return "mailbox-full";
    case ReplyClass::SpamContent: return "spam-content";
    case ReplyClass::Authentication: return "authentication";
    case ReplyClass::Policy: return "policy";
    case ReplyClass::Dns: return "dns";
    case ReplyClass::Tls: return "tls";
    case ReplyClass::Protocol: return "protocol";
    case ReplyClass::Other: return "other";
  }
  return "other";
}

std::optional<ReplyClass> parse_reply_class(std::string_view name) {
  for (ReplyClass cls : kAllReplyClasses)
    if (reply_class_name(cls) == name) return cls;
  return std::nullopt;
}

}  // namespace poolgate
