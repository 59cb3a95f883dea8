// ESMTP parameters of MAIL and RCPT (RFC 5321 4.1.2 esmtp-param): SIZE (RFC
// 1870), BODY (RFC 6152), SMTPUTF8 (RFC 6531), RET/ENVID and NOTIFY/ORCPT (RFC
// 3461). A parameter of an extension the server did not offer is as unknown as
// any other: 555 (RFC 5321 4.1.1.11). A known parameter with a bad value, or one
// given twice, is 501 5.5.4.
#pragma once

#include "mail/envelope.h"
#include "smtp/ehlo.h"
#include "smtp/reply.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace poolgate {

enum class Body : uint8_t { Unspecified, SevenBit, EightBitMime };

struct MailParams {
  std::optional<uint64_t> size;  // SIZE=; values past 2^64-1 saturate (still too big)
  Body body = Body::Unspecified;
  bool smtputf8 = false;
  DsnRet ret = DsnRet::Default;
  std::optional<std::string> envid;  // xtext-decoded

  friend bool operator==(const MailParams&, const MailParams&) = default;
};

struct RcptParams {
  uint8_t notify = kNotifyDefault;  // DsnNotify bits
  std::string orcpt_type;           // lower case, e.g. "rfc822", "utf-8"; "" = none
  std::string orcpt_address;        // decoded (xtext, or RFC 6533 for utf-8)

  // The form Recipient::orcpt stores: "rfc822;user@example.com".
  std::string orcpt() const { return orcpt_type.empty() ? "" : orcpt_type + ";" + orcpt_address; }
  friend bool operator==(const RcptParams&, const RcptParams&) = default;
};

// What the session knows when a MAIL or RCPT line arrives.
struct ParamContext {
  Capabilities offered = Capabilities::server_all();
  bool esmtp = true;      // the client said EHLO; after HELO no parameter is valid
  bool smtputf8 = false;  // RCPT: the transaction's MAIL carried SMTPUTF8
};

// RFC 3461 4.4: ENVID at most 100 characters; 4.2: ORCPT at most 500.
inline constexpr size_t kMaxEnvid = 100;
inline constexpr size_t kMaxOrcpt = 500;

// `text` is what follows the path (leading spaces allowed). nullopt on success.
std::optional<Reply> parse_mail_params(std::string_view text, const ParamContext& ctx,
                                       MailParams& out);
std::optional<Reply> parse_rcpt_params(std::string_view text, const ParamContext& ctx,
                                       RcptParams& out);

// True when `text` holds the bare keyword SMTPUTF8 (case-insensitive); used to
// decide how to read the path before the parameters are fully parsed.
bool has_smtputf8_param(std::string_view text);

}  // namespace poolgate
