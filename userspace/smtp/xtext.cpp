#include "smtp/xtext.h"

#include "smtp/utf8.h"

#include <cstdint>

namespace poolgate {

namespace {

constexpr char kHex[] = "0123456789ABCDEF";

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

bool is_xchar(unsigned char c) { return c >= '!' && c <= '~' && c != '+' && c != '='; }

// QCHAR of RFC 6533: printable ASCII that needs no escape.
bool is_qchar(unsigned char c) { return is_xchar(c) && c != '\\'; }

// Decodes one UTF-8 sequence at s[i] (already known to be well-formed).
uint32_t decode_one(std::string_view s, size_t& i) {
  auto c = static_cast<unsigned char>(s[i++]);
  if (c < 0x80) return c;
  int extra = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : 1;
  uint32_t cp = c & (0x3F >> extra);
  while (extra--) cp = (cp << 6) | (static_cast<unsigned char>(s[i++]) & 0x3F);
  return cp;
}

}  // namespace

std::string xtext_encode(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  for (unsigned char c : raw) {
    if (is_xchar(c)) {
      out += char(c);
    } else {
      out += '+';
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    }
  }
  return out;
}

std::optional<std::string> xtext_decode(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    auto c = static_cast<unsigned char>(in[i]);
    if (c == '+') {
      if (in.size() - i < 3) return std::nullopt;
      int hi = hex_value(in[i + 1]), lo = hex_value(in[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out += char(hi * 16 + lo);
      i += 2;
    } else if (is_xchar(c)) {
      out += char(c);
    } else {
      return std::nullopt;
    }
  }
  return out;
}

std::string utf8_addr_encode(std::string_view utf8, bool unitext) {
  std::string out;
  size_t i = 0;
  while (i < utf8.size()) {
    size_t start = i;
    auto c = static_cast<unsigned char>(utf8[i]);
    if (c < 0x80 && is_qchar(c)) {
      out += char(c);
      ++i;
      continue;
    }
    // Ill-formed input cannot be named by a code point: escape it octet by octet
    // (U+0080..U+00FF), which at least keeps the value printable.
    bool well_formed = c < 0x80 || is_valid_utf8(utf8.substr(i, c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2));
    uint32_t cp = well_formed ? decode_one(utf8, i) : (++i, c);
    if (unitext && well_formed && cp >= 0x80) {
      out.append(utf8.substr(start, i - start));
      continue;
    }
    out += "\\x{";
    std::string hex;
    do {
      hex.insert(hex.begin(), kHex[cp & 0xF]);
      cp >>= 4;
    } while (cp);
    out += hex + "}";
  }
  return out;
}

std::optional<std::string> utf8_addr_decode(std::string_view in, bool unitext) {
  std::string out;
  size_t i = 0;
  while (i < in.size()) {
    auto c = static_cast<unsigned char>(in[i]);
    if (c == '\\') {
      // EmbeddedUnicodeChar: "\x{" 1*6HEXDIG "}"
      if (in.substr(i, 3) != "\\x{") return std::nullopt;
      size_t close = in.find('}', i + 3);
      if (close == std::string_view::npos || close == i + 3 || close - (i + 3) > 6)
        return std::nullopt;
      uint32_t cp = 0;
      for (size_t k = i + 3; k < close; ++k) {
        int v = hex_value(in[k]);
        if (v < 0) return std::nullopt;
        cp = cp * 16 + uint32_t(v);
      }
      if (!append_utf8(out, cp)) return std::nullopt;
      i = close + 1;
    } else if (c < 0x80) {
      if (!is_qchar(c)) return std::nullopt;
      out += char(c);
      ++i;
    } else {
      if (!unitext) return std::nullopt;
      size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
      std::string_view seq = in.substr(i, len);
      if (seq.size() != len || !is_valid_utf8(seq)) return std::nullopt;
      out.append(seq);
      i += len;
    }
  }
  return out;
}

}  // namespace poolgate
