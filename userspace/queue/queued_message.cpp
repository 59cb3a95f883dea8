#include "queue/queued_message.h"

#include <algorithm>
#include <cctype>

namespace poolgate {

std::string recipient_domain(std::string_view address) { return address_domain(address); }

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
