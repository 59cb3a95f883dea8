#include "classify/ndr_detect.h"

#include "classify/from_domain.h"

#include <algorithm>
#include <cctype>
#include <vector>

namespace poolgate {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string lower_trimmed(std::string_view text) {
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  std::string out;
  for (char c : text) out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Splits at `;` outside quoted strings (a boundary may contain one).
std::vector<std::string_view> split_parameters(std::string_view text) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  bool quoted = false;
  for (size_t i = 0; i < text.size(); ++i) {
    if (quoted && text[i] == '\\') ++i;
    else if (text[i] == '"') quoted = !quoted;
    else if (text[i] == ';' && !quoted) {
      parts.push_back(text.substr(start, i - start));
      start = i + 1;
    }
  }
  parts.push_back(text.substr(std::min(start, text.size())));
  return parts;
}

// A parameter value as written: a token, or a quoted-string without its quotes
// and quoted-pairs.
std::string unquote(std::string_view value) {
  std::string trimmed = std::string(value);
  size_t first = trimmed.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return "";
  trimmed = trimmed.substr(first, trimmed.find_last_not_of(" \t\r\n") - first + 1);
  if (trimmed.size() < 2 || trimmed.front() != '"') return trimmed;
  std::string out;
  for (size_t i = 1; i < trimmed.size() && trimmed[i] != '"'; ++i) {
    if (trimmed[i] == '\\' && i + 1 < trimmed.size()) ++i;
    out += trimmed[i];
  }
  return out;
}

}  // namespace

bool is_delivery_status_report(std::string_view content_type) {
  // RFC 2045 5.1: type, subtype and parameter names are case-insensitive,
  // comments may appear anywhere, white space around '/', ';' and '=' is
  // allowed, parameters come in any order and values may be quoted.
  std::string text = strip_comments(content_type);
  std::vector<std::string_view> parts = split_parameters(text);
  std::string type;
  for (char c : lower_trimmed(parts[0]))
    if (!is_space(c)) type += c;
  if (type != "multipart/report") return false;
  for (size_t i = 1; i < parts.size(); ++i) {
    std::string_view part = parts[i];
    size_t equals = part.find('=');
    if (equals == std::string_view::npos) continue;
    if (lower_trimmed(part.substr(0, equals)) != "report-type") continue;
    return lower_trimmed(unquote(part.substr(equals + 1))) == "delivery-status";
  }
  return false;
}

bool is_auto_reply(std::string_view auto_submitted) {
  // RFC 3834 5: auto-submitted-field = "auto-replied" / "auto-generated" /
  // "no" / extension, followed by optional parameters.
  std::string text = strip_comments(auto_submitted);
  return lower_trimmed(split_parameters(text)[0]) == "auto-replied";
}

std::optional<std::string> detect_ndr(const Envelope& envelope, std::string_view content,
                                      const ClassifyConfig& config) {
  if (envelope.sender.empty()) return "ndr:null-sender";
  std::string_view headers = header_block(content);
  if (auto type = find_header_field(headers, "Content-Type");
      type && is_delivery_status_report(*type))
    return "ndr:delivery-status";
  if (config.auto_replies_are_ndr)
    if (auto submitted = find_header_field(headers, "Auto-Submitted");
        submitted && is_auto_reply(*submitted))
      return "ndr:auto-replied";
  return std::nullopt;
}

}  // namespace poolgate
