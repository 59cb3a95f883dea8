#include "delivery/result.h"

#include "common/log_text.h"

#include <fmt/format.h>

namespace poolgate {

std::string_view stage_name(Stage stage) {
  switch (stage) {
    case Stage::Connect: return "connect";
    case Stage::Greeting: return "greeting";
    case Stage::Hello: return "hello";
    case Stage::StartTls: return "starttls";
    case Stage::Prepare: return "prepare";
    case Stage::Rset: return "rset";
    case Stage::Mail: return "mail";
    case Stage::Rcpt: return "rcpt";
    case Stage::Data: return "data";
    case Stage::Content: return "content";
  }
  return "unknown";
}

bool MessageResult::all_delivered() const {
  for (const auto& r : recipients)
    if (r.outcome != Outcome::Delivered) return false;
  return !recipients.empty();
}

Outcome outcome_of(const Reply& reply) {
  if (reply.code >= 200 && reply.code < 300) return Outcome::Delivered;
  if (reply.code >= 500 && reply.code < 600) return Outcome::PermFail;
  return Outcome::TempFail;
}

Reply with_enhanced_code(Reply reply) {
  if (reply.enhanced.empty()) {
    int cls = reply.code / 100;
    // A 3xx where a final reply was expected is handled as a temporary error.
    reply.enhanced = (cls == 2 || cls == 5) ? std::to_string(cls) + ".0.0" : "4.0.0";
  }
  return reply;
}

Reply as_deferral(Reply reply) {
  if (!reply.permanent()) return reply;
  reply = with_enhanced_code(std::move(reply));
  std::string was = "(was " + std::to_string(reply.code) + " " + reply.enhanced + ")";
  if (reply.lines.empty()) reply.lines.push_back(was);
  else reply.lines.back() += " " + was;
  reply.code = 451;
  reply.enhanced = "4" + reply.enhanced.substr(1);
  return reply;
}

std::string log_line(const DeliveryRecord& record, std::string_view recipient,
                     const RecipientResult& result) {
  std::string_view status = result.outcome == Outcome::Delivered  ? "sent"
                            : result.outcome == Outcome::TempFail ? "deferred"
                                                                  : "bounced";
  // The recipient came from a client, the reply from a next hop: both escaped.
  std::string to = log_text(recipient);
  std::string reply = log_text(result.reply.str());
  // Before status=: the reply's text is the peer's and ends the line.
  std::string cls = result.reply_class == ReplyClass::None
                        ? ""
                        : " class=" + std::string(reply_class_name(result.reply_class));
  if (record.destination.port() == 0)  // decided before any connection (DNS, no next hop)
    return fmt::format("to=<{}> relay=none stage={}{} status={} ({}{})", to,
                       stage_name(result.stage), cls, status, reply,
                       result.from_peer ? "" : ", local");
  std::string relay = record.destination.address().is_v6()
                          ? fmt::format("[{}]:{}", record.destination.address().to_string(),
                                        record.destination.port())
                          : fmt::format("{}:{}", record.destination.address().to_string(),
                                        record.destination.port());
  return fmt::format(
      "to=<{}> relay={} source={} mark={:#x} tls={} delay={:.2f} stage={}{} "
      "status={} ({}{})",
      to, relay, record.source.to_string(), record.fwmark,
      record.tls.empty() ? "none" : record.tls, double(record.duration.count()) / 1000.0,
      stage_name(result.stage), cls, status, reply, result.from_peer ? "" : ", local");
}

}  // namespace poolgate
