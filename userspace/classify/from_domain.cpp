#include "classify/from_domain.h"

#include "mail/domain_name.h"
#include "mail/header_fields.h"

namespace poolgate {
namespace {

bool is_wsp(char c) { return c == ' ' || c == '\t'; }

// Walks `text` line by line: `line` gets each line without its LF or CRLF.
// Returns false at the end.
bool next_line(std::string_view text, size_t& pos, std::string_view& line) {
  if (pos >= text.size()) return false;
  size_t end = text.find('\n', pos);
  size_t next = end == std::string_view::npos ? text.size() : end + 1;
  line = text.substr(pos, (end == std::string_view::npos ? text.size() : end) - pos);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  pos = next;
  return true;
}

// From text[i] == '"' to the closing quote (or the end), honouring
// quoted-pairs; returns the index after it.
size_t skip_quoted(std::string_view text, size_t i) {
  for (++i; i < text.size(); ++i) {
    if (text[i] == '\\') ++i;
    else if (text[i] == '"') return i + 1;
  }
  return text.size();
}

// From text[i] == '(' to its matching ')' (comments nest), or the end.
size_t skip_comment(std::string_view text, size_t i) {
  int depth = 0;
  for (; i < text.size(); ++i) {
    if (text[i] == '\\') ++i;
    else if (text[i] == '(') ++depth;
    else if (text[i] == ')' && --depth == 0) return i + 1;
  }
  return text.size();
}

// The domain of an addr-spec whose quoted strings and comments are already
// gone: after the last '@' (a quoted local part "a@b"@c cannot fool it, its
// '@' was dropped with the quotes). Obsolete syntax allows white space around
// the dots and the '@', so all of it goes.
std::string addr_spec_domain(std::string_view addr) {
  std::string compact;
  for (char c : addr)
    if (!is_wsp(c) && c != '\r' && c != '\n') compact += c;
  return address_domain(compact);
}

}  // namespace

std::string_view header_block(std::string_view message) {
  size_t pos = 0;
  std::string_view line;
  for (size_t start = 0; next_line(message, pos, line); start = pos)
    if (line.empty()) return message.substr(0, start);
  return message;
}

std::string strip_comments(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size();) {
    if (text[i] == '"') {
      size_t end = skip_quoted(text, i);
      out.append(text.substr(i, end - i));
      i = end;
    } else if (text[i] == '(') {
      i = skip_comment(text, i);
      out += ' ';
    } else {
      out += text[i++];
    }
  }
  return out;
}

std::string mailbox_domain(std::string_view value) {
  // `current` collects the text of the mailbox being read, without quoted
  // strings and comments; `<` starts an angle-addr, which is the address
  // whatever came before it (the display name).
  std::string current, angle;
  bool in_angle = false;
  for (size_t i = 0; i < value.size();) {
    char c = value[i];
    if (c == '"') {
      i = skip_quoted(value, i);
      (in_angle ? angle : current) += '"';  // stands for the quoted text, never an '@'
      continue;
    }
    if (c == '(') {
      i = skip_comment(value, i);
      (in_angle ? angle : current) += ' ';
      continue;
    }
    ++i;
    if (in_angle) {
      if (c != '>') {
        angle += c;
        continue;
      }
      if (std::string domain = addr_spec_domain(angle); !domain.empty()) return domain;
      in_angle = false;  // "<>": no address here, try the next mailbox
      current.clear();
    } else if (c == '<') {
      in_angle = true;
      angle.clear();
    } else if (c == ':') {
      current.clear();  // a group's display name ends here
    } else if (c == ',' || c == ';') {
      if (std::string domain = addr_spec_domain(current); !domain.empty()) return domain;
      current.clear();
    } else {
      current += c;
    }
  }
  return addr_spec_domain(in_angle ? angle : current);
}

std::string from_domain(std::string_view message) {
  std::optional<std::string> value = find_header_field(message, "From");
  return value ? mailbox_domain(*value) : "";
}

}  // namespace poolgate
