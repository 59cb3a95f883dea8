// Fuzzes the header scanner's reading of an upstream filter's verdict
// (X-Spam-Status and the like, spam/header_scanner). Besides memory safety it
// checks that the verdict is Clean or Spam (headers alone never fail a scan),
// named after the header scanner, with a reason for the logs.
#include "fuzz_check.h"
#include "spam/header_scanner.h"

#include <cstdint>
#include <string_view>

using namespace poolgate;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view message(reinterpret_cast<const char*>(data), size);
  SpamVerdict v = judge_spam_headers(message);
  FUZZ_CHECK(v.status == SpamVerdict::Status::Clean || v.status == SpamVerdict::Status::Spam);
  FUZZ_CHECK(v.scanner == "header" && !v.detail.empty());
  return 0;
}
