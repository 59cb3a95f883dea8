#include "smtp/address.h"

#include "smtp/utf8.h"

#include <arpa/inet.h>

#include <cstring>

namespace poolgate {

namespace {

bool is_alnum(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// atext of RFC 5322 3.2.3, plus UTF8-non-ascii under SMTPUTF8 (RFC 6531 3.3).
bool is_atext(unsigned char c, bool utf8) {
  if (c >= 0x80) return utf8;
  return is_alnum(c) || (c && std::strchr("!#$%&'*+-/=?^_`{|}~", c));
}

// qtextSMTP: %d32-33 / %d35-91 / %d93-126, plus UTF8-non-ascii under SMTPUTF8.
bool is_qtext(unsigned char c, bool utf8) {
  if (c >= 0x80) return utf8;
  return c >= 32 && c <= 126 && c != '"' && c != '\\';
}

// Dot-string = Atom *("." Atom)
bool is_dot_string(std::string_view s, bool utf8) {
  if (s.empty() || s.front() == '.' || s.back() == '.') return false;
  for (size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c == '.') {
      if (s[i - 1] == '.') return false;
    } else if (!is_atext(c, utf8)) {
      return false;
    }
  }
  return true;
}

// Quoted-string = DQUOTE *QcontentSMTP DQUOTE; quoted-pairSMTP = "\" %d32-126.
bool is_quoted_string(std::string_view s, bool utf8) {
  if (s.size() < 2 || s.front() != '"' || s.back() != '"') return false;
  for (size_t i = 1; i + 1 < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c == '\\') {
      if (i + 2 >= s.size()) return false;  // the escape would eat the closing quote
      auto q = static_cast<unsigned char>(s[++i]);
      if (q < 32 || q > 126) return false;
    } else if (!is_qtext(c, utf8)) {
      return false;
    }
  }
  return true;
}

// Where the local part ends: after the closing quote of a Quoted-string, else
// at the last '@' (a Dot-string cannot contain '@').
size_t local_part_end(std::string_view mailbox) {
  if (!mailbox.empty() && mailbox[0] == '"') {
    for (size_t i = 1; i < mailbox.size(); ++i) {
      if (mailbox[i] == '\\') ++i;
      else if (mailbox[i] == '"') return i + 1;
    }
    return std::string_view::npos;
  }
  return mailbox.rfind('@');
}

// sub-domain = Let-dig [Ldh-str], or a U-label under SMTPUTF8.
bool is_label(std::string_view label, bool utf8) {
  if (label.empty() || label.size() > 63) return false;
  if (label.front() == '-' || label.back() == '-') return false;
  for (unsigned char c : label)
    if (!is_alnum(c) && c != '-' && !(utf8 && c >= 0x80)) return false;
  return true;
}

// Snum 3("." Snum), Snum = 1*3DIGIT of value 0..255.
bool is_ipv4_literal(std::string_view s) {
  int parts = 0;
  while (true) {
    size_t n = 0;
    int value = 0;
    while (n < s.size() && n < 4 && s[n] >= '0' && s[n] <= '9') value = value * 10 + (s[n++] - '0');
    if (n == 0 || n > 3 || value > 255) return false;
    s.remove_prefix(n);
    if (++parts == 4) return s.empty();
    if (s.empty() || s[0] != '.') return false;
    s.remove_prefix(1);
  }
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if ((a[i] | 0x20) != (b[i] | 0x20)) return false;
  return true;
}

// A-d-l = At-domain *( "," At-domain ), At-domain = "@" Domain.
bool is_source_route(std::string_view adl) {
  while (true) {
    size_t comma = adl.find(',');
    std::string_view at_domain = adl.substr(0, comma);
    if (at_domain.size() < 2 || at_domain[0] != '@' || !is_valid_domain(at_domain.substr(1), false))
      return false;
    if (comma == std::string_view::npos) return true;
    adl.remove_prefix(comma + 1);
  }
}

// Index of the '>' closing a path that starts with '<', skipping quoted parts.
size_t closing_bracket(std::string_view in) {
  bool quoted = false;
  for (size_t i = 1; i < in.size(); ++i) {
    char c = in[i];
    if (quoted && c == '\\') ++i;
    else if (c == '"') quoted = !quoted;
    else if (c == '>' && !quoted) return i;
  }
  return std::string_view::npos;
}

}  // namespace

bool is_valid_domain(std::string_view domain, bool utf8) {
  if (domain.empty() || domain.size() > 255) return false;
  while (true) {
    size_t dot = domain.find('.');
    if (!is_label(domain.substr(0, dot), utf8)) return false;
    if (dot == std::string_view::npos) return true;
    domain.remove_prefix(dot + 1);
  }
}

bool is_valid_address_literal(std::string_view lit) {
  if (lit.size() < 3 || lit.front() != '[' || lit.back() != ']') return false;
  std::string_view body = lit.substr(1, lit.size() - 2);
  size_t colon = body.find(':');
  if (colon == std::string_view::npos) return is_ipv4_literal(body);
  std::string_view tag = body.substr(0, colon), value = body.substr(colon + 1);
  if (iequals(tag, "IPv6")) {
    char text[64];
    unsigned char buf[16];
    if (value.empty() || value.size() >= sizeof text) return false;
    value.copy(text, value.size());
    text[value.size()] = '\0';
    return inet_pton(AF_INET6, text, buf) == 1;
  }
  // General-address-literal = Standardized-tag ":" 1*dcontent
  if (!is_label(tag, false) || value.empty()) return false;
  for (unsigned char c : value)
    if (c < 33 || c > 126 || c == '[' || c == '\\' || c == ']') return false;
  return true;
}

bool is_valid_mailbox(std::string_view mailbox, bool utf8) {
  if (!utf8 && !is_ascii(mailbox)) return false;
  if (utf8 && !is_valid_utf8(mailbox)) return false;
  size_t end = local_part_end(mailbox);
  if (end == std::string_view::npos || end >= mailbox.size() || mailbox[end] != '@') return false;
  std::string_view local = mailbox.substr(0, end), domain = mailbox.substr(end + 1);
  if (local.empty() || domain.empty()) return false;
  bool local_ok = local[0] == '"' ? is_quoted_string(local, utf8) : is_dot_string(local, utf8);
  if (!local_ok) return false;
  return domain[0] == '[' ? is_valid_address_literal(domain) : is_valid_domain(domain, utf8);
}

PathStatus parse_path(std::string_view in, const PathOptions& options, ParsedPath& out) {
  out = ParsedPath{};
  if (in.empty() || in[0] != '<') return PathStatus::Syntax;
  size_t close = closing_bracket(in);
  if (close == std::string_view::npos) return PathStatus::Syntax;
  out.length = close + 1;
  if (out.length > kMaxPathOctets) return PathStatus::TooLong;
  std::string_view inner = in.substr(1, close - 1);
  if (!is_ascii(inner)) {
    if (!options.utf8) return PathStatus::NeedsSmtputf8;
    if (!is_valid_utf8(inner)) return PathStatus::Syntax;
  }
  if (inner.empty()) return options.allow_null ? PathStatus::Ok : PathStatus::Syntax;
  if (inner[0] == '@') {
    size_t colon = inner.find(':');
    if (colon == std::string_view::npos || !is_source_route(inner.substr(0, colon)))
      return PathStatus::Syntax;
    inner.remove_prefix(colon + 1);
    out.source_route = true;
  }
  bool postmaster = options.allow_postmaster && !out.source_route && iequals(inner, "postmaster");
  if (!postmaster && !is_valid_mailbox(inner, options.utf8)) return PathStatus::Syntax;
  out.mailbox = std::string(inner);
  return PathStatus::Ok;
}

}  // namespace poolgate
