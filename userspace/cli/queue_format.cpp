#include "cli/queue_format.h"

#include "admin/queue_json.h"
#include "relay/received_header.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace poolgate {

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
      e.tls ? e.tls_cipher : "no", e.auth_user.empty() ? "-" : e.auth_user, e.smtputf8, e.body_8bitmime, dsn_ret_text(e.ret), e.envid,
      e.pool.empty() ? "(not classified)" : e.pool,
      e.hold_for_dns ? " (held: sender domain to be checked again)" : "",
      e.reasons.empty() ? "clean" : fmt::format("{}", fmt::join(e.reasons, ", ")));
  for (const Recipient& r : e.recipients)
    out += fmt::format("  <{}> {} notify={} orcpt={} attempts={} class={} last reply: {}\n",
                       r.address, recipient_state_name(r.state), notify_text(r.notify), r.orcpt,
                       r.attempts, r.last_class.empty() ? "-" : r.last_class,
                       r.last_reply.empty() ? "-" : r.last_reply);
  return out;
}

}  // namespace poolgate
