// The first part of a report: text/plain for the person who sent the message
// (RFC 6522 3: "a human-readable explanation"). Machines read part two.
#include "dsn/dsn_parts.h"

namespace poolgate::detail {

namespace {

constexpr size_t kWidth = 72;

// "mx1.example.net" from "dns; mx1.example.net".
std::string_view mta_name(std::string_view value) {
  size_t semi = value.find(';');
  std::string_view name = value.substr(semi + 1);
  while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
  return name;
}

void add_recipients(std::string& out, const Context& ctx,
                    const std::vector<const RecipientReport*>& reports, Action action) {
  for (const RecipientReport* report : reports) {
    if (report->action != action) continue;
    const Recipient& rcpt = ctx.original->recipients[report->index];
    out += "  <" + clean_text(rcpt.address, ctx.global) + ">\r\n";
    std::string said = reply_text(report->reply, ctx.global);
    if (said.empty()) said = status_code(*report);
    std::string line;
    if (report->from_peer && valid_mta_value(report->remote_mta))
      line = "host " + std::string(mta_name(report->remote_mta)) + " said: " + said;
    else if (report->from_peer)
      line = "the remote server said: " + said;
    else
      line = said;
    out += "    " + wrap(line, kWidth - 4, "    ");
    if (class_token(report->reply_class))
      out += "    Reply class: " + report->reply_class + "\r\n";
    if (action == Action::Delayed && report->will_retry_until_unix > 0)
      out += "    Will retry until " + rfc5322_date(report->will_retry_until_unix) + ".\r\n";
  }
}

bool any(const std::vector<const RecipientReport*>& reports, Action action) {
  for (const RecipientReport* r : reports)
    if (r->action == action) return true;
  return false;
}

}  // namespace

std::string human_body(const Context& ctx, const std::vector<const RecipientReport*>& reports,
                       const Returned& returned, size_t original_size) {
  std::string out = "This is the mail system at host " + ctx.reporting_mta + ".\r\n\r\n";
  if (any(reports, Action::Failed)) {
    out += wrap("Your message could not be delivered to the following recipients. "
                "Delivery to them has been given up; no further attempts will be made.",
                kWidth, "");
    out += "\r\n";
    add_recipients(out, ctx, reports, Action::Failed);
    out += "\r\n";
  }
  if (any(reports, Action::Delayed)) {
    out += wrap("Your message has not been delivered yet to the following recipients. "
                "Delivery is still being attempted; you do not need to send it again. "
                "You will be told if it finally fails.",
                kWidth, "");
    out += "\r\n";
    add_recipients(out, ctx, reports, Action::Delayed);
    out += "\r\n";
  }

  std::string note;
  switch (returned.kind) {
    case ReturnKind::Full:
      note = "Your original message is attached.";
      break;
    case ReturnKind::HeadersAsked:
      note = "The headers of your original message are attached (you asked for headers "
             "only, RET=HDRS).";
      break;
    case ReturnKind::HeadersTooLarge:
      note = "Only the headers of your original message are attached: the message is " +
             std::to_string(original_size) + " bytes, more than the " +
             std::to_string(ctx.options->max_returned_bytes) + " bytes returned in full.";
      break;
    case ReturnKind::HeadersDamaged:
      note = "Only the headers of your original message are attached: its content could "
             "not be returned intact.";
      break;
    case ReturnKind::Omitted:
      note = "Your original message could not be attached.";
      break;
  }
  out += wrap(note, kWidth, "");
  if (!ctx.original->queue_id.empty())
    out += "\r\n" + wrap("Queue ID: " + clean_text(ctx.original->queue_id, false), kWidth, "");
  return out;
}

}  // namespace poolgate::detail
