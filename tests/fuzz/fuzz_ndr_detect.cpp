// Fuzzes NDR detection (classify/ndr_detect) on a message's content. Byte 0
// sets the envelope sender (null or not) and the [classify] switches; the rest
// is the message. Besides memory safety it checks that a null sender is
// always an NDR, that every reason is one of the documented ones, and that
// the auto-reply rule only fires when it is switched on.
#include "classify/ndr_detect.h"
#include "fuzz_check.h"

#include <cstdint>
#include <string_view>

using namespace poolgate;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t ctl = data[0];
  std::string_view content(reinterpret_cast<const char*>(data + 1), size - 1);

  Envelope envelope;
  envelope.sender = (ctl & 1) ? "" : "sender@example.com";
  envelope.recipients.push_back({.address = "rcpt@example.net"});
  ClassifyConfig config;
  config.auto_replies_are_ndr = ctl & 2;
  config.check_from_domain = ctl & 4;

  std::optional<std::string> why = detect_ndr(envelope, content, config);
  if (envelope.sender.empty()) FUZZ_CHECK(why && *why == "ndr:null-sender");
  if (why) {
    FUZZ_CHECK(*why == "ndr:null-sender" || *why == "ndr:delivery-status" ||
               *why == "ndr:auto-replied");
    if (*why == "ndr:auto-replied") FUZZ_CHECK(config.auto_replies_are_ndr);
  }
  (void)is_delivery_status_report(content);
  (void)is_auto_reply(content);
  return 0;
}
