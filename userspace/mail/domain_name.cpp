#include "mail/domain_name.h"

#include <idn2.h>

#include <algorithm>
#include <cstdlib>

namespace poolgate {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool has_non_ascii(std::string_view text) {
  return std::any_of(text.begin(), text.end(),
                     [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
}

// U-labels to A-labels; nullopt-like empty result when libidn2 refuses the
// name (not valid UTF-8, a disallowed code point): the caller keeps the bytes.
std::string to_a_labels(const std::string& utf8) {
  char* ascii = nullptr;
  int rc = idn2_to_ascii_8z(utf8.c_str(), &ascii, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
  if (rc != IDN2_OK || ascii == nullptr) return {};
  std::string out(ascii);
  idn2_free(ascii);
  return out;
}

}  // namespace

bool is_domain_literal(std::string_view domain) { return !domain.empty() && domain.front() == '['; }

std::string normalize_domain(std::string_view domain) {
  while (!domain.empty() && is_space(domain.front())) domain.remove_prefix(1);
  while (!domain.empty() && is_space(domain.back())) domain.remove_suffix(1);
  if (is_domain_literal(domain)) return std::string(domain);
  if (!domain.empty() && domain.back() == '.') domain.remove_suffix(1);
  std::string out(domain);
  std::transform(out.begin(), out.end(), out.begin(), ascii_lower);
  if (has_non_ascii(out)) {
    std::string ascii = to_a_labels(out);
    if (!ascii.empty()) {
      std::transform(ascii.begin(), ascii.end(), ascii.begin(), ascii_lower);
      return ascii;
    }
  }
  return out;
}

std::string address_domain(std::string_view address) {
  size_t at = address.rfind('@');
  if (at == std::string_view::npos) return "";
  return normalize_domain(address.substr(at + 1));
}

}  // namespace poolgate
