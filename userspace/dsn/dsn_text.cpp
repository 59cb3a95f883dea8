// Header-safe text for DSNs: dates, folded fields, cleaned reply texts.
#include "dsn/dsn_parts.h"

#include "smtp/utf8.h"

#include <cstdio>
#include <ctime>

namespace poolgate::detail {

namespace {

constexpr size_t kSoftLine = 78;   // RFC 5322 2.1.1: SHOULD
constexpr size_t kHardCut = 990;   // under the 998 of 2.1.1 (MUST), room for a leading SP

// Where to cut `s` at most `max` octets in, without splitting a UTF-8 sequence.
size_t cut_point(std::string_view s, size_t max) {
  if (s.size() <= max) return s.size();
  size_t cut = max;
  while (cut > 1 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return cut;
}

// Emits `line` (which may be too long) as one or more CRLF lines, continuing
// with a leading space where it has to be cut.
void emit_line(std::string& out, std::string_view line) {
  while (line.size() > kHardCut) {
    size_t cut = cut_point(line, kHardCut);
    out.append(line.substr(0, cut));
    out += "\r\n ";
    line.remove_prefix(cut);
  }
  out.append(line);
  out += "\r\n";
}

}  // namespace

std::string rfc5322_date(int64_t unix_seconds) {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  // day-of-week "," day month year time zone (RFC 5322 3.3); UTC is "+0000",
  // not "-0000" (which would mean "local time unknown").
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d +0000", kDays[tm.tm_wday % 7],
                tm.tm_mday, kMonths[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  return buf;
}

std::string field(std::string_view name, std::string_view value) {
  std::string whole = std::string(name) + ": " + std::string(value);
  const size_t prefix = name.size() + 2;
  std::string out;
  // Fold only before a space that follows a non-space, so no line is
  // whitespace only (RFC 5322 3.2.2) and unfolding (removing CRLF) restores the
  // value exactly.
  std::string_view rest = whole;
  std::string line;
  size_t seg_start = 0;
  for (size_t i = 0; i <= rest.size(); ++i) {
    bool boundary = i == rest.size() ||
                    (i > prefix && rest[i] == ' ' && rest[i - 1] != ' ');
    if (!boundary) continue;
    std::string_view seg = rest.substr(seg_start, i - seg_start);
    if (!line.empty() && line.size() + seg.size() > kSoftLine) {
      emit_line(out, line);
      line.clear();
    }
    line.append(seg);
    seg_start = i;
  }
  emit_line(out, line);
  return out;
}

std::string clean_text(std::string_view text, bool utf8) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '\t') {
      out += ' ';
      ++i;
    } else if (c < 0x20 || c == 0x7f) {
      out += '?';  // never a CR or LF: no field or line can be injected
      ++i;
    } else if (c < 0x80) {
      out += static_cast<char>(c);
      ++i;
    } else {
      size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
      std::string_view seq = text.substr(i, len);
      if (utf8 && len > 1 && seq.size() == len && is_valid_utf8(seq)) {
        out.append(seq);
        i += len;
      } else {
        out += '?';
        ++i;
      }
    }
  }
  return out;
}

std::string wrap(std::string_view text, size_t width, std::string_view indent) {
  std::string out;
  std::string line;
  bool fresh = true;  // no word on `line` yet
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find(' ', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view word = text.substr(pos, end - pos);
    pos = end + 1;
    if (word.empty()) continue;
    if (!fresh && line.size() + 1 + word.size() > width) {
      emit_line(out, line);
      line.assign(indent);
      fresh = true;
    }
    if (!fresh) line += ' ';
    line.append(word);
    fresh = false;
  }
  emit_line(out, line);
  return out;
}

bool has_8bit(std::string_view text) {
  for (unsigned char c : text)
    if (c >= 0x80) return true;
  return false;
}

}  // namespace poolgate::detail
