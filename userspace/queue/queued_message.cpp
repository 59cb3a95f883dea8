#include "queue/queued_message.h"

#include <algorithm>
#include <cctype>

namespace poolgate {

std::string recipient_domain(std::string_view address) {
  size_t at = address.rfind('@');
  if (at == std::string_view::npos) return "";
  return normalize_domain(address.substr(at + 1));
}

std::string normalize_domain(std::string_view in) {
  std::string domain(in);
  std::transform(domain.begin(), domain.end(), domain.begin(),
                 [](unsigned char c) { return char(std::tolower(c)); });
  while (!domain.empty() && domain.back() == '.') domain.pop_back();
  return domain;
}

std::map<std::string, std::vector<size_t>> pending_by_domain(const Envelope& envelope) {
  std::map<std::string, std::vector<size_t>> out;
  for (size_t i = 0; i < envelope.recipients.size(); ++i)
    if (unfinished(envelope.recipients[i]))
      out[recipient_domain(envelope.recipients[i].address)].push_back(i);
  return out;
}

bool all_final(const Envelope& envelope) {
  return std::none_of(envelope.recipients.begin(), envelope.recipients.end(),
                      [](const Recipient& r) { return unfinished(r); });
}

}  // namespace poolgate
