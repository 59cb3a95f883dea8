// The machine-readable part: message/delivery-status (RFC 3464 2), or
// message/global-delivery-status (RFC 6533 3) when UTF-8 must appear in it.
#include "dsn/dsn_parts.h"

#include "smtp/utf8.h"
#include "smtp/xtext.h"

namespace poolgate::detail {

namespace {

bool printable_ascii(std::string_view s) {
  for (unsigned char c : s)
    if (c < 0x20 || c > 0x7e) return false;
  return true;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
  return out;
}

std::string_view action_name(Action action) {
  return action == Action::Failed ? "failed" : "delayed";  // RFC 3464 2.3.3
}

}  // namespace

bool class_token(std::string_view value) {
  // A class name is lower-case letters and '-'; anything else stays out of a header.
  if (value.empty()) return false;
  for (char c : value)
    if (!((c >= 'a' && c <= 'z') || c == '-')) return false;
  return true;
}

std::string address_type_value(std::string_view address, bool global) {
  // RFC 3464 2.3.2: address-type ";" generic-address; rfc822 addresses are
  // ASCII. A non-ASCII (SMTPUTF8) address is of type "utf-8" (RFC 6533 3):
  // escaped as \x{HEX} in a plain report, raw UTF-8 in a global one.
  if (is_ascii(address)) return "rfc822; " + clean_text(address, false);
  return "utf-8; " + utf8_addr_encode(address, global);
}

std::string original_recipient_value(std::string_view orcpt, bool global) {
  // Stored as received, "type;address" with the address xtext-decoded (see
  // smtp/esmtp_params.cpp); RFC 3464 2.3.1 wants it back as given, decoded.
  size_t semi = orcpt.find(';');
  if (semi == std::string_view::npos || semi == 0 || semi + 1 == orcpt.size()) return "";
  std::string type = lower(orcpt.substr(0, semi));
  std::string_view address = orcpt.substr(semi + 1);
  if (!printable_ascii(type)) return "";
  // A UTF-8 address of the rfc822 type (Postfix's xtext ORCPT of an SMTPUTF8
  // recipient, smtp/esmtp_params.cpp) is what RFC 6533 3 calls utf-8.
  if (type == "rfc822" && !is_ascii(address) && is_valid_utf8(address)) type = "utf-8";
  if (type == "utf-8") {
    if (!is_valid_utf8(address)) return "";
    return type + ";" + utf8_addr_encode(address, global);
  }
  // Any other type (rfc822, x400...) is ASCII; anything else could not be
  // written faithfully, and a wrong Original-Recipient is worse than none.
  if (!printable_ascii(address)) return "";
  return type + ";" + std::string(address);
}

std::string status_code(const RecipientReport& report) {
  // RFC 3464 2.3.4: always a three-part code. A 4.x.x with Action: failed is
  // fine: RFC 3463 3.1 says a persistent transient failure may cause
  // "abandonment" of delivery, which is what an expired recipient is.
  if (valid_enhanced_code(report.reply.enhanced)) return report.reply.enhanced;
  int cls = report.reply.code / 100;
  if (cls == 4 || cls == 5) return std::to_string(cls) + ".0.0";  // RFC 3463 3.1 "other"
  return report.action == Action::Failed ? "5.0.0" : "4.0.0";
}

std::string reply_text(const Reply& reply, bool utf8) {
  std::string out;
  if (reply.code >= 100 && reply.code <= 999) out = std::to_string(reply.code);
  if (valid_enhanced_code(reply.enhanced)) {
    if (!out.empty()) out += ' ';
    out += reply.enhanced;
  }
  // A multi-line reply (RFC 5321 4.2.1) is one diagnostic: lines joined by a
  // space, as Postfix and Sendmail write them.
  for (const auto& line : reply.lines) {
    std::string text = clean_text(line, utf8);
    if (text.empty()) continue;
    if (!out.empty()) out += ' ';
    out += text;
  }
  return out;
}

std::string delivery_status_body(const Context& ctx,
                                 const std::vector<const RecipientReport*>& reports) {
  const Envelope& original = *ctx.original;
  std::string out;
  // Per-message fields, in RFC 3464 2.2's order.
  if (!original.envid.empty()) {
    // 2.2.1: the ENVID as the sender gave it (decoded: the relay stores it
    // xtext-decoded and printable, RFC 3461 4.4). Should something else ever
    // be stored, xtext keeps the field one clean line.
    out += field("Original-Envelope-Id", printable_ascii(original.envid)
                                             ? original.envid
                                             : xtext_encode(original.envid));
  }
  out += field("Reporting-MTA", "dns; " + ctx.reporting_mta);  // 2.2.2
  if (original.received_unix > 0)
    out += field("Arrival-Date", rfc5322_date(original.received_unix));  // 2.2.5
  // An extension field (2.4, "X-" as Postfix's X-Postfix-Queue-ID) so the
  // operator can find the message in `poolgate queue show`.
  if (!original.queue_id.empty() && printable_ascii(original.queue_id))
    out += field("X-Poolgate-Queue-ID", original.queue_id);

  for (const RecipientReport* report : reports) {
    const Recipient& rcpt = original.recipients[report->index];
    out += "\r\n";  // each per-recipient group follows an empty line (2.1)
    std::string orcpt = original_recipient_value(rcpt.orcpt, ctx.global);
    if (!orcpt.empty()) out += field("Original-Recipient", orcpt);  // 2.3.1
    out += field("Final-Recipient", address_type_value(rcpt.address, ctx.global));  // 2.3.2
    out += field("Action", action_name(report->action));                            // 2.3.3
    out += field("Status", status_code(*report));                                   // 2.3.4
    if (valid_mta_value(report->remote_mta)) out += field("Remote-MTA", report->remote_mta);  // 2.3.5
    std::string diagnostic = reply_text(report->reply, ctx.global);
    if (report->reply.code != 0 && !diagnostic.empty()) {
      // 2.3.6: "smtp" is a reply the remote server sent; what poolgate decided
      // itself gets an extension diagnostic-type (2.4), as Postfix's X-Postfix.
      out += field("Diagnostic-Code",
                   std::string(report->from_peer ? "smtp; " : "X-Poolgate; ") + diagnostic);
    }
    if (class_token(report->reply_class))
      out += field("X-Poolgate-Reply-Class", report->reply_class);
    if (report->last_attempt_unix > 0)
      out += field("Last-Attempt-Date", rfc5322_date(report->last_attempt_unix));  // 2.3.7
    // 2.3.9: Will-Retry-Until only with Action: delayed.
    if (report->action == Action::Delayed && report->will_retry_until_unix > 0)
      out += field("Will-Retry-Until", rfc5322_date(report->will_retry_until_unix));
  }
  return out;
}

}  // namespace poolgate::detail

namespace poolgate {

std::string remote_mta_value(std::string_view host) {
  while (!host.empty() && (host.front() == ' ' || host.front() == '[')) host.remove_prefix(1);
  while (!host.empty() && (host.back() == ' ' || host.back() == ']')) host.remove_suffix(1);
  return "dns; " + std::string(host);
}

bool valid_mta_value(std::string_view value) {
  size_t semi = value.find(';');
  if (semi == std::string_view::npos || semi == 0) return false;
  for (char c : value.substr(0, semi)) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
    if (!ok) return false;
  }
  std::string_view name = value.substr(semi + 1);
  while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
  if (name.empty()) return false;
  for (unsigned char c : name)
    if (c < 0x21 || c > 0x7e) return false;  // one token: "mx [ip]" is two
  return true;
}

}  // namespace poolgate
