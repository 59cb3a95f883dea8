#include "smtp/esmtp_params.h"

#include "smtp/utf8.h"
#include "smtp/xtext.h"

#include <limits>
#include <vector>

namespace poolgate {

namespace {

struct Param {
  std::string keyword;  // upper case
  std::optional<std::string_view> value;
};

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'a' && c <= 'z') c = char(c - 'a' + 'A');
  return out;
}

bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-")
bool is_keyword(std::string_view k) {
  if (k.empty() || !is_alnum(k[0])) return false;
  for (char c : k)
    if (!is_alnum(c) && c != '-') return false;
  return true;
}

// esmtp-value = 1*(%d33-60 / %d62-126), plus UTF8-non-ascii (RFC 6531 3.3).
bool is_value(std::string_view v) {
  if (v.empty()) return false;
  for (unsigned char c : v)
    if ((c < 33 || c == '=' || c == 127) && c < 0x80) return false;
  return is_ascii(v) || is_valid_utf8(v);
}

Reply bad(std::string_view what) { return replies::syntax(what); }

// Splits on spaces (runs tolerated, as Postfix does) into keyword[=value].
std::optional<Reply> tokenize(std::string_view text, std::vector<Param>& out) {
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && text[i] == ' ') ++i;
    size_t start = i;
    while (i < text.size() && text[i] != ' ') ++i;
    if (i == start) break;
    std::string_view token = text.substr(start, i - start);
    size_t eq = token.find('=');
    Param p{upper(token.substr(0, eq)), std::nullopt};
    if (!is_keyword(p.keyword)) return bad("Syntax error in parameters");
    if (eq != std::string_view::npos) {
      p.value = token.substr(eq + 1);
      if (!is_value(*p.value)) return bad("Bad " + p.keyword + " parameter value");
    }
    for (const auto& q : out)
      if (q.keyword == p.keyword) return bad("Duplicate " + p.keyword + " parameter");
    out.push_back(std::move(p));
  }
  return std::nullopt;
}

bool iequals(std::string_view a, std::string_view b) { return upper(a) == upper(b); }

bool printable_ascii(std::string_view s) {
  for (unsigned char c : s)
    if (c < 0x20 || c > 0x7e) return false;
  return true;
}

std::optional<Reply> parse_size(std::optional<std::string_view> v, MailParams& out) {
  // size-value = 1*20DIGIT (RFC 1870 3)
  if (!v || v->size() > 20) return bad("Bad SIZE parameter value");
  uint64_t n = 0;
  for (char c : *v) {
    if (c < '0' || c > '9') return bad("Bad SIZE parameter value");
    uint64_t d = uint64_t(c - '0');
    n = n > (std::numeric_limits<uint64_t>::max() - d) / 10 ? std::numeric_limits<uint64_t>::max()
                                                           : n * 10 + d;
  }
  out.size = n;
  return std::nullopt;
}

std::optional<Reply> parse_body(std::optional<std::string_view> v, MailParams& out) {
  if (v && iequals(*v, "7BIT")) out.body = Body::SevenBit;
  else if (v && iequals(*v, "8BITMIME")) out.body = Body::EightBitMime;
  else return bad("Bad BODY parameter value");  // BINARYMIME needs CHUNKING (RFC 3030)
  return std::nullopt;
}

std::optional<Reply> parse_ret(std::optional<std::string_view> v, MailParams& out) {
  if (v && iequals(*v, "FULL")) out.ret = DsnRet::Full;
  else if (v && iequals(*v, "HDRS")) out.ret = DsnRet::Headers;
  else return bad("Bad RET parameter value");
  return std::nullopt;
}

std::optional<Reply> parse_envid(std::optional<std::string_view> v, MailParams& out) {
  auto decoded = v ? xtext_decode(*v) : std::nullopt;
  // RFC 3461 4.4: printable US-ASCII, at most 100 characters.
  if (!decoded || decoded->empty() || decoded->size() > kMaxEnvid || !printable_ascii(*decoded))
    return bad("Bad ENVID parameter value");
  out.envid = std::move(*decoded);
  return std::nullopt;
}

std::optional<Reply> parse_notify(std::optional<std::string_view> v, RcptParams& out) {
  // notify-esmtp-value = "NEVER" / 1#notify-list-element (RFC 3461 4.1)
  if (!v) return bad("Bad NOTIFY parameter value");
  uint8_t bits = 0;
  std::string_view list = *v;
  while (true) {
    size_t comma = list.find(',');
    std::string_view item = list.substr(0, comma);
    if (iequals(item, "NEVER")) bits |= kNotifyNever;
    else if (iequals(item, "SUCCESS")) bits |= kNotifySuccess;
    else if (iequals(item, "FAILURE")) bits |= kNotifyFailure;
    else if (iequals(item, "DELAY")) bits |= kNotifyDelay;
    else return bad("Bad NOTIFY parameter value");
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  if ((bits & kNotifyNever) && bits != kNotifyNever)
    return bad("NOTIFY=NEVER cannot be combined with other values");
  out.notify = bits;
  return std::nullopt;
}

std::optional<Reply> parse_orcpt(std::optional<std::string_view> v, bool smtputf8,
                                 RcptParams& out) {
  // orcpt-parameter = "ORCPT=" addr-type ";" xtext (RFC 3461 4.2); for the
  // "utf-8" type the value is RFC 6533 utf-8-addr-xtext / -unitext.
  if (!v || v->size() > kMaxOrcpt) return bad("Bad ORCPT parameter value");
  size_t semi = v->find(';');
  if (semi == std::string_view::npos || semi == 0) return bad("Bad ORCPT parameter value");
  std::string type = upper(v->substr(0, semi));
  for (char& c : type) c = char(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  if (!is_keyword(type)) return bad("Bad ORCPT parameter value");
  std::string_view encoded = v->substr(semi + 1);
  auto decoded = type == "utf-8" ? utf8_addr_decode(encoded, smtputf8) : xtext_decode(encoded);
  if (!decoded || decoded->empty()) return bad("Bad ORCPT parameter value");
  // Any type: UTF-8, not only ASCII. Postfix 3.7 (and Exim) send the UTF-8
  // address of an SMTPUTF8 recipient as xtext of the rfc822 type,
  // "ORCPT=rfc822;zo+C3+AB@example.net", and the recipient Postfix accepts it;
  // refusing it bounced such mail. Stored decoded, it leaves as the same xtext
  // (smtp/command_writer.cpp); a DSN names it as the utf-8 type it is
  // (dsn/dsn_status_fields.cpp). Control characters are refused for any type.
  bool clean = is_valid_utf8(*decoded);
  for (unsigned char c : *decoded) clean = clean && c >= 0x20 && c != 0x7f;
  if (!clean) return bad("Bad ORCPT parameter value");
  out.orcpt_type = std::move(type);
  out.orcpt_address = std::move(*decoded);
  return std::nullopt;
}

}  // namespace

bool has_smtputf8_param(std::string_view text) {
  std::vector<Param> params;
  if (tokenize(text, params)) return false;
  for (const auto& p : params)
    if (p.keyword == "SMTPUTF8") return true;
  return false;
}

std::optional<Reply> parse_mail_params(std::string_view text, const ParamContext& ctx,
                                       MailParams& out) {
  out = MailParams{};
  std::vector<Param> params;
  if (auto err = tokenize(text, params)) return err;
  const auto& o = ctx.offered;
  for (const auto& p : params) {
    std::optional<Reply> err;
    if (!ctx.esmtp) return replies::unknown_parameter();
    if (p.keyword == "SIZE" && o.size) err = parse_size(p.value, out);
    else if (p.keyword == "BODY" && (o.eightbitmime || o.smtputf8)) err = parse_body(p.value, out);
    else if (p.keyword == "RET" && o.dsn) err = parse_ret(p.value, out);
    else if (p.keyword == "ENVID" && o.dsn) err = parse_envid(p.value, out);
    else if (p.keyword == "SMTPUTF8" && o.smtputf8) {
      if (p.value) return bad("SMTPUTF8 takes no value");  // RFC 6531 3.4
      out.smtputf8 = true;
    } else {
      return replies::unknown_parameter();
    }
    if (err) return err;
  }
  return std::nullopt;
}

std::optional<Reply> parse_rcpt_params(std::string_view text, const ParamContext& ctx,
                                       RcptParams& out) {
  out = RcptParams{};
  std::vector<Param> params;
  if (auto err = tokenize(text, params)) return err;
  for (const auto& p : params) {
    std::optional<Reply> err;
    if (!ctx.esmtp) return replies::unknown_parameter();
    if (p.keyword == "NOTIFY" && ctx.offered.dsn) err = parse_notify(p.value, out);
    else if (p.keyword == "ORCPT" && ctx.offered.dsn) err = parse_orcpt(p.value, ctx.smtputf8, out);
    else return replies::unknown_parameter();
    if (err) return err;
  }
  return std::nullopt;
}

}  // namespace poolgate
