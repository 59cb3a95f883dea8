// wanted(): whether a recipient asked for (or, by default, gets) a notice.
#include "dsn/dsn.h"

namespace poolgate {

bool wanted(const Envelope& original, const Recipient& recipient, Action action) {
  // No DSN to the null reverse-path, ever: DSNs and other bounces are sent
  // from it, and answering one could start a loop (RFC 5321 4.5.5 and 6.1;
  // RFC 3461 likewise sends DSNs with a null MAIL FROM so they never bounce).
  if (original.sender.empty()) return false;
  uint8_t notify = recipient.notify;
  if (notify & kNotifyNever) return false;  // RFC 3461 4.1: NEVER, no DSN at all
  if (notify == kNotifyDefault) {
    // No NOTIFY: "FAILURE" or "FAILURE,DELAY" at the MTA's discretion (RFC
    // 3461 4.1); poolgate sends both, as the big MTAs do.
    return true;
  }
  // An explicit list: exactly the kinds it names. SUCCESS alone means neither.
  return action == Action::Failed ? (notify & kNotifyFailure) != 0 : (notify & kNotifyDelay) != 0;
}

}  // namespace poolgate
