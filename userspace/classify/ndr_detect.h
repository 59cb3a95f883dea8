// Is this message a non-delivery report or other automatic reply? Every NDR
// goes out of the high-risk pool: bounces of spam and forged senders
// (backscatter) are what gets a source address listed, and a bounce is never
// mail its recipient asked for.
//
// Checked in this order, the first that matches is the reason:
//   "ndr:null-sender"     the envelope reverse-path is <> (RFC 5321 4.5.5);
//   "ndr:delivery-status" the top-level Content-Type is multipart/report with
//                         report-type=delivery-status (RFC 3462/6522, RFC 3464),
//                         a DSN sent with a non-null sender;
//   "ndr:auto-replied"    Auto-Submitted: auto-replied (RFC 3834 5: vacation
//                         and other replies to a message), only when
//                         [classify] auto_replies_are_ndr. "auto-generated"
//                         (reports, notifications nobody replied to) and "no"
//                         are not replies.
// Only the header block is read (header_fields.h): a forwarded bounce quoted in
// a body does not make the forward an NDR.
#pragma once

#include "config/config.h"
#include "mail/envelope.h"

#include <optional>
#include <string>
#include <string_view>

namespace poolgate {

std::optional<std::string> detect_ndr(const Envelope& envelope, std::string_view content,
                                      const ClassifyConfig& config);

// The parts of the rule, for tests: a Content-Type value is a delivery-status
// report; an Auto-Submitted value is an auto-reply.
bool is_delivery_status_report(std::string_view content_type);
bool is_auto_reply(std::string_view auto_submitted);

}  // namespace poolgate
