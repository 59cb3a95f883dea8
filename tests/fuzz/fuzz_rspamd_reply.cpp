// Fuzzes the reading of an rspamd reply (spam/rspamd_protocol): bytes 0-1 are
// the HTTP status, the rest the JSON body. Besides memory safety (and no
// exception out of the JSON parser) it checks that the verdict is Clean, Spam
// or Failed, named "rspamd", that a Failed verdict says why, and that a
// non-2xx status never reads as a verdict on the content.
#include "fuzz_check.h"
#include "spam/rspamd_protocol.h"

#include <cstdint>
#include <string_view>

using namespace poolgate;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  unsigned status = (data[0] & 1) ? 200 : 100 + (data[0] << 8 | data[1]) % 500;
  std::string_view body(reinterpret_cast<const char*>(data + 2), size - 2);
  SpamVerdict v = parse_rspamd_reply(status, body);
  FUZZ_CHECK(v.status != SpamVerdict::Status::NotScanned);
  FUZZ_CHECK(v.scanner == "rspamd");
  if (v.status == SpamVerdict::Status::Failed) FUZZ_CHECK(!v.detail.empty());
  if (status < 200 || status >= 300) FUZZ_CHECK(v.status == SpamVerdict::Status::Failed);
  (void)rspamd_action_is_spam(body);
  return 0;
}
