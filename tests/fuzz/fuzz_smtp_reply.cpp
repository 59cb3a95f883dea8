// Fuzzes what a next hop sends the client: ReplyStream (line splitting,
// limits) over ReplyParser, and parse_ehlo_reply on each complete reply. Byte 0
// sets how the bytes are split over reads and whether enhanced codes are
// split off; the rest is the peer's bytes. Besides memory safety it checks
// that every reply has a code in 200..599, at least one line, an enhanced code
// of its own class or none, and bounded lines; and that once the stream
// reports Error the caller closes (nothing further is read).
#include "delivery/reply_stream.h"
#include "fuzz_check.h"
#include "smtp/ehlo.h"

#include <algorithm>
#include <cstdint>
#include <string_view>

using namespace poolgate;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t ctl = data[0];
  std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
  const size_t chunk = (ctl & 0x3f) + 1;  // bytes per read
  const bool enhanced = ctl & 0x40;

  ReplyStream stream;
  size_t replies = 0;
  while (true) {
    size_t n = std::min(chunk, in.size());
    stream.append(in.substr(0, n));
    in.remove_prefix(n);
    Reply r;
    ReplyStream::Status st;
    while ((st = stream.next(r, enhanced)) == ReplyStream::Status::Done) {
      ++replies;
      FUZZ_CHECK(r.code >= 200 && r.code <= 599);
      FUZZ_CHECK(!r.lines.empty() && r.lines.size() <= ReplyStream::kMaxLines);
      for (const std::string& l : r.lines) FUZZ_CHECK(l.size() <= ReplyStream::kMaxLine);
      if (!r.enhanced.empty()) {
        FUZZ_CHECK(enhanced && valid_enhanced_code(r.enhanced));
        FUZZ_CHECK(r.enhanced[0] == '0' + r.code / 100);
      }
      Capabilities caps = parse_ehlo_reply(r);
      (void)caps;
      (void)r.wire();
      (void)r.str();
      r = Reply{};
    }
    if (st == ReplyStream::Status::Error) return 0;
    if (in.empty()) break;
  }
  (void)replies;
  return 0;
}
