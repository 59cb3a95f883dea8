#include "smtp/command_writer.h"

#include "smtp/xtext.h"

namespace poolgate {

std::string format_mail(std::string_view path, const MailParams& p, const Capabilities& hop) {
  std::string out = "MAIL FROM:<" + std::string(path) + ">";
  if (p.size && hop.size) out += " SIZE=" + std::to_string(*p.size);
  if (p.body != Body::Unspecified && hop.eightbitmime)
    out += p.body == Body::EightBitMime ? " BODY=8BITMIME" : " BODY=7BIT";
  if (p.smtputf8 && hop.smtputf8) out += " SMTPUTF8";
  if (hop.dsn) {
    if (p.ret == DsnRet::Full) out += " RET=FULL";
    if (p.ret == DsnRet::Headers) out += " RET=HDRS";
    if (p.envid) out += " ENVID=" + xtext_encode(*p.envid);
  }
  return out;
}

std::string format_rcpt(std::string_view path, const RcptParams& p, const Capabilities& hop,
                        bool smtputf8) {
  std::string out = "RCPT TO:<" + std::string(path) + ">";
  if (!hop.dsn) return out;
  if (p.notify == kNotifyNever) {
    out += " NOTIFY=NEVER";
  } else if (p.notify != kNotifyDefault) {
    std::string list;
    if (p.notify & kNotifySuccess) list += ",SUCCESS";
    if (p.notify & kNotifyFailure) list += ",FAILURE";
    if (p.notify & kNotifyDelay) list += ",DELAY";
    out += " NOTIFY=" + list.substr(1);
  }
  if (!p.orcpt_type.empty()) {
    out += " ORCPT=" + p.orcpt_type + ";";
    out += p.orcpt_type == "utf-8" ? utf8_addr_encode(p.orcpt_address, smtputf8 && hop.smtputf8)
                                   : xtext_encode(p.orcpt_address);
  }
  return out;
}

}  // namespace poolgate
