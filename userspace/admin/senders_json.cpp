#include "admin/senders_json.h"

#include "common/utc_text.h"

#include <string>

namespace poolgate {

nlohmann::ordered_json senders_to_json(const std::vector<SenderReport>& senders) {
  auto out = nlohmann::ordered_json::array();
  for (const SenderReport& r : senders) {
    nlohmann::ordered_json j;
    j["sender"] = r.sender;
    j["external_last_hour"] = r.external_last_hour;
    j["internal_last_hour"] = r.internal_last_hour;
    j["recipients_last_day"] = r.recipients_last_day;
    j["messages_last_minute"] = r.messages_last_minute;
    j["blocked"] = r.blocked;
    if (r.blocked) {
      j["blocked_until"] = r.until_release ? nlohmann::ordered_json("release")
                                           : nlohmann::ordered_json(utc_text(r.blocked_until));
      j["blocked_since"] = utc_text(r.blocked_since);
      j["block_reasons"] = r.block_reasons;
    }
    if (r.last_exceeded_unix) {
      j["last_exceeded"] = utc_text(r.last_exceeded_unix);
      j["last_reasons"] = r.last_reasons;
    }
    j["times_exceeded"] = r.times_exceeded;
    out.push_back(std::move(j));
  }
  return out;
}

std::vector<SenderReport> senders_shown(std::vector<SenderReport> reports, bool all,
                                        int64_t now) {
  std::vector<SenderReport> shown;
  for (SenderReport& report : reports) {
    bool live = report.external_last_hour || report.internal_last_hour ||
                report.recipients_last_day || report.messages_last_minute;
    if (report.restricted(now) || (all && live)) shown.push_back(std::move(report));
  }
  return shown;
}

}  // namespace poolgate
