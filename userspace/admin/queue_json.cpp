#include "admin/queue_json.h"

namespace poolgate {

const char* recipient_state_name(RecipientState state) {
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

const char* dsn_ret_text(DsnRet ret) {
  return ret == DsnRet::Full ? "FULL" : ret == DsnRet::Headers ? "HDRS" : "";
}

nlohmann::ordered_json envelope_to_json(const Envelope& e) {
  nlohmann::ordered_json recipients = nlohmann::ordered_json::array();
  for (const Recipient& r : e.recipients)
    recipients.push_back({{"address", r.address}, {"state", recipient_state_name(r.state)},
                          {"notify", notify_text(r.notify)}, {"orcpt", r.orcpt},
                          {"attempts", r.attempts}, {"next_attempt", r.next_attempt_unix},
                          {"last_reply", r.last_reply}, {"last_class", r.last_class}});
  return {{"queue_id", e.queue_id}, {"sender", e.sender}, {"size", e.size},
          {"received", e.received_unix}, {"client_address", e.client_address},
          {"client_helo", e.client_helo}, {"tls", e.tls}, {"tls_cipher", e.tls_cipher},
          {"auth_user", e.auth_user}, {"smtputf8", e.smtputf8},
          {"body_8bitmime", e.body_8bitmime}, {"ret", dsn_ret_text(e.ret)}, {"envid", e.envid},
          {"pool", e.pool}, {"reasons", e.reasons}, {"hold_for_dns", e.hold_for_dns},
          {"recipients", recipients}};
}

nlohmann::ordered_json queue_to_json(const std::vector<Envelope>& messages) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const Envelope& e : messages) out.push_back(envelope_to_json(e));
  return out;
}

}  // namespace poolgate
