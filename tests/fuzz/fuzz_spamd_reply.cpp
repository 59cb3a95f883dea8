// Fuzzes the reading of a spamd reply (spam/spamd_protocol) as the client
// receives it: spamd_reply_complete on every prefix-length step, then
// parse_spamd_reply on the whole. Besides memory safety it checks that the
// verdict is Clean, Spam or Failed (never NotScanned), named "spamd", and
// that a Failed verdict says why.
#include "fuzz_check.h"
#include "spam/spamd_protocol.h"

#include <cstdint>
#include <string_view>

using namespace poolgate;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view reply(reinterpret_cast<const char*>(data), size);
  // As the bytes arrive: a few prefixes, not all of them (quadratic).
  for (size_t n = 0; n < size; n += 1 + size / 8) (void)spamd_reply_complete(reply.substr(0, n));
  (void)spamd_reply_complete(reply);

  SpamVerdict v = parse_spamd_reply(reply);
  FUZZ_CHECK(v.status != SpamVerdict::Status::NotScanned);
  FUZZ_CHECK(v.scanner == "spamd");
  if (v.status == SpamVerdict::Status::Failed) FUZZ_CHECK(!v.detail.empty());
  return 0;
}
