// Fuzzes DataReader. Byte 0 picks the options, byte 1 seeds where the stream is
// cut; the rest is what follows the DATA command. Checks:
//  - the end of data is exactly the first literal CRLF "." CRLF (counting the
//    DATA line's CRLF when after_crlf), and nothing after it is consumed;
//  - the result (content, consumed, errors, size) is the same whether the
//    stream arrives whole, octet by octet, or in random chunks;
//  - stored content has CRLF line endings only and respects the size limit;
//  - round trip: for a clean message, dot_stuff(content) read by a fresh strict
//    DataReader gives back the same content, ending exactly at its terminator.
#include "fuzz_check.h"
#include "smtp/data_reader.h"
#include "smtp/dot_stuffer.h"

#include <cstdint>
#include <string>
#include <string_view>

using namespace poolgate;

namespace {

struct Run {
  std::string content;
  size_t consumed = 0;
  bool done = false;
  uint8_t errors = 0;
  uint64_t size = 0;
  bool operator==(const Run&) const = default;
};

Run run(std::string_view in, const DataReaderOptions& opts, uint32_t seed) {
  Run r;
  DataReader reader(opts, r.content);
  uint32_t state = seed;
  while (!in.empty() && !reader.done()) {
    size_t n = in.size();
    if (seed == 1) n = 1;
    else if (seed) n = 1 + (state = state * 1103515245u + 12345u) % 61;
    std::string_view chunk = in.substr(0, n < in.size() ? n : in.size());
    size_t used = reader.feed(chunk);
    FUZZ_CHECK(used <= chunk.size());
    FUZZ_CHECK(used == chunk.size() || reader.done());
    r.consumed += used;
    in.remove_prefix(chunk.size());
  }
  r.done = reader.done();
  r.errors = reader.errors();
  r.size = reader.size();
  return r;
}

// Every CR is followed by LF and every LF preceded by CR.
bool crlf_only(std::string_view s) {
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\r' && (i + 1 == s.size() || s[i + 1] != '\n')) return false;
    if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r')) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const uint8_t ctl = data[0];
  DataReaderOptions opts;
  opts.bare_newline = ctl & 1 ? BareNewline::Normalize : BareNewline::Reject;
  opts.after_crlf = !(ctl & 2);
  opts.max_line = ctl & 4 ? 3 + (ctl >> 5) : 1000;  // tiny limits hit the boundaries
  opts.max_size = ctl & 8 ? (ctl >> 4) * 7 : 0;
  std::string_view in(reinterpret_cast<const char*>(data + 2), size - 2);

  Run whole = run(in, opts, 0);

  // The one terminator.
  std::string prefixed = (opts.after_crlf ? "\r\n" : "") + std::string(in);
  size_t term = prefixed.find("\r\n.\r\n");
  if (term == std::string::npos) {
    FUZZ_CHECK(!whole.done && whole.consumed == in.size());
  } else {
    size_t end = term + 5 - (opts.after_crlf ? 2 : 0);
    FUZZ_CHECK(whole.done && whole.consumed == end);
  }

  // Split independence.
  FUZZ_CHECK(run(in, opts, 1) == whole);
  FUZZ_CHECK(run(in, opts, 2u + data[1]) == whole);

  // What is stored.
  if (opts.max_size) FUZZ_CHECK(whole.content.size() <= opts.max_size);
  if (!(whole.errors & uint8_t(DataError::TooBig))) FUZZ_CHECK(crlf_only(whole.content));
  if (whole.errors == 0) FUZZ_CHECK(whole.size == whole.content.size());
  if (opts.bare_newline == BareNewline::Normalize)
    FUZZ_CHECK((whole.errors & (uint8_t(DataError::BareLf) | uint8_t(DataError::BareCr))) == 0);

  // Round trip through the outbound side.
  if (whole.done && whole.errors == 0) {
    std::string wire = dot_stuff(whole.content);
    DataReaderOptions strict;
    strict.max_line = opts.max_line;
    Run back = run(wire, strict, 2u + data[1]);
    FUZZ_CHECK(back.done && back.errors == 0);
    FUZZ_CHECK(back.consumed == wire.size());
    FUZZ_CHECK(back.content == whole.content);
  }
  return 0;
}
