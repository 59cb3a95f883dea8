// Fuzzes the spool's record decoders (spool/records over spool/tlv) on bytes
// as read back from disk. Byte 0 picks the envelope or the recipient status
// record. Besides memory safety it checks that a bad record only ever throws
// RecordError, and that whatever decodes re-encodes to a record that decodes
// to the same bytes again (encode(decode(.)) is a fixed point).
#include "fuzz_check.h"
#include "spool/records.h"
#include "spool/tlv.h"

#include <cstdint>
#include <string>
#include <string_view>

using namespace poolgate;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  std::string_view record(reinterpret_cast<const char*>(data + 1), size - 1);
  try {
    if (data[0] & 1) {
      RecipientStatus s = decode_status(record);
      std::string again = encode_status(s);
      RecipientStatus s2 = decode_status(again);
      FUZZ_CHECK(s2 == s);
      FUZZ_CHECK(encode_status(s2) == again);
    } else {
      EnvelopeRecord e = decode_envelope(record);
      std::string again = encode_envelope(e.envelope, e.content_chunks);
      EnvelopeRecord e2 = decode_envelope(again);
      FUZZ_CHECK(e2.content_chunks == e.content_chunks);
      FUZZ_CHECK(encode_envelope(e2.envelope, e2.content_chunks) == again);
    }
  } catch (const RecordError&) {
    // The contract: a record that cannot be read says so, nothing else escapes.
  }
  return 0;
}
