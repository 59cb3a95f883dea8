// The client side of MAIL and RCPT: writes the command lines the outbound
// client sends, from the same structures the parser fills, so that what was
// received is relayed with the same meaning (DSN values re-encoded as xtext or,
// for "utf-8" ORCPTs, per RFC 6533). Parameters are written only for the
// extensions the next hop offered; the caller decides beforehand whether a
// message needing one (SMTPUTF8, 8BITMIME) can go there at all.
#pragma once

#include "smtp/ehlo.h"
#include "smtp/esmtp_params.h"

#include <string>
#include <string_view>

namespace poolgate {

// "MAIL FROM:<path> SIZE=.. BODY=.. SMTPUTF8 RET=.. ENVID=.." without CRLF.
std::string format_mail(std::string_view path, const MailParams& params, const Capabilities& next_hop);
// "RCPT TO:<path> NOTIFY=.. ORCPT=.." without CRLF. `smtputf8`: the transaction
// uses SMTPUTF8, so a utf-8 ORCPT may carry raw UTF-8.
std::string format_rcpt(std::string_view path, const RcptParams& params, const Capabilities& next_hop,
                        bool smtputf8);

}  // namespace poolgate
