#include "delivery/message_plan.h"

#include "smtp/command_writer.h"
#include "smtp/esmtp_params.h"

#include <numeric>

namespace poolgate {

namespace {

bool ascii(std::string_view s) {
  for (unsigned char c : s)
    if (c >= 0x80) return false;
  return true;
}

// Recipient::orcpt holds "type;address" as received; RcptParams wants them apart.
RcptParams rcpt_params(const Recipient& r) {
  RcptParams p;
  p.notify = r.notify;
  size_t semi = r.orcpt.find(';');
  if (semi != std::string::npos) {
    p.orcpt_type = r.orcpt.substr(0, semi);
    for (char& c : p.orcpt_type)
      if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
    p.orcpt_address = r.orcpt.substr(semi + 1);
  }
  return p;
}

}  // namespace

std::vector<size_t> recipients_of(const OutboundMessage& message) {
  if (!message.recipients.empty()) return message.recipients;
  std::vector<size_t> all(message.envelope.recipients.size());
  std::iota(all.begin(), all.end(), size_t{0});
  return all;
}

bool needs_smtputf8(const Envelope& envelope, const std::vector<size_t>& recipients) {
  if (envelope.smtputf8 || !ascii(envelope.sender)) return true;
  for (size_t i : recipients)
    if (!ascii(envelope.recipients.at(i).address)) return true;
  return false;
}

TransactionPlan plan_transaction(const Envelope& envelope, const std::vector<size_t>& recipients,
                                 const Capabilities& hop) {
  TransactionPlan plan;
  const bool smtputf8 = needs_smtputf8(envelope, recipients);
  if (smtputf8 && !hop.smtputf8) {
    plan.refusal =
        make_reply(550, "5.6.7", "message needs SMTPUTF8 and the next hop does not offer it");
    return plan;
  }
  // SMTPUTF8 implies 8BITMIME (RFC 6531 3.1 item 8), even when not listed.
  if (envelope.body_8bitmime && !hop.eightbitmime && !hop.smtputf8) {
    plan.refusal = make_reply(
        554, "5.6.3",
        "message is 8-bit and the next hop does not offer 8BITMIME; conversion to 7 bit "
        "is not supported");
    return plan;
  }
  if (hop.size && hop.max_size != 0 && envelope.size > hop.max_size) {
    plan.refusal =
        make_reply(552, "5.3.4",
                         "message size " + std::to_string(envelope.size) +
                             " exceeds the next hop's limit of " + std::to_string(hop.max_size));
    return plan;
  }

  MailParams mail;
  if (envelope.size > 0) mail.size = envelope.size;
  mail.body = envelope.body_8bitmime ? Body::EightBitMime : Body::Unspecified;
  mail.smtputf8 = smtputf8;
  mail.ret = envelope.ret;
  if (!envelope.envid.empty()) mail.envid = envelope.envid;
  plan.mail = format_mail(envelope.sender, mail, hop);
  for (size_t i : recipients) {
    const Recipient& r = envelope.recipients.at(i);
    plan.rcpts.push_back(format_rcpt(r.address, rcpt_params(r), hop, smtputf8));
  }
  return plan;
}

}  // namespace poolgate
