// build(): which reports go in, which MIME types, and the assembled
// multipart/report (RFC 6522) with its envelope.
#include "dsn/dsn.h"

#include "dsn/dsn_parts.h"
#include "dsn/header_split.h"
#include "smtp/utf8.h"

#include <cstdio>

namespace poolgate {

using namespace detail;

namespace {

// FNV-1a: a stable, cheap mix for the boundary and Message-ID, so the same
// inputs give the same DSN (tests) while different messages differ.
uint64_t mix(uint64_t h, std::string_view s) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h ^ 0xff;
}

std::string hex(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

// A host name for Reporting-MTA, From: and Message-ID: letters, digits, "-",
// "." and "_" only, so it can sit in an addr-spec, a msg-id and an mta-name.
std::string host_name(std::string_view configured) {
  std::string out;
  for (char c : configured) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '.' || c == '_';
    if (ok) out += c;
  }
  return out.empty() ? "localhost" : out;
}

// The sender goes into To: as <addr-spec>; anything that could end the field
// or the angle brackets makes it unusable (the relay never stores such a
// sender, but the spool is read back from disk).
bool header_safe_address(std::string_view address) {
  for (unsigned char c : address)
    if (c < 0x20 || c == 0x7f || c == '<' || c == '>') return false;
  return true;
}

// RFC 2046 5.1.1: the boundary must not occur in any encapsulated part. It is
// up to 70 characters from bchars; "=_" cannot occur in base64 or
// quoted-printable text, so collisions are rare; they are checked anyway and
// the next candidate taken.
std::string choose_boundary(uint64_t seed, const std::vector<std::string_view>& parts) {
  for (unsigned n = 0;; ++n) {
    std::string b = "=_poolgate-dsn-" + hex(seed) + "-" + std::to_string(n);
    bool clash = false;
    for (std::string_view p : parts) clash = clash || p.find(b) != std::string_view::npos;
    if (!clash) return b;
  }
}

}  // namespace

std::optional<Dsn> build(const Envelope& original, std::string_view original_content,
                         const std::vector<RecipientReport>& reports, const DsnOptions& options) {
  if (original.sender.empty() || !header_safe_address(original.sender)) return std::nullopt;

  // Which reports go in: existing recipients, first report per recipient, and
  // only the kinds each recipient wants (RFC 3461 4.1).
  std::vector<const RecipientReport*> chosen;
  std::vector<bool> seen(original.recipients.size(), false);
  for (const RecipientReport& r : reports) {
    if (r.index >= original.recipients.size() || seen[r.index]) continue;
    seen[r.index] = true;
    if (wanted(original, original.recipients[r.index], r.action)) chosen.push_back(&r);
  }
  if (chosen.empty()) return std::nullopt;

  Context ctx;
  ctx.original = &original;
  ctx.options = &options;
  ctx.reporting_mta = host_name(options.reporting_mta);
  // RFC 6533: the global types when UTF-8 must appear somewhere the plain
  // ones forbid it (addresses, the returned header block), and only for an
  // SMTPUTF8 original: without it the relay took no UTF-8 addresses, and 8-bit
  // headers are then of unknown charset, not RFC 6532 UTF-8.
  bool utf8 = !is_ascii(original.sender) ||
              !is_ascii(split_headers(original_content).headers);
  for (const RecipientReport* r : chosen) {
    const Recipient& rcpt = original.recipients[r->index];
    utf8 = utf8 || !is_ascii(rcpt.address) || !is_ascii(rcpt.orcpt);
  }
  ctx.global = original.smtputf8 && utf8;

  Returned returned =
      returned_part(original, original_content, options.max_returned_bytes, ctx.global);
  std::string human = human_body(ctx, chosen, returned, original_content.size());
  std::string status = delivery_status_body(ctx, chosen);

  bool any_failed = false;
  uint64_t seed = mix(0xcbf29ce484222325ULL, original.queue_id);
  seed = mix(seed, std::to_string(options.now_unix));
  for (const RecipientReport* r : chosen) {
    any_failed = any_failed || r->action == Action::Failed;
    seed = mix(seed, std::to_string(r->index) + (r->action == Action::Failed ? "f" : "d"));
  }
  std::string boundary = choose_boundary(seed, {human, status, returned.body});
  std::string delimiter = "\r\n--" + boundary;

  // The body: preamble, then the parts (RFC 2046 5.1.1). The CRLF before each
  // "--boundary" belongs to the delimiter, not to the part.
  std::string body = "This is a MIME-encapsulated message.\r\n";
  body += delimiter + "\r\n";
  bool human_8bit = has_8bit(human);
  body += "Content-Description: Notification\r\n";
  body += human_8bit ? "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n"
                     : "Content-Type: text/plain; charset=us-ascii\r\n";
  body += "\r\n" + human;
  body += delimiter + "\r\n";
  body += "Content-Description: Delivery report\r\n";
  body += ctx.global ? "Content-Type: message/global-delivery-status\r\n"
                     : "Content-Type: message/delivery-status\r\n";
  // message/delivery-status is 7bit (RFC 3464 2.1: ASCII fields); the global
  // one may carry UTF-8 as 8bit (RFC 6533).
  if (has_8bit(status)) body += "Content-Transfer-Encoding: 8bit\r\n";
  body += "\r\n" + status;
  if (returned.kind != ReturnKind::Omitted) {
    body += delimiter + "\r\n";
    body += returned.part_headers + "\r\n" + returned.body;
  }
  body += delimiter + "--\r\n";

  std::string msg;
  msg += field("From", "Mail Delivery System <MAILER-DAEMON@" + ctx.reporting_mta + ">");
  msg += field("To", "<" + original.sender + ">");
  msg += field("Subject", any_failed ? "Undelivered Mail Returned to Sender"
                                     : "Delayed Mail (still being retried)");
  msg += field("Date", rfc5322_date(options.now_unix));  // RFC 5322 3.6.1
  std::string id_left = original.queue_id.empty() ? std::string("dsn") : host_name(original.queue_id);
  msg += field("Message-ID", "<" + std::to_string(options.now_unix) + "." + id_left + "." +
                                 hex(seed).substr(0, 8) + "@" + ctx.reporting_mta + ">");
  msg += "MIME-Version: 1.0\r\n";
  // RFC 3834 5: automatic responses carry Auto-Submitted, so that well-behaved
  // responders (vacation, lists) never answer them.
  msg += "Auto-Submitted: auto-replied\r\n";
  // RFC 6522 3: report-type is the subtype of the second part.
  msg += std::string("Content-Type: multipart/report; report-type=") +
         (ctx.global ? "global-delivery-status" : "delivery-status") + ";\r\n\tboundary=\"" +
         boundary + "\"\r\n";
  bool eight = has_8bit(body);
  if (eight) msg += "Content-Transfer-Encoding: 8bit\r\n";  // RFC 2045 6.4: covers its parts
  msg += "\r\n";
  msg += body;

  Dsn dsn;
  // RFC 5321 4.5.5: a DSN goes from the null reverse-path, and
  // its own recipient asks for no DSN either (NOTIFY=NEVER): nothing about
  // this message can ever produce another report.
  dsn.envelope.sender = "";
  Recipient to;
  to.address = original.sender;
  to.notify = kNotifyNever;
  dsn.envelope.recipients.push_back(std::move(to));
  dsn.envelope.received_unix = options.now_unix;
  dsn.envelope.smtputf8 = ctx.global || !is_ascii(original.sender);
  dsn.envelope.body_8bitmime = eight;  // RFC 6152: 8-bit content needs BODY=8BITMIME
  dsn.envelope.size = msg.size();
  dsn.content = std::move(msg);
  return dsn;
}

}  // namespace poolgate
