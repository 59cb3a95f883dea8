#include "cli/queue_format.h"

#include "relay/received_header.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace poolgate {
namespace {

const char* state_name(RecipientState state) {
  switch (state) {
    case RecipientState::Queued: return "queued";
    case RecipientState::Delivered: return "delivered";
    case RecipientState::Failed: return "failed";
    case RecipientState::Deferred: return "deferred";
  }
  return "?";
}

std::string notify_text(uint8_t notify) {
  if (notify == kNotifyDefault) return "";
  if (notify & kNotifyNever) return "NEVER";
  std::string out;
  for (auto [bit, name] : {std::pair{kNotifySuccess, "SUCCESS"}, {kNotifyFailure, "FAILURE"},
                           {kNotifyDelay, "DELAY"}})
    if (notify & bit) out += (out.empty() ? "" : ",") + std::string(name);
  return out;
}

const char* ret_text(DsnRet ret) {
  return ret == DsnRet::Full ? "FULL" : ret == DsnRet::Headers ? "HDRS" : "";
}

}  // namespace

nlohmann::ordered_json envelope_to_json(const Envelope& e) {
  nlohmann::ordered_json recipients = nlohmann::ordered_json::array();
  for (const Recipient& r : e.recipients)
    recipients.push_back({{"address", r.address}, {"state", state_name(r.state)},
                          {"notify", notify_text(r.notify)}, {"orcpt", r.orcpt},
                          {"attempts", r.attempts}, {"next_attempt", r.next_attempt_unix},
                          {"last_reply", r.last_reply}});
  return {{"queue_id", e.queue_id}, {"sender", e.sender}, {"size", e.size},
          {"received", e.received_unix}, {"client_address", e.client_address},
          {"client_helo", e.client_helo}, {"tls", e.tls}, {"tls_cipher", e.tls_cipher},
          {"auth_user", e.auth_user}, {"smtputf8", e.smtputf8},
          {"body_8bitmime", e.body_8bitmime}, {"ret", ret_text(e.ret)}, {"envid", e.envid},
          {"pool", e.pool}, {"reasons", e.reasons}, {"hold_for_dns", e.hold_for_dns},
          {"recipients", recipients}};
}

nlohmann::ordered_json queue_to_json(const std::vector<Envelope>& messages) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const Envelope& e : messages) out.push_back(envelope_to_json(e));
  return out;
}

std::string format_queue_table(const nlohmann::ordered_json& messages) {
  std::string out = fmt::format("{:<18} {:>9} {:<31} {}\n", "queue id", "size", "arrival",
                                "sender -> recipients");
  for (const auto& e : messages) {
    out += fmt::format("{:<18} {:>9} {:<31} <{}>\n", e.value("queue_id", ""),
                       e.value("size", uint64_t{0}), rfc5322_date(e.value("received", int64_t{0})),
                       e.value("sender", ""));
    for (const auto& r : e.value("recipients", nlohmann::ordered_json::array()))
      out += fmt::format("{:>60}-> <{}> {}\n", "", r.value("address", ""), r.value("state", ""));
  }
  out += fmt::format("{} messages\n", messages.size());
  return out;
}

std::string format_envelope(const Envelope& e) {
  std::string out = fmt::format(
      "queue id:   {}\nsender:     <{}>\nsize:       {}\nreceived:   {}\nclient:     {}"
      "\ntls:        {}\nauth:       {}\nsmtputf8:   {}  8bitmime: {}\n"
      "dsn:        ret={} envid={}\npool:       {}{}\nreasons:    {}\nrecipients:\n",
      e.queue_id, e.sender, e.size, rfc5322_date(e.received_unix),
      // A DSN poolgate wrote has no client: say so rather than "(helo )".
      e.client_address.empty() ? std::string("(none: written by poolgate)")
                               : e.client_address + " (helo " + e.client_helo + ")",
      e.tls ? e.tls_cipher : "no", e.auth_user.empty() ? "-" : e.auth_user, e.smtputf8, e.body_8bitmime, ret_text(e.ret), e.envid,
      e.pool.empty() ? "(not classified)" : e.pool,
      e.hold_for_dns ? " (held: sender domain to be checked again)" : "",
      e.reasons.empty() ? "clean" : fmt::format("{}", fmt::join(e.reasons, ", ")));
  for (const Recipient& r : e.recipients)
    out += fmt::format("  <{}> {} notify={} orcpt={} attempts={} last reply: {}\n", r.address,
                       state_name(r.state), notify_text(r.notify), r.orcpt, r.attempts,
                       r.last_reply.empty() ? "-" : r.last_reply);
  return out;
}

}  // namespace poolgate
